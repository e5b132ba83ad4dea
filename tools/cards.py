"""Compact views of products for the model, for grounding and for product cards.

The model reads prompts at ~45 tokens/s on two CPU cores, so what a tool hands back is small:
id, title, price, currency, rating and a few key attributes, never whole descriptions. Any
free text from the catalog (descriptions, reviews) goes through :func:`as_data`: capped in
length and stripped of chat-template control sequences, so that product and review text stays
data and can never open a tool call or a new message.

The "why" line of a card is built from facts only: which query words the product matches,
which filters it meets and which remembered preferences it fits. A card's summary line is
handed in (the tools get it from :class:`~tools.product_texts.ProductTexts`); it is for the
channels, not part of the model's view.

Deliberately not here: searching (:mod:`tools.shopping`) and prose (the assistant renders it).
"""

from __future__ import annotations

import html
import re
from typing import Any

from index.schema import Filters, Product

KEY_ATTRIBUTES = ("material", "color", "colour", "size", "climate", "activity", "style", "gender")
_UNSET = frozenset(("", "no", "false", "none", "n/a"))  # attribute values that state nothing
_CONTROL = re.compile(r"<\|[^|>]*\|>|</?tool_call>|</?tool_response>|</?data>|```", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]", re.IGNORECASE)
# fmt: off
_STOP = frozenset((
    "a", "an", "and", "the", "for", "with", "in", "on", "of", "to", "me", "i", "need", "want", "show", "find",
    "looking", "some", "any", "under", "below", "less", "than", "over", "above", "cheap", "cheaper", "please",
    "my", "is", "are", "it", "that", "this",
))
# fmt: on


def clean_data(text: str | None) -> str:
    """Catalog or review text made safe to show the model: entities decoded, whitespace
    collapsed, chat-template control sequences (``<|im_start|>``, ``<tool_call>`` ...) removed."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", html.unescape(text or ""))).strip()


def as_data(text: str | None, limit: int) -> str:
    """:func:`clean_data`, at most ``limit`` characters (cut at a word boundary, marked with an
    ellipsis)."""
    cleaned = clean_data(text)
    if len(cleaned) <= limit:
        return cleaned
    cut = cleaned[:limit].rsplit(" ", 1)[0] if " " in cleaned[:limit] else cleaned[:limit]
    return cut.rstrip(" ,.;:") + "…"


def options(product: Product) -> dict[str, list[str]]:
    """Size/colour options of a product (catalogs keep them in ``extras["options"]``)."""
    raw = product.extras.get("options") or {}
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): [str(value) for value in values] for key, values in raw.items() if isinstance(values, list)
    }


def attribute_text(value: Any) -> str:
    """An attribute value as prose (lists and catalog "a|b" values as "a, b"); "" for a value
    that states nothing: empty, or a flag that is not set ("No", "false", "n/a", False)."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    if value is None or value is False:
        return ""
    text = re.sub(r"\s*[|\n]\s*", ", ", str(value)).strip(" ,")
    return "" if text.lower() in _UNSET else text


def key_attributes(product: Product, limit: int = 3) -> dict[str, str]:
    """A few short attributes worth showing (declared attributes first, then options)."""
    picked: dict[str, str] = {}
    for name in KEY_ATTRIBUTES:
        shown = attribute_text(product.attributes.get(name))
        if shown:
            picked[name] = as_data(shown, 40)
    for name, values in options(product).items():
        picked.setdefault(name, as_data(", ".join(values), 40))
    return dict(list(picked.items())[:limit])


def facts(product: Product) -> dict[str, Any]:
    """What a reply may state about a product: the grounding facts (also the model's view)."""
    fact: dict[str, Any] = {"id": product.id, "title": title(product)}
    if product.price is not None:
        fact["price"] = round(float(product.price), 2)
        fact["currency"] = product.currency or ""
    if product.rating is not None:
        fact["rating"] = round(float(product.rating), 2)
    attributes = key_attributes(product)
    if attributes:
        fact["attrs"] = attributes
    return fact


def title(product: Product) -> str:
    return as_data(product.title, 80)


def category_name(product: Product) -> str:
    """The last segment of the product's category path (``Gear/Bags`` -> ``Bags``), or empty."""
    segments = [segment.strip() for segment in (product.category or "").split("/")]
    return next((segment for segment in reversed(segments) if segment), "")


def card(product: Product, why: str, summary: str = "") -> dict[str, Any]:
    """The structured card a channel renders (the assistant turns it into a ``ProductCard``);
    ``summary`` is the short description line (:mod:`tools.description_summary`)."""
    return {
        "id": product.id,
        "title": title(product),
        "price": product.price,
        "currency": product.currency,
        "rating": None if product.rating is None else round(float(product.rating), 2),
        "image_url": product.image_url,
        "url": product.url,
        "category": category_name(product),
        "why": why,
        "summary": summary,
    }


def query_terms(query: str) -> list[str]:
    return [word for word in (w.lower() for w in _WORD.findall(query)) if word not in _STOP]


def why_line(
    product: Product,
    *,
    query: str = "",
    filters: Filters | None = None,
    prefs: dict[str, Any] | None = None,
    lang: str = "en",
) -> str:
    """One line of facts: matched words, filters met, preferences fitted."""
    zh = lang == "zh"
    haystack = f"{product.title} {product.category or ''} {product.description}".lower()
    matched = [term for term in dict.fromkeys(query_terms(query)) if term in haystack][:3]
    parts: list[str] = []
    if matched:
        parts.append(("匹配：" if zh else "matches ") + ", ".join(matched))
    price = _money(product.price, product.currency)
    if filters and filters.max_price is not None and price:
        parts.append(
            f"{price}（不超过{filters.max_price:g}）" if zh else f"{price}, within {filters.max_price:g}"
        )
    if filters and filters.min_rating is not None and product.rating is not None:
        parts.append(f"评分{product.rating:g}" if zh else f"rated {product.rating:g}")
    parts.extend(_preference_reasons(product, prefs or {}, zh))
    if not parts:
        if query:
            parts.append("与您的搜索相关" if zh else "related to your search")
        else:
            parts.append("您问到的商品" if zh else "the product you asked about")
    return "；".join(parts) if zh else "; ".join(parts)


def _preference_reasons(product: Product, prefs: dict[str, Any], zh: bool) -> list[str]:
    reasons = []
    colours = {c.lower() for c in options(product).get("color", [])}
    for colour in prefs.get("colors", []):
        if colour.lower() in colours:
            reasons.append(f"有您喜欢的{colour}" if zh else f"comes in {colour}, which you like")
    sizes = {s.lower() for s in options(product).get("size", [])}
    for size in prefs.get("sizes", []):
        if size.lower() in sizes:
            reasons.append(f"有{size}码" if zh else f"available in your size {size}")
            break
    return reasons


def _money(price: float | None, currency: str | None) -> str:
    if price is None:
        return ""
    return format_price(price, currency)


def format_price(price: float, currency: str | None) -> str:
    """``$52.00``, ``¥39.00`` or ``52.00 EUR``: how every price is written in replies."""
    symbol = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}.get(
        (currency or "").upper()
    )
    return f"{symbol}{price:,.2f}" if symbol else f"{price:,.2f} {currency or ''}".strip()
