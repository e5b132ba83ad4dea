"""`shopbot search`: search a catalog index, one query or a JSONL batch.

Batch mode (``--queries FILE.jsonl --json``) reads ``{"query": ..., <filters>...}`` lines and
writes one ``{"query": ..., "results": [{"id": ..., "score": ...}, ...]}`` line per query,
loading the index and the embedding model once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILTER_KEYS = ("min_price", "max_price", "category", "brand", "min_rating", "lang")
VIA = {"id": "I", "dense": "D", "lexical": "L"}  # the table's "via" column: which retrievers found it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", help="what to look for (omit with --queries)")
    parser.add_argument(
        "--index", type=Path, help="index directory (default: the demo index in the data dir)"
    )
    parser.add_argument("--queries", type=Path, help='JSONL file of {"query": ..., optional filters} lines')
    parser.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    parser.add_argument("--min-price", type=float)
    parser.add_argument("--max-price", type=float)
    parser.add_argument("--category", help="category path prefix, e.g. Men/Tops")
    parser.add_argument("--brand", help="brand (case-insensitive)")
    parser.add_argument("--min-rating", type=float)
    parser.add_argument("--lang", help="product language, e.g. en or zh")
    parser.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from ui.commands import open_index

    if (args.query is None) == (args.queries is None):
        print("shopbot search: give a QUERY or --queries FILE.jsonl (not both)", file=sys.stderr)
        return 2
    settings = load_settings()
    index = open_index("search", args.index, settings)
    if index is None:
        return 1
    with index:
        if args.queries is not None:
            return _batch(index, args)
        filters = {key: getattr(args, key) for key in FILTER_KEYS}
        hits = index.search(args.query, k=args.k, filters=filters, mode=args.mode)
        if args.json:
            print(
                json.dumps(
                    {"query": args.query, "results": [_result(hit) for hit in hits]}, ensure_ascii=False
                )
            )
        else:
            _print_table(hits)
    return 0


def _batch(index: Any, args: argparse.Namespace) -> int:
    try:
        requests = list(_requests(args.queries))
    except ValueError as error:
        print(f"shopbot search: {error}", file=sys.stderr)
        return 1
    for request in requests:
        filters = {key: request.get(key, getattr(args, key)) for key in FILTER_KEYS}
        hits = index.search(
            request["query"], k=int(request.get("k", args.k)), filters=filters, mode=args.mode
        )
        if args.json:
            line = {
                "query": request["query"],
                "results": [{"id": h.id, "score": round(h.score, 6)} for h in hits],
            }
            print(json.dumps(line, ensure_ascii=False))
        else:
            print(f"# {request['query']}")
            _print_table(hits)
    return 0


def _requests(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name}:{number}: not valid JSON ({error.msg})") from None
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            raise ValueError(f'{path.name}:{number}: query: expected {{"query": "..."}}')
        unknown = set(request) - {"query", "k", *FILTER_KEYS}
        if unknown:
            raise ValueError(
                f"{path.name}:{number}: {sorted(unknown)[0]}: unknown key; filters: {FILTER_KEYS}"
            )
        yield request


def _result(hit: Any) -> dict[str, Any]:
    product = hit.product
    return {
        "id": product.id,
        "score": round(hit.score, 6),
        "title": product.title,
        "price": product.price,
        "currency": product.currency,
        "brand": product.brand,
        "category": product.category,
        "rating": product.rating,
        "matched": list(hit.matched),
    }


def _print_table(hits: list[Any]) -> None:
    """One line per hit; "via": found by exact Id, Dense and/or Lexical retrieval."""
    if not hits:
        print("no products found")
        return
    print(f"{'#':>3}  {'id':14} {'price':>10}  {'rating':>6}  {'via':4} {'title':50} category")
    for hit in hits:
        product = hit.product
        price = "" if product.price is None else f"{product.price:.2f} {product.currency or ''}".strip()
        rating = "" if product.rating is None else f"{product.rating:.1f}"
        title = product.title if len(product.title) <= 50 else product.title[:49] + "…"
        via = "".join(VIA[name] for name in hit.matched)
        print(
            f"{hit.rank:>3}  {product.id[:14]:14} {price:>10}  {rating:>6}  {via:4} {title:50} "
            f"{product.category or ''}"
        )
