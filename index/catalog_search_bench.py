"""End-to-end catalog search latency: what ``CatalogIndex.search`` costs at 10k-100k+ products.

The vector benchmark (:mod:`index.search_bench`) times FAISS alone. A shopper's search also
runs the SQLite side: the filters (category, price, rating) turned into the allowed products,
the FTS5 BM25 query, and the fusion of both lists. Here a real catalog is repeated (ids
suffixed) up to the size asked, indexed with the hashing embedder (so building takes seconds;
query embedding is excluded, :mod:`index.embedder_bench` times it), and searched with real
queries (the first words of sampled product titles) under the filters shoppers set: none, a
price limit, the query product's top category, both, a minimum rating. This module does not
print; ``shopbot bench search --catalog`` does.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.schema import Filters, Product

CASES = ("none", "price", "category", "category+price", "rating")


@dataclass(frozen=True)
class CatalogRow:
    size: int
    case: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    hits: float  # mean results per query (k=10): a filter that empties the results is no speed-up


def repeated(products: list[Product], size: int) -> list[Product]:
    """``products`` repeated (ids suffixed ``-r<n>``) up to ``size``."""
    out: list[Product] = []
    round_ = 0
    while len(out) < size:
        out += [replace(product, id=f"{product.id}-r{round_}") for product in products[: size - len(out)]]
        round_ += 1
    return out


def bench_catalog(
    products: list[Product],
    size: int,
    work: Path,
    *,
    n_queries: int = 200,
    seed: int = 0,
    status: Callable[[str], None] = lambda _: None,
) -> list[CatalogRow]:
    """Build the repeated catalog in ``work`` and time each filter case."""
    rng = random.Random(seed)
    status(f"{size:,}: building")
    index = CatalogIndex.build(
        repeated(products, size), work / f"catalog-{size}", embedder=HashingEmbedder(384)
    )
    try:
        sample = rng.sample(products, min(n_queries, len(products)))
        prices = sorted(p.price for p in products if p.price is not None)
        median = prices[len(prices) // 2] if prices else None

        def filters(case: str, product: Product) -> Filters | None:
            top = (product.category or "").split("/")[0] or None
            return {
                "none": None,
                "price": Filters(max_price=median),
                "category": Filters(category=top),
                "category+price": Filters(category=top, max_price=median),
                "rating": Filters(min_rating=4.0),
            }[case]

        queries = [(" ".join(p.title.split()[:3]), p) for p in sample]
        for text, product in queries[:10]:  # warm the page cache and FAISS
            index.search(text, k=10, filters=filters("category", product))
        rows = []
        for case in CASES:
            status(f"{size:,}: timing {case}")
            latencies, hits = [], []
            for text, product in queries:
                started = time.perf_counter()
                found = index.search(text, k=10, filters=filters(case, product))
                latencies.append((time.perf_counter() - started) * 1000)
                hits.append(len(found))
            cuts = statistics.quantiles(latencies, n=100, method="inclusive")
            rows.append(CatalogRow(size, case, cuts[49], cuts[94], cuts[98], statistics.fmean(hits)))
        return rows
    finally:
        index.close()
