"""`shopbot eval retrieval`: nDCG@10 and recall@10 of catalog search on judged query sets.

Runs the shipped configuration (hybrid) and, in the same run and on the same index, plain
BM25 (lexical) and plain dense search, for one or several embedders, and writes the table
into a markdown file (a generated section; hand-written text around it is kept).

Sets: ``homedepot`` (English, graded), ``ecomgpt_zh`` (Chinese), ``luma_zh_to_en`` (bundled:
Chinese queries, English demo store), ``amazon_reviews`` (English reviews as queries over the
Amazon India catalog, whose products have long texts; made from ``../shared/data/catalogs``).
``--text-tokens 64,0`` compares how much of each product's text is embedded (0: the whole
text): one row per cap, and the paired difference of each cap from the first. By default Home Depot is a seeded sample (500 queries,
all the products they judge, 5,000 random distractors) so a run takes minutes; ``--full``
evaluates every query against all 54,667 products (about 15 minutes of embedding the first
time per embedder; vectors and indexes are cached under the cache dir).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ui.commands import text_token_caps

DEFAULT_SETS = "homedepot,ecomgpt_zh,luma_zh_to_en,amazon_reviews"


def _default_data_dir() -> Path:
    shared = os.environ.get("SHOPBOT_SHARED_DATA")
    return Path(shared) / "eval" / "retrieval" if shared else Path("../shared/data/eval/retrieval")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder of the judged sets (default: ../shared/data/eval/retrieval)",
    )
    parser.add_argument(
        "--sets", default=DEFAULT_SETS, help=f"comma-separated sets (default: {DEFAULT_SETS})"
    )
    parser.add_argument(
        "--embedder", default=None, help="embedder name(s), comma-separated (default: the configured one)"
    )
    parser.add_argument(
        "--index-cache", type=Path, default=None, help="cache folder (default: settings cache_dir)"
    )
    parser.add_argument("--limit-queries", type=int, default=500, help="queries per set (default 500)")
    parser.add_argument(
        "--distractors", type=int, default=5000, help="random unjudged products added to a sampled corpus"
    )
    parser.add_argument("--full", action="store_true", help="all queries and the whole corpus of every set")
    parser.add_argument(
        "--text-tokens",
        type=text_token_caps,
        default=None,
        metavar="N,...",
        help="tokens of product text embedded, comma-separated, 0 = whole (default: the index default, 64)",
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("-k", type=int, default=10, help="cutoff (default 10)")
    parser.add_argument("--out", type=Path, default=Path("docs/results/retrieval.md"), help="markdown report")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from index.building import TEXT_TOKENS
    from index.embedders import load_embedder
    from index.eval_runner import evaluate, open_index, paired_difference
    from index.retrieval_eval import SETS, load_eval_set, subsample
    from ui.report import markdown_table, write_section

    settings = load_settings()
    cache_dir = args.index_cache or settings.cache_dir
    data_dir = args.data or _default_data_dir()
    names = [name.strip() for name in (args.embedder or settings.embedder).split(",") if name.strip()]
    set_names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in set_names if name not in SETS]
    if unknown:
        print(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
        return 2
    if not args.full and (args.limit_queries < 1 or args.distractors < 0):
        print("--limit-queries must be at least 1 and --distractors at least 0")
        return 2
    caps = args.text_tokens or [TEXT_TOKENS]
    progress = not args.no_progress
    eval_sets = []
    for name in set_names:
        full = load_eval_set(SETS[name], data_dir)
        eval_sets.append(
            full if args.full else subsample(full, args.limit_queries, args.distractors, args.seed)
        )
    started = time.perf_counter()
    rows: list[list[object]] = []
    cap_rows: list[list[object]] = []
    engine_rows: list[list[object]] = []
    first_engine: dict[tuple[str, str, int], Any] = {}  # (set, mode, cap) -> the first embedder's result
    for embedder_name in names:
        embedder = load_embedder(embedder_name, cache_dir)
        for eval_set in eval_sets:
            first: dict[str, Any] = {}  # mode -> result with the first cap
            for cap in caps:
                index = open_index(eval_set, embedder, cache_dir, progress=progress, text_tokens=cap or None)
                results = evaluate(index, eval_set, embedder, k=args.k, progress=progress)
                applied = index.manifest.get("text", {}).get("max_tokens")  # None: this embedder can't cap
                index.close()
                best_baseline = max((r for r in results if r.mode != "hybrid"), key=lambda r: r.ndcg)
                text = applied or "whole"
                for result in results:
                    gain = ""
                    if result.mode == "hybrid":
                        difference, half_width = paired_difference(result, best_baseline)
                        gain = f"{difference:+.3f} ± {half_width:.3f} (vs {best_baseline.mode})"
                    rows.append(
                        [
                            eval_set.name,
                            embedder.name,
                            result.mode,
                            round(result.ndcg, 4),
                            gain,
                            round(result.recall, 4),
                            result.queries,
                            len(eval_set.corpus),
                            round(result.ms_per_query, 1),
                            text,
                        ]
                    )
                    baseline = first_engine.setdefault((eval_set.name, result.mode, cap), result)
                    if against := _paired(result, baseline):
                        engine_rows.append(
                            [eval_set.name, result.mode, text, f"{embedder.name} - {names[0]}", against]
                        )
                    if against := _paired(result, first.setdefault(result.mode, result)):
                        cap_rows.append(
                            [
                                eval_set.name,
                                embedder.name,
                                result.mode,
                                f"{text} - {caps[0] or 'whole'}",
                                against,
                            ]
                        )
    headers = [
        "set",
        "embedder",
        "mode",
        f"nDCG@{args.k}",
        "hybrid - best baseline (95% CI)",
        f"recall@{args.k}",
        "queries",
        "products",
        "ms/query",
        "text tokens",
    ]
    table = markdown_table(headers, rows)
    if cap_rows:
        table += (
            "\n\nPaired nDCG@10 difference between text caps, same queries (95% CI):\n\n"
            + markdown_table(["set", "embedder", "mode", "text tokens", "difference"], cap_rows)
        )
    if engine_rows:
        table += (
            "\n\nPaired nDCG@10 difference between embedders, same queries and products (95% CI; "
            "the text tokens are the compared embedder's; an embedder without a tokenizer embeds whole "
            "texts):\n\n"
            + markdown_table(["set", "mode", "text tokens", "embedders", "difference"], engine_rows)
        )
    samples = "\n".join(f"- `{s.name}`: {s.sample_note}. Gains: {s.gain_note}." for s in eval_sets)
    command = "shopbot eval retrieval " + (
        "--full" if args.full else f"--limit-queries {args.limit_queries} --distractors {args.distractors}"
    )
    body = (
        f"`{command} --seed {args.seed} --sets {','.join(set_names)} --embedder {','.join(names)} "
        f"--text-tokens {','.join(map(str, caps))}` "
        f"({time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs; ms/query = search only, "
        "query embedding excluded)\n\n"
        f"{table}\n\n{samples}\n"
    )
    print(table)
    print(samples)
    write_section(args.out, "eval-retrieval", body, title="Retrieval quality")
    print(f"written to {args.out}")
    return 0


def _paired(result: Any, reference: Any) -> str | None:
    """``result``'s paired nDCG difference from ``reference`` with its 95% interval; None when they are
    the same result or lexical (whose ranking no embedder or cap changes)."""
    from index.eval_runner import paired_difference

    if result is reference or result.mode == "lexical":
        return None
    difference, half_width = paired_difference(result, reference)
    return f"{difference:+.4f} ± {half_width:.4f}"
