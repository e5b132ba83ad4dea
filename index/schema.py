"""The catalog's record types: products, reviews, search filters and hits, row errors.

Plain dataclasses (cheap at a million products). Validation and parsing of raw rows lives in
:mod:`index.ingest`; this module only says what a valid record looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRODUCT_FIELDS = (
    "id",
    "title",
    "description",
    "category",
    "brand",
    "price",
    "currency",
    "rating",
    "rating_count",
    "image_url",
    "url",
    "attributes",
    "lang",
)
REVIEW_FIELDS = ("review_id", "product_id", "rating", "title", "text", "author", "date", "lang")


@dataclass
class Product:
    """One product. ``category`` is a path like ``Men/Tops/Jackets``; ``categories`` holds every
    path the product is listed under (``category`` first). ``attributes`` are the merchant's
    declared attributes; ``extras`` keeps every other input field (sizes, colours, gender...)."""

    id: str
    title: str
    description: str = ""
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    currency: str | None = None
    rating: float | None = None
    rating_count: int | None = None
    image_url: str | None = None
    url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"
    categories: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    review_id: str
    product_id: str
    text: str = ""
    rating: float | None = None  # 1-5 stars, or None when the source has no star rating
    title: str | None = None
    author: str | None = None
    date: str | None = None
    lang: str = "en"


@dataclass
class Filters:
    """Hard constraints on search results; None means no constraint.

    ``category`` matches a path prefix by whole segments, case-insensitively (``men/tops``
    matches ``Men/Tops/Jackets`` but not ``Men/Topsy``); ``brand`` matches the whole brand,
    case-insensitively. Products without a price (rating) never pass a price (rating) filter.
    """

    min_price: float | None = None
    max_price: float | None = None
    category: str | None = None
    brand: str | None = None
    min_rating: float | None = None
    lang: str | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass
class SearchHit:
    """A product found by a search: the product, its score (higher is better; the scale depends
    on the mode), its rank (1-based) and which retrievers found it (``"dense"``, ``"lexical"``),
    for the assistant's "why this product" line."""

    product: Product
    score: float
    rank: int
    matched: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.product.id

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.product.id, "score": self.score, "rank": self.rank, "matched": list(self.matched)}


@dataclass(frozen=True)
class RowError:
    """A rejected input row: ``products.csv:17: price: 'abc' is not a number``.

    ``field`` is empty when the row itself could not be read (``p.jsonl:2: not valid JSON ...``).
    """

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
