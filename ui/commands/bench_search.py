"""`shopbot bench search`: vector search speed, memory and recall at 10k-1M products, and
the query-embedding time of each real embedder, reported separately.

Synthetic clustered vectors stand in for product embeddings (see ``index.search_bench``);
the embedders are timed on real English and Chinese shopping text. ``--catalog FILE`` adds
whole catalog searches (SQLite filters and FTS5, FAISS, fusion) on a real catalog repeated to
``--catalog-sizes`` (``index.catalog_search_bench``). Prints the tables and
writes them into a markdown file (a generated section; hand-written text around it stays).
The 1M size needs about 4 GB of memory and some minutes, mostly building HNSW.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.search_bench import BenchRow

TARGETS_MS = {100_000: 20.0, 1_000_000: 50.0}  # p95, unfiltered, the chosen index kind


def _sizes(text: str) -> list[int]:
    if text.strip() == "none":
        return []
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sizes takes comma-separated integers or 'none', got {text!r}"
        ) from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("--sizes: each size must be at least 100")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes", type=_sizes, default=[10_000, 100_000, 1_000_000], help="numbers of products"
    )
    parser.add_argument("--dim", type=int, default=384, help="vector dimension (default 384)")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per case (default 200)")
    parser.add_argument("--kinds", default="flat,hnsw,ivfpq", help="index kinds to compare (default: all)")
    parser.add_argument("--threads", type=int, default=2, help="FAISS threads (default 2)")
    parser.add_argument(
        "--embedders",
        default="all-minilm-l6-v2,multilingual-e5-small,use-multilingual-v3",
        help="embedders to time, comma-separated; 'none' skips them",
    )
    parser.add_argument("--data", type=Path, default=None, help="judged sets folder, for real query texts")
    parser.add_argument(
        "--catalog",
        type=Path,
        help="also time whole catalog searches (FTS5 + filters + FAISS) on this catalog",
    )
    parser.add_argument(
        "--map", action="append", default=[], help="with --catalog: FIELD=COLUMN, as in index build"
    )
    parser.add_argument("--currency", help="with --catalog: currency of prices without one")
    parser.add_argument(
        "--catalog-sizes", type=_sizes, default=[10_000, 100_000], help="with --catalog: products (repeated)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=Path("docs/results/search_bench.md"), help="markdown report"
    )


def _texts(data_dir: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(queries, documents) per language: the judged sets when present, else the demo store."""
    from assistant.config import demo_store_dir

    def read(path: Path, key: str, limit: int) -> list[str]:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line)[key] for _, line in zip(range(limit), handle, strict=False)]

    if (data_dir / "homedepot_corpus.jsonl").is_file() and (data_dir / "ecomgpt_zh_corpus.jsonl").is_file():
        queries = {
            "en": read(data_dir / "homedepot_dev_queries.jsonl", "query", 100),
            "zh": read(data_dir / "ecomgpt_zh_queries.jsonl", "query", 100),
        }
        documents = {
            "en": read(data_dir / "homedepot_corpus.jsonl", "title", 500),
            "zh": read(data_dir / "ecomgpt_zh_corpus.jsonl", "title", 500),
        }
        return queries, documents
    titles = read(demo_store_dir() / "luma_products.jsonl", "title", 500)
    return {"en": titles[:100]}, {"en": titles}


def _vector_sections(rows: list[BenchRow]) -> list[str]:
    from ui.report import markdown_table

    table = markdown_table(
        [
            "products",
            "index",
            "build s",
            "disk MB",
            "RSS MB",
            "filter",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "recall@10",
        ],
        [
            [
                f"{row.size:,}",
                f"**{row.kind}** (chosen)" if row.chosen else row.kind,
                round(row.build_s, 1),
                round(row.disk_mb, 1),
                round(row.rss_mb, 1),
                row.filter,
                round(row.p50_ms, 2),
                round(row.p95_ms, 2),
                round(row.p99_ms, 2),
                round(row.recall, 3),
            ]
            for row in rows
        ],
    )
    verdicts = [
        f"- {row.size:,} products, {row.kind}: p95 {row.p95_ms:.2f} ms (target < {TARGETS_MS[row.size]:.0f} ms): "
        + ("met" if row.p95_ms < TARGETS_MS[row.size] else "MISSED")
        for row in rows
        if row.size in TARGETS_MS and row.chosen and row.filter == "none"
    ]
    return [
        "### Vector search (k=10, one query at a time, query embedding excluded)",
        table,
        "Searches run as `VectorIndex` runs them in the product (one FAISS thread for a single query; "
        "builds use `--threads`). Filters allow a random 1 % or 10 % of the products; recall@10 is against "
        "exact search over the same allowed products. RSS = resident memory added by loading the saved "
        "index in a fresh process.",
        "\n".join(verdicts) or "- (no targeted size in this run)",
    ]


def _catalog_sections(args: argparse.Namespace) -> list[str]:
    import tempfile

    from tqdm import tqdm

    from index.catalog_search_bench import CASES, bench_catalog
    from index.ingest import load_products, parse_mapping
    from ui.report import markdown_table

    products = load_products(args.catalog, parse_mapping(args.map), False, args.currency).records
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="shopbot-bench-") as work,
        tqdm(total=len(args.catalog_sizes) * len(CASES), desc="catalog search", unit="case") as bar,
    ):

        def status(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update("timing" in message)

        for size in args.catalog_sizes:
            rows += bench_catalog(
                products, size, Path(work), n_queries=args.queries, seed=args.seed, status=status
            )
    table = markdown_table(
        ["products", "filter", "p50 ms", "p95 ms", "p99 ms", "results/query"],
        [
            [
                f"{r.size:,}",
                r.case,
                round(r.p50_ms, 1),
                round(r.p95_ms, 1),
                round(r.p99_ms, 1),
                round(r.hits, 1),
            ]
            for r in rows
        ],
    )
    worst = max((r.p95_ms for r in rows if r.size >= 100_000), default=None)
    verdict = (
        f"- worst p95 at 100k+ products: {worst:.1f} ms (target <= 50 ms): "
        + ("met" if worst <= 50 else "MISSED")
        if worst is not None
        else "- (no size of 100k or more in this run)"
    )
    return [
        f"### Catalog search end to end ({args.catalog.name}, {len(products):,} products repeated; k=10)",
        table,
        "`CatalogIndex.search` as the tools call it: SQLite filters and FTS5 BM25, FAISS, fusion; the "
        "hashing embedder, so query embedding is not included (the query-embedding table times it). Queries are the "
        "first three words of sampled titles; category = the query product's top category, price = at "
        "most the catalog's median price.",
        verdict,
        f"Reproduce: `shopbot bench search --sizes none --embedders none --catalog {args.catalog.name} "
        + " ".join(f"--map {item}" for item in args.map)
        + (f" --currency {args.currency}" if args.currency else "")
        + f" --catalog-sizes {','.join(str(size) for size in args.catalog_sizes)}`",
    ]


def run(args: argparse.Namespace) -> int:
    # A waiting OpenMP thread that spins steals the core the search runs on when the machine
    # is shared (the chat model, other processes): single-query latency goes from under 1 ms
    # to tens of ms. Must be set before FAISS, torch or the E5 engine load OpenMP.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from tqdm import tqdm

    from assistant.config import load_settings
    from index.embedder_bench import bench_embedders
    from index.search_bench import bench_size
    from index.vectors import KINDS, Kind
    from ui.commands.eval_retrieval import _default_data_dir
    from ui.report import markdown_table, write_section

    kinds: list[Kind] = []
    for name in (part.strip() for part in args.kinds.split(",") if part.strip()):
        if name not in KINDS:
            print(f"unknown index kind {name!r}; choose from {', '.join(KINDS)}")
            return 2
        kinds.append(name)
    started = time.perf_counter()
    header = (
        f"`shopbot bench search --sizes {','.join(str(s) for s in args.sizes) or 'none'} --dim {args.dim} "
        f"--queries {args.queries} --threads {args.threads}` ({platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average at start {os.getloadavg()[0]:.1f}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']})"
    )
    rows: list[BenchRow] = []
    sections = [header]
    with tqdm(total=len(args.sizes) * len(kinds), desc="bench search", unit="index") as bar:

        def status(message: str) -> None:
            bar.set_postfix_str(message)
            if message.startswith(tuple(f"{size:,}: timing" for size in args.sizes)):
                bar.update(1)

        for done, size in enumerate(args.sizes, start=1):
            rows += bench_size(
                size,
                dim=args.dim,
                n_queries=args.queries,
                kinds=kinds,
                threads=args.threads,
                seed=args.seed,
                status=status,
            )
            sections = [header, *_vector_sections(rows)]
            if done < len(args.sizes):  # keep what is measured if a long run is stopped
                partial = "\n\n".join(sections) + f"\n\n(partial: {done} of {len(args.sizes)} sizes so far)\n"
                write_section(args.out, "bench-search", partial, title="Search speed")
    if args.catalog:  # its own section: a catalog-only run keeps the vector tables of the last full run
        catalog = "\n\n".join([header, *_catalog_sections(args)])
        print(catalog)
        write_section(args.out, "bench-search-catalog", catalog, title="Search speed")
        if not args.sizes and args.embedders == "none":
            print(f"written to {args.out}")
            return 0
    names = [] if args.embedders == "none" else [n.strip() for n in args.embedders.split(",") if n.strip()]
    if names:
        queries, documents = _texts(args.data or _default_data_dir())
        timings = bench_embedders(names, load_settings().cache_dir, queries, documents, threads=args.threads)
        languages = list(queries)
        embed_table = markdown_table(
            ["embedder", "dim", "load s"]
            + [f"query p50/p95 ms ({lang})" for lang in languages]
            + [f"docs/s ({lang})" for lang in languages]
            + [f"docs per CPU-s ({lang})" for lang in languages],
            [
                [timing.name, timing.dim, round(timing.load_s, 2)]
                + [f"{timing.query_p50_ms[lang]:.1f} / {timing.query_p95_ms[lang]:.1f}" for lang in languages]
                + [round(timing.docs_per_s[lang], 1) for lang in languages]
                + [round(timing.docs_per_cpu_s[lang], 1) for lang in languages]
                for timing in timings
            ],
        )
        sections += [
            f"### Query embedding ({args.threads} threads; {', '.join(f'{len(queries[lang])} {lang} queries' for lang in languages)}; "
            f"documents: {', '.join(f'{len(documents[lang])} {lang} product titles' for lang in languages)}, batches of 64)",
            embed_table,
        ]
    body = "\n\n".join(sections) + f"\n\n({time.perf_counter() - started:.0f} s in all)\n"
    print(body)
    write_section(args.out, "bench-search", body, title="Search speed")
    print(f"written to {args.out}")
    return 0
