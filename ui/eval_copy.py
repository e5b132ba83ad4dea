"""The ``copy`` section of ``shopbot eval reviews``: fact-check pass rate and latency of promo copy.

The configured chat model writes one variant for each of ``--limit`` seeded demo-store products
(default 10), the formats taking turns (title, bullets, slogan, short description, post),
English and Chinese alternating. Reported: the share of variants that pass the fact check as
written, after repair, and rejected; seconds per variant. Writes ``copy.md`` beside ``--out``.
It deliberately holds no checking logic (:mod:`tools.promo_copy`).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path


def copy_section(args: argparse.Namespace, data: Path) -> None:
    from tqdm import tqdm

    from assistant.config import demo_store_dir, load_settings
    from assistant.models.loader import load_chat_model
    from index.ingest import load_products
    from tools.promo_copy import FORMATS, write_copy
    from ui.report import markdown_table, write_section

    started = time.perf_counter()
    settings = load_settings(chat_deadline_s=max(load_settings().chat_deadline_s, 600.0))
    products = load_products(demo_store_dir() / "luma_products.jsonl", None, False, None).records
    sample = random.Random(args.seed).sample(products, min(args.limit or 10, len(products)))
    model = load_chat_model(settings, progress=not args.no_progress)
    formats = list(FORMATS)
    counts = {"as written": 0, "after repair": 0, "rejected": 0}
    seconds: list[float] = []
    for i, product in enumerate(tqdm(sample, desc="copy", unit="variant", disable=args.no_progress)):
        began = time.perf_counter()
        [variant] = write_copy(product, model, format=formats[i % len(formats)], lang="zh" if i % 2 else "en")  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - began)
        counts["rejected" if not variant.ok else "after repair" if variant.repaired else "as written"] += 1
    total = len(sample)
    rows = [[name, count, f"{count / total:.0%}"] for name, count in counts.items()]
    rows.append(["s/variant (mean)", round(sum(seconds) / total, 1), ""])
    table = markdown_table(["fact check", "variants", "share"], rows)
    notes = (
        f"- Model: `{settings.chat_model}`; {total} seeded demo-store products (--seed {args.seed}), one "
        "variant each, formats in turn, English and Chinese alternating.\n"
        "- Fact check (`tools/promo_copy.py`): every number and risky claim (warranty, discount, "
        "certification, free shipping, waterproof, 包邮 ...) must occur in the product's facts; a "
        "failing variant is repaired by dropping the failing sentences, rejected if nothing is left; "
        "a variant not in the requested language is rejected.\n"
    )
    limit = f"--limit {args.limit}" if args.limit else ""
    body = (
        f"`shopbot eval reviews --sections copy {limit} --seed {args.seed}` "
        f"({time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs)\n\n{table}\n\n{notes}"
    )
    print(table)
    write_section(args.out.parent / "copy.md", "eval-reviews-copy", body, title="Promo copy")
