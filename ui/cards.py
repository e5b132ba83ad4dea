"""How a product card's facts read in every channel: price with currency, rating, summary, safe links.

Both the web widget (HTML) and the Telegram bot (Telegram HTML) render
:class:`~assistant.reply.ProductCard` through these helpers so a price, rating or summary looks
the same everywhere. Escaping is the caller's job (each channel has its own markup); this module
only turns numbers into text, keeps the summary short and refuses links that are not ``http(s)``.
"""

from __future__ import annotations

from urllib.parse import urlparse

from assistant.reply import ProductCard
from assistant.templates import format_price
from tools.cards import as_data

SUMMARY_CHARS = 240  # a card shows the summary under the title; a longer one is cut at a word


def price_text(card: ProductCard) -> str:
    """``$52.00``, ``¥39.00``, ``52.00 EUR``; empty when the catalog has no price."""
    return format_price(card.price, card.currency) if card.price is not None else ""


def rating_text(card: ProductCard) -> str:
    """``★ 4.5/5``; empty when the product has no rating."""
    return f"★ {card.rating:.1f}/5" if card.rating is not None else ""


def summary_text(card: ProductCard) -> str:
    """The summary's lines (at most :data:`SUMMARY_CHARS` characters in all, cut at a word and
    marked with an ellipsis); empty when the card has none."""
    lines = [as_data(line, SUMMARY_CHARS) for line in card.summary.splitlines()]
    text = "\n".join(line for line in lines if line)
    return text if len(text) <= SUMMARY_CHARS else as_data(text, SUMMARY_CHARS - 1)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (no ``javascript:``, no relative paths)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None
