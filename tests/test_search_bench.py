"""Search benchmark pieces: synthetic vectors, exact ground truth, recall, and the command
end to end at a tiny size (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.search_bench import clustered_vectors, exact_top_k, recall_vs_exact, topic_centers


def test_clustered_vectors_are_unit_and_clustered() -> None:
    rng = np.random.default_rng(0)
    centers = topic_centers(4, 64, rng)
    vectors = clustered_vectors(400, centers, rng)
    assert vectors.dtype == np.float32 and vectors.shape == (400, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    nearest_center = (vectors @ centers.T).max(axis=1)
    assert nearest_center.mean() > 0.6  # near a topic centre, unlike uniform noise (about 0.1-0.3)


def test_exact_top_k_matches_brute_force_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.search_bench as bench

    monkeypatch.setattr(bench, "_CHUNK", 7)  # force several blocks
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    queries = rng.standard_normal((3, 8)).astype(np.float32)
    ids = np.arange(100, 150)
    expected = ids[np.argsort(-(queries @ vectors.T), axis=1)[:, :5]]
    np.testing.assert_array_equal(exact_top_k(queries, vectors, ids, 5), expected)


def test_recall_vs_exact() -> None:
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, -1], [5, 6, 7, 8]])
    assert recall_vs_exact(found, exact) == pytest.approx((2 / 4 + 4 / 4) / 2)


def test_bench_command_end_to_end(tmp_path: Path) -> None:
    from ui.cli import main

    out = tmp_path / "bench.md"
    argv = ["bench", "search", "--sizes", "300", "--queries", "20", "--kinds", "flat,hnsw", "--dim", "32"]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--embedders", "hashing-16", "--out", str(out)])
    assert exit_info.value.code == 0
    text = out.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| 300 |")]
    assert len(rows) == 6  # two kinds x three filters
    assert all(line.rstrip(" |").endswith("1.0") for line in rows if "flat" in line)  # exact = exact
    assert "| hashing-16 | 16 |" in text


def test_bench_command_rejects_unknown_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "search", "--sizes", "300", "--kinds", "annoy", "--out", str(tmp_path / "b.md")])
    assert exit_info.value.code == 2
    assert "unknown index kind 'annoy'" in capsys.readouterr().out


def test_bench_command_embedders_only(tmp_path: Path) -> None:
    from ui.cli import main

    out = tmp_path / "bench.md"
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "search", "--sizes", "none", "--embedders", "hashing-8", "--out", str(out)])
    assert exit_info.value.code == 0
    text = out.read_text(encoding="utf-8")
    assert "| hashing-8 | 8 |" in text and "Vector search" not in text
