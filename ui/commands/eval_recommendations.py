"""`shopbot eval recommendations`: recall@k, NDCG@k and coverage of "for you" and "bought
together" on a time split of real purchases, against baselines in the same run.

Trains the recommender on every event before ``--split-date`` (of ``--purchases`` and
``--also-train``), predicts what each customer bought after it, and compares with popularity
and an item-kNN baseline (implicit's CosineRecommender on shopper x product); "bought together"
is compared with raw co-purchase counting and popularity. Protocols and metric definitions:
:mod:`index.recommend_eval`. Also times training (and, with ``--scale-events``, training on that
many events: the training set replicated with its own shoppers and orders). Writes the tables
into a markdown file (a generated section; text around it is kept).
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DATA = Path("../shared/data/recsys")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog", type=Path, default=DATA / "online_retail_products.jsonl", help="products (JSONL with id)"
    )
    parser.add_argument(
        "--purchases", type=Path, default=DATA / "online_retail_dev_purchases.csv", help="events file"
    )
    parser.add_argument(
        "--split-date", default="2011-09-01", help="train before, predict from (default 2011-09-01)"
    )
    parser.add_argument(
        "--also-train", type=Path, action="append", default=[], help="more events, used for training only"
    )
    parser.add_argument("-k", type=int, default=10, help="cutoff (default 10)")
    parser.add_argument(
        "--max-queries", type=int, default=5, help="bought-together queries per test basket (default 5)"
    )
    parser.add_argument(
        "--scale-events", type=int, default=0, help="also time training on this many events (e.g. 1000000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap and sampling seed (default 0)")
    parser.add_argument(
        "--out", type=Path, default=Path("docs/results/recommendations.md"), help="markdown report"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed_train(events: Sequence[Any], progress: bool) -> tuple[Any, float, float]:
    """The model, seconds, and the peak resident memory above the start (sampled every 10 ms)."""
    from index.recommender import Recommender

    start, peak, done = _rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        model = Recommender.train(events, progress=progress)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return model, seconds, max(peak[0], _rss_mb()) - start


def run(args: argparse.Namespace) -> int:
    import json

    from tqdm import tqdm

    from index.events import load_events, parse_time
    from index.ingest import IngestError
    from index.recommend_eval import scaled, split_events
    from ui.report import write_section

    progress = not args.no_progress
    try:
        split = parse_time(args.split_date)
    except ValueError as error:
        print(f"--split-date: {error}")
        return 2
    try:
        with args.catalog.open(encoding="utf-8") as handle:
            catalog = {str(json.loads(line)["id"]) for line in handle if line.strip()}
        loaded = load_events(args.purchases)
        extra = [event for path in args.also_train for event in load_events(path).records]
    except (OSError, ValueError, KeyError, IngestError) as error:
        print(f"cannot read the inputs: {error}")
        return 2
    train, test = split_events(loaded.records, split)
    train += [event for event in extra if event.at < split]
    if not train or not test:
        print(
            f"nothing to {'train on' if not train else 'predict'}: every event is on one side of {args.split_date}"
        )
        return 2
    started = time.perf_counter()
    model, seconds, memory = _timed_train(train, progress)
    print(
        f"trained on {len(train):,} events in {seconds:.1f} s (resident memory +{memory:.0f} MB while training)"
    )
    shoppers = _shopper_tables(model, train, test, catalog, args, progress)
    baskets = _basket_table(model, test, catalog, args, progress, tqdm)
    timing = [f"- training on the {len(train):,} events before the split: {seconds:.1f} s, "
              f"resident memory +{memory:.0f} MB at its peak"]  # fmt: skip
    if args.scale_events:
        big = scaled(train, args.scale_events)
        del model
        _, big_seconds, big_memory = _timed_train(big, progress)
        timing.append(f"- training on {len(big):,} events (the training set replicated with new shopper and "
                      f"order ids): {big_seconds:.1f} s, resident memory +{big_memory:.0f} MB "
                      f"at its peak ({_peak_mb():.0f} MB peak of the whole run, input events included)")  # fmt: skip
        print(timing[-1])
    extras = "".join(f" --also-train {path}" for path in args.also_train)
    command = (f"shopbot eval recommendations --catalog {args.catalog} --purchases {args.purchases}{extras} "
               f"--split-date {args.split_date} -k {args.k} --max-queries {args.max_queries} --seed {args.seed}"
               + (f" --scale-events {args.scale_events}" if args.scale_events else ""))  # fmt: skip
    cpus = len(os.sched_getaffinity(0))
    body = (f"`{command}` ({time.perf_counter() - started:.0f} s, {cpus} CPUs; {len(train):,} training events, "
            f"{len(test):,} after the split, {len(catalog):,} catalog products)\n\n"
            f"{shoppers}\n\n{baskets}\n\n**Training time and memory**\n\n" + "\n".join(timing) + "\n")  # fmt: skip
    write_section(args.out, "eval-recommendations", body, title="Recommendation quality")
    print(f"written to {args.out}")
    return 0


def _difference(a: Any, b: Any, seed: int) -> str:
    from index.recommend_eval import bootstrap_difference

    mean, low, high = bootstrap_difference(a, b, seed=seed)
    return f"{mean:+.4f} [{low:+.4f}, {high:+.4f}]"


def _rows(
    results: dict[str, Any], baseline: str, count: int, catalog: int, seed: int, label: str
) -> list[list[object]]:
    import numpy as np

    rows: list[list[object]] = []
    for name, result in results.items():
        vs_recall = vs_ndcg = ""
        if name != baseline:
            vs_recall = _difference(result.recall, results[baseline].recall, seed)
            vs_ndcg = _difference(result.ndcg, results[baseline].ndcg, seed)
        rows.append([label, name, count, round(float(np.mean(result.recall)), 4), vs_recall,
                     round(float(np.mean(result.ndcg)), 4), vs_ndcg, round(len(result.shown) / catalog, 4)])  # fmt: skip
    return rows


def _shopper_methods(
    model: Any, train: Sequence[Any], catalog: set[str], k: int, new_only: bool
) -> dict[str, Callable[[Any], list[str]]]:
    """ours, popularity, item-kNN (and, counting repeats, "buy again") as case -> ranked ids."""
    from implicit.nearest_neighbours import CosineRecommender
    from implicit.utils import ParameterWarning
    from threadpoolctl import threadpool_limits

    from index.interactions import collect, history_row

    data = collect(train, model.parameters.half_life_days)
    assert data.products == model.products, "the baseline's matrix must index products as the model does"
    knn = CosineRecommender(K=100, num_threads=model.parameters.num_threads)
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)  # implicit's normalize hands itself a COO matrix
        knn.fit(data.liking, show_progress=False)

    def excluded(case: Any) -> set[str]:
        return {event.product for event in case.history if event.weight != 0} if new_only else set()

    def popularity(case: Any) -> list[str]:
        skip = excluded(case)
        return [
            s.product_id for s in model.popular(k, allowed=lambda pid: pid in catalog and pid not in skip)
        ]

    def ours(case: Any) -> list[str]:
        found = model.for_you(case.history, k, allowed=catalog.__contains__, exclude_seen=new_only)
        return [s.product_id for s in found]

    def item_knn(case: Any) -> list[str]:
        row, _ = history_row(case.history, model.product_index)
        if row.nnz == 0:
            return popularity(case)
        ids, _ = knn.recommend(0, row, N=len(model.products), filter_already_liked_items=new_only)
        skip = excluded(case)
        ranked = [model.products[i] for i in ids]
        return [pid for pid in ranked if pid in catalog and pid not in skip][:k]

    def buy_again(case: Any) -> list[str]:
        counts = Counter(
            event.product for event in case.history if event.kind == "purchase" and event.product in catalog
        )
        mine = [pid for pid, _ in sorted(counts.items(), key=lambda p: (-p[1], p[0]))][:k]
        return mine + [pid for pid in popularity(case) if pid not in counts][: k - len(mine)]

    methods: dict[str, Callable[[Any], list[str]]] = {
        "popularity": popularity,
        "ours (ALS, for you)": ours,
        "item-kNN (cosine)": item_knn,
    }
    if not new_only:
        methods["buy again, then popularity"] = buy_again
    return methods


def _shopper_tables(
    model: Any,
    train: Sequence[Any],
    test: Sequence[Any],
    catalog: set[str],
    args: argparse.Namespace,
    progress: bool,
) -> str:
    from tqdm import tqdm

    from index.recommend_eval import evaluate_shoppers, shopper_cases
    from ui.report import markdown_table

    k = args.k
    out = []
    for new_only, title in ((True, "new to the customer"), (False, "every product bought after the split")):
        cases = shopper_cases(train, test, catalog, new_only=new_only)
        methods = _shopper_methods(model, train, catalog, k, new_only)
        rows: list[list[object]] = []
        warm = [case for case in cases if case.history]
        cold = [case for case in cases if not case.history]
        for label, group in (("with history", warm), ("cold (no history)", cold), ("all customers", cases)):
            if not group:
                continue
            iterable = tqdm(group, desc=f"for you, {label}", disable=not progress)
            results = evaluate_shoppers(list(iterable), methods, k)
            if label.startswith("cold"):  # every method is popularity here
                results = {"popularity (every method)": results["popularity"]}
                rows += _rows(
                    results, "popularity (every method)", len(group), len(catalog), args.seed, label
                )
            else:
                rows += _rows(results, "popularity", len(group), len(catalog), args.seed, label)
        headers = ["customers", "method", "n", f"recall@{k}", "- popularity [95% CI]", f"NDCG@{k}",
                   "- popularity [95% CI]", "coverage"]  # fmt: skip
        table = markdown_table(headers, rows)
        print(f"\nfor you, relevant = {title}\n{table}")
        out.append(f"**For you; relevant: {title}**\n\n{table}")
    return "\n\n".join(out)


def _basket_table(
    model: Any, test: Sequence[Any], catalog: set[str], args: argparse.Namespace, progress: bool, tqdm: Any
) -> str:
    from index.recommend_eval import basket_cases, evaluate_baskets
    from ui.report import markdown_table

    k = args.k

    def known(pid: str) -> bool:
        index = model.product_index.get(pid)
        return index is not None and model.basket_counts[index] > 0

    cases = basket_cases(test, known, catalog, args.max_queries, args.seed)

    def ours(query: str) -> list[str]:
        return [s.product_id for s in model.bought_together(query, k, allowed=catalog.__contains__)]

    def counting(query: str) -> list[str]:
        row = model.co[model.product_index[query]]
        ranked = sorted(
            zip(row.data.tolist(), row.indices.tolist(), strict=True), key=lambda p: (-p[0], p[1])
        )
        return [model.products[i] for _, i in ranked if model.products[i] in catalog][:k]

    def popularity(query: str) -> list[str]:
        return [s.product_id for s in model.popular(k, allowed=lambda pid: pid in catalog and pid != query)]

    ours_name = f"ours ({model.parameters.basket_model} item-item on baskets)"
    methods: dict[str, Callable[[str], list[str]]] = {
        "popularity": popularity,
        ours_name: ours,
        "co-purchase counts": counting,
    }
    results = evaluate_baskets(list(tqdm(cases, desc="bought together", disable=not progress)), methods, k)
    rows = _rows(results, "popularity", len(cases), len(catalog), args.seed, "test baskets")
    counts = results["co-purchase counts"]
    for row, name in zip(rows, results, strict=True):
        row.append(_difference(results[name].ndcg, counts.ndcg, args.seed) if name.startswith("ours") else "")
    headers = ["cases", "method", "n", f"recall@{k}", "- popularity [95% CI]", f"NDCG@{k}", "- popularity [95% CI]",
               "coverage", "NDCG - counts [95% CI]"]  # fmt: skip
    table = markdown_table(headers, rows)
    print(f"\nbought together\n{table}")
    return f"**Bought together** (each query product of a test basket; the rest of the basket is relevant)\n\n{table}"
