"""CatalogIndex: a merchant's catalog on disk, searchable by meaning and by words, with filters.

Contract (other modules and users rely on it)::

    from index import CatalogIndex, Filters, HashingEmbedder

    # from files (CLI `shopbot index build`): validates rows, skips or fails on bad ones
    report = CatalogIndex.build_from_files("products.csv", "idx/", embedder="multilingual-e5-small",
                                           reviews="reviews.jsonl", mapping={"title": "product_name"})
    report.index, report.skipped_build, report.products, report.reviews, report.errors, report.seconds

    # from memory (evaluation corpora): dicts or Product objects; out_dir None = temporary dir
    index = CatalogIndex.build([{"id": "1", "title": "cordless drill"}], None, embedder=HashingEmbedder())

    index = CatalogIndex.load("idx/")                      # embedder named in the manifest
    hits = index.search("rain jacket", k=10, filters=Filters(max_price=80), mode="hybrid")
    hits[0].product.title, hits[0].score, hits[0].matched  # SearchHit
    index.search(query, query_vector=vec)                  # precomputed query embedding
    index.get("MH01"), index.reviews("MH01"), index.product_ids()
    index.add([...]); index.update([...]); index.delete(["MH01"])   # persisted atomically
    index.add_reviews([...]); index.delete_reviews(["r1"])

Modes: ``"hybrid"`` (default; reciprocal rank fusion of the two rankings), ``"dense"`` (FAISS
only) and ``"lexical"`` (SQLite FTS5 BM25 only), so evaluations can compare fusion with both.
Filters are applied inside each retriever (allowed ids from SQL; FTS5 joined with the product
table), never after top-k: a search returns ``min(k, matching products)`` hits.

On disk (one directory): ``manifest.json`` (format, embedder name and dim, index kind and
parameters, counts, build time, input fingerprint), ``catalog.sqlite`` (products, reviews,
full-text index, and the current vector file generation), ``vectors-<generation>.faiss`` and
its ``.json`` sidecar. Nothing is pickled.

Atomicity: a build writes a sibling temporary directory and swaps it in (an interrupted build
leaves the previous index). An update writes a new vector generation file, then commits the
SQLite transaction that points at it, then deletes the old file; a crash at any point leaves
a consistent index. One writer at a time; readers in other processes see updates on reload.

Not here: parsing files (:mod:`index.ingest`), writing a new index directory
(:mod:`index.building`), the directory's files and manifest (:mod:`index.layout`), SQL
(:mod:`index.store`), tokenization and BM25 (:mod:`index.lexical`), rank fusion
(:mod:`index.fusion`), FAISS (:mod:`index.vectors`), embedding models (:mod:`index.embedders`).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from index.building import (
    TEXT_TOKENS,
    embedded_texts,
    validate_records,
    validated_products,
    validated_reviews,
    write_index,
)
from index.embedders import Embedder, embed_in_batches, load_embedder, vector_space
from index.embedding_cache import CachingEmbedder, cache_file
from index.fusion import fuse, product_codes
from index.ingest import (
    load_products,
    load_reviews,
)
from index.layout import (
    DATABASE,
    MANIFEST,
    IndexNotFoundError,
    check_embedder,
    input_fingerprint,
    read_manifest,
    recover,
    write_json,
)
from index.product_types import TypeRequest, read_type_request
from index.relevance_threshold import threshold
from index.schema import Filters, Product, Review, RowError, SearchHit
from index.store import CatalogStore
from index.title_match import NamedProduct, TitleMatcher
from index.vectors import IndexParams, Kind, VectorIndex
from index.vocabulary import Vocabulary, is_chinese

CANDIDATES = 50  # hits taken from each retriever before fusion
TITLE_VECTORS = 20_000  # title embeddings kept for relevance margins (oldest dropped first)
COMPACT_SHARE = 0.2  # rewrite an HNSW index when tombstones exceed this share of live vectors
Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")


@dataclass
class BuildReport:
    """What :meth:`CatalogIndex.build_from_files` did."""

    index: CatalogIndex
    skipped_build: bool  # inputs unchanged since the last build: the existing index was kept
    products: int
    reviews: int
    rows: int  # product and review rows read
    errors: list[RowError] = field(default_factory=list)  # rows skipped (empty on a skipped build)
    skipped_rows: int = 0
    kind: str = "flat"
    seconds: float = 0.0
    embedded: int = 0  # product texts embedded by this build
    reused: int = 0  # product texts whose vectors came from the embedding cache (unchanged text)


def default_cache_dir() -> Path:
    """Settings' default model cache (``$XDG_CACHE_HOME/shopbot``); callers with settings pass theirs."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shopbot"


class CatalogIndex:
    """A loaded catalog index; see the module docstring. Thread-safe (one lock)."""

    def __init__(
        self,
        directory: Path,
        store: CatalogStore,
        vectors: VectorIndex,
        manifest: dict[str, Any],
        embedder: Embedder | None,
        cache_dir: Path | None,
        owned_tmp: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self._store = store
        self._vectors = vectors
        self._embedder = embedder
        self._cache_dir = cache_dir
        self._owned_tmp = owned_tmp
        self._lock = threading.RLock()
        self._title_matcher: TitleMatcher | None = None  # built on first use, dropped on updates
        self._vocabulary: Vocabulary | None = None  # read on first use, replaced on updates
        self._title_vectors: dict[str, np.ndarray] = {}  # title -> embedding, most recent last

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        products: Iterable[Product | Mapping[str, Any]],
        out_dir: Path | str | None,
        *,
        embedder: Embedder,
        reviews: Iterable[Review | Mapping[str, Any]] = (),
        kind: Kind | Literal["auto"] = "auto",
        params: IndexParams | None = None,
        progress: bool = False,
        manifest_extra: Mapping[str, Any] | None = None,
        text_tokens: int | None = TEXT_TOKENS,
    ) -> CatalogIndex:
        """Index in-memory records (dicts are validated like file rows; a bad one raises
        :class:`IngestError`). ``out_dir`` None builds into a temporary directory removed on
        :meth:`close`. An existing ``out_dir`` is replaced only once the new index is complete."""
        product_list, review_list = validate_records(products, reviews)
        owned = tempfile.TemporaryDirectory(prefix="shopbot-index-") if out_dir is None else None
        final = Path(owned.name) / "index" if owned else Path(out_dir)  # type: ignore[arg-type]
        try:
            write_index(
                final,
                product_list,
                review_list,
                embedder,
                kind,
                params,
                progress,
                manifest_extra,
                text_tokens,
            )
        except BaseException:
            if owned:
                owned.cleanup()
            raise
        index = cls.load(final, embedder=embedder)
        index._owned_tmp = owned
        return index

    @classmethod
    def build_from_files(
        cls,
        catalog: Path | str,
        out_dir: Path | str,
        *,
        embedder: Embedder | str,
        reviews: Path | str | None = None,
        mapping: Mapping[str, str] | None = None,
        review_mapping: Mapping[str, str] | None = None,
        strict: bool = False,
        force: bool = False,
        default_currency: str | None = None,
        kind: Kind | Literal["auto"] = "auto",
        params: IndexParams | None = None,
        cache_dir: Path | None = None,
        progress: bool = True,
        text_tokens: int | None = TEXT_TOKENS,
    ) -> BuildReport:
        """Ingest files and build, unless the index in ``out_dir`` was built from the same
        inputs, embedder and options (then it is loaded as is; ``force`` rebuilds)."""
        started = time.perf_counter()
        catalog, out_dir = Path(catalog), Path(out_dir)
        reviews_path = Path(reviews) if reviews else None
        # the vector space, not just the name: a new engine of the same model rebuilds
        embedder_name = vector_space(embedder)
        options = {
            "mapping": dict(mapping or {}),
            "review_mapping": dict(review_mapping or {}),
            "strict": strict,
            "default_currency": default_currency,
            "kind": kind,
            "params": asdict(params or IndexParams()),
            "text_tokens": text_tokens,
        }
        input_hash = input_fingerprint(catalog, reviews_path, embedder_name, options)
        existing = read_manifest(out_dir) if (out_dir / MANIFEST).is_file() else None
        if not force and existing is not None and existing.get("fingerprint") == input_hash:
            index = cls.load(out_dir, None if isinstance(embedder, str) else embedder, cache_dir=cache_dir)
            counts = existing["counts"]
            return BuildReport(
                index, True, counts["products"], counts["reviews"], counts.get("rows", 0),
                skipped_rows=counts.get("skipped_rows", 0), kind=existing["vectors"]["kind"],
                seconds=time.perf_counter() - started,
            )  # fmt: skip
        loaded = load_products(catalog, mapping, strict, default_currency)
        errors = list(loaded.errors)
        review_records: list[Any] = []
        rows = loaded.rows
        if reviews_path is not None:
            known = {product.id for product in loaded.records}
            loaded_reviews = load_reviews(reviews_path, known, review_mapping, strict)
            review_records, rows = loaded_reviews.records, rows + loaded_reviews.rows
            errors.extend(loaded_reviews.errors)
        model = (
            load_embedder(embedder, cache_dir or default_cache_dir())
            if isinstance(embedder, str)
            else embedder
        )
        # vectors by content hash: a rebuild embeds only changed texts, a killed build resumes
        cached = CachingEmbedder(
            model,
            cache_file(cache_dir or default_cache_dir(), model),
            progress=progress,
            desc="embedding products",
        )
        extra = {
            "fingerprint": input_hash,
            "inputs": {
                "catalog": catalog.name,
                "reviews": reviews_path.name if reviews_path else None,
                **options,
            },
        }
        index = cls.build(
            loaded.records, out_dir, embedder=cached, reviews=review_records, kind=kind, params=params,
            progress=progress, manifest_extra=extra, text_tokens=text_tokens,
        )  # fmt: skip
        counts = index.manifest["counts"]
        counts.update(rows=rows, skipped_rows=len(errors))
        write_json(out_dir / MANIFEST, index.manifest)
        return BuildReport(
            index, False, counts["products"], counts["reviews"], rows, errors, len(errors),
            index.manifest["vectors"]["kind"], time.perf_counter() - started, cached.misses, cached.hits,
        )  # fmt: skip

    # -- loading ------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, directory: Path | str, embedder: Embedder | None = None, *, cache_dir: Path | None = None
    ) -> CatalogIndex:
        """Open an index. Without ``embedder``, the one named in the manifest is loaded on the
        first search that needs it (from ``cache_dir``, default :func:`default_cache_dir`)."""
        directory = Path(directory)
        recover(directory)
        manifest = read_manifest(directory)
        check_embedder(directory, manifest["embedder"], embedder)
        store = CatalogStore(directory / DATABASE)
        current = store.get_meta("vectors")
        if current is None:
            store.close()
            raise IndexNotFoundError(
                f"{directory}: the catalog database names no vector file; rebuild the index"
            )
        vectors = VectorIndex.load(directory / current)
        return cls(directory, store, vectors, manifest, embedder, cache_dir)

    def close(self) -> None:
        self._store.close()
        if self._owned_tmp is not None:
            self._owned_tmp.cleanup()

    def __enter__(self) -> CatalogIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        """The query embedder (loaded on first use when the index was loaded without one)."""
        if self._embedder is None:
            self._embedder = load_embedder(
                self.manifest["embedder"]["name"], self._cache_dir or default_cache_dir()
            )
        return self._embedder

    @property
    def kind(self) -> str:
        return self._vectors.kind

    def __len__(self) -> int:
        with self._lock:
            return self._store.count_products()

    # -- reading ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | Mapping[str, Any] | None = None,
        *,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """Top-k products for ``query`` among those passing ``filters``, best first.

        ``query_vector`` skips embedding the query (benchmarks, batched evaluation). Lexical
        mode returns only products sharing a word with the query, so possibly fewer than k.
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        constraints = _as_filters(filters)
        if k <= 0:
            return []
        depth = k if mode != "hybrid" else max(k, CANDIDATES)
        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        if mode != "lexical" and query_vector is None:
            query_vector = self.embedder.embed_query(query)
        with self._lock:
            if mode != "lexical":
                allowed = None if constraints.is_empty() else self._store.allowed_vids(constraints)
                if allowed is None or len(allowed):
                    scores, ids = self._vectors.search(
                        np.asarray(query_vector, dtype=np.float32), depth, allowed
                    )
                    dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
            if mode != "dense":
                lexical = self._store.lexical_search(query, depth, constraints)
            pinned = self._store.vids_by_code(product_codes(query), constraints) if mode == "hybrid" else []
            ranked = fuse(dense, lexical, k, pinned) if mode == "hybrid" else (dense or lexical)[:k]
            products = self._store.by_vids([vid for vid, _ in ranked])
        sources = (
            ("id", set(pinned)),
            ("dense", {v for v, _ in dense}),
            ("lexical", {v for v, _ in lexical}),
        )
        return [
            SearchHit(products[vid], score, rank, tuple(name for name, ids in sources if vid in ids))
            for rank, (vid, score) in enumerate(ranked, start=1)
            if vid in products
        ]

    def get(self, product_id: str) -> Product | None:
        with self._lock:
            return self._store.get(product_id)

    def product_ids(self) -> list[str]:
        """Every product id, as added (an updated product last); for batch jobs over a catalog."""
        with self._lock:
            return self._store.product_ids()

    def categories(self, limit: int = 10) -> list[str]:
        """The most common leaf categories, most products first (for "what do you have?")."""
        with self._lock:
            return self._store.categories(limit)

    def brands(self) -> list[str]:
        """Every brand of the catalog (to tell whether a message names one)."""
        with self._lock:
            return self._store.brands()

    def named_products(self, text: str) -> list[NamedProduct]:
        """The products ``text`` names by title (full, partial, misspelt), in the order it names them
        (:class:`index.title_match.TitleMatcher`)."""
        with self._lock:
            if self._title_matcher is None:
                self._title_matcher = TitleMatcher(self._store.titles())
            matcher = self._title_matcher
        return matcher.find(text)

    def vocabulary(self) -> Vocabulary:
        """What the catalog sells: types, audiences, attribute values (:mod:`index.vocabulary`)."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = self._store.vocabulary()
            return self._vocabulary

    def type_request(self, query: str) -> TypeRequest:
        """The kind of product ``query`` asks for, against this catalog (:mod:`index.product_types`)."""
        vocabulary = self.vocabulary()

        def mentioned(words: Iterable[str]) -> bool:
            words = list(words)
            with self._lock:  # a Chinese word is used where it is written, whatever jieba made of it
                return self._store.mentions(words) or any(
                    self._store.contains_text(w) for w in words if is_chinese(w)
                )

        def titled(word: str) -> bool:
            with self._lock:  # a Chinese word of two or more characters: as written, not as jieba cut it
                if is_chinese(word) and len(word) >= 2:
                    return self._store.contains_text(word, titles_only=True)
                return self._store.in_titles(word)

        return read_type_request(query, vocabulary, mentioned, titled)

    def relevance_margins(self, query: str, products: list[Product]) -> list[float] | None:
        """How far each product's title is above (>= 0) or below (< 0) the calibrated relevance
        threshold for ``query`` (cosine of query and title, :mod:`index.relevance_threshold`);
        None when the embedder has no threshold for the query's language, or the query is in
        the other language than the catalog's (cross-language pairs were not calibrated)."""
        lang = "zh" if is_chinese(query) else "en"
        tau = threshold(self.embedder.name, lang)
        if tau is None or lang != self.vocabulary().lang or not products:
            return None
        with self._lock:
            missing = list(dict.fromkeys(p.title for p in products if p.title not in self._title_vectors))
        embedded = list(self.embedder.embed_documents(missing)) if missing else []
        q = self.embedder.embed_query(query)
        with self._lock:
            self._title_vectors.update(zip(missing, embedded, strict=True))
            margins = [float(np.dot(q, self._title_vectors[p.title])) - tau for p in products]
            while len(self._title_vectors) > TITLE_VECTORS:
                self._title_vectors.pop(next(iter(self._title_vectors)))
        return margins

    def reviews(self, product_id: str) -> list[Review]:
        with self._lock:
            return self._store.reviews(product_id)

    # -- updates ------------------------------------------------------------------------------

    def add(self, products: Iterable[Product | Mapping[str, Any]]) -> None:
        """Add new products (an existing id raises ``ValueError``); searchable on return."""
        items = validated_products(products)
        with self._lock:
            existing = self._store.vids_of(p.id for p in items)
            if existing:
                raise ValueError(f"products already in the index (use update): {sorted(existing)[:5]}")
            self._apply(items, [], [])

    def update(self, products: Iterable[Product | Mapping[str, Any]]) -> None:
        """Replace existing products (a missing id raises ``KeyError``); reviews are kept."""
        items = validated_products(products)
        with self._lock:
            existing = self._store.vids_of(p.id for p in items)
            missing = [p.id for p in items if p.id not in existing]
            if missing:
                raise KeyError(f"products not in the index (use add): {missing[:5]}")
            self._apply(items, list(existing.values()), [])

    def delete(self, product_ids: Iterable[str]) -> int:
        """Delete products and their reviews; returns how many existed."""
        with self._lock:
            existing = self._store.vids_of(product_ids)
            if existing:
                self._apply([], list(existing.values()), list(existing))
            return len(existing)

    def add_reviews(self, reviews: Iterable[Review | Mapping[str, Any]]) -> None:
        """Add reviews of products in the index (unknown product or existing review id raises)."""
        items = validated_reviews(reviews)
        with self._lock:
            known = self._store.vids_of({r.product_id for r in items})
            unknown = [r.product_id for r in items if r.product_id not in known]
            if unknown:
                raise KeyError(f"reviews of products not in the index: {unknown[:5]}")
            existing = self._store.review_ids(r.review_id for r in items)
            if existing:
                raise ValueError(f"reviews already in the index: {sorted(existing)[:5]}")
            with self._store.transaction():
                self._store.insert_reviews(items)
            self._update_manifest()

    def delete_reviews(self, review_ids: Iterable[str]) -> int:
        with self._lock, self._store.transaction():
            deleted = self._store.delete_reviews(list(review_ids))
        self._update_manifest()
        return deleted

    def _apply(self, inserts: list[Product], removed_vids: list[int], deleted_ids: list[str]) -> None:
        """One atomic update: new vector generation written, then the SQL commit that adopts it."""
        # the cap the index was built with (older indexes, without the key, embedded whole texts)
        cap = self.manifest.get("text", {}).get("max_tokens")
        vectors = (
            embed_in_batches(self.embedder, embedded_texts(inserts, self.embedder, cap)[0])
            if inserts
            else None
        )
        old_file = self._store.get_meta("vectors")
        assert old_file is not None
        for stale in self.directory.glob("vectors-*.faiss"):
            if stale.name != old_file:  # left by an update interrupted before its commit
                stale.unlink(missing_ok=True)
                stale.with_name(stale.name + ".json").unlink(missing_ok=True)
        new_file = f"vectors-{int(old_file.split('-')[1].split('.')[0]) + 1:06d}.faiss"
        vocabulary = self.vocabulary()
        updated = Vocabulary.from_dict(vocabulary.to_dict())
        updated.remove(self._store.by_vids(removed_vids).values()).add(inserts)
        try:
            with self._store.transaction():
                self._store.delete_products(removed_vids)
                self._store.delete_reviews_of(deleted_ids)
                new_vids = self._store.insert_products(inserts)
                self._store.refresh_review_ratings(p.id for p in inserts)
                self._vectors.remove(removed_vids)
                if vectors is not None:
                    self._vectors.add(np.asarray(new_vids, dtype=np.int64), vectors)
                if self._vectors.tombstones > COMPACT_SHARE * max(len(self._vectors), 1):
                    self._vectors = self._vectors.compacted()
                self._vectors.save(self.directory / new_file)
                self._store.set_meta("vectors", new_file)
                self._store.set_vocabulary(updated)
        except BaseException:
            (self.directory / new_file).unlink(missing_ok=True)
            (self.directory / (new_file + ".json")).unlink(missing_ok=True)
            self._vectors = VectorIndex.load(self.directory / old_file)
            raise
        (self.directory / old_file).unlink(missing_ok=True)
        (self.directory / (old_file + ".json")).unlink(missing_ok=True)
        self._title_matcher = None
        self._vocabulary = updated
        self._update_manifest()

    def _update_manifest(self) -> None:
        self.manifest["counts"].update(
            products=self._store.count_products(), reviews=self._store.count_reviews()
        )
        self.manifest["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_json(self.directory / MANIFEST, self.manifest)


def _as_filters(filters: Filters | Mapping[str, Any] | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    try:
        return Filters(**filters)
    except TypeError:
        known = ", ".join(vars(Filters()))
        raise ValueError(f"unknown filter in {sorted(filters)}; filters: {known}") from None
