"""The catalog as a product feed for other software: agentic-commerce catalogs, shopping ads.

One row per product, from the index (so it is what the assistant knows), with the fields such
feeds expect: ``id``, ``title``, ``description``, ``price`` with its currency (``"59.00 USD"``),
``availability``, ``url``, ``image``, ``brand`` and ``category`` (the full path, `` > ``
separated). ``availability`` is ``in_stock``/``out_of_stock``/``preorder``/``backorder`` when the
catalog says so (an ``availability``/``stock_status`` field, or a stock quantity); otherwise it
stays empty rather than claiming stock the store did not state. :func:`write_feed` writes JSONL
or CSV atomically (a temporary file, then a rename), so a reader never sees half a feed.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from index.schema import Product

FIELDS = ("id", "title", "description", "price", "availability", "url", "image", "brand", "category")
FeedFormat = Literal["jsonl", "csv"]
_STATUS_FIELDS = ("availability", "stock_status", "in_stock")
_QUANTITY_FIELDS = ("stock", "quantity", "inventory", "qty", "stock_quantity")
_STATUSES = {
    "in_stock": "in_stock", "instock": "in_stock", "in stock": "in_stock", "available": "in_stock",
    "yes": "in_stock", "true": "in_stock", "1": "in_stock", "有货": "in_stock", "现货": "in_stock",
    "out_of_stock": "out_of_stock", "outofstock": "out_of_stock", "out of stock": "out_of_stock",
    "sold out": "out_of_stock", "no": "out_of_stock", "false": "out_of_stock", "0": "out_of_stock",
    "缺货": "out_of_stock", "售罄": "out_of_stock",
    "preorder": "preorder", "pre-order": "preorder", "预售": "preorder",
    "backorder": "backorder", "back order": "backorder",
}  # fmt: skip


def feed_row(product: Product) -> dict[str, str]:
    """One product as a feed row (every field a string; "" where the catalog has nothing)."""
    price = f"{product.price:.2f} {product.currency}".strip() if product.price is not None else ""
    return {
        "id": product.id,
        "title": product.title,
        "description": " ".join((product.description or "").split()),
        "price": price,
        "availability": availability(product) or "",
        "url": product.url or "",
        "image": product.image_url or "",
        "brand": product.brand or "",
        "category": " > ".join(part.strip() for part in (product.category or "").split("/") if part.strip()),
    }


def availability(product: Product) -> str | None:
    """What the catalog states about stock, as a feed status; None when it states nothing."""
    fields: dict[str, Any] = {**product.extras, **product.attributes}
    lowered = {str(key).lower(): value for key, value in fields.items()}
    for name in _STATUS_FIELDS:
        value = lowered.get(name)
        if value is not None and str(value).strip().lower() in _STATUSES:
            return _STATUSES[str(value).strip().lower()]
    for name in _QUANTITY_FIELDS:
        value = lowered.get(name)
        try:
            quantity = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        return "in_stock" if quantity > 0 else "out_of_stock"
    return None


def write_feed(products: Iterable[Product], path: Path, fmt: FeedFormat) -> dict[str, int]:
    """Write the feed to ``path``; returns counts (products, with price, with availability)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    counts = {"products": 0, "priced": 0, "availability": 0}
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
            if writer is not None:
                writer.writeheader()
            for row in _rows(products, counts):
                if writer is not None:
                    writer.writerow(row)
                else:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _rows(products: Iterable[Product], counts: dict[str, int]) -> Iterator[dict[str, str]]:
    for product in products:
        row = feed_row(product)
        counts["products"] += 1
        counts["priced"] += bool(row["price"])
        counts["availability"] += bool(row["availability"])
        yield row
