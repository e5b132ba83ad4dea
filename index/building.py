"""Building an index directory from validated records: store, full-text index, embeddings,
FAISS, manifest; written into a sibling temporary directory and swapped into place only when
complete (:func:`index.layout.swap_into_place`).

Also the validation of in-memory records (dicts are checked like file rows) and
:func:`embedded_texts`, what the embedder sees of products. Reading files is
:mod:`index.ingest`; loading and searching is :mod:`index.catalog`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from tqdm import tqdm

from index.embedders import Embedder, cap_tokens, embed_in_batches
from index.embedding_cache import CachingEmbedder
from index.ingest import FieldError, IngestError, product_from_record, review_from_record
from index.layout import DATABASE, FORMAT_VERSION, MANIFEST, embedder_record, swap_into_place, write_json
from index.schema import Product, Review
from index.store import CatalogStore
from index.vectors import IndexParams, Kind, VectorIndex, choose_kind
from index.vocabulary import build_vocabulary

INSERT_BATCH = 2000  # products per progress step when storing
# Tokens of a product's embedded text (its start): 64 keeps hybrid nDCG@10 within noise of the
# whole text on every judged set and doubles throughput on long texts (docs/results/embedded_text.md).
TEXT_TOKENS = 64
FIRST_VECTORS = "vectors-000001.faiss"
T = TypeVar("T")


def document_text(product: Product) -> str:
    """What the embedder sees of a product: title, brand, category path, start of description."""
    parts = [product.title]
    if product.brand and product.brand.casefold() not in product.title.casefold():
        parts.append(product.brand)
    if product.category:
        parts.append(product.category.replace("/", " > "))
    if product.description:
        parts.append(product.description[:300])
    return ". ".join(parts)


def embedded_texts(
    products: list[Product], embedder: Embedder, max_tokens: int | None
) -> tuple[list[str], int | None]:
    """The texts embedded for ``products``: :func:`document_text` cut to ``max_tokens`` tokens
    where the embedder can count them, and the cap applied (None: whole texts)."""
    return cap_tokens(embedder, [document_text(product) for product in products], max_tokens)


def validate_records(
    products: Iterable[Product | Mapping[str, Any]], reviews: Iterable[Review | Mapping[str, Any]]
) -> tuple[list[Product], list[Review]]:
    """Products and reviews checked like file rows, ids unique, every review's product present;
    the first problem raises :class:`IngestError`."""
    product_list = validated_products(products)
    review_list = validated_reviews(reviews)
    known = {p.id for p in product_list}
    unknown = [r for r in review_list if r.product_id not in known]
    if unknown:
        raise IngestError(f"review {unknown[0].review_id!r}: unknown product {unknown[0].product_id!r}")
    return product_list, review_list


def validated_products(records: Iterable[Product | Mapping[str, Any]]) -> list[Product]:
    products = _validated(records, _as_product, "product")
    _check_unique([p.id for p in products], "product id")
    return products


def validated_reviews(records: Iterable[Review | Mapping[str, Any]]) -> list[Review]:
    reviews = _validated(records, _as_review, "review")
    _check_unique([r.review_id for r in reviews], "review id")
    return reviews


def write_index(
    final: Path,
    products: list[Product],
    reviews: list[Review],
    embedder: Embedder,
    kind: Kind | Literal["auto"],
    params: IndexParams | None,
    progress: bool,
    manifest_extra: Mapping[str, Any] | None,
    text_tokens: int | None = TEXT_TOKENS,
) -> None:
    """Build the index of validated records at ``final`` (replacing an older index there); product
    texts are cut to ``text_tokens`` tokens (None: whole), and the manifest records the cap applied."""
    started = time.perf_counter()
    if final.is_dir() and any(final.iterdir()) and not (final / MANIFEST).is_file():
        raise IngestError(f"{final} exists and is not a catalog index; refusing to replace it")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = final.parent / f".{final.name}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        chosen = choose_kind(len(products)) if kind == "auto" else kind
        vector_params = params or IndexParams()
        capped = _write_files(work, products, reviews, embedder, chosen, vector_params, progress, text_tokens)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": embedder_record(embedder),
            "vectors": {"kind": chosen, "params": vector_params.for_kind(chosen)},
            "text": {"max_tokens": capped},
            "counts": {"products": len(products), "reviews": len(reviews)},
            **(manifest_extra or {}),
        }
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        write_json(work / MANIFEST, manifest)
        swap_into_place(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _as_product(record: Product | Mapping[str, Any]) -> Product:
    return record if isinstance(record, Product) else product_from_record(record)


def _as_review(record: Review | Mapping[str, Any]) -> Review:
    return record if isinstance(record, Review) else review_from_record(record)


def _validated(records: Iterable[Any], convert: Callable[[Any], T], what: str) -> list[T]:
    out = []
    for number, record in enumerate(records, start=1):
        try:
            out.append(convert(record))
        except FieldError as error:
            raise IngestError(f"{what} #{number}: {error}") from None
    return out


def _check_unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise IngestError(f"duplicate {what} {value!r}")
        seen.add(value)


def _write_files(
    work: Path,
    products: list[Product],
    reviews: list[Review],
    embedder: Embedder,
    kind: Kind,
    params: IndexParams,
    progress: bool,
    text_tokens: int | None,
) -> int | None:
    """Store, full-text index and vectors; the token cap applied to product texts."""
    store = CatalogStore(work / DATABASE)
    try:
        vids: list[int] = []
        with (
            store.transaction(),
            tqdm(total=len(products), desc="storing products", disable=not progress) as bar,
        ):
            for start in range(0, len(products), INSERT_BATCH):
                vids += store.insert_products(products[start : start + INSERT_BATCH])
                bar.update(min(INSERT_BATCH, len(products) - start))
            store.insert_reviews(reviews)
            store.set_vocabulary(build_vocabulary(products))
            store.set_meta("vectors", FIRST_VECTORS)
        texts, capped = embedded_texts(products, embedder, text_tokens)
        embedded = (
            embedder.embed_documents(texts)  # looks up and stores all at once, with its own progress
            if isinstance(embedder, CachingEmbedder)
            else embed_in_batches(embedder, texts, progress=progress, desc="embedding products")
        )
        vectors = VectorIndex.create(embedder.dim, kind, params)
        vectors.add(np.asarray(vids, dtype=np.int64), embedded)
        vectors.save(work / FIRST_VECTORS)
    finally:
        store.close()
    return capped
