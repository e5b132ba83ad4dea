"""`shopbot copy`: fact-checked promo copy for one product.

``shopbot copy --product 24-MB01 [--index DIR] [--format bullets] [--tone premium] [--lang zh]
[-n 3] [--max-chars 200] [--channel telegram] [--json]`` writes ``-n`` variants with the
settings' chat model (:func:`tools.promo_copy.write_copy`); each variant says whether it passed
the fact check, was repaired, or was rejected, and why. Batch mode over many products
(``--products ids.txt --out copy.csv``) is not here yet.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tools.promo_copy import FORMATS, TONES

    parser.add_argument("--product", required=True, help="the product id")
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
    settings = load_settings()
    index = open_index("copy", args.index, settings)
    if index is None:
        return 1
    with index:
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
