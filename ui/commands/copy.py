"""`shopbot copy`: fact-checked promo copy for one product, or for many into a CSV file.

``shopbot copy --product 24-MB01 [--index DIR] [--format bullets] [--tone premium] [--lang zh]
[-n 3] [--max-chars 200] [--channel telegram] [--json]`` writes ``-n`` variants with the
settings' chat model (:func:`tools.promo_copy.write_copy`); each variant says whether it passed
the fact check, was repaired, or was rejected, and why.

``shopbot copy --products ids.txt --out copy.csv [options as above]`` (one id per line; blank
lines and ``#`` comments are ignored) or ``--all --out copy.csv`` (every product in the index)
writes the copy of many products into one CSV file with a progress bar
(:func:`tools.copy_batch.write_copy_batch`), then prints a summary. After an interruption, the
same command resumes: products already in the file are skipped, failed ones are tried again.
An unknown id is reported with its file and line and counts as failed. Exit status: 0 when
some product got copy that passed the fact check (or all were done already), 1 when none did,
2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings
    from index.catalog import CatalogIndex
    from tools.copy_batch import BatchSummary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tools.promo_copy import FORMATS, TONES

    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", help="the product id")
    which.add_argument(
        "--products", type=Path, metavar="FILE", help="batch: a file of product ids, one a line"
    )
    which.add_argument("--all", action="store_true", help="batch: every product in the index")
    parser.add_argument("--out", type=Path, metavar="FILE.csv", help="batch: the CSV file to write or resume")
    parser.add_argument(
        "--index", type=Path, help="index directory (default: the demo index in the data dir)"
    )
    parser.add_argument("--format", choices=list(FORMATS), default="short_description")
    parser.add_argument("--tone", default="friendly", help=f"e.g. {', '.join(TONES)} (default friendly)")
    parser.add_argument("--lang", choices=["en", "zh"], default="en")
    parser.add_argument("-n", type=int, default=1, help="number of variants (1-10, default 1)")
    parser.add_argument("--max-chars", type=int, help="length limit per variant (default: per format)")
    parser.add_argument("--channel", help="where the copy appears, e.g. telegram, instagram, shop listing")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.models.errors import ModelError
    from assistant.models.loader import load_chat_model
    from tools.promo_copy import write_copy
    from ui.commands import open_index

    if not 1 <= args.n <= 10 or (args.max_chars is not None and args.max_chars < 10):
        print("shopbot copy: -n must be 1-10 and --max-chars at least 10", file=sys.stderr)
        return 2
    if (args.product is None) != (args.out is not None):
        print(
            "shopbot copy: --out FILE.csv goes with --products or --all, not with --product", file=sys.stderr
        )
        return 2
    settings = load_settings()
    index = open_index("copy", args.index, settings)
    if index is None:
        return 1
    with index:
        if args.product is None:
            return _run_batch(args, index, settings)
        product = index.get(args.product)
        if product is None:
            print(f"shopbot copy: no product {args.product!r} in {index.directory}", file=sys.stderr)
            return 1
        try:
            variants = write_copy(
                product,
                load_chat_model(settings, progress=not args.json),
                format=args.format,
                tone=args.tone,
                lang=args.lang,
                max_chars=args.max_chars,
                n=args.n,
                channel=args.channel,
            )
        except (ModelError, ValueError) as error:
            print(f"shopbot copy: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(
            json.dumps(
                {"product_id": product.id, "variants": [asdict(v) for v in variants]}, ensure_ascii=False
            )
        )
        return 0
    for number, variant in enumerate(variants, start=1):
        status = "ok" if variant.ok and not variant.repaired else "repaired" if variant.ok else "REJECTED"
        print(f"--- variant {number} ({status})\n{variant.text}")
        for problem in variant.problems:
            print(f"    fact check: {problem}")
    return 0 if any(v.ok for v in variants) else 1


def _run_batch(args: argparse.Namespace, index: CatalogIndex, settings: Settings) -> int:
    """``--products FILE`` or ``--all`` into ``--out``; see the module docstring."""
    from assistant.models.loader import load_chat_model
    from tools.copy_batch import CopyBatchError, write_copy_batch

    if args.all:
        ids, unknown = index.product_ids(), 0
    else:
        try:
            ids, unknown = _read_ids(args.products, set(index.product_ids()))
        except (OSError, UnicodeDecodeError) as error:
            print(f"shopbot copy: cannot read the id list {args.products}: {error}", file=sys.stderr)
            return 2
    if not ids and not unknown:
        print(f"shopbot copy: no product ids in {args.products or index.directory}", file=sys.stderr)
        return 2
    try:
        summary = write_copy_batch(
            (product for product in map(index.get, ids) if product is not None),
            lambda: load_chat_model(settings, progress=not args.json),
            args.out,
            format=args.format,
            tone=args.tone,
            lang=args.lang,
            max_chars=args.max_chars,
            n=args.n,
            channel=args.channel,
            total=len(ids),
            progress=not args.json,
        )
    except CopyBatchError as error:
        print(f"shopbot copy: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\nshopbot copy: interrupted; run the same command again to resume {args.out}", file=sys.stderr
        )
        return 130
    summary = replace(summary, failed=summary.failed + unknown)
    if args.json:
        print(json.dumps({"out": str(args.out), **asdict(summary)}))
    else:
        print(_summary_line(args.out, summary))
    return 0 if summary.passed or not (summary.done or summary.failed) else 1


def _summary_line(out: Path, summary: BatchSummary) -> str:
    line = (
        f"{out}: products: {summary.done} written ({summary.passed} with copy that passed the fact "
        f"check), {summary.skipped} already there, {summary.failed} failed; variants: "
        f"{summary.variants_ok} of {summary.variants} passed the fact check"
    )
    if summary.p50_seconds is not None:
        line += f"; seconds per product: {summary.p50_seconds} (p50), {summary.p95_seconds} (p95)"
    return line


def _read_ids(path: Path, known: set[str]) -> tuple[list[str], int]:
    """The ids ``path`` lists that are in ``known``, and how many others it lists (each reported)."""
    ids: list[str] = []
    unknown = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        product_id = line.strip()
        if not product_id or product_id.startswith("#"):
            continue
        if product_id in known:
            ids.append(product_id)
        else:
            print(f"shopbot copy: {path}:{number}: no product {product_id!r} in the index", file=sys.stderr)
            unknown += 1
    return ids, unknown
