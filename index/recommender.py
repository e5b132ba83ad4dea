"""Recommendations learned from shopper behaviour: "for you", "bought together", "goes with",
popularity, and the merchant's view of buyers and baskets.

Two models from :mod:`implicit`, trained on the matrices of :mod:`index.interactions`:

* **for you**: :class:`implicit.cpu.als.AlternatingLeastSquares` on shopper x product
  confidences. A shopper's factors are recomputed at query time from the history passed in
  (``recalculate_user``), so a shopper never seen in training, and clicks recorded after
  training, change the answer without retraining. Nothing usable in the history: popularity.
* **bought together**: an item-item model (:class:`implicit.nearest_neighbours.BM25Recommender`
  by default) fitted on basket x product, anonymous baskets included. Raw co-purchase counts
  are kept beside it: they are the facts the reasons quote and the merchant's table shows.

Every :class:`Suggestion` carries a :class:`Reason` made of facts: the product it comes from
and, when known, in how many baskets the two were bought together. ``allowed`` is the caller's
hard constraints (in the catalog, price, kind): candidates are drawn in excess and filtered,
and the list is filled to ``k`` whenever enough candidates pass.

Files on disk (save, load, the atomic swap) are :mod:`index.recommender_files`.
Deliberately not here: reading events (:mod:`index.events`), the catalog, wording reasons.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import sparse

from index.events import Event
from index.interactions import Interactions, co_purchases, collect, history_row
from index.recommender_files import RecommenderNotFoundError, load_model, save_model

__all__ = ["Parameters", "Reason", "Recommender", "RecommenderNotFoundError", "Suggestion"]

# bought_with / liked_by_similar / popular come from here; like_viewed / like_asked are the
# catalog fallbacks of tools.recommend (no trained model)
ReasonKind = Literal["bought_with", "liked_by_similar", "popular", "like_viewed", "like_asked"]
Allowed = Callable[[str], bool]
_WORD = re.compile(r"[^\W\d_]{3,}")
_FILLER = frozenset({"and", "the", "for", "with", "set", "pack", "of", "size", "small", "large"})


@dataclass(frozen=True)
class Reason:
    kind: str  # a ReasonKind (plain str: callers map it to wording keys of their own)
    because: str | None  # the history item (or the query product) that explains it most
    count: int | None  # baskets holding both (bought_with) or the product (popular); None: unknown


@dataclass(frozen=True)
class Suggestion:
    product_id: str
    score: float
    reason: Reason


@dataclass(frozen=True)
class Parameters:
    """Training choices. ``alpha``, ``half_life_days`` and the basket model were picked on an inner
    time split of the development purchases (train before 2011-06-01, test June-August); the
    rest are common defaults (docs/results/recommendations.md)."""

    factors: int = 64
    regularization: float = 0.05
    alpha: float = 0.5  # ALS confidence scale, on top of ln(1 + strength)
    iterations: int = 15
    basket_model: Literal["bm25", "cosine"] = "bm25"
    neighbours: int = 100  # kept per product by the item-item model
    keep_pairs: int = 200  # co-purchase counts kept per product
    half_life_days: float = 30.0  # popularity: a basket this old counts half
    seed: int = 0
    num_threads: int = 2


def require_implicit() -> None:
    """Fail with what to install when the ``recommend`` extra is missing."""
    try:
        import implicit  # noqa: F401
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "recommendations need implicit: pip install -c constraints.txt -e '.[recommend]'", name="implicit"
        ) from None


def basket_model(parameters: Parameters) -> Any:
    require_implicit()
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    if parameters.basket_model == "cosine":
        return CosineRecommender(K=parameters.neighbours, num_threads=parameters.num_threads)
    return BM25Recommender(K=parameters.neighbours, num_threads=parameters.num_threads)


class Recommender:
    """A trained model: build with :meth:`train` or :meth:`load`; thread-safe to query."""

    def __init__(self, state: dict[str, Any], als: Any, baskets: Any, parameters: Parameters) -> None:
        self.products: list[str] = list(state["products"])
        self.shoppers: list[str] = list(state["shoppers"])
        self.product_index = {pid: i for i, pid in enumerate(self.products)}
        self.co: sparse.csr_matrix = state["co"]  # co-purchase counts, products x products
        self.popularity: np.ndarray = state["popularity"]
        self.basket_counts: np.ndarray = state["basket_counts"]
        self.orders: sparse.csr_matrix = state["orders"]  # shoppers x products
        self.quantities: sparse.csr_matrix = state["quantities"]
        self.info: dict[str, Any] = dict(state["info"])  # trained_at, counts, seconds
        self.als = als
        self.baskets = baskets
        self.parameters = parameters
        self._by_popularity = np.argsort(-self.popularity, kind="stable")

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        events: Iterable[Event],
        *,
        parameters: Parameters | None = None,
        progress: bool = False,
        **choices: Any,
    ) -> Recommender:
        """Learn from ``events`` (any order). ``choices`` override :class:`Parameters` fields."""
        require_implicit()
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.utils import ParameterWarning
        from threadpoolctl import threadpool_limits

        parameters = Parameters(**(asdict(parameters or Parameters()) | choices))
        started = time.perf_counter()
        data: Interactions = collect(events, parameters.half_life_days)
        neighbours = basket_model(parameters)
        with threadpool_limits(1, "blas"), warnings.catch_warnings():  # implicit's own threads do the work
            warnings.simplefilter("ignore", ParameterWarning)  # BM25's weighting hands itself a COO matrix
            als = AlternatingLeastSquares(
                factors=parameters.factors,
                regularization=parameters.regularization,
                alpha=parameters.alpha,
                iterations=parameters.iterations,
                random_state=parameters.seed,
                num_threads=parameters.num_threads,
            )
            if data.liking.nnz:
                als.fit(data.liking, show_progress=progress)
            else:  # nobody's history: "for you" is popularity
                als.item_factors = np.zeros((len(data.products), parameters.factors), np.float32)
                als.user_factors = np.zeros((0, parameters.factors), np.float32)
            neighbours.fit(data.baskets, show_progress=progress)
        co = co_purchases(data.baskets, parameters.keep_pairs)
        info = {
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "latest_event": datetime.fromtimestamp(data.latest, UTC).isoformat() if data.events else None,
            "events": data.events,
            "products": len(data.products),
            "shoppers": len(data.shoppers),
            "baskets": int(data.baskets.shape[0]),
            "seconds": round(time.perf_counter() - started, 2),
        }
        state = {"products": data.products, "shoppers": data.shoppers, "co": co,
                 "popularity": data.popularity, "basket_counts": data.basket_counts,
                 "orders": data.orders, "quantities": data.quantities, "info": info}  # fmt: skip
        return cls(state, als, neighbours, parameters)

    def save(self, directory: Path) -> None:
        """Write the model into ``directory``, replacing what was there only once all is written."""
        save_model(self, directory)

    @classmethod
    def load(cls, directory: Path, num_threads: int | None = None) -> Recommender:
        """The model saved in ``directory``; :class:`RecommenderNotFoundError` when there is none."""
        state, als, baskets, parameters = load_model(directory, num_threads)
        return cls(state, als, baskets, Parameters(**parameters))

    # ------------------------------------------------------------------ shoppers
    def for_you(
        self,
        history: Sequence[Event],
        k: int = 10,
        allowed: Allowed | None = None,
        exclude_seen: bool = True,
    ) -> list[Suggestion]:
        """Products for the shopper whose events are ``history`` (any shopper, seen in training or not)."""
        row, seen = history_row(history, self.product_index)
        skip = set(seen) if exclude_seen else set()
        if row.nnz == 0 or not self.als.user_factors.shape[0]:
            return self._popular(k, allowed, skip)
        ids, scores = self._rank(lambda n: self._als_top(row, n, skip), k, allowed, skip)
        liked = row.indices[row.data > 0]
        user_weights = None
        found: list[Suggestion] = []
        for item, score in zip(ids, scores, strict=True):
            because, count = self._strongest_partner(item, liked)
            if because is None:  # no co-purchase with the history: what ALS leaned on most
                _, top, user_weights = self.als.explain(0, row, item, user_weights=user_weights, N=1)
                because = int(top[0][0]) if top else None
            reason = Reason("bought_with" if count else "liked_by_similar",
                            None if because is None else self.products[because], count)  # fmt: skip
            found.append(Suggestion(self.products[item], float(score), reason))
        return found

    def _als_top(self, row: sparse.csr_matrix, n: int, skip: set[int]) -> tuple[np.ndarray, np.ndarray]:
        filter_items = np.fromiter(skip, dtype=np.int32) if skip else None
        ids, scores = self.als.recommend(
            0, row, N=n, filter_already_liked_items=False, filter_items=filter_items, recalculate_user=True
        )
        keep = scores > -1e30
        return ids[keep], scores[keep]

    def popular(self, k: int = 10, allowed: Allowed | None = None) -> list[Suggestion]:
        """The most-bought products, recent baskets counting more."""
        return self._popular(k, allowed, set())

    def _popular(self, k: int, allowed: Allowed | None, skip: set[int]) -> list[Suggestion]:
        found: list[Suggestion] = []
        for item in self._by_popularity:
            if len(found) == k or self.popularity[item] <= 0:
                break
            if item in skip or (allowed is not None and not allowed(self.products[item])):
                continue
            count = int(self.basket_counts[item])
            found.append(Suggestion(self.products[item], float(self.popularity[item]),
                                    Reason("popular", None, count)))  # fmt: skip
        return found

    # ------------------------------------------------------------------ products
    def bought_together(
        self, product_id: str, k: int = 10, allowed: Allowed | None = None
    ) -> list[Suggestion]:
        """Products bought in the same baskets as ``product_id``, strongest association first."""
        return self._together(product_id, allowed)[:k] if k > 0 else []

    def goes_with(
        self,
        product_id: str,
        k: int = 10,
        type_of: Callable[[str], str | None] = lambda _: None,
        allowed: Allowed | None = None,
        title_of: Callable[[str], str | None] | None = None,
    ) -> list[Suggestion]:
        """Bought together with ``product_id`` and of another kind: complements, not substitutes.

        Two products are of the same kind when ``type_of`` gives both the same type. When it
        gives None for either, their titles (``title_of``) decide: the same kind when at least
        half the words of the shorter title (letters only, 3+ characters, minus filler words
        like "set", "pack") are in the other. With neither known, the candidate is kept.
        """
        own_type = type_of(product_id)
        own_title = title_of(product_id) if title_of else None
        found: list[Suggestion] = []
        for suggestion in self._together(product_id, allowed):
            other_type = type_of(suggestion.product_id)
            if own_type is not None and other_type is not None:
                same = own_type == other_type
            else:
                other_title = title_of(suggestion.product_id) if title_of else None
                same = (
                    own_title is not None
                    and other_title is not None
                    and same_kind_by_title(own_title, other_title)
                )
            if not same:
                found.append(suggestion)
                if len(found) == k:
                    break
        return found

    def _together(self, product_id: str, allowed: Allowed | None) -> list[Suggestion]:
        """Every product with a known association to ``product_id``, best first, ``allowed`` only."""
        item = self.product_index.get(product_id)
        if item is None:
            return []
        similar = self.baskets.similarity[item]
        partners = self.co[item]
        counts = dict(zip(partners.indices.tolist(), partners.data.tolist(), strict=True))
        order = sorted(
            zip(similar.indices.tolist(), similar.data.tolist(), strict=True), key=lambda p: (-p[1], p[0])
        )
        ranked = [(other, score) for other, score in order if other != item]
        listed = {other for other, _ in ranked}
        ranked += [
            (other, 0.0)
            for other, _ in sorted(counts.items(), key=lambda p: (-p[1], p[0]))
            if other not in listed
        ]
        found: list[Suggestion] = []
        for other, score in ranked:
            pid = self.products[other]
            if allowed is not None and not allowed(pid):
                continue
            count = counts.get(other)
            found.append(Suggestion(pid, float(score), Reason("bought_with", product_id, count)))
        return found

    def co_purchase_count(self, first: str, second: str) -> int | None:
        """Baskets holding both (None: not among the pairs kept for ``first``)."""
        a, b = self.product_index.get(first), self.product_index.get(second)
        if a is None or b is None:
            return None
        value = int(self.co[a, b])
        return value or None

    def _strongest_partner(self, item: int, liked: np.ndarray) -> tuple[int | None, int | None]:
        """The history item most often bought with ``item``, and in how many baskets."""
        row = self.co[item]
        mask = np.isin(row.indices, liked)
        if not mask.any():
            return None, None
        best = int(np.argmax(np.where(mask, row.data, -1)))
        return int(row.indices[best]), int(row.data[best])

    def _rank(
        self,
        top: Callable[[int], tuple[np.ndarray, np.ndarray]],
        k: int,
        allowed: Allowed | None,
        skip: set[int],
    ) -> tuple[list[int], list[float]]:
        """The first ``k`` of ``top(n)`` that are allowed: 4k candidates, then all when short."""
        n = min(len(self.products), max(4 * k, k + len(skip)))
        while True:
            ids, scores = top(n)
            chosen = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)
                      if int(i) not in skip and (allowed is None or allowed(self.products[int(i)]))]  # fmt: skip
            if len(chosen) >= k or n >= len(self.products):
                chosen = chosen[:k]
                return [i for i, _ in chosen], [s for _, s in chosen]
            n = len(self.products)

    # ------------------------------------------------------------------ merchant
    def buyers_of(self, product_ids: Sequence[str], limit: int = 10) -> list[tuple[str, int, float]]:
        """Who bought these products most: (shopper, purchases, quantity kept), most purchases first."""
        columns = [self.product_index[pid] for pid in product_ids if pid in self.product_index]
        if not columns or not self.shoppers:
            return []
        orders = np.asarray(self.orders[:, columns].sum(axis=1)).ravel()
        quantity = np.asarray(self.quantities[:, columns].sum(axis=1)).ravel()
        rows = [i for i in np.lexsort((-quantity, -orders)) if orders[i] > 0 and quantity[i] > 0]
        return [(self.shoppers[i], int(orders[i]), float(quantity[i])) for i in rows[:limit]]

    def top_pairs(self, limit: int = 10) -> list[tuple[str, str, int, float]]:
        """The pairs bought together in the most baskets: (a, b, baskets together, lift).

        Lift = baskets together x all baskets / (baskets with a x baskets with b): 1 is chance.
        """
        upper = sparse.triu(self.co.maximum(self.co.T), k=1).tocoo()  # a pair kept by either side
        order = np.lexsort((upper.col, upper.row, -upper.data))[:limit]
        total = float(self.info["baskets"])
        pairs = []
        for i in order:
            a, b, together = int(upper.row[i]), int(upper.col[i]), int(upper.data[i])
            lift = together * total / max(1.0, float(self.basket_counts[a]) * float(self.basket_counts[b]))
            pairs.append((self.products[a], self.products[b], together, lift))
        return pairs


def same_kind_by_title(first: str, second: str) -> bool:
    """Titles sharing at least half the words of the shorter one (see :meth:`Recommender.goes_with`)."""
    a, b = _words(first), _words(second)
    if not a or not b:
        return False
    return len(a & b) >= math.ceil(min(len(a), len(b)) / 2)


def _words(title: str) -> set[str]:
    return {word for word in _WORD.findall(title.lower()) if word not in _FILLER}
