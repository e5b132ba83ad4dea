"""`shopbot summarize`: a product's reviews as a verdict, pros, cons and disagreements, with citations.

``shopbot summarize --product 24-MB01 | --all [--index DIR] [--lang zh|en] [--json]``: the chat
model of the settings writes the summary (:func:`tools.review_summary.summarize_reviews`); every
point cites the reviews it comes from (``[r3, r5]``: the product's 3rd and 5th review).
Citations are checked with the index's own embedder. Summaries are cached with the assistant's
(``<cache_dir>/texts.sqlite``, keyed by product, language, reviews and model), so asking
again, here or in the chat, is instant; ``--max-reviews`` other than 24 or ``--no-cache``
writes a fresh one (with ``--product`` only).

``--all`` fills that cache before a shop opens: every product with reviews gets a summary in
``--lang`` (written by the model unless cached; ~10-15 s each on two CPU cores), so no shopper
waits for a first one. It shows a progress bar, prints each summary (or a JSON line) as it is
done, and ends with a count: written, from the cache, failed. One product's failure is
reported and the run goes on; a run stopped midway keeps what it wrote.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.product_texts import ProductTexts

DEFAULT_MAX_REVIEWS = 24  # what the cached summaries (and the chat) use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", help="the product id")
    which.add_argument("--all", action="store_true", help="every product with reviews, into the cache")
    parser.add_argument(
        "--index", type=Path, help="index directory (default: the demo index in the data dir)"
    )
    parser.add_argument(
        "--lang", choices=["en", "zh"], default="en", help="language of the summary (default en)"
    )
    parser.add_argument(
        "--max-reviews",
        type=int,
        default=DEFAULT_MAX_REVIEWS,
        help="most reviews shown to the model (default 24)",
    )
    parser.add_argument("--no-cache", action="store_true", help="write a new summary even if one is cached")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.models.errors import ModelError
    from tools.review_summary import SummaryError, summarize_reviews
    from ui.commands import open_index, open_texts

    if args.max_reviews < 1:
        print("shopbot summarize: --max-reviews must be at least 1", file=sys.stderr)
        return 2
    if args.all and (args.no_cache or args.max_reviews != DEFAULT_MAX_REVIEWS):
        print("shopbot summarize: --all fills the cache; --no-cache and --max-reviews go with --product",
              file=sys.stderr)  # fmt: skip
        return 2
    settings = load_settings()
    index = open_index("summarize", args.index, settings)
    if index is None:
        return 1
    with index:
        texts = open_texts(index, settings, progress=not args.json)
        if args.all:
            return _summarize_all(index, texts, args)
        product = index.get(args.product)
        if product is None:
            print(f"shopbot summarize: no product {args.product!r} in {index.directory}", file=sys.stderr)
            return 1
        try:
            if args.no_cache or args.max_reviews != DEFAULT_MAX_REVIEWS:
                summary = summarize_reviews(index.reviews(product.id), texts.model(), lang=args.lang,
                                            product=product.title, embedder=index.embedder,
                                            max_reviews=args.max_reviews)  # fmt: skip
            else:
                summary = texts.review_summary(product, args.lang)
        except (ModelError, SummaryError) as error:
            print(f"shopbot summarize: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"product_id": product.id, **summary.to_dict()}, ensure_ascii=False))
        return 0
    print(_render(product.title, summary))
    return 0


def _summarize_all(index: Any, texts: ProductTexts, args: argparse.Namespace) -> int:
    """Every product with reviews: its cached summary, else one written now and stored."""
    from tqdm import tqdm

    from assistant.models.errors import ModelLoadError

    ids = [pid for pid in index.product_ids() if index.reviews(pid)]
    counts = {"written": 0, "cached": 0, "failed": 0}
    seconds: list[float] = []
    for product_id in tqdm(ids, desc="summarize", unit="product", disable=args.json):
        product = index.get(product_id)
        if product is None:  # deleted while we ran
            continue
        summary = texts.cached_review_summary(product, args.lang)
        if summary is None:
            started = time.perf_counter()
            try:
                summary = texts.review_summary(product, args.lang)
            except ModelLoadError as error:  # no model, no summaries: stop
                print(f"shopbot summarize: {error}", file=sys.stderr)
                return 1
            except Exception as error:  # one product's failure loses nothing else
                counts["failed"] += 1
                tqdm.write(f"shopbot summarize: {product.id}: {error}", file=sys.stderr)
                continue
            seconds.append(time.perf_counter() - started)
            counts["written"] += 1
        else:
            counts["cached"] += 1
        if args.json:
            print(json.dumps({"product_id": product.id, **summary.to_dict()}, ensure_ascii=False), flush=True)
        else:
            tqdm.write(_render(f"{product.id} {product.title}", summary) + "\n")
    if not args.json:
        line = (
            f"{len(ids)} products with reviews: {counts['written']} written, "
            f"{counts['cached']} from the cache, {counts['failed']} failed"
        )
        if seconds:
            line += f"; {statistics.median(seconds):.1f} s per written summary (median)"
        print(line)
    return 1 if counts["failed"] else 0


def _render(name: str, summary: Any) -> str:
    zh = summary.lang == "zh"
    lines = [f"{name} ({summary.reviews_total} {'条评价' if zh else 'reviews'})", "", summary.verdict]
    sections = (
        ("优点" if zh else "Pros", summary.pros),
        ("缺点" if zh else "Cons", summary.cons),
        ("分歧" if zh else "Reviewers disagree on", summary.disagreements),
    )
    for title, points in sections:
        if points:
            lines += ["", f"{title}:", *(f"  - {point.text} {summary.cite(point)}" for point in points)]
    return "\n".join(lines)
