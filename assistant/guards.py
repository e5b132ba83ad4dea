"""Input guards and personal-data redaction.

:func:`check_message` looks at a user's message before anything expensive runs: an empty
message, an abusive one or a clearly off-topic one gets a short polite answer in the user's
language instead of a model call; a very long one is cut to :data:`MAX_CHARS` characters and
the reply carries a notice. Off-topic detection is deliberately conservative (a short list of
unmistakable requests such as poems, homework or weather): anything that might be shopping
goes on to the agent.

:func:`redact` removes emails, phone numbers, card-like numbers (Luhn-checked) and street
addresses from text bound for logs and transcripts; :class:`RedactingFilter` applies it to
every log record of a logger.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

MAX_CHARS = 1_000  # ~300 tokens: the model reads ~45 tokens/s

_ABUSE = re.compile(
    r"\b(fuck\w*|shit\w*|bitch\w*|asshole\w*|idiot|stupid bot|moron|cunt)\b|傻[逼屄比]|操你|你妈的?|滚蛋|去死|白痴|脑残",
    re.IGNORECASE,
)
_OFF_TOPIC = re.compile(
    r"\b(write (me )?a (poem|story|song|essay)|weather (today|tomorrow)|what'?s the weather|"
    r"who (is|was) the president|solve (this|the) (equation|integral)|my homework|tell me a joke|"
    r"capital of \w+|write (some )?(python|code|javascript))\b|写(一首)?诗|天气怎么样|讲个笑话|作业|写代码",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_PHONE = re.compile(
    r"(?<![\w.])(?:\+?\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]?\d{3,4}(?:[ .-]?\d{2,4})?(?![\w.])"
)
_CN_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ADDRESS = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct)\b\.?"
    r"|[\u4e00-\u9fff]{2,}(?:路|街|大道)\d+号",
)


@dataclass(frozen=True)
class GuardResult:
    """``answer`` set: reply with it and stop. Otherwise go on with ``text`` (maybe truncated)."""

    text: str
    answer: str | None = None
    kind: str = "ok"  # ok | empty | abusive | off_topic
    truncated: bool = False


def check_message(text: str, lang: str) -> GuardResult:
    stripped = (text or "").strip()
    zh = lang == "zh"
    if not stripped:
        return GuardResult(
            "",
            "您好！想找什么商品？告诉我您的需求和预算吧。"
            if zh
            else "Hi! What are you shopping for? Tell me what you need and your budget.",
            "empty",
        )
    if _ABUSE.search(stripped):
        return GuardResult(
            stripped,
            "我们还是文明交流吧。我可以帮您找商品、比较价格或看看评价。"
            if zh
            else "Let's keep it friendly. I can help you find products, compare prices or check reviews.",
            "abusive",
        )
    if _OFF_TOPIC.search(stripped):
        return GuardResult(
            stripped,
            "抱歉，我只能帮您购物：找商品、比较、看评价。"
            if zh
            else "Sorry, I can only help with shopping: finding products, comparing them and reading reviews.",
            "off_topic",
        )
    if len(stripped) > MAX_CHARS:
        return GuardResult(stripped[:MAX_CHARS], None, "ok", truncated=True)
    return GuardResult(stripped)


def truncation_notice(lang: str) -> str:
    if lang == "zh":
        return f"（您的消息太长，我只读了前 {MAX_CHARS} 个字符。）"
    return f"(Your message was long; I read only its first {MAX_CHARS:,} characters.)"


def redact(text: str) -> str:
    """``text`` with emails, card-like numbers, phone numbers and addresses replaced by tags."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(lambda m: "[card]" if _luhn(m.group()) else m.group(), text)
    text = _CN_PHONE.sub("[phone]", text)
    text = _PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    return _ADDRESS.sub("[address]", text)


class RedactingFilter(logging.Filter):
    """Redacts personal data from a record's message (arguments are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0
