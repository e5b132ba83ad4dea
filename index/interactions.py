"""Events as matrices: what the recommender (:mod:`index.recommender`) learns from.

* **Liking** (shopper x product): each event adds ``weight x (1 + ln quantity)`` (a view 1, a
  click 2, a cart 4, a purchase of one 8, of 24 about 33); a return subtracts exactly what the
  purchase of the same quantity added, so a product bought and sent back counts for nothing.
  Sums below zero are clipped to zero; the confidence ALS sees is ``ln(1 + sum)`` (a wholesaler
  who buys 1,000 of a thing does not drown out the rest of their basket).
* **Baskets** (basket x product, 0/1): the products of one order id, purchases only (a
  cancellation invoice is no basket). Anonymous orders count; a purchase without an order id is
  a basket of one (it counts for popularity, never for "bought together").
* **Co-purchases** (product x product): in how many baskets two products were bought together,
  kept for the ``keep`` most frequent partners of each product.
* **Popularity**: the baskets holding a product, each weighted ``0.5 ** (age / half_life)``
  with the age measured from the last event learned from.

Deliberately not here: the models, and files on disk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from index.events import Event

BROWSING = ("view", "click", "cart")  # kinds that count as "seen" without a purchase


def strength(event: Event) -> float:
    """What one event adds to how much its shopper likes its product (a return: minus)."""
    return event.weight * (1.0 + math.log(max(event.quantity, 1.0)))


def confidence(values: sparse.csr_matrix) -> sparse.csr_matrix:
    """Summed strengths -> ALS confidences: clipped at zero, then ``ln(1 + x)``."""
    matrix = values.tocsr(copy=True)
    matrix.sum_duplicates()
    matrix.data = np.log1p(np.clip(matrix.data, 0.0, None)).astype(np.float32)
    matrix.eliminate_zeros()
    return matrix


@dataclass
class Interactions:
    """The matrices of one training set, with the ids behind their rows and columns."""

    products: list[str]
    shoppers: list[str]
    liking: sparse.csr_matrix  # shoppers x products, confidences
    baskets: sparse.csr_matrix  # baskets x products, 0/1
    orders: sparse.csr_matrix  # shoppers x products: purchase events
    quantities: sparse.csr_matrix  # shoppers x products: quantity bought minus returned
    popularity: np.ndarray  # per product, recency-weighted baskets
    basket_counts: np.ndarray  # per product, baskets holding it
    latest: float  # POSIX time of the last event
    events: int


def collect(events: Iterable[Event], half_life_days: float) -> Interactions:
    """One pass over the events; every matrix is built from flat index arrays."""
    product_index: dict[str, int] = {}
    shopper_index: dict[str, int] = {}
    basket_index: dict[str, int] = {}
    like_rows: list[int] = []
    like_cols: list[int] = []
    like_values: list[float] = []
    buy_rows: list[int] = []
    buy_cols: list[int] = []
    buy_orders: list[float] = []
    buy_quantities: list[float] = []
    basket_rows: list[int] = []
    basket_cols: list[int] = []
    basket_times: dict[int, float] = {}
    latest = -math.inf
    count = 0
    for event in events:
        count += 1
        product = product_index.setdefault(event.product, len(product_index))
        moment = event.at.timestamp()
        latest = max(latest, moment)
        if event.kind == "purchase":
            key = event.order if event.order is not None else f"\0{count}"
            basket = basket_index.setdefault(key, len(basket_index))
            basket_rows.append(basket)
            basket_cols.append(product)
            basket_times[basket] = max(basket_times.get(basket, moment), moment)
        if event.shopper is None or event.weight == 0:
            continue
        shopper = shopper_index.setdefault(event.shopper, len(shopper_index))
        like_rows.append(shopper)
        like_cols.append(product)
        like_values.append(strength(event))
        if event.kind in ("purchase", "return"):
            buy_rows.append(shopper)
            buy_cols.append(product)
            buy_orders.append(1.0 if event.kind == "purchase" else 0.0)
            buy_quantities.append(event.quantity if event.kind == "purchase" else -event.quantity)
    products, shoppers = list(product_index), list(shopper_index)
    shape = (len(shoppers), len(products))

    def matrix(
        rows: list[int], cols: list[int], values: Sequence[float] | np.ndarray, size: tuple[int, int]
    ) -> sparse.csr_matrix:
        built = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float64), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=size,
        )
        built.sum_duplicates()
        return built

    baskets = matrix(basket_rows, basket_cols, np.ones(len(basket_rows)), (len(basket_index), len(products)))
    baskets.data[:] = 1.0  # a product twice in one order is one basket
    baskets = baskets.astype(np.float32)
    ages = np.zeros(len(basket_index))
    for basket, moment in basket_times.items():
        ages[basket] = (latest - moment) / 86400.0
    decay = np.power(0.5, ages / half_life_days) if half_life_days > 0 else np.ones(len(ages))
    return Interactions(
        products=products,
        shoppers=shoppers,
        liking=confidence(matrix(like_rows, like_cols, like_values, shape)),
        baskets=baskets,
        orders=matrix(buy_rows, buy_cols, buy_orders, shape),
        quantities=matrix(buy_rows, buy_cols, buy_quantities, shape),
        popularity=np.asarray(baskets.T @ decay, dtype=np.float64).ravel(),
        basket_counts=np.asarray(baskets.sum(axis=0), dtype=np.int64).ravel(),
        latest=latest if count else 0.0,
        events=count,
    )


def co_purchases(baskets: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Product x product: baskets holding both, the ``keep`` largest per product (no diagonal).

    Computed a block of products at a time so that the full count matrix is never held.
    """
    by_product = baskets.T.tocsr().astype(np.int32)
    n = by_product.shape[0]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    values: list[np.ndarray] = []
    block = 512
    for start in range(0, n, block):
        counts = (by_product[start : start + block] @ baskets.astype(np.int32)).tocsr()
        for offset in range(counts.shape[0]):
            row = start + offset
            begin, end = counts.indptr[offset], counts.indptr[offset + 1]
            partners, together = counts.indices[begin:end], counts.data[begin:end]
            mask = (partners != row) & (together > 0)
            partners, together = partners[mask], together[mask]
            if len(together) > keep:
                best = np.argpartition(-together, keep - 1)[:keep]
                partners, together = partners[best], together[best]
            rows.append(np.full(len(partners), row, dtype=np.int64))
            cols.append(partners.astype(np.int64))
            values.append(together.astype(np.int32))
    if not rows:
        return sparse.csr_matrix((n, n), dtype=np.int32)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n), dtype=np.int32
    )


def history_row(
    history: Sequence[Event], product_index: dict[str, int]
) -> tuple[sparse.csr_matrix, list[int]]:
    """One shopper's confidences (1 x products) and the known products they interacted with."""
    values: dict[int, float] = {}
    seen: dict[int, None] = {}
    for event in history:
        column = product_index.get(event.product)
        if column is None or event.weight == 0:
            continue
        values[column] = values.get(column, 0.0) + strength(event)
        seen[column] = None
    columns = sorted(values)
    row = sparse.csr_matrix(
        (
            np.array([values[c] for c in columns]),
            (np.zeros(len(columns), np.int64), np.array(columns, np.int64)),
        ),
        shape=(1, len(product_index)),
    )
    return confidence(row), list(seen)
