"""The ``summaries`` section of ``shopbot eval reviews``: ROUGE of review summaries vs two baselines.

Runs the configured chat model (``Settings.chat_model``) on a seeded sample of FewSum products
(``eval/summaries/fewsum_amazon_dev.jsonl``; ``--limit`` products), scores shopbot's summary
and, on the same products in the same run, a random review and the review closest to the
centroid of the reviews' e5 embeddings. Writes ``summaries.md`` beside ``--out``.
It deliberately holds no scoring logic (:mod:`tools.summary_eval`).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def summaries_section(args: argparse.Namespace, data: Path) -> None:
    from assistant.config import load_settings
    from assistant.models.loader import load_chat_model
    from index.embedders import load_embedder
    from index.embedding_cache import CachingEmbedder, cache_file
    from tools.summary_eval import evaluate_summaries, load_rows
    from ui.report import markdown_table, write_section

    started = time.perf_counter()
    settings = load_settings(chat_deadline_s=max(load_settings().chat_deadline_s, 600.0))
    path = data / "eval" / "summaries" / "fewsum_amazon_dev.jsonl"
    rows = load_rows(path, args.limit, args.seed)
    embedder = load_embedder(settings.embedder, settings.cache_dir)
    cached = CachingEmbedder(embedder, cache_file(settings.cache_dir, embedder))
    model = load_chat_model(settings, progress=not args.no_progress)
    scores = evaluate_summaries(rows, model, cached, seed=args.seed, progress=not args.no_progress)
    best_baseline = max(s.mean["rougeL"] for s in scores if s.system != "shopbot")
    rows_out = []
    for s in scores:
        is_model = s.system == "shopbot"
        rows_out.append(
            [
                s.system,
                s.products,
                round(s.mean["rouge1"], 4),
                round(s.mean["rouge2"], 4),
                round(s.mean["rougeL"], 4),
                f"{s.mean['rougeL'] - best_baseline:+.4f}" if is_model else "",
                round(s.max["rougeL"], 4),
                round(s.words, 1),
                f"{s.points_cited}/{s.points_written}" if is_model else "",
                round(s.seconds, 1) if s.seconds is not None else "",
            ]
        )
    headers = [
        "system",
        "products",
        "ROUGE-1",
        "ROUGE-2",
        "ROUGE-L",
        "ROUGE-L vs best baseline",
        "ROUGE-L (max ref)",
        "words",
        "points citing a review",
        "s/product",
    ]
    table = markdown_table(headers, rows_out)
    shopbot = scores[0]
    sample = f"{shopbot.products} of 40 products (seeded sample, --seed {args.seed})"
    notes = (
        f"- Model: `{settings.chat_model}` ({settings.chat_backend}); sample: {sample}; "
        f"{shopbot.failures} product(s) without a usable summary (scored as empty).\n"
        "- ROUGE-1/2/L: F1, lowercased, no stemming, computed by `tools/summary_eval.py`; per "
        "product the **mean over the three human references** (the `max ref` column: the best "
        "reference), then the mean over products. shopbot's text: verdict + pros + cons.\n"
        "- Baselines on the same products: one review picked at random (seeded), and the review "
        f"whose `{settings.embedder}` embedding is closest to the mean of the product's reviews.\n"
        "- `points citing a review`: points that kept at least one cited review supporting them "
        "(repairs included) of all points the model wrote; points without one are dropped.\n"
    )
    limit = f"--limit {args.limit}" if args.limit else ""
    body = (
        f"`shopbot eval reviews --sections summaries {limit} --seed {args.seed}` "
        f"({time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs)\n\n{table}\n\n{notes}"
    )
    print(table)
    write_section(args.out.parent / "summaries.md", "eval-reviews-summaries", body, title="Review summaries")
