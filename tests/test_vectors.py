"""VectorIndex: real FAISS, every kind; restricted searches return min(k, allowed) hits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.vectors import FLAT_MAX, IndexParams, VectorIndex, choose_kind

DIM = 32


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return ids[order].tolist()


def _index(kind: str, n: int = 2000) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    vectors = _vectors(n)
    ids = np.arange(10, 10 + n, dtype=np.int64) * 3  # ids are not positions
    params = IndexParams(ivf_nlist=16, ivf_nprobe=16, pq_m=8, pq_nbits=4)
    index = VectorIndex.create(DIM, kind, params)  # type: ignore[arg-type]
    index.add(ids, vectors)
    return index, ids, vectors


def test_choose_kind_by_size() -> None:
    assert choose_kind(10) == "flat"
    assert choose_kind(FLAT_MAX) == "flat"
    assert choose_kind(FLAT_MAX + 1) == "hnsw"


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_search_matches_exact_search(kind: str) -> None:
    index, ids, vectors = _index(kind)
    queries = _vectors(20, seed=1)
    scores, found = index.search(queries, 10)
    assert found.shape == (20, 10)
    overlap = [len(set(found[i]) & set(_exact_top(vectors, ids, queries[i], 10))) for i in range(20)]
    assert sum(overlap) / 200 >= (1.0 if kind == "flat" else 0.95)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_ivfpq_finds_the_vector_itself() -> None:
    index, ids, vectors = _index("ivfpq")
    _, found = index.search(vectors[:50], 5)
    assert sum(ids[i] in found[i] for i in range(50)) >= 45


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_restricted_search_returns_k_allowed_hits(kind: str) -> None:
    index, ids, _ = _index(kind)
    rng = np.random.default_rng(7)
    for size in (1, 3, 10, 40, 700, 1900):
        allowed = rng.choice(ids, size=size, replace=False)
        _, found = index.search(_vectors(3, seed=size), 10, allowed_ids=allowed)
        for row in found:
            hits = row[row >= 0]
            assert len(hits) == min(10, size)
            assert set(hits.tolist()) <= set(allowed.tolist())


def test_restricted_search_with_huge_sparse_ids() -> None:
    vectors = _vectors(300)
    ids = np.arange(300, dtype=np.int64) * 10**12  # a bitmap over these would not fit in memory
    index = VectorIndex.build(ids, vectors, kind="flat")
    _, found = index.search(vectors[:2], 5, allowed_ids=ids[100:103])
    assert sorted(found[0, :3].tolist()) == ids[100:103].tolist() and (found[:, 3:] == -1).all()
    index.remove(ids[:1])
    assert index.search(vectors[0], 1)[1][0, 0] != ids[0]


def test_restricted_search_ignores_unknown_ids() -> None:
    index, ids, _ = _index("flat", n=50)
    _, found = index.search(_vectors(1)[0], 5, allowed_ids=np.array([ids[0], 999_999], dtype=np.int64))
    assert found[0].tolist() == [ids[0], -1, -1, -1, -1]


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_removed_ids_are_never_returned(kind: str) -> None:
    index, ids, vectors = _index(kind)
    removed = ids[:100]
    index.remove(removed)
    assert len(index) == len(ids) - 100
    _, found = index.search(vectors[:100], 10)
    assert not set(found.ravel().tolist()) & set(removed.tolist())
    _, found = index.search(vectors[:5], 30, allowed_ids=ids[:120])
    assert set(found[found >= 0].tolist()) == set(ids[100:120].tolist())


def test_hnsw_tombstones_survive_save_and_compaction(tmp_path: Path) -> None:
    index, ids, vectors = _index("hnsw", n=500)
    index.remove(ids[:10])
    assert index.tombstones == 10
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.tombstones == 10 and len(loaded) == 490
    _, found = loaded.search(vectors[:10], 3)
    assert not set(found.ravel().tolist()) & set(ids[:10].tolist())
    compact = loaded.compacted()
    assert compact.tombstones == 0 and len(compact) == 490
    assert sorted(compact.ids().tolist()) == sorted(ids[10:].tolist())


def test_readding_a_removed_id_makes_it_live_again() -> None:
    index, ids, vectors = _index("flat", n=20)
    index.remove(ids[:1])
    index.add(ids[:1], vectors[:1])
    _, found = index.search(vectors[0], 1)
    assert found[0, 0] == ids[0]


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_save_load_round_trip(tmp_path: Path, kind: str) -> None:
    index, _, vectors = _index(kind, n=1000)
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert (loaded.kind, loaded.dim, len(loaded)) == (kind, DIM, 1000)
    assert loaded.params == index.params
    np.testing.assert_array_equal(index.search(vectors[:5], 5)[1], loaded.search(vectors[:5], 5)[1])
    assert not list(tmp_path.glob(".*partial"))


def test_bad_shapes_and_files_give_clear_errors(tmp_path: Path) -> None:
    index = VectorIndex.create(DIM)
    with pytest.raises(ValueError, match=r"shape \(n, 32\)"):
        index.add(np.arange(2), np.zeros((2, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="2 ids for 3 vectors"):
        index.add(np.arange(2), _vectors(3))
    with pytest.raises(ValueError, match="unknown index kind"):
        VectorIndex.create(DIM, "annoy")  # type: ignore[arg-type]
    (tmp_path / "x.faiss").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"x\.faiss\.json"):
        VectorIndex.load(tmp_path / "x.faiss")


def test_empty_index_returns_no_hits() -> None:
    scores, found = VectorIndex.create(DIM).search(_vectors(2), 4)
    assert found.shape == (2, 4) and (found == -1).all() and np.isneginf(scores).all()
