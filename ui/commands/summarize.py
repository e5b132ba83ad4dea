"""`shopbot summarize`: a product's reviews as a verdict, pros, cons and disagreements, with citations.

``shopbot summarize --product 24-MB01 [--index DIR] [--lang zh|en] [--json]``: the chat model of
the settings writes the summary (:func:`tools.review_summary.summarize_reviews`); every point
cites the reviews it comes from (``[r3, r5]``: the product's 3rd and 5th review). Citations
are checked with the index's own embedder. Summaries are cached with the assistant's
(``<cache_dir>/texts.sqlite``, keyed by product, language, reviews and model), so asking
again, here or in the chat, is instant; ``--max-reviews`` other than 24 or ``--no-cache``
writes a fresh one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_MAX_REVIEWS = 24  # what the cached summaries (and the chat) use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--product", required=True, help="the product id")
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
    from assistant.loading import texts_cache_path, texts_model_name
    from assistant.models.errors import ModelError
    from assistant.models.loader import load_chat_model
    from tools.product_texts import ProductTexts
    from tools.review_summary import SummaryError, summarize_reviews
    from tools.text_cache import TextCache
    from ui.commands import open_index

    if args.max_reviews < 1:
        print("shopbot summarize: --max-reviews must be at least 1", file=sys.stderr)
        return 2
    settings = load_settings()
    index = open_index("summarize", args.index, settings)
    if index is None:
        return 1
    with index:
        product = index.get(args.product)
        if product is None:
            print(f"shopbot summarize: no product {args.product!r} in {index.directory}", file=sys.stderr)
            return 1
        texts = ProductTexts(
            index,
            lambda: load_chat_model(settings, progress=not args.json),
            cache=TextCache(texts_cache_path(settings)),
            model_name=texts_model_name(settings),
        )
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
    _print(product.title, summary)
    return 0


def _print(name: str, summary: Any) -> None:
    zh = summary.lang == "zh"
    print(f"{name} ({summary.reviews_total} {'条评价' if zh else 'reviews'})\n")
    print(summary.verdict)
    sections = (
        ("优点" if zh else "Pros", summary.pros),
        ("缺点" if zh else "Cons", summary.cons),
        ("分歧" if zh else "Reviewers disagree on", summary.disagreements),
    )
    for title, points in sections:
        if points:
            print(f"\n{title}:")
            for point in points:
                print(f"  - {point.text} {summary.cite(point)}")
