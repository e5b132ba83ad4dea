"""Metric functions on hand-computed examples; judged-set loading, errors and sampling."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from index.retrieval_eval import (
    SETS,
    EvalDataError,
    load_corpus,
    load_eval_set,
    load_queries,
    ndcg_at_k,
    recall_at_k,
    subsample,
)


def test_ndcg_graded_gains_hand_computed() -> None:
    gains = {"a": 0.0, "b": 2.0, "c": 1.0, "d": 2.0}
    # DCG: a (gain 0) at rank 1, b (2) at rank 2, c (1) at rank 3; ideal order: 2, 2, 1.
    expected = (2 / math.log2(3) + 1 / math.log2(4)) / (2 + 2 / math.log2(3) + 1 / math.log2(4))
    assert ndcg_at_k(["a", "b", "c"], gains, k=3) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c"], gains, k=3) == pytest.approx(0.46835, abs=1e-5)


def test_ndcg_perfect_cutoff_unjudged_and_empty() -> None:
    gains = {"b": 2.0, "d": 2.0, "c": 1.0}
    assert ndcg_at_k(["b", "d", "c"], gains, k=10) == pytest.approx(1.0)
    assert ndcg_at_k(["b", "x"], gains, k=1) == pytest.approx(1.0)  # ideal is cut at k too
    assert ndcg_at_k(["x", "y"], gains, k=10) == 0.0  # unjudged ids have gain 0
    assert ndcg_at_k(["x", "b"], gains, k=1) == 0.0  # a hit below the cutoff does not count
    assert ndcg_at_k(["a"], {"a": 0.0}, k=10) == 0.0  # nothing relevant: 0, not a division error


def test_ndcg_order_matters() -> None:
    gains = {"b": 2.0, "c": 1.0}
    assert ndcg_at_k(["b", "c"], gains) > ndcg_at_k(["c", "b"], gains)


def test_recall_at_k() -> None:
    relevant = frozenset({"b", "d"})
    assert recall_at_k(["a", "b", "c"], relevant, k=10) == 0.5
    assert recall_at_k(["d", "a", "b"], relevant, k=2) == 0.5
    assert recall_at_k(["d", "b"], relevant, k=2) == 1.0
    assert recall_at_k(["a"], frozenset(), k=10) == 0.0


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_home_depot_gains_and_relevance(tmp_path: Path) -> None:
    queries = _write(
        tmp_path / "q.jsonl", [{"query": "drill", "judgments": {"1": 3.0, "2": 1.0, "3": 2.33, "4": 1.67}}]
    )
    [query] = load_queries(queries, SETS["homedepot"])
    assert query.gains == pytest.approx({"1": 2.0, "2": 0.0, "3": 1.33, "4": 0.67})
    assert query.relevant == {"1", "3"}


def test_ecomgpt_gains(tmp_path: Path) -> None:
    queries = _write(tmp_path / "q.jsonl", [{"query": "扳手", "judgments": {"x": 1.0, "y": 0.0}}])
    [query] = load_queries(queries, SETS["ecomgpt_zh"])
    assert query.gains == {"x": 1.0, "y": 0.0}
    assert query.relevant == {"x"}


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "1", "title": "Hammer"}\n{"id": "2", "title": ""}\n', encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"corpus\.jsonl, line 2: field 'title'"):
        load_corpus(corpus)
    corpus.write_text('{"id": "1", "title": "Hammer"}\n{"id": "1", "title": "Saw"}\n', encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"line 2: field 'id': duplicate id '1'"):
        load_corpus(corpus)
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"query": "saw", "judgments": {"1": 3}}\n{"query": "saw", "judgments": \n', encoding="utf-8"
    )
    with pytest.raises(EvalDataError, match=r"queries\.jsonl, line 2: not valid JSON"):
        load_queries(queries, SETS["homedepot"])
    queries.write_text('{"query": "saw", "judgments": {"9": 3}}\n', encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"line 1: field 'judgments' names '9'"):
        load_queries(queries, SETS["homedepot"], {"1": "Hammer"})
    queries.write_text('{"query": "saw", "judgments": {"1": "high"}}\n', encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"line 1: field 'judgments.1' must be a number"):
        load_queries(queries, SETS["homedepot"])


def test_subsample_keeps_judged_products_and_is_seeded(shared_data: Path) -> None:
    full = load_eval_set(SETS["homedepot"], shared_data / "eval" / "retrieval")
    assert len(full.corpus) == 54_667
    small = subsample(full, n_queries=50, n_distractors=1000, seed=7)
    again = subsample(full, n_queries=50, n_distractors=1000, seed=7)
    other = subsample(full, n_queries=50, n_distractors=1000, seed=8)
    assert [q.text for q in small.queries] == [q.text for q in again.queries]
    assert small.corpus == again.corpus and small.fingerprint() == again.fingerprint()
    assert small.fingerprint() != other.fingerprint()
    assert len(small.queries) == 50 and all(query.relevant for query in small.queries)
    judged = {doc_id for query in small.queries for doc_id in query.gains}
    assert judged <= small.corpus.keys()
    assert len(small.corpus) == len(judged) + 1000
    assert "50 of 5939 queries (seed 7)" in small.sample_note
    assert subsample(full, None, None) is full


def _tiny_set(folder: Path) -> None:
    _write(
        folder / "homedepot_corpus.jsonl",
        [
            {"id": "d1", "title": "DeWalt 20V cordless drill driver kit"},
            {"id": "d2", "title": "Flexzilla garden hose 50 ft"},
            {"id": "d3", "title": "Ryobi corded hammer drill"},
            {"id": "d4", "title": "Behr premium exterior paint, white, 1 gal"},
            {"id": "d5", "title": "Rubbermaid storage shelf"},
        ],
    )
    _write(
        folder / "homedepot_dev_queries.jsonl",
        [
            {"query": "cordless drill", "judgments": {"d1": 3.0, "d3": 2.0, "d5": 1.0}},
            {"query": "garden hose", "judgments": {"d2": 3.0}},
            {"query": "exterior paint", "judgments": {"d4": 3.0}},
            {"query": "nothing relevant here", "judgments": {"d5": 1.0}},
        ],
    )


def test_eval_command_end_to_end(tmp_path: Path) -> None:
    from ui.cli import main

    data = tmp_path / "data"
    data.mkdir()
    _tiny_set(data)
    out = tmp_path / "results.md"
    out.write_text("# Retrieval\n\nHand-written notes stay.\n", encoding="utf-8")
    argv = ["eval", "retrieval", "--data", str(data), "--sets", "homedepot", "--embedder", "hashing-64"]
    argv += ["--index-cache", str(tmp_path / "cache"), "--out", str(out), "--no-progress"]
    for _ in range(2):  # the second run loads the cached index
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
    text = out.read_text(encoding="utf-8")
    assert "Hand-written notes stay." in text
    assert text.count("<!-- BEGIN generated: eval-retrieval -->") == 1
    rows = {line.split("|")[3].strip(): line for line in text.splitlines() if line.startswith("| homedepot")}
    assert set(rows) == {"hybrid", "lexical", "dense"}
    lexical = [cell.strip() for cell in rows["lexical"].split("|")]
    assert float(lexical[4]) == pytest.approx(1.0)  # every query's exact words are in its best title
    assert lexical[7] == "3"  # the query without a relevant product is skipped
    assert len(list((tmp_path / "cache" / "retrieval-eval").iterdir())) == 1
    assert (tmp_path / "cache" / "embeddings" / "hashing-64-64.sqlite").is_file()


def test_eval_command_unknown_set_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(
            ["eval", "retrieval", "--sets", "nope", "--data", str(tmp_path), "--out", str(tmp_path / "o.md")]
        )
    assert exit_info.value.code == 2
    assert "unknown set(s) nope" in capsys.readouterr().out


def test_eval_command_missing_data_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "retrieval", "--sets", "homedepot", "--data", str(tmp_path), "--embedder", "hashing-8"])
    assert exit_info.value.code == 1
    assert "homedepot_corpus.jsonl: cannot read" in capsys.readouterr().err


def test_paired_difference_hand_computed() -> None:
    from index.eval_runner import ModeResult, paired_difference

    def result(mode: str, ndcgs: tuple[float, ...]) -> ModeResult:
        return ModeResult("s", "e", mode, sum(ndcgs) / len(ndcgs), 0.0, len(ndcgs), 0, 0.0, ndcgs)

    difference, half_width = paired_difference(
        result("hybrid", (1.0, 0.5, 0.5)), result("lexical", (0.5, 0.5, 0.0))
    )
    # differences 0.5, 0, 0.5: mean 1/3, sample sd sqrt(1/12), 95 % half-width 1.96 * sd / sqrt(3)
    assert difference == pytest.approx(1 / 3)
    assert half_width == pytest.approx(1.96 * math.sqrt(1 / 12) / math.sqrt(3))


def test_eval_command_pairs_each_embedder_with_the_first(tmp_path: Path) -> None:
    """Two embedders in one run: a paired difference per set and non-lexical mode, on the same queries
    (an embedder against itself differs by exactly 0)."""
    from ui.cli import main

    data = tmp_path / "data"
    data.mkdir()
    _tiny_set(data)
    out = tmp_path / "results.md"
    argv = [
        "eval",
        "retrieval",
        "--data",
        str(data),
        "--sets",
        "homedepot",
        "--embedder",
        "hashing-64,hashing-64",
    ]
    argv += ["--index-cache", str(tmp_path / "cache"), "--out", str(out), "--no-progress"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    section = out.read_text(encoding="utf-8").split("difference between embedders")[1]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| homedepot")]
    assert sorted(row[2].strip() for row in rows) == ["dense", "hybrid"]
    assert all(
        row[4].strip() == "hashing-64 - hashing-64" and row[5].strip().startswith("+0.0000") for row in rows
    )


def test_eval_command_pairs_each_text_cap_with_the_first(tmp_path: Path) -> None:
    """Two caps in one run: each later cap's paired difference from the first, per non-lexical mode
    (the hashing embedder cannot cap, so both embed whole texts and differ by exactly 0)."""
    from ui.cli import main

    data = tmp_path / "data"
    data.mkdir()
    _tiny_set(data)
    out = tmp_path / "results.md"
    argv = ["eval", "retrieval", "--data", str(data), "--sets", "homedepot", "--embedder", "hashing-64"]
    argv += [
        "--text-tokens",
        "64,0",
        "--index-cache",
        str(tmp_path / "cache"),
        "--out",
        str(out),
        "--no-progress",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    text = out.read_text(encoding="utf-8")
    assert "difference between embedders" not in text
    section = text.split("difference between text caps")[1]
    rows = [
        [cell.strip() for cell in line.split("|")]
        for line in section.splitlines()
        if line.startswith("| homedepot")
    ]
    assert sorted(row[3] for row in rows) == ["dense", "hybrid"]
    assert all(
        row[2] == "hashing-64" and row[4] == "whole - 64" and row[5].startswith("+0.0000") for row in rows
    )
