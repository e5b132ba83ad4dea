"""CatalogIndex end to end on real files: hybrid/dense/lexical search, filters without top-k
holes, codes and Chinese words found, incremental updates, atomic builds."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from filter_cases import matches, random_filters

from index import CatalogIndex, HashingEmbedder, IndexNotFoundError, IngestError, Product
from index.fusion import fuse
from index.ingest import load_products, load_reviews
from index.layout import MANIFEST
from index.vectors import VectorIndex

EMBEDDER = HashingEmbedder(64)


@pytest.fixture(scope="module")
def stores(demo_store: Path, shared_data: Path) -> tuple[list[Product], list[Any]]:
    products = load_products(demo_store / "luma_products.jsonl").records
    products += load_products(shared_data / "zh_store" / "litemall_products.jsonl").records
    known = {p.id for p in products}
    reviews = load_reviews(demo_store / "luma_reviews.jsonl", known).records
    reviews += load_reviews(shared_data / "zh_store" / "litemall_reviews.jsonl", known).records
    return products, reviews


@pytest.fixture(scope="module")
def index(stores: tuple[list[Product], list[Any]], tmp_path_factory: pytest.TempPathFactory) -> CatalogIndex:
    products, reviews = stores
    return CatalogIndex.build(
        products, tmp_path_factory.mktemp("idx") / "both", embedder=EMBEDDER, reviews=reviews
    )


def test_build_records_what_it_holds(index: CatalogIndex) -> None:
    """Both stores, every review (the Chinese comments have no stars but are kept)."""
    assert len(index) == 199 + 239
    manifest = json.loads((index.directory / MANIFEST).read_text())
    assert manifest["embedder"] == {"name": "hashing-64", "dim": 64}
    assert manifest["vectors"]["kind"] == "flat" and manifest["counts"]["products"] == 438
    assert manifest["counts"]["reviews"] == 348 + 994


@pytest.mark.parametrize("query", ["MH01", "mh01", "24-MB01", "24-mb01 bag", "Joust Duffle Bag"])
def test_codes_and_titles_rank_their_product_first(index: CatalogIndex, query: str) -> None:
    hits = index.search(query, k=5)
    expected = "MH01" if "mh01" in query.lower() else "24-MB01"
    assert hits[0].id == expected
    assert "lexical" in hits[0].matched


def test_an_exact_code_obeys_the_filters(index: CatalogIndex) -> None:
    product = index.get("24-MB01")
    assert product is not None and product.price is not None
    price = product.price
    hits = index.search("24-MB01", k=5, filters={"max_price": price - 1})
    assert hits and all(h.id != "24-MB01" and "id" not in h.matched for h in hits)


def test_codes_are_found_by_plain_bm25_too(index: CatalogIndex) -> None:
    assert index.search("24-MB01", k=3, mode="lexical")[0].id == "24-MB01"


def test_chinese_words_are_found_by_segmentation(index: CatalogIndex) -> None:
    hits = index.search("蚕丝被", k=5, mode="lexical")
    assert hits and all("蚕丝被" in h.product.title or "蚕丝" in h.product.title for h in hits[:2])
    hybrid = index.search("羊毛被 保暖", k=5)
    assert any("羊毛被" in h.product.title for h in hybrid[:3])


def test_modes_differ_and_report_their_retrievers(index: CatalogIndex) -> None:
    dense = index.search("yoga pants", k=10, mode="dense")
    lexical = index.search("yoga pants", k=10, mode="lexical")
    hybrid = index.search("yoga pants", k=10)
    assert {h.matched for h in dense} == {("dense",)} and {h.matched for h in lexical} == {("lexical",)}
    assert all(set(h.matched) <= {"dense", "lexical"} for h in hybrid)
    assert [h.rank for h in hybrid] == list(range(1, 11))
    assert all(a.score >= b.score for a, b in itertools.pairwise(hybrid))
    with pytest.raises(ValueError, match="unknown search mode"):
        index.search("x", mode="fuzzy")  # type: ignore[arg-type]


def test_lexical_search_without_shared_words_finds_nothing(index: CatalogIndex) -> None:
    assert index.search("zzzqqq", k=5, mode="lexical") == []
    assert len(index.search("zzzqqq", k=5)) == 5  # dense still answers


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_random_filters_never_leave_holes(
    index: CatalogIndex, stores: tuple[list[Product], list[Any]], mode: str
) -> None:
    products = [index.get(p.id) for p in stores[0]]  # as stored: ratings filled from reviews
    rng = random.Random(5 if mode == "hybrid" else 6)
    queries = ["jacket", "bag", "四件套", "running shorts", "毛巾", "water bottle"]
    for _ in range(150):
        filters = random_filters(rng, products)  # type: ignore[arg-type]
        k = rng.choice([1, 5, 10, 40])
        hits = index.search(rng.choice(queries), k=k, filters=filters, mode=mode)  # type: ignore[arg-type]
        matching = sum(matches(p, filters) for p in products)  # type: ignore[arg-type]
        assert len(hits) == min(k, matching), filters
        assert all(matches(h.product, filters) for h in hits)
        assert len({h.id for h in hits}) == len(hits)


def test_filters_as_dict_and_unknown_filter(index: CatalogIndex) -> None:
    hits = index.search("bag", k=50, filters={"max_price": 40, "lang": "en"})
    assert hits and all(h.product.price is not None and h.product.price <= 40 for h in hits)
    with pytest.raises(ValueError, match="unknown filter"):
        index.search("bag", filters={"colour": "red"})


def test_reviews_and_get(index: CatalogIndex) -> None:
    product = index.get("24-MB01")
    assert product is not None and product.title == "Joust Duffle Bag"
    assert [r.rating for r in index.reviews("24-MB01")] == [2, 3]
    assert index.reviews("nope") == [] and index.get("nope") is None


def test_fusion_rewards_agreement() -> None:
    fused = fuse([(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 9.0), (4, 8.0)], k=3)
    assert [vid for vid, _ in fused] == [3, 1, 2]
    assert [vid for vid, _ in fuse([(1, 0.9)], [(2, 1.0)], k=3, pinned=[7])][:1] == [7]


def _small(tmp_path: Path, kind: str = "auto") -> CatalogIndex:
    products = [
        {"id": f"p{i}", "title": title, "price": 10 + i, "category": "Home/Kitchen"}
        for i, title in enumerate(["steel kettle", "glass teapot", "ceramic mug", "bamboo cutting board"])
    ]
    return CatalogIndex.build(products, tmp_path / "small", embedder=EMBEDDER, kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_add_update_delete_are_seen_at_once_and_after_reload(tmp_path: Path, kind: str) -> None:
    index = _small(tmp_path, kind)
    index.add([{"id": "n1", "title": "cast iron skillet", "price": 45, "category": "Home/Kitchen"}])
    assert index.search("cast iron skillet", k=1)[0].id == "n1"
    index.update([{"id": "p0", "title": "electric kettle 1.7 l", "price": 30}])
    assert index.search("electric kettle", k=1)[0].product.price == 30
    assert index.search("steel", k=5, mode="lexical") == []
    assert index.delete(["p2", "missing"]) == 1
    assert all(h.id != "p2" for h in index.search("ceramic mug", k=10))
    index.add_reviews([{"review_id": "r1", "product_id": "n1", "rating": 4, "text": "heavy, heats evenly"}])
    index.close()
    reloaded = CatalogIndex.load(tmp_path / "small", embedder=EMBEDDER)
    assert sorted(h.id for h in reloaded.search("kitchen", k=10)) == ["n1", "p0", "p1", "p3"]
    assert reloaded.get("n1").rating == 4  # type: ignore[union-attr]
    assert reloaded.manifest["counts"] == {"products": 4, "reviews": 1}
    assert len(list((tmp_path / "small").glob("vectors-*.faiss"))) == 1
    reloaded.close()


def test_update_errors(tmp_path: Path) -> None:
    index = _small(tmp_path)
    with pytest.raises(ValueError, match="already in the index"):
        index.add([{"id": "p1", "title": "dup"}])
    with pytest.raises(KeyError, match="not in the index"):
        index.update([{"id": "zz", "title": "new"}])
    with pytest.raises(IngestError, match="product #1: title: empty"):
        index.add([{"id": "zz", "title": " "}])
    with pytest.raises(KeyError, match="reviews of products not in the index"):
        index.add_reviews([{"review_id": "r", "product_id": "zz", "text": "x"}])


def test_failed_update_leaves_the_index_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = _small(tmp_path)

    def broken_save(self: VectorIndex, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(VectorIndex, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        index.add([{"id": "n1", "title": "cast iron skillet"}])
    monkeypatch.undo()
    assert index.get("n1") is None and len(index) == 4
    assert all(h.id != "n1" for h in index.search("cast iron skillet", k=10))
    index.close()
    assert len(CatalogIndex.load(tmp_path / "small", embedder=EMBEDDER)) == 4


class _FailingEmbedder(HashingEmbedder):
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("model crashed")


def test_failed_build_keeps_the_previous_index(tmp_path: Path) -> None:
    _small(tmp_path).close()
    with pytest.raises(RuntimeError, match="model crashed"):
        CatalogIndex.build([{"id": "x", "title": "y"}], tmp_path / "small", embedder=_FailingEmbedder(64))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small"]  # no temporary directory left
    assert len(CatalogIndex.load(tmp_path / "small", embedder=EMBEDDER)) == 4


def test_crash_between_the_two_renames_is_recovered(tmp_path: Path) -> None:
    _small(tmp_path).close()
    (tmp_path / "small").rename(tmp_path / ".small.old")  # as if killed mid-swap
    assert len(CatalogIndex.load(tmp_path / "small", embedder=EMBEDDER)) == 4


def test_build_rejects_bad_records(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="duplicate product id 'a'"):
        CatalogIndex.build(
            [{"id": "a", "title": "x"}, {"id": "a", "title": "y"}], tmp_path / "i", embedder=EMBEDDER
        )
    with pytest.raises(IngestError, match="unknown product 'b'"):
        CatalogIndex.build(
            [{"id": "a", "title": "x"}], tmp_path / "i", embedder=EMBEDDER,
            reviews=[{"review_id": "r", "product_id": "b", "text": "t"}],
        )  # fmt: skip
    assert not (tmp_path / "i").exists()


def test_build_never_replaces_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("years of work")
    with pytest.raises(IngestError, match="is not a catalog index; refusing to replace it"):
        CatalogIndex.build([{"id": "1", "title": "x"}], tmp_path / "docs", embedder=EMBEDDER)
    assert (tmp_path / "docs" / "thesis.txt").read_text() == "years of work"


def test_in_memory_build_lives_in_a_temporary_directory() -> None:
    index = CatalogIndex.build([{"id": "1", "title": "cordless drill"}], None, embedder=EMBEDDER)
    directory = index.directory
    assert index.search("drill", k=1)[0].id == "1"
    index.close()
    assert not directory.exists()


def test_rebuild_from_unchanged_files_is_skipped(tmp_path: Path, demo_store: Path) -> None:
    catalog = tmp_path / "p.jsonl"
    catalog.write_bytes((demo_store / "luma_products.jsonl").read_bytes())
    first = CatalogIndex.build_from_files(
        catalog, tmp_path / "i", embedder=EMBEDDER, progress=False, cache_dir=tmp_path / "cache"
    )
    assert not first.skipped_build and first.products == 199
    first.index.close()
    again = CatalogIndex.build_from_files(catalog, tmp_path / "i", embedder="hashing-64", progress=False)
    assert again.skipped_build and again.products == 199 and again.seconds < 1
    again.index.close()
    forced = CatalogIndex.build_from_files(
        catalog, tmp_path / "i", embedder=EMBEDDER, force=True, progress=False
    )
    assert not forced.skipped_build
    forced.index.close()
    with catalog.open("a") as handle:
        handle.write('{"id": "new", "title": "Trail Runner"}\n')
    changed = CatalogIndex.build_from_files(catalog, tmp_path / "i", embedder=EMBEDDER, progress=False)
    assert not changed.skipped_build and changed.products == 200
    changed.index.close()


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no catalog index here"):
        CatalogIndex.load(tmp_path)
    _small(tmp_path).close()
    with pytest.raises(ValueError, match=r"built with hashing-64 \(64-d\), not with hashing-32"):
        CatalogIndex.load(tmp_path / "small", embedder=HashingEmbedder(32))
    renamed = HashingEmbedder(64)
    renamed.name = "another-model"
    with pytest.raises(ValueError, match="not with another-model"):
        CatalogIndex.load(tmp_path / "small", embedder=renamed)
    loaded = CatalogIndex.load(tmp_path / "small")  # embedder named in the manifest
    assert loaded.search("teapot", k=1)[0].id == "p1" and loaded.embedder.name == "hashing-64"
