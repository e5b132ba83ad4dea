"""Dense vector index: FAISS over L2-normalized vectors, inner product = cosine similarity.

:class:`VectorIndex` maps 64-bit ids (the catalog's vector ids) to vectors and answers top-k
queries, optionally restricted to an allowed id set. Three kinds, chosen by size with
:func:`choose_kind` or by hand:

- ``flat``: exact search (``IndexFlatIP`` in ``IndexIDMap2``); removal is real. Moved to the GPU
  for unfiltered searches when ``faiss.get_num_gpus() > 0`` (the ``gpu`` extra).
- ``hnsw``: approximate graph search (``IndexHNSWFlat`` in ``IndexIDMap2``); FAISS cannot remove
  from HNSW, so removed ids become tombstones that every search excludes, and
  :meth:`VectorIndex.compacted` rebuilds without them.
- ``ivfpq``: inverted lists with product quantization, for very large collections on request;
  trains itself on the first batch given to :meth:`VectorIndex.add` (give at least
  ``39 * nlist`` vectors), removal is real, reconstruction approximate.

Restricted searches never filter after top-k. Flat indexes scan with a FAISS ``IDSelector``
(exact). For HNSW and IVF-PQ a small allowed set (or a selective one) is searched exactly over
its own vectors; a large one goes through an ``IDSelector``, and if the approximate search then
returns fewer than ``min(k, len(allowed))`` hits it falls back to the exact search. So a
restricted search returns ``min(k, len(allowed & stored))`` hits.

Small query batches run on one OpenMP thread (see :data:`SINGLE_THREAD_BELOW`).

Files: :meth:`save` writes the FAISS index to ``path`` and a JSON sidecar ``path + ".json"``
(kind, parameters, dim, tombstones); nothing is pickled. Writes go to a temporary file that is
renamed into place. This module knows nothing about products, text or embedders.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import faiss as _faiss
import numpy as np

# faiss ships stubs that lack the SWIG subclasses' attributes (hnsw, id_map, nprobe) and most
# search parameter classes; typed as Any here rather than silenced line by line.
faiss: Any = _faiss

Kind = Literal["flat", "hnsw", "ivfpq"]
KINDS: tuple[Kind, ...] = ("flat", "hnsw", "ivfpq")

FLAT_MAX = 50_000  # up to this many vectors, exact search is fast enough (a few ms on 2 cores)
EXACT_SUBSET_MAX = 5_000  # allowed sets up to this size are searched exactly over their vectors
EXACT_SUBSET_FRACTION = 0.005  # ... and so are sets below this share of the index (HNSW filters badly)
# Batches smaller than this run on one OpenMP thread: fanning one query out over shared cores
# costs more than it saves (27k x 256 flat, loaded 2-core machine: 58 ms on 2 threads, 6 ms on 1).
SINGLE_THREAD_BELOW = 8
_DEFAULT_THREADS = faiss.omp_get_max_threads()  # restored after single-threaded searches
FORMAT = 1
FaissIndex = Any


def choose_kind(n: int) -> Kind:
    """Exact search for small collections, HNSW above :data:`FLAT_MAX` vectors."""
    return "flat" if n <= FLAT_MAX else "hnsw"


@dataclass
class IndexParams:
    """Build and search parameters; only those of the chosen kind matter."""

    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 96
    ivf_nlist: int | None = None  # default: about 4 * sqrt(n) at training time
    ivf_nprobe: int = 16
    pq_m: int | None = None  # sub-quantizers; default: dim / 8 (must divide dim)
    pq_nbits: int = 8

    def for_kind(self, kind: Kind) -> dict[str, Any]:
        """The parameters that matter for ``kind`` (what the manifest records)."""
        prefix = {"flat": (), "hnsw": ("hnsw_",), "ivfpq": ("ivf_", "pq_")}[kind]
        return {key: value for key, value in asdict(self).items() if key.startswith(prefix)} if prefix else {}


@dataclass
class _Meta:
    format: int
    kind: Kind
    dim: int
    params: dict[str, Any]
    tombstones: list[int] = field(default_factory=list)


class VectorIndex:
    """Ids to normalized vectors, top-k inner-product search. Not thread-safe for writes."""

    def __init__(self, index: FaissIndex, kind: Kind, dim: int, params: IndexParams) -> None:
        self._index = index
        self.kind: Kind = kind
        self.dim = dim
        self.params = params
        self._tombstones: set[int] = set()
        self._tombstone_selector: _Selector | None = None  # cached until the next update
        self._sorted_ids: np.ndarray | None = None  # cached stored ids, for membership tests
        self._tombstone_array: np.ndarray | None = None  # cached sorted tombstones
        self._gpu_resources: Any = None
        self._gpu_index: FaissIndex | None = None

    def _changed(self) -> None:
        self._tombstone_selector = None
        self._sorted_ids = None
        self._tombstone_array = None
        self._gpu_index = None

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def create(cls, dim: int, kind: Kind = "flat", params: IndexParams | None = None) -> VectorIndex:
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
        params = params or IndexParams()
        index: FaissIndex
        if kind == "flat":
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = params.hnsw_ef_construction
            hnsw.hnsw.efSearch = params.hnsw_ef_search
            index = faiss.IndexIDMap2(hnsw)
        else:
            index = None  # built at first add(), when the number of vectors fixes nlist
        return cls(index, kind, dim, params)

    @classmethod
    def build(
        cls, ids: np.ndarray, vectors: np.ndarray, kind: Kind | Literal["auto"] = "auto", **params: Any
    ) -> VectorIndex:
        """Create and fill in one call; ``params`` are :class:`IndexParams` fields."""
        chosen: Kind = choose_kind(len(ids)) if kind == "auto" else kind
        index = cls.create(vectors.shape[1], chosen, IndexParams(**params))
        index.add(ids, vectors)
        return index

    def _create_ivfpq(self, sample: np.ndarray) -> FaissIndex:
        nlist = self.params.ivf_nlist or max(1, int(4 * math.sqrt(len(sample))))
        pq_m = self.params.pq_m or max(1, self.dim // 8)
        if self.dim % pq_m:
            raise ValueError(f"pq_m={pq_m} must divide the dimension {self.dim}")
        self.params.ivf_nlist, self.params.pq_m = nlist, pq_m
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFPQ(
            quantizer, self.dim, nlist, pq_m, self.params.pq_nbits, faiss.METRIC_INNER_PRODUCT
        )
        index.train(sample)
        index.nprobe = self.params.ivf_nprobe
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return index

    # -- updates --------------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids (ids must not be present already)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = self._check_vectors(vectors)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if not len(ids):
            return
        if self._index is None:
            self._index = self._create_ivfpq(vectors)
        self._index.add_with_ids(vectors, ids)
        self._tombstones.difference_update(ids.tolist())
        self._changed()

    def remove(self, ids: np.ndarray | list[int]) -> None:
        """Remove ids; for HNSW they become tombstones excluded from every search."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids) or self._index is None:
            return
        if self.kind == "hnsw":
            self._tombstones.update(ids.tolist())
        else:
            # an ivfpq direct map (hashtable) removes only through an IDSelectorArray
            self._index.remove_ids(faiss.IDSelectorArray(ids))
        self._changed()

    def compacted(self) -> VectorIndex:
        """A new index of the same kind holding only the live vectors (drops tombstones)."""
        ids = self.ids()
        fresh = VectorIndex.create(self.dim, self.kind, IndexParams(**asdict(self.params)))
        if len(ids):
            fresh.add(ids, self.reconstruct(ids))
        return fresh

    # -- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Live vectors (tombstones not counted)."""
        total = 0 if self._index is None else int(self._index.ntotal)
        return total - len(self._tombstones)

    @property
    def tombstones(self) -> int:
        return len(self._tombstones)

    def ids(self) -> np.ndarray:
        """All live ids."""
        if self._index is None:
            return np.zeros(0, dtype=np.int64)
        if self.kind == "ivfpq":
            stored = _ivf_ids(self._index)
        else:
            stored = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        if self._tombstones:
            stored = stored[~_in_sorted(stored, self._sorted_tombstones())]
        return stored

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors of ``ids`` (approximate for ivfpq); raises for unknown ids."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._index is None or not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32)

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids), each (n_queries, k), best first; missing hits are id -1, score -inf.

        ``queries`` is (n, dim) or (dim,). ``allowed_ids`` restricts the search to those ids
        (unknown ids are ignored); None searches everything.
        """
        queries = self._check_vectors(queries.reshape(1, -1) if queries.ndim == 1 else queries)
        n = len(queries)
        if k <= 0 or self._index is None or len(self) == 0:
            return _empty(n, max(k, 0))
        with _omp_threads(1 if n < SINGLE_THREAD_BELOW else None):
            return self._search(queries, k, allowed_ids)

    def _search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if allowed_ids is not None:
            allowed = _sorted_unique(np.asarray(allowed_ids, dtype=np.int64))
            if self._tombstones:
                allowed = allowed[~_in_sorted(allowed, self._sorted_tombstones())]
            return self._search_subset(queries, k, allowed)
        if self._tombstones:
            if self._tombstone_selector is None:
                self._tombstone_selector = _Selector(
                    np.fromiter(self._tombstones, dtype=np.int64), invert=True
                )
            return self._search_selected(queries, k, self._tombstone_selector)
        return self._search_all(queries, k)

    def _search_all(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        index = self._search_target()
        scores, ids = index.search(queries, k)
        return _clean(scores, ids)

    def _search_subset(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        allowed = allowed[self._stored(allowed)]
        if not len(allowed):
            return _empty(len(queries), k)
        if self.kind == "flat":  # a selector scan is exact already, and copies nothing
            return self._search_selected(queries, k, _Selector(allowed))
        if len(allowed) > EXACT_SUBSET_MAX and len(allowed) >= EXACT_SUBSET_FRACTION * len(self):
            scores, ids = self._search_selected(queries, k, _Selector(allowed))
            if bool(((ids >= 0).sum(axis=1) >= min(k, len(allowed))).all()):
                return scores, ids
        return self._exact(queries, k, allowed)

    def _search_selected(
        self, queries: np.ndarray, k: int, selector: _Selector
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "hnsw":
            params: Any = faiss.SearchParametersHNSW(
                sel=selector.faiss, efSearch=max(self.params.hnsw_ef_search, 2 * k)
            )
        elif self.kind == "ivfpq":
            params = faiss.SearchParametersIVF(sel=selector.faiss, nprobe=self.params.ivf_nprobe)
        else:
            params = faiss.SearchParameters(sel=selector.faiss)
        scores, ids = self._index.search(queries, k, params=params)
        return _clean(scores, ids)

    def _stored(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``ids`` are stored (tombstones included)."""
        if self._sorted_ids is None:
            if self.kind == "ivfpq":
                stored = _ivf_ids(self._index)
            else:
                stored = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            self._sorted_ids = np.sort(stored)
        return _in_sorted(ids, self._sorted_ids)

    def _sorted_tombstones(self) -> np.ndarray:
        if self._tombstone_array is None:
            self._tombstone_array = np.sort(np.fromiter(self._tombstones, dtype=np.int64))
        return self._tombstone_array

    def _exact(self, queries: np.ndarray, k: int, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vectors = self.reconstruct(present)
        scores = queries @ vectors.T
        top = min(k, len(present))
        best = np.argpartition(-scores, top - 1, axis=1)[:, :top]
        best_scores = np.take_along_axis(scores, best, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        out_scores, out_ids = _empty(len(queries), k)
        out_scores[:, :top] = np.take_along_axis(best_scores, order, axis=1)
        out_ids[:, :top] = present[np.take_along_axis(best, order, axis=1)]
        return out_scores, out_ids

    def _search_target(self) -> FaissIndex:
        """The flat index on the GPU when one is present (cloned lazily, dropped on updates)."""
        if self.kind != "flat" or faiss.get_num_gpus() == 0 or not hasattr(faiss, "StandardGpuResources"):
            return self._index
        if self._gpu_index is None:
            self._gpu_resources = self._gpu_resources or faiss.StandardGpuResources()
            self._gpu_index = faiss.index_cpu_to_gpu(self._gpu_resources, 0, self._index)
        return self._gpu_index

    def _check_vectors(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        return vectors

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write ``path`` (FAISS) and ``path.json`` (metadata), each atomically."""
        path = Path(path)
        if self._index is None:
            raise ValueError("cannot save an ivfpq index before anything was added (it is not trained)")
        meta = _Meta(FORMAT, self.kind, self.dim, asdict(self.params), sorted(self._tombstones))
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            faiss.write_index(self._index, str(partial))
            _fsync(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        _write_json(_meta_path(path), asdict(meta))

    @classmethod
    def load(cls, path: Path | str) -> VectorIndex:
        path = Path(path)
        try:
            raw = json.loads(_meta_path(path).read_text())
            meta = _Meta(**raw)
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(
                f"{_meta_path(path)}: not a readable vector index description ({error})"
            ) from None
        if meta.format != FORMAT:
            raise ValueError(
                f"{path}: vector index format {meta.format}, this version reads {FORMAT}; rebuild it"
            )
        index = faiss.read_index(str(path))
        loaded = cls(index, meta.kind, meta.dim, IndexParams(**meta.params))
        loaded._tombstones = set(meta.tombstones)
        if meta.kind == "hnsw":
            faiss.downcast_index(index.index).hnsw.efSearch = loaded.params.hnsw_ef_search
        elif meta.kind == "ivfpq":
            index.nprobe = loaded.params.ivf_nprobe
        return loaded


class _Selector:
    """A FAISS selector over ids (or their complement) that owns the memory FAISS reads.

    A bitmap when ids are dense enough (catalog vids are): built in microseconds from numpy,
    one bit test per candidate, where a hash set (``IDSelectorBatch``) of half a million ids
    takes tens of ms to build. Sparse, huge ids fall back to the hash set.
    """

    def __init__(self, ids: np.ndarray, invert: bool = False) -> None:
        size = int(ids.max()) + 1 if len(ids) else 1
        inner: Any
        if size <= 64 * len(ids) + (1 << 24):
            mask = np.zeros(size, dtype=bool)
            mask[ids] = True
            self._keep: Any = np.packbits(mask, bitorder="little")
            inner = faiss.IDSelectorBitmap(len(self._keep), faiss.swig_ptr(self._keep))  # size in bytes
        else:
            self._keep = inner = faiss.IDSelectorBatch(ids)
        self._inner = inner
        self.faiss = faiss.IDSelectorNot(inner) if invert else inner


@contextmanager
def _omp_threads(threads: int | None) -> Iterator[None]:
    """Run a block on ``threads`` OpenMP threads (None: leave as is); process-wide, restored after."""
    if threads is None:
        yield
        return
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(_DEFAULT_THREADS)


def _sorted_unique(ids: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy 2.4's hash-based unique took 0.7 s for 273k ids here."""
    ordered = np.sort(ids)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` are in ``sorted_set`` (binary search, no hashing)."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    positions = np.searchsorted(sorted_set, values).clip(max=len(sorted_set) - 1)
    return sorted_set[positions] == values


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _empty(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


def _clean(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FAISS pads missing hits with id -1 and a huge negative score; make the score -inf."""
    scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
    return scores, ids.astype(np.int64)


def _ivf_ids(index: FaissIndex) -> np.ndarray:
    invlists = index.invlists
    parts = [
        faiss.rev_swig_ptr(invlists.get_ids(list_no), invlists.list_size(list_no)).copy()
        for list_no in range(index.nlist)
        if invlists.list_size(list_no)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(json.dumps(data))
        _fsync(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
