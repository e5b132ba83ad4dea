"""What a merchant's chat request for a campaign states: sale, offer, dates, channels, audience, products.

"write a Singles' Day post for all our backpacks, 20% off until 11.11, for students" ->
Singles' Day, 20% off, today to Nov 11, social, students, the catalog's backpacks;
"双十一给所有背包写小红书笔记，8折" -> the same in Chinese on Xiaohongshu. Read by rules over the
words in ``campaign_chat.toml`` (named sales, channels, audience segments) and the money and
dates readers of the campaign tools, so every number is the merchant's own: a small model
asked to fill a campaign form invents discounts. :func:`read_campaign` returns a
:class:`CampaignDraft`; what it could not find (the offer, the products, the end date) is in
:attr:`CampaignDraft.missing`, and the next message may complete it (:meth:`CampaignDraft.merged`).

:func:`campaign_products` turns the product words into products of the catalog: the product
type they name (every backpack the store has, within the stated price limits), else the search
results that pass the relevance threshold; the whole store for "storewide".

Deliberately not here: recognising that a message asks for a campaign (:mod:`assistant.intents`),
saving and running it (:mod:`tools.campaign_desk`), the reply (:mod:`assistant.campaign_chat`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.quantities import Quantity, price_limits, quantities
from index.schema import Product
from tools.campaign_terms import MONTHS, stated_dates
from tools.context import Catalog

if TYPE_CHECKING:
    from collections.abc import Callable

    from index.product_types import TypeRequest

WORDS_FILE = Path(__file__).with_name("campaign_chat.toml")
LEAD_DAYS = 7  # a named sale with no dates given runs for the week up to its day
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "一": 1, "二": 2, "两": 2, "三": 3,
                 "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_COUNT = r"(\d{1,2}|one|two|three|four|five|[一二两三四五])"
_BUY_GET = re.compile(
    rf"\bbuy\s+{_COUNT}(?:\s+[a-z-]+){{0,3}},?\s+get\s+{_COUNT}(?:\s+free)?|买\s*{_COUNT}\s*送\s*{_COUNT}",
    re.I,
)
_N_FOR_M = re.compile(
    rf"\b{_COUNT}\s+for\s+{_COUNT}\b(?!\s*(?:%|percent|dollars?|\$))", re.I
)  # "2 for 1": buy 1 get 1
_BOGO = re.compile(r"\bbogo\b", re.I)
_HALF_PRICE = re.compile(r"\bhalf[- ]price\b|(?<!第二件)(?<!第二份)半价", re.I)
# offers a campaign cannot state: the second item at a discount, spend X save Y ("满300减50")
_UNSUPPORTED = re.compile(
    r"\bbuy\s+\w+,?\s+get\s+\w+\s+(?:\d+\s*%|half)\s*off|第[二三]件|满\s*\d+\s*(?:元|块)?\s*减", re.I
)
_PERCENT = re.compile(
    r"(\d{1,2}(?:\.\d+)?)\s*(?:%|percent)\s*(?:off|discount)|\b(?:save|take|extra)\s+(\d{1,2})\s*(?:%|percent)",
    re.I,
)
_ZHE = re.compile(
    r"打?\s*(\d{1,2}(?:\.\d)?|[一二三四五六七八九]{1,2})\s*折(?!扣)"
)  # 8折, 8.5折, 85折, 八五折
_FREE_SHIPPING = re.compile(r"\bfree\s+(?:shipping|delivery)\b|包邮|免运费|免邮", re.I)
_THRESHOLD = re.compile(r"(?:over|above|from|on orders (?:over|above))\s*$|满\s*$", re.I)
# a threshold written without a currency mark: "free shipping over 75", "满99包邮"
_BARE_THRESHOLD = re.compile(
    r"free\s+(?:shipping|delivery)\s+(?:on orders\s+)?(?:over|above|from)\s*(\d+(?:\.\d+)?)\b"
    r"|满\s*(\d+(?:\.\d+)?)\s*(?:元|块)?\s*(?:包邮|免运费)",
    re.I,
)
_AMOUNT_OFF = re.compile(r"^\s*off\b", re.I)
_AMOUNT_BEFORE = re.compile(r"(?:立减|直降|减)\s*$")
_WRITE = re.compile(
    r"\b(?:write|create|draft|make|prepare|set up|run|launch|plan|send|update)\b"
    r"|写|做|创建|策划|设置|发起|发|推送",
    re.I,
)
_QUESTION = re.compile(
    r"[?？]\s*$|^\s*(?:how|what|which|why|did|does|do|is|are|was|were)\b|吗|怎么样|如何", re.I
)
_MONTH_RANGE = re.compile(
    rf"\b(?P<m>{'|'.join(MONTHS)})[a-z]*\.?\s+(?P<a>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"\s*(?:-|–|to|through|until|till)\s*(?P<b>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*%)(?!\s*(?:{'|'.join(MONTHS)}))",
    re.I,
)
_ZH_RANGE = re.compile(
    r"(?P<mm>\d{1,2})\s*月\s*(?P<a>\d{1,2})\s*[日号]?\s*(?:-|–|~|到|至)\s*(?P<b>\d{1,2})\s*[日号](?!\s*月)"
)
_ORDINAL_RANGE = re.compile(
    r"\bfrom\s+the\s+(?P<a>\d{1,2})(?:st|nd|rd|th)\s+(?:to|until|through|till)\s+the\s+(?P<b>\d{1,2})(?:st|nd|rd|th)\b",
    re.I,
)
_DOTTED_END = re.compile(
    r"(?<![\d.])(?P<mm>1[0-2]|0?[1-9])\.(?P<d>[0-3]?\d)(?![\d.%])(?=\s*(?:截止|前|结束|止|为止))"
)
_ORDINAL_DAY = re.compile(
    r"\b(?:through|until|till|by|ends?(?: on)?)\s+the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b|(?:本月|这个月)?(?P<d2>[0-3]?\d)[号日]前",
    re.I,
)
_THROUGH_SALE = re.compile(r"\s*(?:-|–|through|until|till|to|到|至)\s{2,}", re.I)
_FOR_DAYS = re.compile(
    r"\bfor\s+(\d{1,2}|two|three|four|five)\s+days\b|(?:为期|持续)?(\d{1,2}|[两三四五六七])天", re.I
)
_NEXT = re.compile(r"\bnext\s+$|下\s*$", re.I)
_FROM = re.compile(r"(?:\bfrom|\bstarting|\bstarts?|从|自)\s*$", re.I)
_FILLER = re.compile(
    r"\b(?:please|can you|could you|write|create|make|draft|prepare|run|set up|launch|give me|i want|we want|"
    r"a|an|the|for|all|our|my|of|with|until|till|through|ends?|by|to|from|and|on|in|copy|campaign|promotion|"
    r"promo|sale|copies|variants?|text|versions?|every|each|items|products|everything|about|it|us|some|"
    r"one|per|segment|audience|channels?)\b"
    r"|写|给|帮我|一条|一篇|一个|几条|所有|全部|的|为|做|文案|活动|促销|面向|针对|到|至|截止|之前|前|我们|店里|请|和|笔记",
    re.I,
)


@cache
def words() -> dict[str, Any]:
    with WORDS_FILE.open("rb") as file:
        return tomllib.load(file)


@dataclass(frozen=True)
class CampaignDraft:
    """A campaign as far as the messages state it; JSON-able (it waits in the session memory)."""

    lang: str
    name: str | None = None
    offer: dict[str, Any] | None = None
    start: str | None = None  # ISO dates
    end: str | None = None
    dates_chosen: bool = False  # the dates are a named sale's week, not stated
    channels: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    asked: str = ""  # the product words as written
    storewide: bool = False
    min_price: float | None = None
    max_price: float | None = None
    product_ids: list[str] = field(default_factory=list)  # products named or pointed at

    @property
    def missing(self) -> list[str]:
        """What a campaign needs that the messages have not said: offer, products, dates."""
        limited = self.min_price is not None or self.max_price is not None  # "the products over $50"
        has_products = self.storewide or bool(self.asked or self.product_ids) or limited
        return [name for name, given in (("offer", self.offer), ("products", has_products), ("dates", self.end))
                if not given]  # fmt: skip

    def merged(self, answer: CampaignDraft) -> CampaignDraft:
        """This draft with what ``answer`` (the reply to our question) states added."""
        given = {key: value for key, value in asdict(answer).items() if value not in (None, "", [], False)}
        given.pop("lang", None)
        if "end" in given and "start" not in given:
            given["start"] = answer.start
        return replace(self, **given)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignDraft:
        return cls(**data)


def mentions_campaign(text: str) -> bool:
    """Whether ``text`` names a sale, a campaign, or states an offer."""
    lowered = text.lower()
    named = any(_has(lowered, word) for f in words()["festivals"] for word in f["words"])
    if named or _UNSUPPORTED.search(text) or _tiered(text):
        return True  # an offer we cannot state is still a campaign's
    return any(_has(lowered, w) for w in words()["words"]["campaign"]) or _offer(text)[0] is not None


def asks_for_campaign(text: str) -> bool:
    """Whether ``text`` asks to write a campaign: it names a sale, a campaign or an offer, and
    asks to write or names a channel ("any Black Friday deals?" is a shopper's question)."""
    lowered = text.lower()
    names = (*words()["channels"].values(), *words()["generic_channels"].values())
    channel = any(_has(lowered, word) for ws in names for word in ws)
    writes = _WRITE.search(text) is not None
    if _QUESTION.search(text) and not writes:  # "how did the Black Friday email perform?"
        return False
    return (channel or writes) and mentions_campaign(text)


def asks_for_more(text: str) -> bool:
    """Whether ``text`` asks to go on writing the campaign ("continue", "继续")."""
    lowered = text.lower()
    return any(_has(lowered, word) for word in words()["words"]["more"])


def read_campaign(text: str, lang: str, today: date, currency: str | None) -> CampaignDraft:
    """The campaign ``text`` states (see the module docstring); money without a mark is in
    ``currency`` (the catalog's)."""
    spans: list[tuple[int, int]] = []
    lowered = text.lower()
    festival = next((f for f in words()["festivals"] if any(_has(lowered, w) for w in f["words"])), None)
    spans += _spans(lowered, festival["words"] if festival else [])
    festival_spans = len(spans)  # dates are read without them: not the "Friday" of Black Friday
    offer, offer_spans = _offer(text, currency)
    spans += offer_spans
    start, end, chosen, date_spans = _dates(_blank(text, spans[:festival_spans]), today, festival)
    spans += date_spans
    channels = [name for name, ws in words()["channels"].items() if any(_has(lowered, w) for w in ws)]
    generic = [name for name, ws in words()["generic_channels"].items() if any(_has(lowered, w) for w in ws)]
    channels = channels or generic  # "Xiaohongshu posts" is Xiaohongshu; "a post" is social
    segments = [
        key for key, seg in words()["segments"].items() if any(_has(lowered, w) for w in seg["words"])
    ]
    named = (*words()["channels"].values(), *words()["generic_channels"].values())
    for ws in (*named, *(seg["words"] for seg in words()["segments"].values())):
        spans += _spans(lowered, ws)
    storewide = any(_has(lowered, word) for word in words()["words"]["storewide"])
    spans += _spans(lowered, words()["words"]["storewide"])
    limits = price_limits(_blank(text, spans))
    asked = re.sub(
        r"\s+", " ", _FILLER.sub(" ", re.sub(r"[?!.,;:！？。，、“”\"()（）]+", " ", limits.rest))
    ).strip()
    name = festival["name"][lang] if festival else None
    if name and end is not None:
        name = f"{name} {end.year}"
    return CampaignDraft(
        lang=lang,
        name=name,
        offer=offer,
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        dates_chosen=chosen,
        channels=channels,
        segments=segments,
        asked="" if storewide else asked,
        storewide=storewide,
        min_price=limits.min_price,
        max_price=limits.max_price,
    )


def campaign_products(draft: CampaignDraft, catalog: Catalog) -> tuple[dict[str, Any] | None, str]:
    """The campaign's ``products`` table (None: nothing in the catalog fits) and the words that
    named them ("yoga pants" of "Mother's Day yoga pants clearance"). Products the messages
    named or pointed at (:attr:`CampaignDraft.product_ids`) are the products."""
    if draft.product_ids:
        return {"ids": list(dict.fromkeys(draft.product_ids))}, ""
    limits = {key: value for key, value in (("min_price", draft.min_price), ("max_price", draft.max_price))
              if value is not None}  # fmt: skip
    if draft.storewide or (not draft.asked and limits):
        return {"min_price": 0, **limits}, ""
    listed = [p for pid in getattr(catalog, "product_ids", list)() if (p := catalog.get(pid)) is not None]
    in_limits = [p for p in listed if _within(p, draft)]
    best: tuple[tuple[bool, int], str, list[str]] | None = None
    type_request = cache(catalog.type_request)  # _phrases reads the glosses of the same phrases
    for phrase in _phrases(draft.asked, type_request):  # the longest naming a type, exact matches first
        request = type_request(phrase)
        if request.status != "typed":
            continue
        typed = [p for p in in_limits if request.matches(p)]
        exact = [p for p in typed if request.has_all_words(p)]
        rank = (bool(exact), len(phrase))
        if typed and (best is None or rank > best[0]):
            best = (rank, phrase, [p.id for p in exact or typed])
    if best is not None:
        return {"ids": best[2]}, best[1]
    if limits:  # "the products under $50": no type, the limits are the scope
        return {"min_price": 0, **limits}, ""
    request = catalog.type_request(draft.asked)
    if request.status == "untyped":  # no type named: the search results that pass the threshold
        hits = [hit.product for hit in catalog.search(draft.asked, k=50) if _within(hit.product, draft)]
        margins = catalog.relevance_margins(draft.asked, hits)  # None: no threshold, so no guess
        ids = [p.id for p, m in zip(hits, margins or [], strict=False) if m >= 0]
        if ids:
            return {"ids": ids}, draft.asked
    return None, draft.asked


def _phrases(asked: str, type_request: Callable[[str], TypeRequest]) -> list[str]:
    """Candidate product phrases of the leftover words: runs of up to three words, the Chinese
    substrings of two to six characters, and for those the catalog's words of the other
    language in pairs ("瑜伽裤" on an English store: "yoga pants")."""
    tokens = asked.split()
    phrases = [" ".join(tokens[i : i + n]) for n in (3, 2, 1) for i in range(len(tokens) - n + 1)]
    for token in tokens:
        if not token.isascii():
            size = len(token)
            phrases += [token[i : i + n] for n in range(min(6, size), 1, -1) for i in range(size - n + 1)]
    glossed = []
    for phrase in phrases:
        glosses = () if phrase.isascii() else type_request(phrase).glosses
        glossed += [f"{a} {b}" for a in glosses for b in glosses if a != b]
    return list(dict.fromkeys([*phrases, *glossed]))


def campaign_data(
    draft: CampaignDraft, products: dict[str, Any], today: date, phrase: str = ""
) -> dict[str, Any]:
    """The draft as the data of :func:`tools.campaign.parse_campaign`."""
    channels = draft.channels or ["social"]
    data: dict[str, Any] = {
        "name": draft.name or _default_name(draft, phrase),
        "offer": draft.offer,
        "start": draft.start or today.isoformat(),
        "end": draft.end,
        "channels": channels,
        "products": products,
        "lang": draft.lang,
    }
    if draft.segments:  # saved as the merchant's language names them
        named = [words()["segments"][key].get(draft.lang, key.replace("_", " ")) for key in draft.segments]
        data |= {"audience": {"segments": named}, "per_segment": True}
    return data


def _default_name(draft: CampaignDraft, phrase: str) -> str:
    """ "Backpacks sale", "背包促销": what the campaign is for, when it names no sale."""
    text = words()[draft.lang]
    what = phrase or draft.asked or text["storewide_name"]
    return str(text["name_default"].format(what=what[:1].upper() + what[1:]))[:80]


def _offer(text: str, currency: str | None = None) -> tuple[dict[str, Any] | None, list[tuple[int, int]]]:
    if match := _UNSUPPORTED.search(text):  # read as no offer: the question then asks for one
        return None, [match.span()]
    if match := _BOGO.search(text):
        return {"kind": "buy_n_get_m", "buy": 1, "get": 1}, [match.span()]
    if _tiered(text):  # "10% off one, 20% off two": not one offer
        return None, [m.span() for m in _PERCENT.finditer(text)]
    if match := _N_FOR_M.search(text):
        total, paid = (_count(g) for g in match.groups())
        if total > paid:
            return {"kind": "buy_n_get_m", "buy": paid, "get": total - paid}, [match.span()]
    if match := _BUY_GET.search(text):
        buy, get = (_count(g) for g in match.groups() if g)
        return {"kind": "buy_n_get_m", "buy": buy, "get": get}, [match.span()]
    money = [q for q in quantities(text) if q.kind == "money"]
    if match := _FREE_SHIPPING.search(text):
        over, at = _threshold(text, money)
        bare = _BARE_THRESHOLD.search(text)
        threshold: dict[str, Any] = {}
        spans = [match.span()]
        if over is not None:
            threshold = {"threshold": over.value, "currency": over.currency or currency}
            spans.append((at, over.end))
        elif bare is not None:
            threshold = {"threshold": float(bare.group(1) or bare.group(2))}
            spans.append(bare.span())
        return {"kind": "free_shipping_over", "threshold": 0, "currency": currency, **threshold}, spans
    if match := _PERCENT.search(text):
        return {"kind": "percent_off", "percent": float(match.group(1) or match.group(2))}, [match.span()]
    if match := _ZHE.search(text):
        zhe = match.group(1)
        if zhe[0].isdigit():  # "85折" is 8.5折
            tenths = float(zhe) / 10 if len(zhe) == 2 else float(zhe)
        else:
            tenths = _count(zhe[0]) + (_count(zhe[1]) / 10 if len(zhe) > 1 else 0.0)  # 八八折: 8.8
        return {"kind": "percent_off", "percent": round(100 - tenths * 10, 2)}, [match.span()]
    if match := _HALF_PRICE.search(text):
        return {"kind": "percent_off", "percent": 50.0}, [match.span()]
    for q in money:
        off, cut = _AMOUNT_OFF.match(text[q.end :]), _AMOUNT_BEFORE.search(text[: q.start])
        if off or cut:
            span = (cut.start() if cut else q.start, q.end + (off.end() if off else 0))
            return {"kind": "amount_off", "amount": q.value, "currency": q.currency or currency}, [span]
    return None, []


def _threshold(text: str, money: list[Quantity]) -> tuple[Quantity | None, int]:
    """The amount a free-shipping offer starts at ("over $50", "满50美元包邮") and where its
    words start."""
    for q in money:
        if word := _THRESHOLD.search(text[max(0, q.start - 20) : q.start]):
            return q, max(0, q.start - 20) + word.start()
    for q in money:
        if re.match(r"\s*(?:包邮|免运费)", text[q.end :]):
            return q, q.start
    return None, 0


def _tiered(text: str) -> bool:
    """Whether ``text`` states more than one percentage off."""
    return len({float(m.group(1) or m.group(2)) for m in _PERCENT.finditer(text)}) > 1


def _dates(
    text: str, today: date, festival: dict[str, Any] | None
) -> tuple[date | None, date | None, bool, list[tuple[int, int]]]:
    """Start, end, whether they were chosen for a named sale, and where the text states them."""
    if found := _range(text, today):
        start, end, span = found
        return start, end, False, [span]
    stated = stated_dates(text)
    days = [_next(d.year, d.month, d.day, today) for d in stated]
    spans = [(d.start, d.end) for d in stated]
    if not days and (dotted := _DOTTED_END.search(text)):
        days, spans = [_next(None, int(dotted["mm"]), int(dotted["d"]), today)], [dotted.span()]
    if not days and (ordinal := _ORDINAL_DAY.search(text)):
        number = int(ordinal["d"] or ordinal["d2"])
        month = today.month if number >= today.day else today.month % 12 + 1
        days, spans = [_next(None, month, number, today)], [ordinal.span()]
    festival_day = _festival_day(festival, today) if festival else None
    if not days and festival_day is None and (relative := _relative_day(text.lower(), today)):
        days, spans = [relative[0]], [relative[1]]
    if (
        len(days) == 1
        and festival_day is not None
        and festival_day > days[0]
        and _THROUGH_SALE.match(text[spans[0][1] :])  # the sale's words were blanked to spaces
    ):
        return days[0], festival_day, False, spans  # "Oct 25 through Halloween"
    if len(days) >= 2:
        start, end = sorted(days[:2])
        if stated[0].year is None and start.year > end.year:
            start = start.replace(year=end.year)
        return start, end, False, spans
    if days and _FROM.search(text[: spans[0][0]]):
        if lasting := _FOR_DAYS.search(text):  # "starting Dec 10, for 3 days"
            end = days[0] + timedelta(days=_count(lasting.group(1) or lasting.group(2)) - 1)
            return days[0], end, False, [*spans, lasting.span()]
        day = _festival_day(festival, days[0]) if festival else None
        return days[0], day, False, spans
    if days:  # an end already past is refused as such, not as an end before its start
        return min(today, days[0]), days[0], False, spans
    if festival_day is None:
        return None, None, False, spans
    return max(today, festival_day - timedelta(days=LEAD_DAYS)), festival_day, True, spans


def _range(text: str, today: date) -> tuple[date, date, tuple[int, int]] | None:
    """ "Dec 10-20", "12月10日到20日", "from the 5th to the 12th": one month's days."""
    match = _MONTH_RANGE.search(text) or _ZH_RANGE.search(text) or _ORDINAL_RANGE.search(text)
    if match is None:
        return None
    found = match.groupdict()
    first, last = int(found["a"]), int(found["b"])
    if found.get("m"):
        month = MONTHS.index(found["m"][:3].lower()) + 1
    elif found.get("mm"):
        month = int(found["mm"])
    else:  # days of this month, or of the next when they are past
        month = today.month if last >= today.day else today.month % 12 + 1
    if not (1 <= month <= 12 and 1 <= first <= last <= 31):
        return None
    end = _next(None, month, last, today)
    return _next(end.year, month, first, today), end, match.span()


def _relative_day(lowered: str, today: date) -> tuple[date, tuple[int, int]] | None:
    """ "ends Sunday", "this weekend", "到月底": the day it means, from today."""
    days = words()["days"]
    for weekday, names in enumerate(days["weekdays"]):
        if span := _find(lowered, names):
            coming = today + timedelta(days=(weekday - today.weekday()) % 7)
            if _NEXT.search(lowered[: span[0]]) and coming.isocalendar()[1] == today.isocalendar()[1]:
                coming += timedelta(days=7)  # "next Friday", "下周五" said on a Thursday: a week on
            return coming, span
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    for key, day in (
        ("weekend", today + timedelta(days=(6 - today.weekday()) % 7)),
        ("year_end", date(today.year, 12, 31)),
        ("month_end", following - timedelta(days=1)),
    ):
        if span := _find(lowered, days[key]):
            return day, span
    return None


def _festival_day(festival: dict[str, Any], after: date) -> date | None:
    """The next day of the named sale on or after ``after`` (None: it has no day)."""
    for year in (after.year, after.year + 1):
        if "day" in festival:
            month, day = (int(n) for n in festival["day"].split("-"))
            found = date(year, month, day)
        elif festival.get("rule") in ("black_friday", "cyber_monday"):
            thanksgiving = _nth_weekday(year, 11, 3, 4)
            found = thanksgiving + timedelta(days=1 if festival["rule"] == "black_friday" else 4)
        elif festival.get("rule") == "easter":
            from dateutil.easter import easter

            found = easter(year)
        elif festival.get("rule") == "labor_day":  # the first Monday of September (US)
            found = _nth_weekday(year, 9, 0, 1)
        elif festival.get("rule") == "mothers_day":  # the second Sunday of May
            found = _nth_weekday(year, 5, 6, 2)
        elif festival.get("rule") == "fathers_day":  # the third Sunday of June
            found = _nth_weekday(year, 6, 6, 3)
        else:
            return None
        if found >= after:
            return found
    return None


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _next(year: int | None, month: int, day: int, today: date) -> date:
    """The date stated; without a year, the next one on or after today."""
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:  # Feb 30: the last day of the month
        return _next(year, month, day - 1, today)


def _within(product: Product, draft: CampaignDraft) -> bool:
    low, high = draft.min_price, draft.max_price
    if low is None and high is None:
        return True
    price = product.price
    return price is not None and (low is None or price >= low) and (high is None or price <= high)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _has(lowered: str, word: str) -> bool:
    return re.search(_pattern(word), lowered) is not None  # at ASCII boundaries: "写SEO文案", "618大促" count


def _find(lowered: str, names: list[str]) -> tuple[int, int] | None:
    """Where the first of ``names`` (in their order) occurs, matched as :func:`_has` matches."""
    for name in names:
        if match := re.search(_pattern(name), lowered):
            return match.span()
    return None


def _spans(lowered: str, found: list[str]) -> list[tuple[int, int]]:
    """Where the words occur, matched as :func:`_has` matches them ("ig" is not in "campaign")."""
    return [m.span() for word in found for m in re.finditer(_pattern(word.lower()), lowered)]


def _pattern(word: str) -> str:
    if word.isascii() and word[:1].isalnum():
        return rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])"
    return re.escape(word)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` replaced by spaces (positions kept)."""
    chars = list(text)
    for start, end in spans:
        chars[max(0, start) : end] = " " * (min(end, len(chars)) - max(0, start))
    return "".join(chars)
