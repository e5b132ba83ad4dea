"""CatalogStore: SQL filters agree with a plain Python predicate; reviews keep ratings current."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from filter_cases import matches, random_filters

from index.ingest import load_products, load_reviews
from index.schema import Filters, Product, Review
from index.store import CatalogStore, category_key


@pytest.fixture(scope="module")
def demo(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[CatalogStore, list[Product]]:
    products = load_products(demo_store / "luma_products.jsonl").records
    products[0].brand = "Acme Sports"  # the demo store has no brands
    products[1].brand = "acme sports"
    reviews = load_reviews(demo_store / "luma_reviews.jsonl", {p.id for p in products}).records
    store = CatalogStore(tmp_path_factory.mktemp("store") / "catalog.sqlite")
    with store.transaction():
        store.insert_products(products)
        store.insert_reviews(reviews)
    return store, products


def test_random_filter_combinations_match_a_python_predicate(
    demo: tuple[CatalogStore, list[Product]],
) -> None:
    store, _ = demo
    rng = random.Random(11)
    stored = {p.id: p for p in store.by_vids(store.all_vids().tolist()).values()}  # ratings from reviews
    vid_of = store.vids_of(stored)
    for _ in range(300):
        filters = random_filters(rng, list(stored.values()))
        expected = {vid_of[pid] for pid, product in stored.items() if matches(product, filters)}
        assert set(store.allowed_vids(filters).tolist()) == expected, filters


def test_category_prefix_is_by_whole_segments(demo: tuple[CatalogStore, list[Product]]) -> None:
    store, products = demo
    tops = store.allowed_vids(Filters(category="men/tops"))
    assert len(tops) == sum(
        any(category_key(c).startswith("men/tops/") for c in p.categories) for p in products
    )
    assert len(store.allowed_vids(Filters(category="Men/Top"))) == 0
    assert len(store.allowed_vids(Filters(category=" Men / Tops / Jackets "))) > 0
    eco = store.allowed_vids(Filters(category="Collections/Eco Friendly"))  # a secondary category
    assert store.by_vids(eco.tolist()) and all(
        p.category != "Collections/Eco Friendly" for p in store.by_vids(eco.tolist()).values()
    )


def test_brand_filter_is_case_insensitive(demo: tuple[CatalogStore, list[Product]]) -> None:
    store, _ = demo
    assert len(store.allowed_vids(Filters(brand="ACME SPORTS"))) == 2


def test_brands_lists_each_brand_once(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "c.sqlite")
    with store.transaction():
        store.insert_products(
            [
                Product(id="a", title="Mug", brand="Acme"),
                Product(id="b", title="Cup", brand="ACME"),
                Product(id="c", title="Pot", brand="李宁"),
                Product(id="d", title="Pan"),
            ]
        )
    assert store.brands() == ["ACME", "李宁"]


def test_product_round_trip(demo: tuple[CatalogStore, list[Product]]) -> None:
    store, products = demo
    original = next(p for p in products if p.id == "MH01")
    stored = store.get("MH01")
    assert stored is not None
    assert stored.extras == original.extras and stored.attributes == original.attributes
    assert (stored.title, stored.price, stored.categories) == (
        original.title,
        original.price,
        original.categories,
    )
    assert store.get("nope") is None


def test_reviews_set_the_rating_of_unrated_products(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "c.sqlite")
    with store.transaction():
        store.insert_products(
            [Product(id="p", title="Mug"), Product(id="q", title="Cup", rating=4.8, rating_count=90)]
        )
        store.insert_reviews(
            [
                Review("r1", "p", "nice", 5),
                Review("r2", "p", "meh", 2),
                Review("r3", "q", "bad", 1),
                Review("r4", "p", "no stars"),
            ]
        )
    p, q = store.get("p"), store.get("q")
    assert p is not None and q is not None
    assert (p.rating, p.rating_count) == (3.5, 2)
    assert (q.rating, q.rating_count) == (4.8, 90)  # the catalog's own rating wins
    with store.transaction():
        assert store.delete_reviews(["r2", "missing"]) == 1
    assert store.get("p").rating == 5.0  # type: ignore[union-attr]
    assert [r.review_id for r in store.reviews("p")] == ["r1", "r4"]
