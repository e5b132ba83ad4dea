"""Speed of the embedders: load time, single-query latency and document throughput.

Search latency (:mod:`index.search_bench`) excludes query embedding; this is the other half
of what a shopper waits for. Each embedder is loaded once (load time includes verifying the
weights' marker, not a full re-hash), warmed up, then timed on English and Chinese texts:
``embed_query`` one text at a time (p50/p95 ms) and ``embed_documents`` in batches of 64
(texts per second of wall time, and per CPU-second of this process: on a machine shared with
other work the wall-clock rate drops with the load, the CPU rate much less). It measures
speed only; quality is ``shopbot eval retrieval``'s job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedders import Embedder, embed_in_batches, load_embedder


@dataclass(frozen=True)
class EmbedderTiming:
    name: str
    dim: int
    load_s: float
    query_p50_ms: dict[str, float]  # language -> ms
    query_p95_ms: dict[str, float]
    docs_per_s: dict[str, float]
    docs_per_cpu_s: dict[str, float]


def time_embedder(
    embedder: Embedder, queries: dict[str, list[str]], documents: dict[str, list[str]], *, warmup: int = 5
) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, float]]:
    """(query p50 ms, query p95 ms, documents per second, per CPU-second), each per language."""
    p50, p95, rate, cpu_rate = {}, {}, {}, {}
    for language, texts in queries.items():
        for text in texts[:warmup]:
            embedder.embed_query(text)
        latencies = []
        for text in texts:
            start = time.perf_counter()
            embedder.embed_query(text)
            latencies.append(1000 * (time.perf_counter() - start))
        p50[language], p95[language] = (float(value) for value in np.percentile(latencies, [50, 95]))
    for language, texts in documents.items():
        embedder.embed_documents(texts[:warmup])
        start, start_cpu = time.perf_counter(), time.process_time()
        embed_in_batches(embedder, texts, batch_size=64)
        rate[language] = len(texts) / (time.perf_counter() - start)
        cpu_rate[language] = len(texts) / max(time.process_time() - start_cpu, 1e-9)
    return p50, p95, rate, cpu_rate


def bench_embedders(
    names: list[str],
    cache_dir: Path,
    queries: dict[str, list[str]],
    documents: dict[str, list[str]],
    *,
    threads: int | None = None,
) -> list[EmbedderTiming]:
    timings = []
    for name in names:
        start = time.perf_counter()
        embedder = load_embedder(name, cache_dir, threads=threads)
        embedder.embed_query("warm up")  # some models load their weights lazily
        load_s = time.perf_counter() - start
        p50, p95, rate, cpu_rate = time_embedder(embedder, queries, documents)
        timings.append(EmbedderTiming(embedder.name, embedder.dim, load_s, p50, p95, rate, cpu_rate))
        del embedder
    return timings
