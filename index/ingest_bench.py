"""How fast a real catalog becomes a search index: products per second and total time of
``CatalogIndex.build_from_files`` (what ``shopbot index build`` runs: read and validate the
file, store and full-text index, embed, FAISS) on the first N products of a catalog, for one
or more embedders, with each run's peak memory.

Each run happens in a fresh process (spawned), so that peak memory (``VmHWM``, the high-water
mark of that process's own memory; ``ru_maxrss`` would carry the parent's over ``exec``) is that
of one engine and one size, and no run profits from another's warm caches: it loads the embedder
(timed apart, as ``load_s``), builds into a temporary directory with an empty embedding cache,
and reports. Runs are interleaved (every engine at a size, then the next repetition), so that a
machine busy with other work slows all engines alike; the report takes medians.

Known catalogs (:data:`CATALOGS`) are those of ``../shared/data/catalogs`` with the ``--map``
that ``docs/results/catalog_ingest.md`` uses; any other file works with its own mapping.
"""

from __future__ import annotations

import csv
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from index.building import TEXT_TOKENS


@dataclass(frozen=True)
class CatalogSpec:
    file: str
    mapping: dict[str, str]
    currency: str | None = None
    note: str = ""


CATALOGS: dict[str, CatalogSpec] = {
    "myntra": CatalogSpec(
        "myntra_products.csv",
        {"id": "Product_ID", "title": "Product_Name", "brand": "Product_Brand", "price": "Price"},
        "INR",
        "fashion: title, brand and a description (first 300 characters embedded)",
    ),
    "bigbasket": CatalogSpec(
        "bigbasket_products.csv",
        {"id": "index", "title": "product", "category": "category+sub_category+type", "price": "sale_price"},
        "INR",
        "grocery: title, brand, a three-level category; no description",
    ),
    "amazon": CatalogSpec(
        "amazon_in_products_reviews.csv",
        {
            "id": "product_id",
            "title": "product_name",
            "price": "discounted_price",
            "description": "about_product",
        },
        None,
        "electronics: long titles, category path and description (the longest texts)",
    ),
    "flipkart": CatalogSpec(
        "flipkart_products.csv",
        {
            "id": "uniq_id",
            "title": "product_name",
            "category": "product_category_tree",
            "price": "discounted_price",
        },
        "INR",
        "mixed: category trees and descriptions",
    ),
}


@dataclass(frozen=True)
class Run:
    embedder: str
    size: int
    products: int  # products indexed (rows of the slice that passed validation)
    load_s: float
    build_s: float
    peak_rss_mb: float
    embedded: int
    text_tokens: int | None = None  # the cap the build applied (None: whole texts)

    @property
    def products_per_s(self) -> float:
        return self.products / self.build_s if self.build_s > 0 else float("nan")


@dataclass
class Summary:
    embedder: str
    size: int
    runs: list[Run] = field(default_factory=list)

    def median(self, value: Callable[[Run], float]) -> float:
        return statistics.median(value(run) for run in self.runs)


@contextmanager
def any_field_size() -> Iterator[None]:
    """CSV fields of any size while copying or counting rows, then the process's limit again: the
    limit is global, and the catalog reader reports a row over it as a bad row."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def head_of_csv(source: Path, rows: int, target: Path) -> int:
    """Copy the header and the first ``rows`` data rows of a CSV (quoted newlines kept); the
    number of data rows written."""
    written = 0
    with (
        any_field_size(),
        source.open(newline="", encoding="utf-8-sig") as src,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader, writer = csv.reader(src), csv.writer(out)
        writer.writerow(next(reader))
        for row in reader:
            if written >= rows:
                break
            writer.writerow(row)
            written += 1
    return written


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def count_rows(source: Path) -> int:
    with any_field_size(), source.open(newline="", encoding="utf-8-sig") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def build_once(
    catalog: Path,
    size: int,
    mapping: Mapping[str, str],
    currency: str | None,
    embedder: str,
    cache_dir: Path,
    threads: int,
    text_tokens: int | None = TEXT_TOKENS,
) -> Run:
    """One measured run (meant for a fresh process: see :func:`measure`)."""
    from index.catalog import CatalogIndex
    from index.embedders import load_embedder

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        root = Path(work)
        sliced = root / f"head-{size}.csv"
        head_of_csv(catalog, size, sliced)
        started = time.perf_counter()
        model = load_embedder(embedder, cache_dir, threads=threads)
        model.embed_query("warm up")
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        report = CatalogIndex.build_from_files(
            sliced, root / "index", embedder=model, mapping=dict(mapping), default_currency=currency,
            cache_dir=root / "cache", progress=True, text_tokens=text_tokens,
        )  # fmt: skip
        build_s = time.perf_counter() - started
        applied = report.index.manifest["text"]["max_tokens"]
        report.index.close()
    return Run(embedder, size, report.products, load_s, build_s, peak_rss_mb(), report.embedded, applied)


def measure(
    catalog: Path,
    sizes: list[int],
    embedders: list[str],
    *,
    mapping: Mapping[str, str],
    currency: str | None,
    cache_dir: Path,
    threads: int,
    repeats: int = 1,
    on_run: Callable[[Run, int], None] | None = None,
    text_tokens: Sequence[int | None] = (TEXT_TOKENS,),
) -> list[Summary]:
    """Every (size, embedder, text cap) ``repeats`` times, interleaved, each in a fresh process."""
    variants = [(name, cap) for name in embedders for cap in text_tokens]
    summaries = {(size, name, cap): Summary(name, size) for size in sizes for name, cap in variants}
    context = get_context("spawn")
    for size in sizes:
        for repeat in range(repeats):
            for name, cap in variants:
                with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    run = pool.submit(
                        build_once, catalog, size, mapping, currency, name, cache_dir, threads, cap
                    ).result()
                summaries[(size, name, cap)].runs.append(run)
                if on_run:
                    on_run(run, repeat)
    return list(summaries.values())
