"""What a merchant's request for promo copy asks for: format, tone, how many variants, language.

"give me 2 premium slogans for the second one" -> slogan, premium, 2; "用英文给第一个写一段促销文案"
-> short description, friendly, 1, English. Read by rules (:mod:`assistant.intents`) so the
fast path can call ``write_promo_copy`` without the model. Deliberately not here: recognising
that a message asks for copy at all, and which products it means (:mod:`assistant.intents`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FORMATS = (
    ("slogan", re.compile(r"slogan|tagline|标语|口号", re.I)),
    ("title", re.compile(r"\btitle\b|标题", re.I)),
    ("bullets", re.compile(r"bullet|selling points|卖点|要点", re.I)),
    ("post", re.compile(r"\bpost\b|instagram|telegram|social|朋友圈|帖子|推文", re.I)),
)
_TONES = (
    ("premium", re.compile(r"premium|luxur|elegant|高端|高级|奢华", re.I)),
    ("playful", re.compile(r"playful|fun\b|funny|俏皮|有趣|活泼", re.I)),
    ("technical", re.compile(r"technical|专业|技术", re.I)),
)
_IN_ENGLISH = re.compile(r"\bin english\b|用英文|英文版|英语", re.I)
_IN_CHINESE = re.compile(r"\bin chinese\b|用中文|中文版|汉语", re.I)
_VARIANTS = re.compile(
    r"\b([1-9])\s+(?:\w+\s+)?(?:variants?|options?|versions?|slogans?|titles?|posts?|taglines?|descriptions?)\b"
    r"|([1-9一二两三])\s*(?:条|个|种|版)",
    re.I,
)
_CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3"}
MAX_VARIANTS = 3  # in a chat reply; batches go through `shopbot copy`


@dataclass(frozen=True)
class CopyRequest:
    format: str = "short_description"  # title | bullets | slogan | short_description | post
    tone: str = "friendly"  # friendly | premium | playful | technical
    variants: int = 1
    lang: str | None = None  # a language asked for ("in English", "用中文"); None: the user's


def read_copy_request(text: str) -> CopyRequest:
    match = _VARIANTS.search(text)
    digit = (match.group(1) or match.group(2)) if match else "1"
    return CopyRequest(
        format=next((name for name, words in _FORMATS if words.search(text)), "short_description"),
        tone=next((name for name, words in _TONES if words.search(text)), "friendly"),
        variants=min(MAX_VARIANTS, int(_CHINESE_DIGITS.get(digit, digit))),
        lang="en" if _IN_ENGLISH.search(text) else "zh" if _IN_CHINESE.search(text) else None,
    )
