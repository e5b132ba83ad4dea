"""Deterministic reading of a shopper's message: price limits, references, obvious requests.

The chat model costs seconds per turn on two CPU cores, so requests a rule reads as well as a
model are handled without it: "waterproof backpack under $60", "100元以下的背包", "cheaper?",
"in black?", "compare the first two", "what do reviews say about the second one?", "第二个",
"something similar", "/reset", "what do you remember", "forget my size". :func:`parse` returns
an :class:`Intent`; ``kind == "chat"`` means "let the model decide".

References resolve against the last list shown (``memory.shown``): ordinals ("the first
one", "#2", "第二个", "the last one"), "the first two"/"前两个", and nouns ("that jacket")
matched against the shown titles. Preference statements ("my size is M", "我喜欢黑色",
"budget $80") are read into ``prefs`` updates on any message.

Deliberately not here: running tools or writing replies (:mod:`assistant.fast_path`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.copy_request import CopyRequest, read_copy_request
from index.quantities import price_limits
from index.title_match import NamedProduct
from tools.context import SessionMemory

_CHEAPER = re.compile(
    r"\bcheaper\b|less expensive|lower price|too expensive|more affordable|便宜(一)?点|更便宜|太贵|便宜些",
    re.I,
)
_COMPARE = re.compile(r"\bcompare\b|\bvs\.?\b|\bversus\b|difference between|比较|对比|区别", re.I)
# with two or more products named, these also ask for a comparison
_WHICH = re.compile(r"\bwhich\b|\bor\b|side by side|better|哪个|哪款|还是", re.I)
_ATTRIBUTE = re.compile(
    r"price|cost|material|made of|size|colou?r|washable|waterproof|warm|价格|多少钱|材质|尺码|颜色|能不能|是否",
    re.I,
)
_REVIEWS = re.compile(
    r"\breview(?:s|ers?)?\b|pros and cons|what do (?:people|customers|buyers) (?:say|think)|评价|评论|口碑|买家",
    re.I,
)
_SENTIMENT = re.compile(
    r"\bsentiment\b|how many\b.*\b(?:positive|negative)\b|positive or negative|negative or positive|"
    r"mostly (?:positive|negative)|好评率|差评率|正面|负面|情感|情绪|好评.*差评|差评.*好评",
    re.I,
)
_DETAILS = re.compile(
    r"tell me (?:more )?about|more about|\bdetails?\b|\bdescribe\b|what is it made of|详细|介绍|具体|详情",
    re.I,
)
_SIMILAR = re.compile(
    r"\bsimilar\b|\balternatives?\b|something like|what else|\brecommend|类似|相似|差不多的|推荐", re.I
)
_REMEMBER = re.compile(
    r"what do you (?:remember|know about me)|what have you remembered|你记得什么|你记住了什么|你记得我", re.I
)
_FORGET = re.compile(r"\bforget (?:my |about my |everything|all)|忘(?:记|掉)(?:我的)?", re.I)
_PROMO = re.compile(
    r"promo(?:tional)? (?:copy|text)|promoting|marketing (?:copy|email|blurb|text)|ad copy|product copy|\bblurb\b|"
    r"instagram|slogan|tagline|文案|广告|标语|朋友圈|"
    r"\bwrite\b.{0,30}\bselling points\b|写.{0,20}卖点",  # asking *for* selling points, not what they are
    re.I,
)
# orders, returns and delivery: questions for the model (or the shop), not searches
_SERVICE = re.compile(
    r"\b(?:return|refund|exchange|cancel|order status|track(?:ing)?|invoice|delivery status)\b"
    r"|退货|退款|换货|取消订单|订单|物流|快递|发票|客服",
    re.I,
)
# words that name no product: a request made only of these is too vague to search
_VAGUE = frozenset(
    re.findall(
        r"\S+",
        """something anything stuff thing things product products item items goods gift gifts present presents
        idea ideas suggestion suggestions recommendation recommendations good nice cool great best new popular
        buy get for my me to him her them someone somebody mom mum dad mother father parents friend friends
        wife husband girlfriend boyfriend kid kids son daughter birthday christmas anniversary please what
        you have sell shop store a an the some any one 个 件 款 东西 好东西 商品 好物 礼物 礼品 点 些 什么 一些 一下 给 我 送 的 买 生日 妈妈
        爸爸 朋友 老婆 老公 孩子 女朋友 男朋友 你们 卖 有 推荐""",
    )
)
_VAGUE_ZH = re.compile("|".join(sorted((w for w in _VAGUE if not w.isascii()), key=len, reverse=True)))
_ANALYTICS = re.compile(
    r"review (?:analytics|statistics|stats)|across (?:all )?products|worst[- ]reviewed|most negative reviews|"
    r"差评最多|差评比例|评价分析|统计.*评价|评价数量",
    re.I,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good (?:morning|evening|afternoon)|你好|您好|嗨|在吗)[\s!.,！。？?]*$", re.I
)
_THANKS = re.compile(
    r"^\s*(?:thanks?(?: you)?(?: so much| a lot)?|thx|ok(?:ay)?|great|cool|perfect|got it|bye|goodbye|谢谢(?:你|您)?|多谢|好的|好|再见|拜拜)"
    r"[\s!.,！。~]*$",
    re.I,
)
# how a search request opens; "im" and "i\u2019m" (curly apostrophe) as phones and quick typists write them
_OPENERS_EN = (
    r"i(?:['\u2019]?m| am)? (?:need|want|looking for|would like|searching for|shopping for|interested in)|i['\u2019]?d like|"
    r"looking for|show me|find(?: me)?|search(?: for)?|do you have|any|get me|recommend(?: me)?"
)
_OPENERS_ZH = r"我想要|我要|我想买|我需要|帮我找|找一?下?|有没有|有什么|推荐一?下?|想买"
_SEARCHY = re.compile(rf"^\s*(?:{_OPENERS_EN})\b|^\s*(?:{_OPENERS_ZH})", re.I)
_FILLER = re.compile(
    rf"^\s*(?:hi|hello|hey|please|can you|could you|{_OPENERS_EN}|some|a|an|the)\b\s*"
    rf"|^(?:{_OPENERS_ZH}|请|一个|一款|一件)",
    re.I,
)
_COLOR_WORDS = {
    "black": "Black", "white": "White", "blue": "Blue", "red": "Red", "green": "Green", "gray": "Gray",
    "grey": "Gray", "yellow": "Yellow", "purple": "Purple", "orange": "Orange", "pink": "Pink", "brown": "Brown",
    "黑色": "Black", "黑": "Black", "白色": "White", "蓝色": "Blue", "红色": "Red", "绿色": "Green", "灰色": "Gray",
    "黄色": "Yellow", "紫色": "Purple", "橙色": "Orange", "粉色": "Pink", "棕色": "Brown",
    "navy": "Navy", "beige": "Beige", "khaki": "Khaki", "olive": "Olive", "silver": "Silver", "gold": "Gold",
    "藏青色": "Navy", "米色": "Beige", "卡其色": "Khaki", "银色": "Silver", "金色": "Gold",
}  # fmt: skip
_IN_COLOR = re.compile(
    r"^\s*(?:(?:and |what about |how about |any(?:thing)? )?in|do you have (?:it|them|one) in)\s+(\w+)\s*\??\s*$|^(?:有)?(\S{1,2}色)(?:的)?(?:吗|呢)?[？?]?$",
    re.I,
)
_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
    "一": 0, "二": 1, "两": 1, "三": 2, "四": 3, "五": 4, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4,
}  # fmt: skip
_ORDINAL_EN = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b(?! (?:two|three|2|3)\b)", re.I
)
_ORDINAL_NUM = re.compile(r"(?:#|number |no\.\s*|option |item )([1-5])\b", re.I)
_ORDINAL_ZH = re.compile(r"第\s*([一二三四五1-5])\s*(?:个|款|件|种|条|双|只)?|(最后一)(?:个|款|件)")
_FIRST_N = re.compile(r"\b(?:first|top) (two|three|2|3)\b|前\s*([两二三23])\s*(?:个|款|件)?", re.I)
_ID_TOKEN = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)(?![A-Za-z0-9-])")
_CATEGORY = re.compile(r"(?<![A-Za-z0-9/])([A-Z][A-Za-z'-]*(?:/[A-Z][A-Za-z&' -]*?)+)(?=[\s,.;:!?，。类]|$)")
_MIN_RATING = re.compile(
    r"(?:rated|rating)\s*(?:of\s*|at least\s*|above\s*)?(\d(?:\.\d)?)\+?(?:\s*stars?)?(?:\s*(?:or|and) (?:more|up|higher|above))?"
    r"|(?:at least\s*)?(\d(?:\.\d)?)\+?\s*stars?(?:\s*(?:or|and) (?:more|up|higher|above))?|(\d(?:\.\d)?)\s*(?:星|分)(?:以上|及以上)",
    re.I,
)
_NOUN_REF = re.compile(r"\b(?:that|the|this) (\w+)\b", re.I)
_SIZE = re.compile(
    r"\b(?:my size is|i wear(?: a)?(?: size)?|i'?m (?:a )?size|size)\s+(xxs|xs|s|m|l|xl|xxl|\d{1,2})\b|我穿\s*(xxs|xs|s|m|l|xl|xxl|\d{1,2})\s*码?",
    re.I,
)
_BUDGET = re.compile(r"\bbudget\b|预算", re.I)
_LIKE = re.compile(r"\bi (?:like|love|prefer) (\w+)\b|我喜欢\s*(\S{1,3}色)", re.I)
_DISLIKE = re.compile(r"\bi (?:don'?t like|hate|dislike) (\w+)\b|(?:我)?不喜欢\s*(\S{1,3}色)", re.I)


@dataclass
class Intent:
    kind: str  # search | cheaper | color | details | compare | reviews | sentiment | similar | remember
    #            | forget | reset | promo | analytics | greeting | thanks | prefs | clarify | chat
    query: str = ""
    min_price: float | None = None
    max_price: float | None = None
    min_rating: float | None = None
    color: str | None = None
    refs: list[str] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    prefs: dict[str, Any] = field(default_factory=dict)
    copy: CopyRequest = field(default_factory=CopyRequest)  # promo: format, tone, variants, language
    currency: str | None = None  # the currency of the stated price limits, when the shopper named one


def parse(
    text: str,
    memory: SessionMemory,
    is_product_id: Callable[[str], bool] | None = None,
    named_products: Callable[[str], list[NamedProduct]] | None = None,
) -> Intent:
    """What the message asks for; ``is_product_id`` lets ids the user types ("compare MH01 and
    MJ11") count as references too, and ``named_products`` the catalog products the message
    names by title ("reviews of the Crown Summit Backpack"), in a first message as later.
    A product named by title never turns a search ("Crown backpack under $50") into something
    else: searches, clarifying questions and preferences look only at shown or typed ones."""
    stripped = text.strip()
    prefs = read_preferences(stripped)

    named = named_products(stripped) if named_products is not None else []

    def references() -> tuple[list[str], list[str]]:
        """(shown or typed references, those plus the products named by title)."""
        explicit = resolve_references(stripped, memory, is_product_id)
        return explicit, list(dict.fromkeys([*explicit, *(n.product_id for n in named)]))

    if stripped.lower() in ("/reset", "reset", "重置"):
        return Intent("reset")
    if _REMEMBER.search(stripped):
        return Intent("remember")
    if _FORGET.search(stripped):
        return Intent("forget", forget=_forget_keys(stripped))
    if _PROMO.search(stripped):
        return Intent("promo", refs=references()[1], copy=read_copy_request(stripped))
    if _ANALYTICS.search(stripped):
        category = _CATEGORY.search(stripped)
        return Intent("analytics", query=category.group(1).strip() if category else "")
    if _GREETING.match(stripped):
        return Intent("greeting")
    if _THANKS.match(stripped):
        return Intent("thanks")
    explicit, refs = references()
    rating = _MIN_RATING.search(stripped)
    min_rating = float(next(g for g in rating.groups() if g)) if rating else None
    unrated = stripped[: rating.start()] + " " + stripped[rating.end() :] if rating else stripped
    limits = price_limits(unrated)
    min_price, max_price, rest = limits.min_price, limits.max_price, limits.rest
    if _CHEAPER.search(stripped) and memory.last_search:
        return Intent("cheaper", max_price=max_price, refs=refs)
    color_match = _IN_COLOR.match(stripped)
    if color_match and memory.last_search:
        word = (color_match.group(1) or color_match.group(2) or "").lower()
        if word in _COLOR_WORDS:
            return Intent("color", color=_COLOR_WORDS[word])
    # "X or Y?" compares shown or typed products, or titles named in full; "compare" any two
    whole = [n for n in named if n.confidence >= 1.0]
    which = _WHICH.search(stripped) and (len(explicit) >= 2 or len(whole) >= 2)
    if len(refs) >= 2 and (_COMPARE.search(stripped) or which):
        return Intent("compare", refs=refs)
    if refs and _SENTIMENT.search(stripped):
        return Intent("sentiment", refs=refs[:1])
    if refs and _REVIEWS.search(stripped):
        return Intent("reviews", refs=refs[:1])
    if refs and _SIMILAR.search(stripped):
        return Intent("similar", refs=refs[:1], max_price=max_price)
    limited = max_price is not None or min_price is not None or min_rating is not None
    typed_question = _typed_id(stripped, refs) and _ATTRIBUTE.search(stripped)
    # a short message about a shown one ("the first one"), or little but a title ("the Wayfarer?")
    short = len(_words(stripped)) <= 4 and (
        bool(explicit) or (not limited and _mostly_title(stripped, named))
    )
    if refs and (_DETAILS.search(stripped) or short or typed_question):
        return Intent("details", refs=refs[:1])
    query = clean_query(rest)
    searchy = bool(_SEARCHY.search(stripped)) and not _SERVICE.search(stripped)
    if not explicit and (limited or searchy) and is_vague(query) and memory.clarifying is None:
        return Intent("clarify", min_price=min_price, max_price=max_price, min_rating=min_rating, prefs=prefs,
                      currency=limits.currency)  # fmt: skip
    pending = memory.clarifying
    if pending is not None and not explicit and query and not is_vague(query) and "?" not in stripped:
        return Intent(  # the answer to our question completes the request it asked about
            "search",
            query=query,
            min_price=min_price if min_price is not None else pending.get("min_price"),
            max_price=max_price if max_price is not None else pending.get("max_price"),
            min_rating=min_rating if min_rating is not None else pending.get("min_rating"),
            color=color_in(stripped),
            prefs=prefs,
            currency=limits.currency or pending.get("currency"),
        )
    if query and not explicit and (limited or searchy):
        return Intent(
            "search",
            query=query,
            min_price=min_price,
            max_price=max_price,
            min_rating=min_rating,
            color=color_in(stripped),
            prefs=prefs,
            currency=limits.currency,
        )
    if (
        prefs
        and not explicit
        and "?" not in stripped
        and "？" not in stripped
        and len(_words(stripped)) <= 10
    ):
        return Intent("prefs", prefs=prefs)
    return Intent("chat", refs=refs, prefs=prefs)


def _mostly_title(text: str, named: list[NamedProduct]) -> bool:
    """Whether titles make up most of the message's letters ("I need a strap" is not a title)."""
    letters = sum(char.isalnum() for char in text)
    in_titles = sum(char.isalnum() for n in named for char in text[n.start : n.end])
    return bool(letters) and in_titles >= 0.6 * letters


def clean_query(text: str) -> str:
    """The product words of a request: fillers and punctuation removed (the search tool adds the
    catalog's words for a request in the other language: :mod:`index.product_types`)."""
    query = re.sub(r"[?!.,;:！？。，、]+", " ", text)
    for _ in range(3):
        query = _FILLER.sub("", query).strip()
    query = re.sub(r"^\s*的|的\s*$|的(?=\s)", " ", query)  # "找的防水背包" once the price is out
    return re.sub(r"\s+", " ", query).strip()


def resolve_references(
    text: str, memory: SessionMemory, is_product_id: Callable[[str], bool] | None = None
) -> list[str]:
    """Ids of the products the message points at (shown ones, or typed ids that
    ``is_product_id`` accepts), in the order it names them."""
    shown = [item["id"] for item in memory.shown]
    typed: list[tuple[int, str]] = []
    if is_product_id is not None:
        for match in _ID_TOKEN.finditer(text):
            token = match.group(1)
            if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
                for candidate in dict.fromkeys((token, token.upper())):
                    if is_product_id(candidate):
                        typed.append((match.start(), candidate))
                        break
    found: list[tuple[int, int]] = []  # (position in text, index in shown)
    first_n = _FIRST_N.search(text)
    if first_n:
        count = 3 if (first_n.group(1) or first_n.group(2) or "") in ("three", "3", "三") else 2
        found.extend((first_n.start(), i) for i in range(count))
    for match in _ORDINAL_EN.finditer(text):
        word = match.group(1).lower()
        found.append((match.start(), len(shown) - 1 if word == "last" else _ORDINALS[word]))
    for match in _ORDINAL_NUM.finditer(text):
        found.append((match.start(), _ORDINALS[match.group(1)]))
    for match in _ORDINAL_ZH.finditer(text):
        found.append((match.start(), len(shown) - 1 if match.group(2) else _ORDINALS[match.group(1)]))
    for match in re.finditer(r"\b([1-5])\b", text) if _COMPARE.search(text) else ():
        found.append((match.start(), _ORDINALS[match.group(1)]))
    for match in _NOUN_REF.finditer(text):
        noun = match.group(1).lower().rstrip("s")
        for index, item in enumerate(memory.shown):
            if len(noun) > 2 and re.search(rf"\b{re.escape(noun)}", item["title"].lower()):
                found.append((match.start(), index))
                break
    located = [(position, shown[index]) for position, index in found if 0 <= index < len(shown)]
    return list(dict.fromkeys(product_id for _, product_id in sorted(located + typed)))


def read_preferences(text: str) -> dict[str, Any]:
    """Preferences stated in the message: sizes, budget, liked/disliked colours and brands."""
    prefs: dict[str, Any] = {}
    size = _SIZE.search(text)
    if size:
        prefs["sizes"] = [(size.group(1) or size.group(2)).upper()]
    budget = price_limits(text).max_price if _BUDGET.search(text) else None
    if budget is not None:
        prefs["budget"] = budget
    for pattern, colour_key, brand_key in (
        (_LIKE, "colors", "brands"),
        (_DISLIKE, "disliked_colors", "disliked_brands"),
    ):
        for match in pattern.finditer(text):
            word = (match.group(1) or match.group(2) or "").strip()
            if word.lower() in _COLOR_WORDS:
                prefs.setdefault(colour_key, []).append(_COLOR_WORDS[word.lower()])
            elif word and word[0].isupper():
                prefs.setdefault(brand_key, []).append(word)
    return prefs


def merge_preferences(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in update.items():
        if isinstance(value, list):
            opposite = {"colors": "disliked_colors", "disliked_colors": "colors", "brands": "disliked_brands", "disliked_brands": "brands"}.get(key)  # fmt: skip
            if opposite and opposite in merged:
                merged[opposite] = [v for v in merged[opposite] if v not in value]
            kept = [] if key == "sizes" else list(merged.get(key) or [])
            merged[key] = list(dict.fromkeys([*kept, *value]))
        else:
            merged[key] = value
    return {key: value for key, value in merged.items() if value not in ([], None)}


def _forget_keys(text: str) -> list[str]:
    lowered = text.lower()
    keys = []
    if re.search(r"size|尺码|码", lowered):
        keys.append("sizes")
    if re.search(r"budget|预算", lowered):
        keys.append("budget")
    if re.search(r"colou?r|颜色", lowered):
        keys += ["colors", "disliked_colors"]
    if re.search(r"brand|品牌", lowered):
        keys += ["brands", "disliked_brands"]
    return keys or ["all"]


def color_in(text: str) -> str | None:
    """The catalog colour a colour word of ``text`` names ("black", "黑色" -> "Black"), if any."""
    for word, colour in _COLOR_WORDS.items():
        if re.search(rf"\b{word}\b" if word.isascii() else word, text, re.I):
            return colour
    return None


def _typed_id(text: str, refs: list[str]) -> bool:
    """The message names a product by its id (then it is about that product)."""
    return any(ref.lower() in text.lower() for ref in refs)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[\u4e00-\u9fff]", text)


def is_vague(query: str) -> bool:
    """True when a request names no kind of product ("something nice", "a gift for my mom",
    "推荐点东西"): nothing left once words that name no product are removed."""
    rest = _VAGUE_ZH.sub(" ", query.lower())
    return all(word in _VAGUE for word in re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]+", rest))
