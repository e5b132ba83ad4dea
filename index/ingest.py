"""Reading catalogs and reviews: JSONL, JSON arrays and CSV, in whatever shape merchants have.

Rows come from :func:`index.readers.read_rows` (formats, encodings, line numbers).

:func:`product_from_record` / :func:`review_from_record` validate one record (after the
``--map`` column mapping) and raise :class:`FieldError` naming the field;
:func:`load_products` / :func:`load_reviews` run them over a file, skipping bad rows (or failing
on the first with ``strict``) and reporting each as ``file:line: field: problem``.

Not here: storing (:mod:`index.store`) and embedding (:mod:`index.building`).
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from index.prices import PriceError, parse_price
from index.readers import IngestError, read_rows
from index.schema import PRODUCT_FIELDS, REVIEW_FIELDS, Product, Review, RowError

NULLS = {"", "null", "none", "nan", "n/a", "na", "-", "no rating available"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")
_CATEGORY_SEPARATORS = re.compile(r"\s*(?:>>|>|\|)\s*")
T = TypeVar("T")


@dataclass
class LoadResult:
    records: list[Any]
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def parse_mapping(specs: list[str] | None, allowed: tuple[str, ...] = PRODUCT_FIELDS) -> dict[str, str]:
    """``["title=product_name,price=discounted_price"]`` -> ``{"title": "product_name", ...}``.

    A source may join several columns with ``+`` (``category=category+sub_category``): their
    values become one category path.
    """
    mapping: dict[str, str] = {}
    for spec in specs or []:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            target, sep, source = item.partition("=")
            target, source = target.strip(), source.strip()
            if not sep or not target or not source:
                raise IngestError(f"--map {item!r}: expected FIELD=COLUMN, e.g. title=product_name")
            if target not in allowed:
                raise IngestError(f"--map {item!r}: unknown field {target!r}; fields: {', '.join(allowed)}")
            mapping[target] = source
    return mapping


# Other names for a field, tried (case-insensitively) after the field's own name.
ALIASES: dict[str, tuple[str, ...]] = {
    "rating_count": ("review_count", "reviews_count", "num_reviews", "ratings_count"),
    "image_url": ("image", "image_link", "img_link"),
    "url": ("link", "product_url", "product_link"),
}


def apply_mapping(
    record: Mapping[str, Any], mapping: Mapping[str, str], fields: tuple[str, ...]
) -> dict[str, Any]:
    """Rename columns to field names: explicit ``mapping`` first, then case-insensitive names
    and :data:`ALIASES`."""
    out: dict[str, Any] = {}
    used: set[str] = set()
    for target, source in mapping.items():
        parts = source.split("+")
        values = [record.get(part) for part in parts]
        present = [str(value).strip() for value in values if not _is_null(value)]
        out[target] = "/".join(present) if len(parts) > 1 else values[0]
        used.update(parts)
    by_lower = {key.lower(): key for key in record}
    for target in fields:
        for name in (target, *ALIASES.get(target, ())):
            key = by_lower.get(name)
            if target not in out and key is not None and key not in used:
                out[target] = record[key]
                used.add(key)
    out["_extras"] = {
        key: value.strip() if isinstance(value, str) else value
        for key, value in record.items()
        if key not in used and not _is_null(value)
    }
    return out


def _check_required(
    record: Mapping[str, Any],
    mapping: Mapping[str, str],
    fields: tuple[str, ...],
    required: tuple[str, ...],
    name: str,
) -> None:
    """Name the missing columns when a file (judged by its first row) has none for a required field."""
    present = apply_mapping(record, mapping, fields)
    missing = [field for field in required if field not in present]
    if missing:
        hint = ",".join(f"{field}=COLUMN" for field in missing)
        raise IngestError(
            f"{name}: no column for required field(s) {', '.join(missing)}; columns: {', '.join(record)}. "
            f"Name them with --map {hint}"
        )


def check_mapping(columns: set[str], mapping: Mapping[str, str], name: str) -> None:
    missing = [part for source in mapping.values() for part in source.split("+") if part not in columns]
    if missing:
        raise IngestError(
            f"{name}: --map names column(s) {missing} not in the file; columns: {sorted(columns)}"
        )


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NULLS)


def _text(value: Any) -> str | None:
    return None if _is_null(value) else str(value).strip()


def _number(value: Any, low: float | None = None, high: float | None = None) -> float | None:
    if _is_null(value):
        return None
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{value!r} is outside {low}..{high}")
    return number


def detect_lang(text: str) -> str:
    """``"zh"`` when CJK characters are at least a fifth of the letters, else ``"en"``."""
    letters = _LETTER.findall(text)
    if not letters:
        return "en"
    return "zh" if sum(1 for char in letters if _CJK.match(char)) / len(letters) >= 0.2 else "en"


def _category_path(value: Any) -> str | None:
    """``A|B|C``, ``A >> B``, ``["A >> B >> C"]`` or ``['a', 'b']`` -> ``A/B/C``."""
    if _is_null(value):
        return None
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            with contextlib.suppress(ValueError, SyntaxError):
                value = ast.literal_eval(value.strip())
    if isinstance(value, list):
        parts = [str(part) for part in value if not _is_null(part)]
        value = parts[0] if len(parts) == 1 else "/".join(parts)
    path = _CATEGORY_SEPARATORS.sub("/", str(value).strip())
    return "/".join(part.strip() for part in path.split("/") if part.strip()) or None


def _first_url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    text = _text(value)
    if text and text.startswith("["):
        try:
            urls = json.loads(text)
            return _first_url(urls)
        except json.JSONDecodeError:
            return None
    return text


def _object(value: Any) -> dict[str, Any]:
    if _is_null(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("is not a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return value


def _field(name: str, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except (ValueError, PriceError) as error:
        raise FieldError(name, str(error)) from None


class FieldError(ValueError):
    """One field of one record is invalid (the caller adds file and line)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field_name, self.message = field_name, message


def product_from_record(
    record: Mapping[str, Any], mapping: Mapping[str, str] | None = None, default_currency: str | None = None
) -> Product:
    """A validated :class:`Product`; raises :class:`FieldError` naming the bad field."""
    row = apply_mapping(record, mapping or {}, PRODUCT_FIELDS)
    product_id = _text(row.get("id"))
    if product_id is None:
        raise FieldError("id", "missing")
    title = _text(row.get("title"))
    if title is None:
        raise FieldError("title", "empty")
    price, currency = None, _text(row.get("currency"))
    if not _is_null(row.get("price")):
        price, symbol_currency = _field("price", lambda: parse_price(row["price"]))
        currency = currency or symbol_currency
    extras = row["_extras"]
    categories = [path for path in map(_category_path, extras.pop("categories", None) or []) if path]
    category = _field("category", lambda: _category_path(row.get("category")))
    if category and category not in categories:
        categories.insert(0, category)
    description = _text(row.get("description")) or ""
    rating_count = _field("rating_count", lambda: _number(row.get("rating_count"), 0))
    lang = _text(row.get("lang")) or detect_lang(f"{title} {description[:200]}")
    return Product(
        id=product_id,
        title=title,
        description=description,
        category=category,
        brand=_text(row.get("brand")),
        price=price,
        currency=(currency or default_currency or "").upper() or None,
        rating=_field("rating", lambda: _number(row.get("rating"), 0, 5)),
        rating_count=None if rating_count is None else int(rating_count),
        image_url=_first_url(row.get("image_url")),
        url=_text(row.get("url")),
        attributes=_field("attributes", lambda: _object(row.get("attributes"))),
        lang=lang.lower(),
        categories=categories or ([category] if category else []),
        extras=extras,
    )


def review_from_record(record: Mapping[str, Any], mapping: Mapping[str, str] | None = None) -> Review:
    """A validated :class:`Review`; raises :class:`FieldError` naming the bad field."""
    row = apply_mapping(record, mapping or {}, REVIEW_FIELDS)
    review_id = _text(row.get("review_id"))
    if review_id is None:
        raise FieldError("review_id", "missing")
    product_id = _text(row.get("product_id"))
    if product_id is None:
        raise FieldError("product_id", "missing")
    text = _text(row.get("text")) or ""
    title = _text(row.get("title"))
    if not text and not title:
        raise FieldError("text", "empty (and no title)")
    return Review(
        review_id=review_id,
        product_id=product_id,
        text=text,
        rating=_field("rating", lambda: _number(row.get("rating"), 1, 5)),
        title=title,
        author=_text(row.get("author")),
        date=_text(row.get("date")),
        lang=(_text(row.get("lang")) or detect_lang(f"{title or ''} {text[:200]}")).lower(),
    )


def load_products(
    path: Path,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    default_currency: str | None = None,
) -> LoadResult:
    """Valid products of a file; duplicates of an earlier id are rejected rows."""
    seen: set[str] = set()

    def convert(record: Mapping[str, Any]) -> Product:
        product = product_from_record(record, mapping, default_currency)
        if product.id in seen:
            raise FieldError("id", f"duplicate id {product.id!r} (first occurrence kept)")
        seen.add(product.id)
        return product

    return load_records(path, convert, mapping or {}, strict, PRODUCT_FIELDS, ("id", "title"))


def load_reviews(
    path: Path, known_products: set[str], mapping: Mapping[str, str] | None = None, strict: bool = False
) -> LoadResult:
    """Valid reviews of a file; reviews of unknown products and duplicate ids are rejected rows."""
    seen: set[str] = set()

    def convert(record: Mapping[str, Any]) -> Review:
        review = review_from_record(record, mapping)
        if review.product_id not in known_products:
            raise FieldError("product_id", f"unknown product {review.product_id!r}")
        if review.review_id in seen:
            raise FieldError("review_id", f"duplicate id {review.review_id!r} (first occurrence kept)")
        seen.add(review.review_id)
        return review

    return load_records(path, convert, mapping or {}, strict, REVIEW_FIELDS, ("review_id", "product_id"))


def load_records(
    path: Path,
    convert: Callable[[Mapping[str, Any]], T],
    mapping: Mapping[str, str],
    strict: bool,
    fields: tuple[str, ...],
    required: tuple[str, ...],
) -> LoadResult:
    """``convert`` over each row of ``path``: a row it rejects (:class:`FieldError`) is reported
    as ``file:line: field: problem`` and skipped (``strict``: the first one raises); a file with
    no valid row raises :class:`IngestError` naming the missing columns or the first problem."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    result = LoadResult(records=[])
    first: Mapping[str, Any] | None = None

    def reject(row_error: RowError) -> None:
        if strict:
            raise IngestError(f"{row_error} (--strict: build stopped)", [row_error])
        result.errors.append(row_error)

    for line, record in read_rows(path, reject):
        if first is None:
            check_mapping(set(record), mapping, path.name)
            first = record
        try:
            result.records.append(convert(record))
        except FieldError as error:
            reject(RowError(path.name, line, error.field_name, error.message))
    result.rows = len(result.records) + len(result.errors)
    if result.rows and not result.records:
        if first is not None:
            _check_required(first, mapping, fields, required, path.name)
        raise IngestError(
            f"{path.name}: none of its {result.rows} rows is valid; the first: {result.errors[0]}"
        )
    return result
