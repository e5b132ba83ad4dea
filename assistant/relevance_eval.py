"""`shopbot eval relevance`: does the assistant show the products a shopper asked for?

Each request is the first message of a fresh session (:meth:`Assistant.reply`); the cards of
the reply are judged against labels written for the request. Two kinds of request:

- written sets, ``assistant/eval_data/relevance_<catalog>.jsonl`` (one JSON object a line:
  ``id``, ``text``, ``lang``, ``expect`` ("match": the store sells it, "none": it does not),
  ``any`` and ``not`` (terms), ``audience`` ("men" | "women" | "kids" | null), ``min_price`` /
  ``max_price`` (a limit the shopper states, in the catalog's currency), ``trap`` ("unit": the
  text holds a number that is not a price) and ``note``). Written for this project by reading
  the catalogs; no catalog row is copied.
- cross-catalog requests made at run time (:func:`cross_requests`): titles of a catalog whose
  categories do not overlap the target's, asked of the target ("do you have <title>?",
  "有<title>吗？"); every one expects no match.

A card MATCHES (:func:`card_verdict`) when its title or category path contains an ``any`` term,
no ``not`` term, does not name another audience than the requested one, and its price is within
the stated limits. English terms match at word starts and end at word ends, plurals and
possessives included ("hoodie" finds "Hoodies", "women" finds "women's"); Chinese terms match as
substrings; "a+b" needs both parts. Per catalog and pipeline (:func:`summarize`):

- precision: matching non-alternative cards / non-alternative cards, over expect=match requests;
- at-least-one-match rate over expect=match requests (and how many showed no card at all);
- honest no-match over expect=none requests: no non-alternative card shown (cards under a
  "closest, not what you asked" heading are allowed);
- unit traps avoided: no tool call carries a min/max price other than the labelled limits;
- stated limits held: every non-alternative card within the request's min/max;
- first-card and whole-turn latency p50/p95.

A turn that failed (``Reply.path == "error"``) counts against every rate it enters. Deliberately
not judged: colours and materials that only the product's attributes carry, and the reply prose.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.evaluation import quantile

if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.reply import Reply

CATALOGS = ("demo", "litemall", "flipkart")
PRICE_KEYS = ("min_price", "max_price")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
NONE_SOLD = "the store sells none"


@dataclass(frozen=True)
class Request:
    id: str
    text: str
    lang: str
    expect: str  # "match" | "none"
    any: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()
    audience: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    trap: str | None = None
    note: str = ""
    cross: bool = False  # made at run time from another catalog's title

    @property
    def limits(self) -> dict[str, float]:
        return {
            k: v for k, v in (("min_price", self.min_price), ("max_price", self.max_price)) if v is not None
        }


def load_set(catalog: str) -> list[Request]:
    """The written requests for ``catalog`` (package data)."""
    name = f"relevance_{catalog}.jsonl"
    text = (resources.files("assistant.eval_data") / name).read_text(encoding="utf-8")
    return [parse_request(json.loads(line)) for line in text.splitlines() if line.strip()]


def parse_request(row: dict[str, Any]) -> Request:
    if row["expect"] not in ("match", "none"):
        raise ValueError(f"{row['id']}: expect must be 'match' or 'none', not {row['expect']!r}")
    if row["expect"] == "match" and not row.get("any"):
        raise ValueError(f"{row['id']}: a request that expects a match needs `any` terms")
    return Request(
        id=row["id"],
        text=row["text"],
        lang=row["lang"],
        expect=row["expect"],
        any=tuple(row.get("any") or ()),
        not_=tuple(row.get("not") or ()),
        audience=row.get("audience"),
        min_price=row.get("min_price"),
        max_price=row.get("max_price"),
        trap=row.get("trap"),
        note=row.get("note", ""),
    )


# -- judging --------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.casefold()).strip()


def term_in(term: str, text: str) -> bool:
    """``term`` occurs in ``text``: Chinese as a substring; English from a word start to a word
    end, with a plural or possessive ending allowed; ``a+b`` when every part occurs."""
    if "+" in term:
        return all(term_in(part, text) for part in term.split("+") if part)
    term, text = _normal(term), _normal(text)
    if _CJK.search(term):
        return term in text
    stem = re.escape(term)
    if term.endswith("y"):
        stem = f"(?:{stem}|{re.escape(term[:-1])}ies)"
    return re.search(rf"(?<![a-z0-9]){stem}(?:'s|s'|es|s)?(?![a-z0-9])", text) is not None


AUDIENCES: dict[str, tuple[str, ...]] = {
    "men": ("men", "man", "male", "gents", "unisex", "男"),
    "women": ("women", "woman", "ladies", "lady", "female", "unisex", "女"),
    "kids": ("kids", "kid", "boy", "girl", "child", "children", "baby", "infant", "toddler", "童", "婴", "宝宝", "孩子"),
}  # fmt: skip
_CHILD_ZH = re.compile(r"[男女](?:婴童|婴|童|宝宝)")  # 男婴童 is a baby boy's, not a man's


def audiences_named(text: str) -> set[str]:
    """The audiences a title or category path names ("for men, boys" -> men and kids). A card
    fails an audience when it names others and not the requested one; a kids' request also
    fails a card that names adults too (the Flipkart watches are nearly all "for men, boys")."""
    text = _CHILD_ZH.sub("童", text)
    return {name for name, words in AUDIENCES.items() if any(term_in(word, text) for word in words)}


def card_verdict(request: Request, title: str, category: str, price: float | None) -> str | None:
    """Why a card does not match ``request`` (None: it matches)."""
    text = f"{title} / {category}"
    if not any(term_in(term, text) for term in request.any):
        return f"not a {' / '.join(request.any) or 'product of this store'}"
    bad = [term for term in request.not_ if term_in(term, text)]
    if bad:
        return f"is a {bad[0]}"
    named = audiences_named(text)
    if (
        request.audience
        and named
        and (request.audience not in named or (request.audience == "kids" and named - {"kids"}))
    ):
        return f"for {', '.join(sorted(named))}, not {request.audience}"
    return outside_limits(request, price)


def outside_limits(request: Request, price: float | None) -> str | None:
    if not request.limits:
        return None
    if price is None:
        return "has no price to check against the limit"
    if request.min_price is not None and price < request.min_price:
        return f"{price:g} is under the minimum {request.min_price:g}"
    if request.max_price is not None and price > request.max_price:
        return f"{price:g} is over the maximum {request.max_price:g}"
    return None


def price_arguments(tool_calls: Iterable[Any]) -> list[tuple[str, str, float]]:
    """(tool, key, value) of every min/max price a tool call carried."""
    found = []
    for call in tool_calls:
        for key in PRICE_KEYS:
            value = (call.args or {}).get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append((call.name, key, float(value)))
    return found


def trap_avoided(request: Request, tool_calls: Iterable[Any]) -> bool:
    """No tool call carries a price limit the shopper did not state: a price argument is
    allowed only when it equals the request's labelled ``min_price``/``max_price``."""
    for _, key, value in price_arguments(tool_calls):
        stated = request.limits.get(key)
        if stated is None or abs(stated - value) > 0.005:
            return False
    return True


@dataclass
class ShownCard:
    id: str
    title: str
    price: float | None
    alternative: bool
    why_not: str | None = None  # None: matches (always None for alternatives)


@dataclass
class Judged:
    request: Request
    cards: list[ShownCard] = field(default_factory=list)
    error: bool = False
    any_match: bool | None = None  # expect=match requests
    honest: bool | None = None  # expect=none requests
    trap_ok: bool | None = None  # trap requests
    limits_ok: bool | None = None  # requests with a stated limit
    price_args: list[str] = field(default_factory=list)
    first_card: float | None = None
    total: float = 0.0

    @property
    def shown(self) -> list[ShownCard]:
        return [card for card in self.cards if not card.alternative]

    def failures(self) -> list[str]:
        """Why this request is judged wrong (empty: right)."""
        reasons = ["the turn failed (error reply)"] if self.error else []
        if self.request.expect == "match":
            reasons += [f"{c.title!r}: {c.why_not}" for c in self.shown if c.why_not]
            if not self.error and not self.shown:
                reasons.append("no card shown as a match")
        elif not self.error:
            plain = [c for c in self.shown if c.why_not == NONE_SOLD]
            if plain:
                reasons.append(f"{len(plain)} card(s) shown as matches; the store sells none")
            reasons += [f"{c.title!r}: {c.why_not}" for c in self.shown if c.why_not != NONE_SOLD]
        if self.trap_ok is False and not self.error:
            reasons.append("price filter from a number that is not a price: " + ", ".join(self.price_args))
        return reasons


def judge(request: Request, reply: Reply, category_of: Callable[[str], str | None]) -> Judged:
    """The verdict on one reply; ``category_of(product_id)`` is the product's full category path."""
    error = reply.path == "error"
    cards = []
    for card in reply.products:
        category = category_of(card.id) or card.category
        why = None
        if not card.alternative and request.expect == "match":
            why = card_verdict(request, card.title, category, card.price)
        elif not card.alternative:  # the store has none: every card shown as a match is wrong
            verdict = card_verdict(request, card.title, category, card.price) if request.any else NONE_SOLD
            why = verdict or "judged a match: check the label"
        cards.append(ShownCard(card.id, card.title, card.price, card.alternative, why))
    result = Judged(
        request,
        cards,
        error,
        first_card=reply.timings.get("first_card"),
        total=reply.timings.get("total", 0.0),
    )
    shown = result.shown
    if request.expect == "match":
        result.any_match = not error and any(card.why_not is None for card in shown)
    else:
        result.honest = not error and not shown
    if request.trap:
        result.trap_ok = not error and trap_avoided(request, reply.tool_calls)
    if request.limits:
        result.limits_ok = not error and all(outside_limits(request, card.price) is None for card in shown)
    result.price_args = [f"{tool}({key}={value:g})" for tool, key, value in price_arguments(reply.tool_calls)]
    return result


# -- running --------------------------------------------------------------------------------


def run_requests(
    assistant: Assistant,
    requests: list[Request],
    *,
    label: str,
    every: int = 10,
    say: Callable[[str], None] = print,
) -> list[Judged]:
    """Each request as the first message of a fresh session; a progress line every ``every``."""
    from assistant.reply import Reply as ReplyType

    catalog = assistant.catalog
    judged = []

    def category_of(product_id: str) -> str | None:
        product = catalog.get(product_id)
        return product.category if product is not None else None

    for number, request in enumerate(requests, start=1):
        session = f"eval:relevance-{label}-{request.id}"
        assistant.reset(session)
        try:
            reply = assistant.reply(session, request.text)
        except Exception as error:  # counted as a failed turn; the evaluation goes on
            reply = ReplyType(text=f"{type(error).__name__}: {error}", path="error")
        judged.append(judge(request, reply, category_of))
        if number % every == 0 or number == len(requests):
            wrong = sum(1 for j in judged if j.failures())
            errors = sum(1 for j in judged if j.error)
            say(f"{label}: {number}/{len(requests)} requests, {wrong} judged wrong, {errors} errors")
    return judged


# -- metrics --------------------------------------------------------------------------------


def summarize(judged: list[Judged]) -> dict[str, Any]:
    """Rates in %, latencies in seconds, None where no request of the kind was asked."""
    match = [j for j in judged if j.request.expect == "match"]
    shown = [card for j in match for card in j.shown]

    def rate(values: list[bool | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return round(100 * sum(kept) / len(kept), 1) if kept else None

    first = [j.first_card for j in judged if j.first_card is not None]
    totals = [j.total for j in judged]
    return {
        "requests": len(judged),
        "precision": round(100 * sum(c.why_not is None for c in shown) / len(shown), 1) if shown else None,
        "cards": len(shown),
        "at_least_one": rate([j.any_match for j in match]),
        "no_cards": sum(1 for j in match if not j.shown),
        "honest": rate([j.honest for j in judged]),
        "traps": rate([j.trap_ok for j in judged]),
        "limits": rate([j.limits_ok for j in judged]),
        "errors": sum(1 for j in judged if j.error),
        "card_p50": quantile(first, 0.5),
        "card_p95": quantile(first, 0.95),
        "p50": quantile(totals, 0.5),
        "p95": quantile(totals, 0.95),
    }


# -- cross-catalog requests -----------------------------------------------------------------

_STOP = frozenset({
    "the", "and", "with", "for", "from", "of", "in", "on", "to", "by", "a", "an", "or", "at", "pack", "set",
    "combo", "pcs", "piece", "pieces", "per", "each", "new", "free", "buy", "get", "off", "plus", "gm", "gms",
    "kg", "ml", "ltr", "litre", "liter", "cm", "mm", "inch",
})  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _forms(word: str) -> set[str]:
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    return forms


def type_words(texts: Iterable[str]) -> set[str]:
    """Every content word (Latin letters, 3+, stop words out) of ``texts``, with singular forms."""
    words: set[str] = set()
    for text in texts:
        for word in _WORD.findall(text.casefold()):
            if len(word) >= 3 and word not in _STOP:
                words |= _forms(word)
    return words


def overlapping_word(title: str, words: set[str]) -> str | None:
    """The first word of ``title`` the target catalog also uses (None: no overlap)."""
    for word in _WORD.findall(title.casefold()):
        if len(word) >= 3 and word not in _STOP and _forms(word) & words:
            return word
    return None


@dataclass(frozen=True)
class CrossSource:
    """Titles of one catalog to ask of another: those under ``keep`` category prefixes (all when
    empty) and not under ``drop`` ones; prefixes written per pair after reading both catalogs."""

    name: str
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


BIGBASKET_FOOD = CrossSource(
    "bigbasket",
    keep=("Bakery, Cakes & Dairy/", "Beverages/", "Eggs, Meat & Fish/", "Foodgrains, Oil & Masala/",
          "Fruits & Vegetables/", "Gourmet & World Food/", "Snacks & Branded Foods/"),
    drop=("Beverages/Health Drink, Supplement",  # Flipkart sells protein / mass gainers
          "Fruits & Vegetables/Flower Bouquets, Bunches",  # Flipkart sells artificial flowers
          "Gourmet & World Food/Cooking & Baking Needs", "Foodgrains, Oil & Masala/Baby Food & Formula"),
)  # fmt: skip
CROSS_SOURCES: dict[str, tuple[CrossSource, ...]] = {
    # the demo store sells adult sportswear, bags, watches and fitness gear: no food, no home goods
    "demo": (BIGBASKET_FOOD, CrossSource("litemall", drop=("服装/", "婴童/", "配件/", "志趣/"))),
    # litemall sells home goods, pets, luggage (双肩包, 拉杆箱), underwear and baby clothes
    "litemall": (CrossSource("demo", drop=("Gear/Bags",)),),
    # flipkart sells clothing, shoes, jewellery, watches, kitchen, car parts; of food, 2 mass gainers
    "flipkart": (BIGBASKET_FOOD,),
}


def source_titles(name: str, shared_data: Path, demo_store: Path) -> list[tuple[str, str, str]]:
    """(title, category path, language) of every product of a cross-catalog source."""
    if name == "bigbasket":
        with (shared_data / "catalogs" / "bigbasket_products.csv").open(
            encoding="utf-8", newline=""
        ) as handle:
            return [(row["product"].strip(), f"{row['category']}/{row['sub_category']}", "en")
                    for row in csv.DictReader(handle) if row["product"].strip()]  # fmt: skip
    path = (
        demo_store / "luma_products.jsonl"
        if name == "demo"
        else shared_data / "zh_store" / "litemall_products.jsonl"
    )
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["title"].strip(), row.get("category") or "", row.get("lang") or "en") for row in rows]


def cross_requests(
    target: str,
    target_texts: Iterable[str],
    sources: dict[str, list[tuple[str, str, str]]],
    sample: int,
    seed: int = 0,
) -> list[Request]:
    """``sample`` titles of the target's sources (split evenly, seeded) as "do you have <title>?"
    requests that expect no match.

    Non-overlap is made sure of twice. By category: a source contributes only categories the
    target does not sell (:data:`CROSS_SOURCES`, written after reading both catalogs). By word:
    a title is dropped when it holds any content word (3+ Latin letters, plurals folded, stop
    words out) of the target's own titles and category paths, so a grocery "water bottle" is
    never asked of a store that sells "Affirm Water Bottle" — over-strict on purpose (it also
    drops "Black Pepper" from a store with "black" in a title), which only shrinks the pool.
    Across languages (a Chinese title asked of an English store) words cannot overlap; the
    category choice carries it there. Titles shared by several products are asked once."""
    words = type_words(target_texts)
    configs = CROSS_SOURCES[target]
    rng = random.Random(seed)
    requests: list[Request] = []
    for index, config in enumerate(configs):
        share = sample // len(configs) + (1 if index < sample % len(configs) else 0)
        pool: dict[str, tuple[str, str]] = {}
        for title, category, lang in sources[config.name]:
            if config.keep and not category.startswith(config.keep):
                continue
            if config.drop and category.startswith(config.drop):
                continue
            if overlapping_word(title, words) is None:
                pool.setdefault(_normal(title), (title, f"{category} ({lang})"))
        for key in rng.sample(sorted(pool), min(share, len(pool))):
            title, where = pool[key]
            zh = _CJK.search(title) is not None
            requests.append(
                Request(
                    id=f"{target}-x{len(requests) + 1:02d}",
                    text=f"有{title}吗？" if zh else f"do you have {title}?",
                    lang="zh" if zh else "en",
                    expect="none",
                    note=f"{config.name} title, {where}",
                    cross=True,
                )
            )
    return requests
