"""`shopbot events import FILE`: a store's order history (or views and clicks) into the event store.

``shopbot events import orders.csv [--map shopper=CustomerID,product=StockCode,...]``: rows
are read under the catalog error policy (a bad row is reported as ``file:line: field: problem``
and skipped; ``--strict`` stops at the first). Columns are found by name (``customer_id``,
``CustomerID``, ``product_id``, ``StockCode``, ``InvoiceDate``, ``InvoiceNo``, ``event``...) or
given with ``--map``. Cancellations and returns become ``return`` events (a negative quantity,
a return kind, or an order id starting with ``--cancel-prefix``, default ``C``). Customer ids
are stored as ``customer:<id>``, the ids store pages sign for the web widget. The same file is
imported once; ``--force`` replaces what it imported before. Then ``shopbot recommend train``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path

EXAMPLE_ERRORS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV, JSONL or JSON array of events")
    parser.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="columns of the fields shopper, product, kind, time, quantity, order, session "
        "(comma-separated, repeatable)",
    )
    parser.add_argument(
        "--cancel-prefix", default="C", help="order ids of cancellations start with this ('' for none)"
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first bad row")
    parser.add_argument(
        "--force", action="store_true", help="import a file imported before again (replacing it)"
    )


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.loading import open_behaviour
    from index.event_store import customer_key
    from index.events import EVENT_FIELDS, load_events
    from index.ingest import parse_mapping

    mapping = parse_mapping(args.map, EVENT_FIELDS)
    loaded = load_events(args.file, mapping, strict=args.strict, cancel_prefix=args.cancel_prefix or None)
    events = [replace(e, shopper=customer_key(e.shopper)) if e.shopper else e for e in loaded.records]
    for error in loaded.errors[:EXAMPLE_ERRORS]:
        print(f"skipped {error}")
    if len(loaded.errors) > EXAMPLE_ERRORS:
        print(f"... and {len(loaded.errors) - EXAMPLE_ERRORS} more rows skipped")
    behaviour = open_behaviour(load_settings())
    stored = behaviour.store.import_file(args.file, events, force=args.force)
    if stored is None:
        print(f"{args.file.name}: already imported (same content); --force imports it again")
        return 0
    kinds = Counter(event.kind for event in events)
    shoppers = len({event.shopper for event in events if event.shopper})
    anonymous = sum(event.shopper is None for event in events)
    print(f"{args.file.name}: {stored} events imported ({', '.join(f'{n} {k}' for k, n in kinds.most_common())}); "
          f"{shoppers} customers, {anonymous} events of anonymous baskets; {len(loaded.errors)} rows skipped. "
          f"Store now holds {behaviour.store.count()} events. Next: shopbot recommend train")  # fmt: skip
    return 0
