"""`shopbot describe`: short description summaries in a language, written into the text cache.

``shopbot describe --product ID | --all [--index DIR] [--lang zh|en] [--json]`` prints each
product's 1-3 line summary (:meth:`tools.product_texts.ProductTexts.description_summary`). A
product whose text is in ``--lang`` already gets the first sentences of its own description (no
model); for the others the settings' chat model writes one, fact-checked, and it is stored in
the assistant's text cache (``<cache_dir>/texts.sqlite``): a shop can write Chinese summaries
for an English catalog before opening, and the chat then shows them on cards and in details
without waiting for the model. Cached summaries are read back, never written again. ``--all``
shows a progress bar and ends with a count by source and the seconds per written summary;
``--json`` prints one JSON object per product and line. Exit status: 0, or 1 for an unknown
product, a missing index or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.description_summary import DescriptionSummary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", help="the product id")
    which.add_argument("--all", action="store_true", help="every product in the index")
    parser.add_argument(
        "--index", type=Path, help="index directory (default: the demo index in the data dir)"
    )
    parser.add_argument(
        "--lang", choices=["en", "zh"], default="zh", help="language of the summaries (default zh)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output, one product a line")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.config import load_settings
    from assistant.models.errors import ModelError
    from ui.commands import open_index, open_texts

    settings = load_settings()
    index = open_index("describe", args.index, settings)
    if index is None:
        return 1
    with index:
        if args.product is not None and index.get(args.product) is None:
            print(f"shopbot describe: no product {args.product!r} in {index.directory}", file=sys.stderr)
            return 1
        ids = index.product_ids() if args.all else [args.product]
        texts = open_texts(index, settings, progress=not args.json)
        sources: Counter[str] = Counter()
        seconds: list[float] = []
        bar = tqdm(ids, desc="describe", unit="product", disable=not args.all or args.json)
        for product_id in bar:
            product = index.get(product_id)
            if product is None:  # deleted while we ran
                continue
            summary = texts.description_summary(product, args.lang, generate=False)
            took = None
            if summary.source == "extract" and summary.lang != args.lang:  # to be written
                try:
                    texts.model()  # loaded once; a model that cannot load stops the run
                except ModelError as error:
                    bar.close()
                    print(f"shopbot describe: {error}", file=sys.stderr)
                    return 1
                started = time.perf_counter()
                summary = texts.description_summary(product, args.lang, generate=True)
                took = round(time.perf_counter() - started, 2)
                seconds.append(took)
            sources["repaired" if summary.repaired and summary.source == "model" else summary.source] += 1
            tqdm.write(_line(product.id, product.title, summary, took, as_json=args.json))
    if args.all and not args.json:
        print(_totals(len(ids), sources, seconds))
    return 0


def _line(
    product_id: str, title: str, summary: DescriptionSummary, took: float | None, *, as_json: bool
) -> str:
    if as_json:
        record: dict[str, Any] = {"product_id": product_id, "text": summary.text, "lang": summary.lang,
                                  "source": summary.source, "repaired": summary.repaired, "seconds": took}  # fmt: skip
        return json.dumps(record, ensure_ascii=False)
    how = (
        summary.source
        + (", repaired" if summary.repaired else "")
        + (f", {took:.1f} s" if took is not None else "")
    )
    text = "\n".join(f"  {line}" for line in summary.text.splitlines())
    return f"{product_id} {title} ({how})\n{text}"


def _totals(products: int, sources: Counter[str], seconds: list[float]) -> str:
    line = (
        f"{products} products: {sources['model'] + sources['repaired']} written by the model "
        f"({sources['repaired']} repaired after the fact check), {sources['cache']} from the cache, "
        f"{sources['extract']} in the catalog's own words"
    )
    if seconds:
        line += f"; {statistics.median(seconds):.1f} s per model call (median of {len(seconds)})"
    return line
