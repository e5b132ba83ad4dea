"""The relevance threshold's calibration on labelled pairs (index.relevance_threshold)."""

from __future__ import annotations

import json

from index.embedders import HashingEmbedder
from index.relevance_threshold import RECALL, calibrate, labelled_pairs, threshold


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_pairs_keep_the_judged_ones_and_add_a_random_title(tmp_path):
    _write(tmp_path / "corpus.jsonl", [{"id": str(i), "title": f"title {i}"} for i in range(10)])
    _write(tmp_path / "queries.jsonl", [{"query": "q", "judgments": {"1": 3.0, "2": 2.0, "3": 1.0}}])
    pairs = labelled_pairs(tmp_path / "queries.jsonl", tmp_path / "corpus.jsonl", 5, 2.5, 1.67)
    judged = [(p.title, p.relevant) for p in pairs if p.source == "judged"]
    assert judged == [("title 1", True), ("title 3", False)]  # grade 2.0 is neither: left out
    assert [p.relevant for p in pairs if p.source == "random"] == [False]


def test_calibration_keeps_the_stated_share_of_relevant_pairs(tmp_path):
    words = ["backpack", "jacket", "bottle", "watch", "hoodie", "tent", "lamp", "kettle", "towel", "pillow"]
    _write(tmp_path / "corpus.jsonl", [{"id": w, "title": f"{w} {w}"} for w in words])
    _write(tmp_path / "queries.jsonl", [{"query": w, "judgments": {w: 3.0}} for w in words])
    pairs = labelled_pairs(tmp_path / "queries.jsonl", tmp_path / "corpus.jsonl", 10, 2.5, 1.67)
    result = calibrate(HashingEmbedder(64), pairs)
    assert result["relevant_kept"] >= RECALL and result["pairs"] == len(pairs)
    assert threshold("hashing-64", "en") is None  # never calibrated: no threshold, nothing hidden
