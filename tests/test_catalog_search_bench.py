"""The end-to-end catalog search benchmark on a small repeated catalog."""

from __future__ import annotations

from index.catalog_search_bench import CASES, bench_catalog, repeated
from index.ingest import load_products


def test_repeated_catalog_has_unique_ids():
    from index.schema import Product

    products = [Product(id="a", title="x"), Product(id="b", title="y")]
    assert [p.id for p in repeated(products, 5)] == ["a-r0", "b-r0", "a-r1", "b-r1", "a-r2"]


def test_every_filter_case_is_timed_and_finds_products(demo_store, tmp_path):
    products = load_products(demo_store / "luma_products.jsonl", None, False, None).records
    rows = bench_catalog(products, 600, tmp_path, n_queries=20)
    assert [row.case for row in rows] == list(CASES)
    for row in rows:
        assert row.size == 600 and 0 < row.p50_ms <= row.p95_ms <= row.p99_ms
        assert row.hits > 0, row  # a filter that empties every result would time nothing
    assert not list(tmp_path.iterdir()) or all(not p.name.startswith(".") for p in tmp_path.iterdir())
