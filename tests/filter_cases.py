"""Shared by the filter tests: a plain-Python filter predicate and random filter combinations."""

from __future__ import annotations

import random

from index.schema import Filters, Product
from index.store import category_key


def matches(product: Product, filters: Filters) -> bool:
    """What the SQL filter should do, written the obvious way."""
    if filters.min_price is not None and (product.price is None or product.price < filters.min_price):
        return False
    if filters.max_price is not None and (product.price is None or product.price > filters.max_price):
        return False
    if filters.brand is not None and (product.brand or "").casefold() != filters.brand.casefold():
        return False
    if filters.min_rating is not None and (product.rating is None or product.rating < filters.min_rating):
        return False
    if filters.lang is not None and product.lang != filters.lang:
        return False
    if filters.category is not None:
        wanted = category_key(filters.category)
        keys = [category_key(path) for path in product.categories]
        if not any(key == wanted or key.startswith(wanted + "/") for key in keys):
            return False
    return True


def random_filters(rng: random.Random, products: list[Product]) -> Filters:
    categories = sorted({path for p in products for path in p.categories})
    brands = sorted({p.brand for p in products if p.brand})
    filters = Filters()
    if rng.random() < 0.4:
        filters.min_price = rng.choice([0, 20, 35, 50, 80])
    if rng.random() < 0.4:
        filters.max_price = rng.choice([25, 40, 60, 100, 500])
    if rng.random() < 0.4 and categories:
        path = rng.choice(categories).split("/")
        prefix = "/".join(path[: rng.randint(1, len(path))])
        filters.category = prefix.upper() if rng.random() < 0.3 else prefix
    if rng.random() < 0.3 and brands:
        filters.brand = rng.choice(brands).swapcase()
    if rng.random() < 0.3:
        filters.min_rating = rng.choice([1, 2.5, 3, 4, 4.5])
    if rng.random() < 0.2:
        filters.lang = rng.choice(["en", "zh"])
    return filters
