"""Review aspects ("topics") and the lexicons that find them, in Chinese and English.

Seven aspects shoppers and merchants ask about: quality, price/value, shipping/delivery,
service, function/performance, size/fit and appearance. :func:`find_aspects` returns which of
them a piece of text (normally one clause) mentions and the words that gave them away. English
terms match whole words, with simple plural/verb endings; Chinese terms match as substrings.

Deliberately not here: sentiment (``tools.sentiment`` scores the clause a mention sits in),
and any learned model: the lexicons are hand-written, short and reviewable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tools.clauses import Lang

ASPECTS: tuple[str, ...] = (
    "quality",
    "price",
    "shipping",
    "service",
    "function",
    "size",
    "appearance",
)

ASPECT_LABELS: dict[str, dict[str, str]] = {
    "quality": {"en": "quality", "zh": "质量"},
    "price": {"en": "price/value", "zh": "价格/性价比"},
    "shipping": {"en": "shipping/delivery", "zh": "物流/配送"},
    "service": {"en": "service", "zh": "服务"},
    "function": {"en": "function/performance", "zh": "功能/性能"},
    "size": {"en": "size/fit", "zh": "尺码/大小"},
    "appearance": {"en": "appearance", "zh": "外观"},
}

# fmt: off
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "quality": {
        "en": (
            "quality", "material", "fabric", "durable", "durability", "sturdy", "flimsy", "well made",
            "well-made", "poorly made", "cheaply made", "build", "built", "construction", "stitching",
            "seam", "pilling", "broke", "broken", "fell apart", "falls apart", "tear", "torn", "rip", "ripped",
            "wear and tear", "defective", "defect", "lasts", "lasted", "long-lasting", "craftsmanship", "solid",
        ),
        "zh": (
            "质量", "品质", "质感", "做工", "材质", "面料", "布料", "料子", "用料", "耐用", "结实", "牢固",
            "坏了", "破了", "开线", "线头", "粗糙", "起球", "掉色", "褪色", "缩水", "瑕疵", "次品", "劣质", "正品", "假货",
            "新鲜", "手感",
        ),
    },
    "price": {
        "en": (
            "price", "priced", "pricey", "cost", "costs", "value", "worth", "money", "cheap", "cheaper",
            "expensive", "overpriced", "affordable", "bargain", "deal", "budget", "dollar", "bucks",
        ),
        "zh": (
            "价格", "价钱", "性价比", "便宜", "实惠", "划算", "值得", "物美价廉", "价位", "贵了", "太贵", "偏贵",
            "有点贵", "不值", "超值", "优惠", "打折", "钱",
        ),
    },
    "shipping": {
        "en": (
            "shipping", "shipped", "delivery", "delivered", "arrived", "arrive", "arrival", "package",
            "packaging", "packaged", "courier", "tracking", "shipment", "transit", "box",
        ),
        "zh": (
            "物流", "快递", "发货", "送货", "配送", "到货", "收到", "包装", "运输", "速度很快", "送到", "派送",
            "邮寄", "顺丰", "京东配送",
        ),
    },
    "service": {
        "en": (
            "service", "customer service", "support", "seller", "refund", "return", "returned",
            "exchange", "warranty", "replacement", "staff", "response", "responsive", "helpful",
            "rude", "store",
        ),
        "zh": (
            "服务", "客服", "售后", "卖家", "商家", "店家", "退货", "退款", "换货", "态度", "回复", "前台",
            "服务员", "保修",
        ),
    },
    "function": {
        "en": (
            "works", "worked", "working", "work", "performance", "performs", "function", "functions",
            "feature", "features", "battery", "charger", "charging", "signal", "sound", "audio",
            "volume", "speed", "reception", "screen", "camera", "mic", "microphone",
            "easy to use", "setup", "connect", "connection", "bluetooth", "waterproof", "warm",
            "breathable", "comfortable", "comfort", "grip", "effective",
        ),
        "zh": (
            "功能", "性能", "效果", "好用", "不好用", "使用", "用起来", "速度", "电池", "续航", "充电",
            "信号", "音质", "声音", "屏幕", "系统", "运行", "卡顿", "死机", "反应", "保暖", "透气", "舒服",
            "舒适", "清洗", "噪音", "待机", "拍照", "味道", "口感", "好吃",
        ),
    },
    "size": {
        "en": (
            "size", "sizing", "sized", "fit", "fits", "fitted", "fitting", "too small", "too big",
            "too large", "too tight", "too loose", "tight", "loose", "length", "snug",
            "runs small", "runs large", "true to size", "waist", "roomy", "compartment", "compartments",
        ),
        "zh": (
            "尺码", "尺寸", "大小", "码数", "偏大", "偏小", "合身", "不合身", "太大", "太小", "太紧", "太松",
            "宽松", "长度", "短了", "长了", "修身", "容量",
        ),
    },
    "appearance": {
        "en": (
            "look", "looks", "looking", "color", "colour", "colors", "style", "stylish", "design",
            "beautiful", "pretty", "cute", "ugly", "attractive", "appearance", "pattern", "print",
            "shiny", "fashionable", "elegant", "gorgeous", "sleek",
        ),
        "zh": (
            "外观", "颜色", "款式", "样式", "好看", "漂亮", "难看", "美观", "时尚", "设计", "颜值", "色差",
            "图案", "大方", "精致", "可爱", "洋气", "上身效果",
        ),
    },
}
# fmt: on


@dataclass(frozen=True)
class AspectHit:
    """An aspect a text mentions and the lexicon term that matched first."""

    aspect: str
    term: str


@cache
def _pattern(aspect: str, lang: Lang) -> re.Pattern[str]:
    terms = sorted(LEXICON[aspect][lang], key=len, reverse=True)
    alternatives = "|".join(re.escape(term) for term in terms)
    if lang == "zh":
        return re.compile(alternatives)
    return re.compile(rf"\b(?:{alternatives})(?:s|es|ed|ing)?\b", re.IGNORECASE)


def find_aspects(text: str, lang: Lang) -> list[AspectHit]:
    """The aspects ``text`` mentions, in the order of :data:`ASPECTS`, each once."""
    hits = []
    for aspect in ASPECTS:
        match = _pattern(aspect, lang).search(text)
        if match:
            hits.append(AspectHit(aspect, match.group(0).lower()))
    return hits


def aspect_label(aspect: str, lang: Lang) -> str:
    """Human-readable name of ``aspect`` in ``lang`` ("price/value", "价格/性价比")."""
    return ASPECT_LABELS[aspect][lang]
