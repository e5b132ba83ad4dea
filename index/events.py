"""Shopper behaviour: views, clicks, add-to-cart, purchases and returns, read from a store's history.

An :class:`Event` is one thing one shopper did with one product at one time. A store's order
export (CSV, JSONL or a JSON array, any column names given with ``--map``) is read with
:func:`load_events` under the catalog error policy: a bad row is reported as
``file:line: field: problem`` and skipped, the rest is kept.

Cancellations and returns are understood: a row whose kind says so ("return", "refund",
"cancel"), whose quantity is negative, or whose order id starts with the store's cancellation
prefix (``C536379`` in the UCI Online Retail export) is a ``return`` of the absolute quantity.
A row without a shopper id is an anonymous basket: it still says which products are bought
together (it needs an order id then), but belongs to nobody's history.

Not here: storing events (:mod:`index.event_store`) and learning from them
(:mod:`index.recommender`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from dateutil import parser as dateparser

from index.ingest import ALIASES, FieldError, LoadResult, apply_mapping, load_records

EventKind = Literal["impression", "view", "click", "cart", "purchase", "return"]
EVENT_KINDS: tuple[EventKind, ...] = ("impression", "view", "click", "cart", "purchase", "return")
EVENT_FIELDS = ("shopper", "product", "kind", "time", "quantity", "order", "session")
# how much one event says about what a shopper likes (a return takes a purchase back; an
# impression, a card the shopper was shown, says nothing of liking: it is kept as exposure)
WEIGHTS: dict[str, float] = {
    "impression": 0.0,
    "view": 1.0,
    "click": 2.0,
    "cart": 4.0,
    "purchase": 8.0,
    "return": -8.0,
}

_KIND_WORDS: dict[str, EventKind] = {
    "impression": "impression", "impressions": "impression", "shown": "impression",
    "view": "view", "views": "view", "viewed": "view", "pageview": "view", "detail": "view",
    "click": "click", "clicked": "click", "clicks": "click",
    "cart": "cart", "addtocart": "cart", "add_to_cart": "cart", "add-to-cart": "cart", "basket": "cart",
    "purchase": "purchase", "purchased": "purchase", "buy": "purchase", "order": "purchase",
    "transaction": "purchase", "sale": "purchase",
    "return": "return", "returned": "return", "refund": "return", "refunded": "return", "cancel": "return",
    "cancelled": "return", "canceled": "return", "cancellation": "return",
}  # fmt: skip
for _field_name, _aliases in {
    "shopper": ("customer_id", "customerid", "customer", "user_id", "userid", "visitorid", "shopper_id"),
    "product": ("product_id", "stockcode", "item_id", "itemid", "sku"),
    "kind": ("event", "event_type", "type", "action"),
    "time": ("timestamp", "invoicedate", "date", "event_time", "created_at"),
    "quantity": ("qty",),
    "order": ("order_id", "invoiceno", "invoice", "transactionid", "transaction_id"),
    "session": ("session_id",),
}.items():
    ALIASES.setdefault(_field_name, _aliases)


@dataclass(frozen=True)
class Event:
    shopper: str | None  # None: an anonymous basket (bought-together only)
    product: str
    kind: EventKind
    at: datetime  # UTC
    quantity: float = 1.0
    order: str | None = None  # the basket / invoice: products bought together
    session: str | None = None

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


def parse_time(value: Any) -> datetime:
    """An event time as UTC: ISO 8601, ``12/1/2010 8:26``, or Unix seconds / milliseconds."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        moment = datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = dateparser.parse(text)
            except (ValueError, OverflowError):
                raise ValueError(f"{text!r} is not a date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _identifier(value: Any) -> str | None:
    """ "12583.0" (a spreadsheet's number) -> "12583"; blanks -> None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text.lower() in ("", "nan", "null", "none"):
        return None
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def event_from_record(
    record: Mapping[str, Any], mapping: Mapping[str, str] | None = None, cancel_prefix: str | None = None
) -> Event:
    """One event from one row (after ``mapping``); raises :class:`FieldError` naming the field."""
    row = apply_mapping(record, mapping or {}, EVENT_FIELDS)
    product = _identifier(row.get("product"))
    if product is None:
        raise FieldError("product", "missing")
    raw_kind = _identifier(row.get("kind"))
    if raw_kind is None:
        kind: EventKind = "purchase"
    elif raw_kind.lower() in _KIND_WORDS:
        kind = _KIND_WORDS[raw_kind.lower()]
    else:
        raise FieldError("kind", f"{raw_kind!r} is not one of {', '.join(EVENT_KINDS)}")
    if row.get("time") in (None, ""):
        raise FieldError("time", "missing")
    try:
        at = parse_time(row["time"])
    except ValueError as error:
        raise FieldError("time", str(error)) from None
    quantity = 1.0
    if _identifier(row.get("quantity")) is not None:
        try:
            quantity = float(str(row["quantity"]).strip())
        except ValueError:
            raise FieldError("quantity", f"{row['quantity']!r} is not a number") from None
        if quantity == 0 or not math.isfinite(quantity):
            raise FieldError("quantity", f"{row['quantity']!r}: a quantity must be a non-zero number")
    order = _identifier(row.get("order"))
    if quantity < 0 or (order is not None and cancel_prefix and order.startswith(cancel_prefix)):
        kind = "return"
    shopper = _identifier(row.get("shopper"))
    if shopper is None and order is None:
        raise FieldError("shopper", "missing (an anonymous row needs an order id)")
    return Event(shopper, product, kind, at, abs(quantity), order, _identifier(row.get("session")))


def load_events(
    path: Path,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    cancel_prefix: str | None = "C",
) -> LoadResult:
    """The events of a file (``records``), with the rows skipped (``errors``)."""
    return load_records(
        path,
        lambda record: event_from_record(record, mapping, cancel_prefix),
        mapping or {},
        strict,
        EVENT_FIELDS,
        ("product", "time"),
    )
