"""`shopbot index build`: ingest a catalog (and reviews) and build a search index.

Bad rows are reported as ``file:line: field: problem`` and skipped (``--strict`` stops the
build at the first). Re-running with unchanged inputs, embedder and options keeps the
existing index (``--force`` rebuilds). The new index replaces the old one only when complete.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SHOWN_ERRORS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("catalog", type=Path, help="products: JSONL, JSON array or CSV")
    parser.add_argument("--reviews", type=Path, help="reviews file (JSONL, JSON array or CSV)")
    parser.add_argument(
        "--out", type=Path, required=True, help="index directory (replaced when the build succeeds)"
    )
    parser.add_argument("--embedder", help="embedding model: registry name, hashing-<dim> or a model directory "
                        "(default: the `embedder` setting)")  # fmt: skip
    parser.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN,...",
        help="product columns to fields, e.g. title=product_name,price=discounted_price; "
        "join columns into a category path with +: category=category+sub_category",
    )
    parser.add_argument(
        "--reviews-map", action="append", metavar="FIELD=COLUMN,...", help="the same for reviews"
    )
    parser.add_argument("--currency", help="currency of prices that name none (e.g. INR)")
    parser.add_argument("--kind", choices=["auto", "flat", "hnsw", "ivfpq"], default="auto",
                        help="vector index type (default: by size, exact up to 50k products)")  # fmt: skip
    parser.add_argument(
        "--strict", action="store_true", help="fail on the first bad row instead of skipping it"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    parser.add_argument(
        "--text-tokens",
        type=int,
        default=None,
        metavar="N",
        help="embed the first N tokens of each product's text (title, brand, category, description); "
        "0: the whole text (default: 64, see docs/results/embedded_text.md)",
    )


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from index.building import TEXT_TOKENS
    from index.catalog import CatalogIndex
    from index.ingest import IngestError, parse_mapping
    from index.schema import REVIEW_FIELDS

    settings = load_settings()
    if args.text_tokens is not None and args.text_tokens < 0:
        print("shopbot index build: --text-tokens must be 0 (whole text) or more", file=sys.stderr)
        return 2
    text_tokens = TEXT_TOKENS if args.text_tokens is None else (args.text_tokens or None)
    try:
        mapping = parse_mapping(args.map)
        review_mapping = parse_mapping(args.reviews_map, REVIEW_FIELDS)
        report = CatalogIndex.build_from_files(
            args.catalog,
            args.out,
            embedder=args.embedder or settings.embedder,
            reviews=args.reviews,
            mapping=mapping,
            review_mapping=review_mapping,
            strict=args.strict,
            force=args.force,
            default_currency=args.currency,
            kind=args.kind,
            cache_dir=settings.cache_dir,
            progress=sys.stderr.isatty(),
            text_tokens=text_tokens,
        )
    except IngestError as error:
        print(f"shopbot index build: {error}", file=sys.stderr)
        return 1
    report.index.close()
    if report.skipped_build:
        print(
            f"{args.out}: up to date ({report.products} products, {report.reviews} reviews); --force rebuilds"
        )
        return 0
    for row_error in report.errors[:SHOWN_ERRORS]:
        print(f"skipped {row_error}", file=sys.stderr)
    if len(report.errors) > SHOWN_ERRORS:
        print(f"... and {len(report.errors) - SHOWN_ERRORS} more skipped rows", file=sys.stderr)
    print(
        f"{args.out}: {report.products} products, {report.reviews} reviews, "
        f"{report.skipped_rows} skipped rows, index {report.kind}, {report.seconds:.1f} s; "
        f"embedded {report.embedded} product text{'' if report.embedded == 1 else 's'}, "
        f"reused {report.reused} unchanged from the embedding cache"
    )
    return 0
