"""Telegram rendering: HTML escaping, splitting at 4,096 characters, product cards and their buttons.

Telegram counts a message's length in UTF-16 units of its *visible* text (after HTML is
parsed), up to 4,096 (1,024 for a photo caption). Replies are plain text from the assistant, so
they are split first (at paragraph, line, then word boundaries, never inside a surrogate
pair) and each part escaped on its own: no part can end inside a tag or an ``&amp;``.
Product cards are short Telegram HTML (bold title, summary, price, rating, why, link) with a row of
buttons whose callback data (``r``/``s``/``c``/``d`` + product ids, at most 64 bytes) the bot
turns back into a request to the assistant. Deliberately not here: sending anything.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from assistant.reply import ProductCard
from ui.cards import price_text, rating_text, safe_url, summary_text

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64
LANGUAGES = ("en", "zh")
ACTIONS = {"r": "reviews", "s": "similar", "c": "compare", "d": "details"}
_LABELS = {
    "en": {"r": "Reviews", "s": "Similar", "c": "Compare", "d": "Details"},
    "zh": {"r": "评价", "s": "类似", "c": "比较", "d": "详情"},
}
# What a button press asks the assistant, in the chat's language ({0}, {1}: product ids).
_REQUESTS = {
    "en": {
        "r": "What do reviews say about {0}?",
        "s": "Show me something similar to {0}",
        "c": "Compare {0} and {1}",
        "d": "Tell me more about {0}",
    },
    "zh": {
        "r": "{0} 的评价怎么样？",
        "s": "有和 {0} 类似的吗",
        "c": "比较 {0} 和 {1}",
        "d": "{0} 的详细介绍",
    },
}


def escape(text: str) -> str:
    """Text as Telegram HTML: only ``<``, ``>`` and ``&`` need escaping outside attributes."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text in parts of at most ``limit`` UTF-16 units, cut at the best boundary available."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        head = _prefix(rest, limit)
        # the last paragraph break in the second half, else the last line break, else a space
        cut = next(
            (pos for sep in ("\n\n", "\n", " ") if (pos := head.rfind(sep)) >= len(head) // 2), len(head)
        )
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 units (whole code points)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def card_html(card: ProductCard, *, limit: int = CAPTION_LIMIT) -> str:
    """A product as Telegram HTML, within ``limit`` visible units (fits a photo caption)."""
    facts = " · ".join(part for part in (price_text(card), rating_text(card)) if part)
    why = _prefix(card.why, 300)
    title = _prefix(card.title, 200)
    summary = _prefix(summary_text(card), 300)
    url = safe_url(card.url)
    lines = [f"<b>{escape(title)}</b>"]
    if summary:
        lines.append(escape(summary))
    if facts:
        lines.append(escape(facts))
    if why:
        lines.append(f"<i>{escape(why)}</i>")
    if url and utf16_len(url) <= limit - 400:
        lines.append(f'<a href="{html.escape(url, quote=True)}">{escape(_host(url))}</a>')
    return "\n".join(lines)


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).netloc or url


def card_keyboard(card: ProductCard, other: ProductCard | None, lang: str) -> InlineKeyboardMarkup:
    """Reviews / Similar / Compare (with ``other``, the next product shown) / Details."""
    labels = _LABELS.get(lang, _LABELS["en"])
    buttons = []
    for action in ("r", "s", "c", "d"):
        ids = [card.id] if action != "c" else ([card.id, other.id] if other else [])
        data = callback_data(action, ids) if ids else None
        if data is not None:
            buttons.append(InlineKeyboardButton(labels[action], callback_data=data))
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]] if len(buttons) > 2 else [buttons])


def callback_data(action: str, ids: list[str]) -> str | None:
    """``"r|MH01"``, ``"c|MH01|MH02"``; None when it would not fit Telegram's 64 bytes."""
    data = "|".join([action, *ids])
    return data if len(data.encode("utf-8")) <= CALLBACK_LIMIT else None


@dataclass(frozen=True)
class ButtonPress:
    action: str
    ids: tuple[str, ...]


def parse_callback(data: str | None) -> ButtonPress | None:
    """The press behind callback data, or None for data this bot did not make."""
    parts = (data or "").split("|")
    if parts[0] not in ACTIONS or len(parts) != (3 if parts[0] == "c" else 2) or not all(parts[1:]):
        return None
    return ButtonPress(parts[0], tuple(parts[1:]))


def request_text(press: ButtonPress, lang: str) -> str:
    """What pressing the button asks the assistant."""
    return _REQUESTS.get(lang, _REQUESTS["en"])[press.action].format(*press.ids)


def button_label(action: str, lang: str) -> str:
    return _LABELS.get(lang, _LABELS["en"])[action]
