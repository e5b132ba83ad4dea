"""`shopbot export feed`: the catalog as a product feed (JSONL or CSV), from the index.

``shopbot export feed --out feed.jsonl [--format jsonl|csv] [--index DIR]``: one row per product
with id, title, description, price with currency, availability, url, image, brand and category
(:mod:`index.feed`). It is read from the index, so it is exactly what the assistant knows.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="file to write (replaced atomically)")
    parser.add_argument(
        "--format", choices=("jsonl", "csv"), help="default: from the file's suffix, else jsonl"
    )
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.config import load_settings
    from index.feed import FeedFormat, write_feed
    from ui.commands import open_index

    catalog = open_index("export feed", Path(args.index) if args.index else None, load_settings())
    if catalog is None:
        return 1
    fmt: FeedFormat = args.format or ("csv" if args.out.suffix.lower() == ".csv" else "jsonl")
    ids = catalog.product_ids()
    products = (
        product for product in (catalog.get(i) for i in tqdm(ids, desc="feed", unit="product")) if product
    )
    counts = write_feed(products, args.out, fmt)
    missing = counts["products"] - counts["availability"]
    print(f"{args.out}: {counts['products']} products ({fmt}); {counts['priced']} with a price; "
          f"availability {'stated for all' if not missing else f'not stated for {missing} (the catalog has no stock field)'}")  # fmt: skip
    return 0
