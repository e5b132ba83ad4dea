"""Offline evaluation of the recommender on a time split of real purchases.

Everything before the split date is training; what customers bought on or after it is
predicted. The protocols:

* **for you**: one case per customer with purchases after the split. Relevant items: the
  catalog products they bought after the split and did not return then (quantity kept > 0).
  Primary table: only the products *new to them* (not bought before the split), with the
  products they already interacted with excluded from the list; second table: every product
  bought after, nothing excluded (repeat purchases count). A customer with no event before the
  split is *cold*: every method falls back to popularity for them.
* **bought together**: one case per basket after the split holding at least two distinct
  catalog products; each of (at most ``max_queries``, seeded) products of it that occur in a
  training basket is a query, the rest of the basket is relevant; a basket scores the mean of
  its queries.

Metrics at cutoff k (binary relevance): recall@k = hits / min(k, relevant) (1 is reachable
whatever the basket size), NDCG@k = DCG / ideal DCG with gain 1/log2(rank + 1), coverage =
distinct products recommended over all cases / catalog products. Differences between two
methods are paired per case, with a seeded percentile bootstrap 95 % interval.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from index.events import Event


@dataclass(frozen=True)
class ShopperCase:
    shopper: str
    history: list[Event]  # their events before the split
    relevant: frozenset[str]
    bought_before: frozenset[str]


@dataclass(frozen=True)
class BasketCase:
    queries: tuple[str, ...]
    items: frozenset[str]


@dataclass
class MethodResult:
    name: str
    recall: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)

    def add(self, ranked: Sequence[str], relevant: frozenset[str], k: int) -> tuple[float, float]:
        top = list(ranked)[:k]
        self.shown.update(top)
        return recall_at(top, relevant, k), ndcg_at(top, relevant, k)


def split_events(events: Iterable[Event], at: datetime) -> tuple[list[Event], list[Event]]:
    before: list[Event] = []
    after: list[Event] = []
    for event in events:
        (before if event.at < at else after).append(event)
    return before, after


def recall_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for pid in ranked[:k] if pid in relevant) / min(k, len(relevant))


def ndcg_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 2) for rank, pid in enumerate(ranked[:k]) if pid in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal


def kept_purchases(events: Iterable[Event]) -> dict[str, dict[str, float]]:
    """Per shopper, per product: quantity bought minus returned (shoppers only)."""
    kept: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        if event.shopper is not None and event.kind in ("purchase", "return"):
            kept[event.shopper][event.product] += (
                event.quantity if event.kind == "purchase" else -event.quantity
            )
    return kept


def shopper_cases(
    train: Sequence[Event], test: Sequence[Event], catalog: set[str], *, new_only: bool
) -> list[ShopperCase]:
    """One case per customer who kept a catalog product bought after the split."""
    history: dict[str, list[Event]] = defaultdict(list)
    bought: dict[str, set[str]] = defaultdict(set)
    for event in train:
        if event.shopper is not None:
            history[event.shopper].append(event)
            if event.kind == "purchase":
                bought[event.shopper].add(event.product)
    cases = []
    for shopper, products in sorted(kept_purchases(test).items()):
        relevant = {pid for pid, quantity in products.items() if quantity > 0 and pid in catalog}
        if new_only:
            relevant -= bought[shopper]
        if relevant:
            cases.append(
                ShopperCase(shopper, history[shopper], frozenset(relevant), frozenset(bought[shopper]))
            )
    return cases


def basket_cases(
    test: Sequence[Event], known: Callable[[str], bool], catalog: set[str], max_queries: int, seed: int
) -> list[BasketCase]:
    """The test baskets with 2+ distinct catalog products; queries: products seen in training baskets."""
    baskets: dict[str, set[str]] = defaultdict(set)
    for event in test:
        if event.kind == "purchase" and event.order is not None and event.product in catalog:
            baskets[event.order].add(event.product)
    rng = random.Random(seed)
    cases = []
    for order in sorted(baskets):
        items = baskets[order]
        queries = sorted(pid for pid in items if known(pid))
        if len(items) < 2 or not queries:
            continue
        if len(queries) > max_queries:
            queries = sorted(rng.sample(queries, max_queries))
        cases.append(BasketCase(tuple(queries), frozenset(items)))
    return cases


def evaluate_shoppers(
    cases: Sequence[ShopperCase], methods: dict[str, Callable[[ShopperCase], list[str]]], k: int
) -> dict[str, MethodResult]:
    results = {name: MethodResult(name) for name in methods}
    for case in cases:
        for name, method in methods.items():
            recall, ndcg = results[name].add(method(case), case.relevant, k)
            results[name].recall.append(recall)
            results[name].ndcg.append(ndcg)
    return results


def evaluate_baskets(
    cases: Sequence[BasketCase], methods: dict[str, Callable[[str], list[str]]], k: int
) -> dict[str, MethodResult]:
    results = {name: MethodResult(name) for name in methods}
    for case in cases:
        for name, method in methods.items():
            scores = [results[name].add(method(query), case.items - {query}, k) for query in case.queries]
            results[name].recall.append(float(np.mean([s[0] for s in scores])))
            results[name].ndcg.append(float(np.mean([s[1] for s in scores])))
    return results


def bootstrap_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, samples: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of ``a - b`` (paired) and its 95 % percentile bootstrap interval."""
    differences = np.subtract(a, b, dtype=np.float64)
    if len(differences) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, len(differences), size=(samples, len(differences)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(differences.mean()), float(low), float(high)


def scaled(events: Sequence[Event], total: int) -> list[Event]:
    """``events`` repeated up to ``total``, each copy with its own shoppers and orders (a bigger store)."""
    from dataclasses import replace

    out = list(events[:total])
    copy = 1
    while len(out) < total and events:
        for event in events[: total - len(out)]:
            shopper = None if event.shopper is None else f"{event.shopper}~{copy}"
            order = None if event.order is None else f"{event.order}~{copy}"
            out.append(replace(event, shopper=shopper, order=order))
        copy += 1
    return out
