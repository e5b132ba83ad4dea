"""Deterministic reading of a shopper's message: price limits, references, obvious requests.

The chat model costs seconds per turn on two CPU cores, so requests a rule reads as well as a
model are handled without it: "waterproof backpack under $60", "100元以下的背包", "cheaper?",
"in black?", "compare the first two", "what do reviews say about the second one?", "第二个",
"something similar", "/reset", "what do you remember", "forget my size". :func:`parse` returns
an :class:`Intent`; ``kind == "chat"`` means "let the model decide".

:func:`parse` reads the message once into a :class:`Reading` (references, named titles, price
and rating limits, the cleaned query, which pattern families it matches), then evaluates the
declared table :data:`RULES`. Each :class:`Rule` states its whole condition over the reading and
the session memory; when rules of different :class:`Tier` hold, the highest tier wins (a
session command over promo copy, over small talk, over a change to the last search, over a
question about products, over a new request), and within a tier a rule names the rules it
yields to ("unless it compares"), so at most one rule of a tier holds. No rule: ``chat``.
The order of the table is not the policy.

References resolve against the last list shown (``memory.shown``): ordinals ("the first
one", "#2", "第二个", "the last one"), "the first two"/"前两个", and nouns ("that jacket")
matched against the shown titles. Preference statements ("my size is M", "我喜欢黑色",
"budget $80") are read into ``prefs`` updates on any message.

Deliberately not here: running tools or writing replies (:mod:`assistant.fast_path`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from assistant.campaign_request import asks_for_campaign, asks_for_more
from assistant.copy_request import CopyRequest, read_copy_request
from index.product_types import TypeRequest
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
# a request for suggestions built on the shopper's history (no product named): "for you"
_FOR_YOU = re.compile(
    r"\bgift ideas?\b|\bideas? for (?:a )?(?:gift|present)|\b(?:gift|present)s? for\b|what (?:else )?(?:would|might|will|do you think) i(?:'d)? like|"
    r"\b(?:recommend|suggest) (?:me )?(?:something|anything|some(?:thing)? (?:good|nice))|\bfor you\b|surprise me|"
    r"\bpicks? for me\b|我会喜欢|我可能喜欢|猜我喜欢|适合我的|送礼|礼物推荐|推荐.{0,4}礼物|给我推荐点|推荐点我",
    re.I,
)
# what to pair a shown product with: complements, not substitutes
_GOES_WITH = re.compile(
    r"\bgoes? (?:well )?with\b|\bgo together\b|complete the look|\bpairs? (?:well )?with\b|\bto match (?:it|this|that)\b|"
    r"\bwear (?:it |this |that )?with\b|accessor(?:y|ies) for|搭配|配什么|配套|相配|一起用",
    re.I,
)
_ALSO_BOUGHT = re.compile(
    r"\balso (?:bought|buy|bought with)\b|\bbought (?:it )?together\b|\bbuy (?:it )?together\b|frequently bought|"
    r"\bbought with\b|一起买|一起购买|还买了|也买了|一起下单",
    re.I,
)
_BUYERS = re.compile(
    r"\bwho (?:buys|bought|purchases|orders)\b|which customers (?:buy|bought|purchase)|top (?:buyers|customers) (?:of|for)|"
    r"谁(?:在)?买|哪些(?:顾客|客户)(?:在)?(?:买|购买)|买家是谁",
    re.I,
)
_PAIRS = re.compile(
    r"which products (?:are |get )?(?:often |usually |most often |most )?(?:bought|purchased|sold) together|"
    r"(?:bought|purchased) together (?:the )?most|basket analysis|哪些商品.{0,4}一起(?:被)?(?:买|购买|卖)|购物篮分析",
    re.I,
)
_FORGET_ME = re.compile(
    r"(?<!don't )(?<!do not )(?<!never )\bforget (?:about )?me\b|delete (?:all )?my (?:data|history|account data)|erase my (?:data|history)|"
    r"(?<!别)(?<!不要)忘(?:记|掉)我(?!的)|删除我的(?:数据|记录|历史)",
    re.I,
)
_REMEMBER = re.compile(
    r"what do you (?:remember|know about me)|what have you remembered|你记得什么|你记住了什么|你记得我", re.I
)
# not "don't forget my size" / "别忘了": a shopper reminding us is no request to forget
_FORGET = re.compile(
    r"(?<!don't )(?<!do not )(?<!never )\bforget (?:my |about my |everything|all)|(?<!别)(?<!不要)忘(?:记|掉)(?:我的)?",
    re.I,
)
_PROMO = re.compile(
    r"promo(?:tional)? (?:copy|text)|promoting|marketing (?:copy|email|blurb|text)|ad copy|product copy|\bblurb\b|"
    r"instagram|slogan|tagline|文案|广告|标语|朋友圈|"
    r"\bwrite\b.{0,30}\bselling points\b|写.{0,20}卖点",  # asking *for* selling points, not what they are
    re.I,
)
# orders, returns and delivery: questions for the model (or the shop), not searches
_SERVICE = re.compile(
    r"\b(?:return|refund|exchange|cancel|order status|track(?:ing)?|invoice|deliver(?:y|ies)?|ship(?:s|ping)?)\b"
    r"|退货|退款|换货|取消订单|订单|物流|快递|发票|客服|发货|配送",
    re.I,
)
# a message this short that names a type the store sells is a search ("merino wool socks", "双人记忆枕")
SHORT_REQUEST_WORDS = 6
SHORT_REQUEST_CHARS = 48
# a question about products ("is a hoodie good for winter?", "蚕丝被好用吗") is the model's, not a
# search; "有蚕丝被吗" (do you have) asks for the products
_ASKS = re.compile(
    r"^\s*(?:is|are|does|do|did|can|could|should|will|would|what|which|how|why|when|where|who)\b"
    r"|怎么|什么|哪|是否|是不是|能不能|好不好|会不会|多少|呢|(?<!^有)(?<!^有没有)\S*吗\s*[?？]?\s*$",
    re.I,
)
_HAVE_ZH = re.compile(r"^\s*有[^，。,.?？]{1,20}吗\s*[?？]?\s*$")
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
    r"looking for|show me|find(?: me)?|search(?: for)?|do you (?:have|sell|carry|stock)|any|get me|recommend(?: me)?"
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
    #            | forget | forget_me | reset | promo | analytics | buyers | pairs | greeting | thanks | prefs
    #            | for_you | goes_with | bought_together | clarify | campaign | campaign_more | chat
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


@dataclass(frozen=True)
class Reading:
    """The facts of one message that the rules look at, read once before any rule runs."""

    text: str  # stripped
    prefs: dict[str, Any]  # preference statements (:func:`read_preferences`)
    explicit: tuple[str, ...]  # products pointed at in the shown list, or by a typed id
    refs: tuple[str, ...]  # those, then the products named by title
    whole_titles: int  # how many titles the message names in full
    min_price: float | None
    max_price: float | None
    currency: str | None  # of the price limits, when the shopper named one
    min_rating: float | None
    query: str  # the product words, limits and fillers removed (:func:`clean_query`)
    vague: bool  # the query names no kind of product (:func:`is_vague`)
    limited: bool  # a price or rating limit is stated
    short: bool  # four words or fewer about a shown or typed product, or little but a title
    typed_id: bool  # a referenced product's id is typed in the message
    question: bool  # a question mark, "?" or "？"
    in_colour: str | None  # the catalog colour of a message that is only "in black?" / "黑色的吗"
    reset: bool
    remember: bool
    forget: bool
    promo: bool
    campaign: bool  # asks to write a campaign: a sale, an offer or "campaign", and a channel or "write"
    more: bool  # "continue", "继续": more of the conversation's campaign
    analytics: bool
    greeting: bool  # the whole message
    thanks: bool  # the whole message
    cheaper: bool
    compare: bool
    which: bool  # "which"/"or"/"better" with two shown, typed or fully named products
    reviews: bool
    sentiment: bool
    similar: bool
    details: bool
    attribute: bool  # price, material, size, colour...
    searchy: bool  # opens like a search ("I need", "show me", "帮我找")
    names_type: bool  # short, and names a type of product this catalog sells ("rain jacket", "蚕丝被")
    for_you: bool  # asks for suggestions from their history ("gift ideas", "猜我喜欢")
    goes_with: bool  # what goes with a product ("complete the look", "搭配")
    also_bought: bool  # what is bought together with a product
    buyers: bool  # who buys a product (merchant)
    pairs: bool  # which products are bought together (merchant)
    forget_me: bool  # forget everything about the shopper, their history too
    service: bool  # orders, returns, delivery


def read_message(
    text: str,
    memory: SessionMemory,
    is_product_id: Callable[[str], bool] | None = None,
    named_products: Callable[[str], list[NamedProduct]] | None = None,
    product_type: Callable[[str], TypeRequest] | None = None,
) -> Reading:
    """Read ``text`` against the products ``memory`` last showed (hooks as in :func:`parse`)."""
    stripped = text.strip()
    named = named_products(stripped) if named_products is not None else []
    explicit = resolve_references(stripped, memory, is_product_id)
    refs = list(dict.fromkeys([*explicit, *(n.product_id for n in named)]))
    whole_titles = sum(n.confidence >= 1.0 for n in named)
    rating = _MIN_RATING.search(stripped)
    unrated = stripped[: rating.start()] + " " + stripped[rating.end() :] if rating else stripped
    limits = price_limits(unrated)
    min_rating = float(next(g for g in rating.groups() if g)) if rating else None
    limited = limits.max_price is not None or limits.min_price is not None or min_rating is not None
    words = len(_words(stripped))
    query = clean_query(limits.rest)
    colour = _IN_COLOR.match(stripped)
    return Reading(
        text=stripped,
        prefs=read_preferences(stripped),
        explicit=tuple(explicit),
        refs=tuple(refs),
        whole_titles=whole_titles,
        min_price=limits.min_price,
        max_price=limits.max_price,
        currency=limits.currency,
        min_rating=min_rating,
        query=query,
        vague=is_vague(query),
        limited=limited,
        short=words <= 4 and (bool(explicit) or (not limited and _mostly_title(stripped, named))),
        typed_id=_typed_id(stripped, refs),
        question="?" in stripped or "？" in stripped,
        in_colour=_COLOR_WORDS.get((colour.group(1) or colour.group(2) or "").lower()) if colour else None,
        reset=stripped.lower() in ("/reset", "reset", "重置"),
        remember=bool(_REMEMBER.search(stripped)),
        forget=bool(_FORGET.search(stripped)),
        promo=bool(_PROMO.search(stripped)),
        campaign=asks_for_campaign(stripped),
        more=asks_for_more(stripped),
        analytics=bool(_ANALYTICS.search(stripped)),
        greeting=bool(_GREETING.match(stripped)),
        thanks=bool(_THANKS.match(stripped)),
        cheaper=bool(_CHEAPER.search(stripped)),
        compare=bool(_COMPARE.search(stripped)),
        which=bool(_WHICH.search(stripped)) and (len(explicit) >= 2 or whole_titles >= 2),
        reviews=bool(_REVIEWS.search(stripped)),
        sentiment=bool(_SENTIMENT.search(stripped)),
        similar=bool(_SIMILAR.search(stripped)),
        details=bool(_DETAILS.search(stripped)),
        attribute=bool(_ATTRIBUTE.search(stripped)),
        searchy=bool(_SEARCHY.search(stripped)),
        names_type=product_type is not None
        and bool(query)
        and words <= SHORT_REQUEST_WORDS
        and len(stripped) <= SHORT_REQUEST_CHARS
        and (not _ASKS.search(stripped) or bool(_HAVE_ZH.match(stripped)))
        and _names_a_type(product_type(query)),
        for_you=bool(_FOR_YOU.search(stripped)),
        goes_with=bool(_GOES_WITH.search(stripped)),
        also_bought=bool(_ALSO_BOUGHT.search(stripped)),
        buyers=bool(_BUYERS.search(stripped)),
        pairs=bool(_PAIRS.search(stripped)),
        forget_me=bool(_FORGET_ME.search(stripped)),
        service=bool(_SERVICE.search(stripped)),
    )


class Tier(IntEnum):
    """Which rule wins when rules of two tiers hold; the rules of one tier exclude each other."""

    REQUEST = 0  # a new request: search, a clarifying question, preferences
    PRODUCT = 1  # a question about shown, typed or named products
    FOLLOW_UP = 2  # a change to the last search: cheaper, another colour
    SMALL_TALK = 3  # a message that is only a greeting or thanks
    MERCHANT = 4  # promo copy, review analytics: never a shopper's search
    SESSION = 5  # reset, remember, forget: about the conversation, whatever else the message says


@dataclass(frozen=True)
class Rule:
    """``when`` holds for a message: ``build`` is its intent, unless a rule of a higher tier holds."""

    name: str
    tier: Tier
    when: Callable[[Reading, SessionMemory], bool]
    build: Callable[[Reading, SessionMemory], Intent]
    doc: str


def _compares(r: Reading, m: SessionMemory) -> bool:
    return len(r.refs) >= 2 and (r.compare or r.which)


def _about_reviews(r: Reading) -> bool:
    return r.reviews or r.sentiment


def _for_you(r: Reading, m: SessionMemory) -> bool:
    return r.for_you and not r.explicit


def _clarifies(r: Reading, m: SessionMemory) -> bool:
    return not r.explicit and _wants_search(r) and r.vague and m.clarifying is None and not r.for_you


def _answers(r: Reading, m: SessionMemory) -> bool:
    # only an ASCII "?" makes the message a new question here (prefs also read "？")
    return (
        m.clarifying is not None
        and not r.explicit
        and bool(r.query)
        and not r.vague
        and "?" not in r.text
        and not r.for_you
    )


def _searches(r: Reading, m: SessionMemory) -> bool:
    return (
        bool(r.query)
        and not r.explicit
        and _wants_search(r)
        and not _clarifies(r, m)
        and not _answers(r, m)
        and not r.for_you
    )


def _for_you_intent(r: Reading, m: SessionMemory) -> Intent:
    """Suggestions from the shopper's history, kept to the kind of product and prices stated."""
    query = clean_query(_FOR_YOU.sub(" ", r.query))
    return Intent("for_you", query="" if is_vague(query) else query, min_price=r.min_price,
                  max_price=r.max_price, prefs=r.prefs, currency=r.currency)  # fmt: skip


def _pairs_with(r: Reading, m: SessionMemory) -> bool:
    """A question about what goes with, or is bought with, one product (not a comparison or reviews)."""
    return bool(r.refs) and (r.goes_with or r.also_bought) and not _compares(r, m) and not _about_reviews(r)


def _wants_search(r: Reading) -> bool:
    return r.limited or ((r.searchy or _names_kind(r)) and not r.service)


def _names_a_type(request: TypeRequest) -> bool:
    """A type the store sells, named in the catalog's language (a translated word may name
    another thing: 尺码 "size; fit" is no "fitness" product)."""
    return request.status == "typed" and not request.glosses


def _names_kind(r: Reading) -> bool:
    """Little but a kind of product the store sells ("rain jacket", "蚕丝被"), and no question
    about reviews, comparisons or what goes with something."""
    return r.names_type and not (
        r.reviews or r.sentiment or r.compare or r.similar or r.goes_with or r.also_bought or r.buyers
        or r.pairs or r.details or r.promo or r.analytics
    )  # fmt: skip


def _search(r: Reading, m: SessionMemory) -> Intent:
    return Intent("search", query=r.query, min_price=r.min_price, max_price=r.max_price, min_rating=r.min_rating,
                  color=color_in(r.text), prefs=r.prefs, currency=r.currency)  # fmt: skip


def _answer(r: Reading, m: SessionMemory) -> Intent:
    """The search our clarifying question was about, its limits completed by this answer."""
    pending = m.clarifying or {}
    return replace(
        _search(r, m),
        min_price=r.min_price if r.min_price is not None else pending.get("min_price"),
        max_price=r.max_price if r.max_price is not None else pending.get("max_price"),
        min_rating=r.min_rating if r.min_rating is not None else pending.get("min_rating"),
        currency=r.currency or pending.get("currency"),
    )


def _continues(r: Reading, m: SessionMemory) -> bool:
    return r.more and bool((m.campaign or {}).get("name"))


def _campaigns(r: Reading, m: SessionMemory) -> bool:
    """A campaign request, or any answer to our question about one (which asked for it)."""
    return (r.campaign or bool((m.campaign or {}).get("draft"))) and not _continues(r, m)


def _analytics(r: Reading, m: SessionMemory) -> Intent:
    category = _CATEGORY.search(r.text)
    return Intent("analytics", query=category.group(1).strip() if category else "")


RULES: tuple[Rule, ...] = (
    Rule("reset", Tier.SESSION, lambda r, m: r.reset, lambda r, m: Intent("reset"),
         '"/reset", "reset", "重置" as the whole message'),
    Rule("remember", Tier.SESSION, lambda r, m: r.remember, lambda r, m: Intent("remember"),
         '"what do you remember", "你记得什么"'),
    Rule("forget_me", Tier.SESSION, lambda r, m: r.forget_me and not r.remember, lambda r, m: Intent("forget_me"),
         '"forget me", "delete my data", "忘记我": the conversation and the shopper\'s history'),
    Rule("forget", Tier.SESSION, lambda r, m: r.forget and not r.remember and not r.forget_me,
         lambda r, m: Intent("forget", forget=_forget_keys(r.text)),
         '"forget my size", "忘掉我的预算"; unless it asks what we remember or to forget the shopper'),
    Rule("campaign_more", Tier.MERCHANT, _continues,
         lambda r, m: Intent("campaign_more"),
         '"continue", "继续": more variants of the campaign this conversation saved'),
    Rule("campaign", Tier.MERCHANT,
         _campaigns,
         lambda r, m: Intent("campaign", query=r.text, refs=list(r.refs)),
         '"write a Singles\' Day post for all backpacks, 20% off", "双十一所有背包8折，写小红书笔记"; '
         "or the answer to our question about a campaign"),
    Rule("promo", Tier.MERCHANT, lambda r, m: r.promo and not _campaigns(r, m) and not _continues(r, m),
         lambda r, m: Intent("promo", refs=list(r.refs), copy=read_copy_request(r.text)),
         '"write an Instagram caption for the first one", "给第一个写文案": copy for any products meant'),
    Rule("analytics", Tier.MERCHANT,
         lambda r, m: r.analytics and not r.promo and not _campaigns(r, m) and not _continues(r, m), _analytics,
         '"review analytics across products", "差评最多": unless it asks for copy'),
    Rule("buyers", Tier.MERCHANT,
         lambda r, m: r.buyers and bool(r.refs) and not r.promo and not r.analytics and not _campaigns(r, m),
         lambda r, m: Intent("buyers", refs=list(r.refs[:1])),
         '"who buys the first one?", "谁在买MH01": a merchant\'s question about one product; unless it asks for copy'),
    Rule("pairs", Tier.MERCHANT,
         lambda r, m: r.pairs and not r.refs and not r.promo and not r.analytics and not _campaigns(r, m),
         lambda r, m: Intent("pairs"),
         '"which products are bought together?", "哪些商品经常一起买": the store\'s baskets, no product named'),
    Rule("greeting", Tier.SMALL_TALK, lambda r, m: r.greeting, lambda r, m: Intent("greeting"),
         '"hi", "good morning", "你好" as the whole message'),
    Rule("thanks", Tier.SMALL_TALK, lambda r, m: r.thanks, lambda r, m: Intent("thanks"),
         '"thanks!", "ok", "bye", "谢谢" as the whole message'),
    Rule("cheaper", Tier.FOLLOW_UP, lambda r, m: r.cheaper and bool(m.last_search),
         lambda r, m: Intent("cheaper", max_price=r.max_price, refs=list(r.refs)),
         '"cheaper?", "便宜点的", after a search'),
    Rule("colour", Tier.FOLLOW_UP, lambda r, m: r.in_colour is not None and bool(m.last_search),
         lambda r, m: Intent("color", color=r.in_colour),
         '"in black?", "有白色的吗", after a search: a catalog colour as the whole message'),
    Rule("compare", Tier.PRODUCT, _compares, lambda r, m: Intent("compare", refs=list(r.refs)),
         'two products or more, and "compare"/"vs"/"比较", or "which"/"or"/"还是" with two shown, '
         "typed or fully named"),
    Rule("sentiment", Tier.PRODUCT, lambda r, m: bool(r.refs) and r.sentiment and not _compares(r, m),
         lambda r, m: Intent("sentiment", refs=list(r.refs[:1])),
         '"how many positive reviews does the first one have", "第二个好评率": unless it compares'),
    Rule("reviews", Tier.PRODUCT,
         lambda r, m: bool(r.refs) and r.reviews and not r.sentiment and not _compares(r, m),
         lambda r, m: Intent("reviews", refs=list(r.refs[:1])),
         '"what do reviews say about the second one", "第三个的评价": unless it compares or asks for sentiment'),
    Rule("goes_with", Tier.PRODUCT, lambda r, m: _pairs_with(r, m) and r.goes_with,
         lambda r, m: Intent("goes_with", refs=list(r.refs[:1])),
         '"what goes with the second one?", "第一个配什么": complements of one product'),
    Rule("bought_together", Tier.PRODUCT, lambda r, m: _pairs_with(r, m) and not r.goes_with,
         lambda r, m: Intent("bought_together", refs=list(r.refs[:1])),
         '"what do people buy with the first one?", "买第一个的人还买了什么": unless it asks what goes with it'),
    Rule("similar", Tier.PRODUCT,
         lambda r, m: bool(r.refs) and r.similar and not _about_reviews(r) and not _compares(r, m)
         and not _pairs_with(r, m),
         lambda r, m: Intent("similar", refs=list(r.refs[:1]), max_price=r.max_price),
         '"something similar to the first one": unless it compares, asks about reviews or what goes with it'),
    Rule("details", Tier.PRODUCT,
         lambda r, m: bool(r.refs) and (r.details or r.short or (r.typed_id and r.attribute))
         and not r.similar and not _about_reviews(r) and not _compares(r, m) and not _pairs_with(r, m),
         lambda r, m: Intent("details", refs=list(r.refs[:1])),
         '"tell me about that jacket", "the first one", "MH01 price?", "the Wayfarer?": unless it compares, '
         "asks about reviews, for similar ones or what goes with it"),
    Rule("for_you", Tier.REQUEST, _for_you, _for_you_intent,
         '"gift ideas under £20", "what else would I like?", "推荐点我会喜欢的": suggestions from what the '
         "shopper and shoppers like them did, no shown or typed product"),
    Rule("clarify", Tier.REQUEST, _clarifies,
         lambda r, m: Intent("clarify", min_price=r.min_price, max_price=r.max_price, min_rating=r.min_rating,
                             prefs=r.prefs, currency=r.currency),
         '"something under $50", "推荐点东西": a search that names no product, when no question is pending; '
         "unless it asks for suggestions for the shopper"),
    Rule("answer", Tier.REQUEST, _answers, _answer,
         '"a backpack" after "what are you looking for?": the pending search, completed'),
    Rule("search", Tier.REQUEST, _searches, _search,
         '"waterproof backpack under $60", "帮我找防水背包", "蚕丝被": limits, a search opener or little but '
         "a type the store sells, no shown or typed product; unless it clarifies, answers or asks for "
         "suggestions for the shopper"),
    Rule("prefs", Tier.REQUEST,
         lambda r, m: bool(r.prefs) and not r.explicit and not r.question and len(_words(r.text)) <= 10
         and not (_clarifies(r, m) or _answers(r, m) or _searches(r, m) or _for_you(r, m)),
         lambda r, m: Intent("prefs", prefs=r.prefs),
         '"my size is M", "我喜欢黑色": a short statement, not a question, unless it is a request'),
)  # fmt: skip


def parse(
    text: str,
    memory: SessionMemory,
    is_product_id: Callable[[str], bool] | None = None,
    named_products: Callable[[str], list[NamedProduct]] | None = None,
    product_type: Callable[[str], TypeRequest] | None = None,
) -> Intent:
    """What the message asks for: the intent of the highest-tier rule of :data:`RULES` that
    holds, else ``chat``. ``is_product_id`` lets ids the user types ("compare MH01 and MJ11")
    count as references too, and ``named_products`` the catalog products the message names by
    title ("reviews of the Crown Summit Backpack"), in a first message as later, and
    ``product_type`` reads what kind of product a short message names against the catalog
    (:meth:`~index.catalog.CatalogIndex.type_request`). A product
    named by title never turns a search ("Crown backpack under $50") into something else:
    searches, clarifying questions and preferences look only at shown or typed ones."""
    reading = read_message(text, memory, is_product_id, named_products, product_type)
    held = [rule for rule in RULES if rule.when(reading, memory)]
    if not held:
        return Intent("chat", refs=list(reading.refs), prefs=reading.prefs)
    return max(held, key=lambda rule: rule.tier).build(reading, memory)


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
    # by position in the message; "the first two" also reads "first": the order found breaks ties
    return list(
        dict.fromkeys(product_id for _, product_id in sorted(located + typed, key=lambda item: item[0]))
    )


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
