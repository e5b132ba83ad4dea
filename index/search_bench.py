"""Search benchmark of :class:`~index.vectors.VectorIndex` on synthetic clustered vectors.

Product embeddings are not uniform noise: they gather around topics. So the vectors here are
unit vectors scattered around random topic centres (``clustered_vectors``), and queries are
fresh draws from the same topics, which makes the recall of an approximate index against
exact search a meaningful number.

Per size and index kind: build time, size on disk, resident memory of the loaded index,
single-query search latency p50/p95/p99 (k=10, ``threads`` FAISS threads) without a filter
and with selective filters (a random 1 % or 10 % of the products allowed, the shape of a
category or price filter), and recall@k against exact search over the same allowed set.
Memory and latency are measured in a fresh child process that only loads the saved index,
so the numbers are what a serving process pays. Query embedding is not included here; see
:mod:`index.embedder_bench`. This module does not print; the command does.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.vectors import Kind, VectorIndex, choose_kind

FILTERS: dict[str, float | None] = {"none": None, "1%": 0.01, "10%": 0.10}
IVF_TRAIN_MAX = 100_000  # an ivfpq index trains on its first batch: at most this many vectors
_CHUNK = 100_000


@dataclass(frozen=True)
class BenchRow:
    size: int
    kind: str
    chosen: bool  # the kind `choose_kind` picks for this size
    build_s: float
    disk_mb: float
    rss_mb: float
    filter: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    recall: float


def clustered_vectors(
    n: int, centers: np.ndarray, rng: np.random.Generator, spread: float = 1.0
) -> np.ndarray:
    """``n`` unit vectors, each a random centre plus Gaussian noise of norm about ``spread``."""
    dim = centers.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        topics = rng.integers(0, len(centers), stop - start)
        noise = rng.standard_normal((stop - start, dim), dtype=np.float32) * (spread / np.sqrt(dim))
        block = centers[topics] + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def topic_centers(n_topics: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centers = rng.standard_normal((n_topics, dim), dtype=np.float32)
    return centers / np.linalg.norm(centers, axis=1, keepdims=True)


def exact_top_k(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact top-k inner products, (n_queries, k), best first (blockwise, bounded memory)."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(vectors), _CHUNK):
        scores = queries @ vectors[start : start + _CHUNK].T
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged_ids = np.concatenate(
            [best_ids, np.broadcast_to(ids[start : start + _CHUNK], scores.shape)], axis=1
        )
        top = np.argpartition(-merged_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, top, axis=1)
        best_ids = np.take_along_axis(merged_ids, top, axis=1)
    order = np.argsort(-best_scores, axis=1, kind="stable")
    return np.take_along_axis(best_ids, order, axis=1)


def recall_vs_exact(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k ids that the approximate search returned."""
    hits = [
        len(set(row_found[row_found >= 0].tolist()) & set(row_exact.tolist()))
        for row_found, row_exact in zip(found, exact, strict=True)
    ]
    return float(np.mean(hits) / exact.shape[1])


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure_loaded(
    path: str,
    queries: np.ndarray,
    allowed: dict[str, np.ndarray | None],
    k: int,
    threads: int,
    warmup: int = 20,
) -> dict[str, Any]:
    """In this (fresh) process: load the index, then time single-query searches per filter."""
    import faiss

    faiss.omp_set_num_threads(threads)
    before = _rss_mb()
    index = VectorIndex.load(path)
    rss = _rss_mb() - before
    out: dict[str, Any] = {"rss_mb": rss}
    for name, allowed_ids in allowed.items():
        for query in queries[:warmup]:
            index.search(query, k, allowed_ids)
        latencies, found = [], []
        for query in queries:
            start = time.perf_counter()
            _, ids = index.search(query, k, allowed_ids)
            latencies.append(1000 * (time.perf_counter() - start))
            found.append(ids[0])
        out[name] = (np.array(latencies), np.stack(found))
    return out


def bench_size(
    n: int,
    *,
    dim: int = 384,
    n_queries: int = 200,
    kinds: list[Kind] | None = None,
    k: int = 10,
    threads: int = 2,
    seed: int = 0,
    workdir: Path | None = None,
    status: Callable[[str], None] = lambda message: None,
) -> list[BenchRow]:
    """Rows for ``n`` vectors: each of ``kinds`` (default all three) and each filter."""
    import faiss

    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(seed)
    centers = topic_centers(max(16, n // 1000), dim, rng)
    status(f"{n:,}: generating vectors")
    vectors = clustered_vectors(n, centers, rng)
    queries = clustered_vectors(n_queries, centers, rng)
    ids = np.arange(n, dtype=np.int64)
    allowed = {
        name: None if share is None else np.sort(rng.choice(n, max(k, int(n * share)), replace=False))
        for name, share in FILTERS.items()
    }
    status(f"{n:,}: exact search for ground truth")
    exact = {
        name: exact_top_k(
            queries, vectors if subset is None else vectors[subset], ids if subset is None else subset, k
        )
        for name, subset in allowed.items()
    }
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="shopbot-bench-") as tmp:
        for kind in kinds or ["flat", "hnsw", "ivfpq"]:
            status(f"{n:,}: building {kind}")
            start = time.perf_counter()
            index = VectorIndex.create(dim, kind)
            first = min(n, IVF_TRAIN_MAX) if kind == "ivfpq" else n
            index.add(ids[:first], vectors[:first])
            if first < n:
                index.add(ids[first:], vectors[first:])
            build_s = time.perf_counter() - start
            path = Path(tmp) / f"{kind}.faiss"
            index.save(path)
            del index
            disk_mb = sum(p.stat().st_size for p in Path(tmp).glob(f"{kind}.faiss*")) / 2**20
            status(f"{n:,}: timing {kind} in a fresh process")
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
                measured = pool.submit(measure_loaded, str(path), queries, allowed, k, threads).result()
            for name in FILTERS:
                latencies, found = measured[name]
                p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
                rows.append(
                    BenchRow(
                        size=n,
                        kind=kind,
                        chosen=kind == choose_kind(n),
                        build_s=build_s,
                        disk_mb=disk_mb,
                        rss_mb=measured["rss_mb"],
                        filter=name,
                        p50_ms=float(p50),
                        p95_ms=float(p95),
                        p99_ms=float(p99),
                        recall=recall_vs_exact(found, exact[name]),
                    )
                )
            path.unlink()
    return rows
