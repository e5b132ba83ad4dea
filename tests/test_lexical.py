"""Lexical side: tokens (codes, Chinese), FTS5 query text, document frequencies, pruning."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from index import lexical
from index.schema import Product
from index.store import CatalogStore


def test_codes_keep_a_joined_form_and_words_are_casefolded() -> None:
    assert lexical.tokens("Joust 24-MB01 T-Shirt") == [
        "joust",
        "24",
        "mb01",
        "t",
        "shirt",
        "24mb01",
        "tshirt",
    ]
    assert lexical.tokens("MH01") == ["mh01"]


def test_chinese_runs_are_segmented_and_mixed_text_kept() -> None:
    tokens = lexical.tokens("MUJI 轻奢纯棉四件套")
    assert tokens[0] == "muji" and {"纯棉", "四件套"} <= set(tokens)


def test_match_expression_quotes_terms() -> None:
    assert lexical.match_expression(['a"b', "c"]) == '"a""b" OR "c"'
    assert lexical.match_expression([]) is None


def _store(tmp_path: Path, titles: list[str]) -> CatalogStore:
    store = CatalogStore(tmp_path / "c.sqlite")
    with store.transaction():
        store.insert_products([Product(id=f"p{i}", title=title) for i, title in enumerate(titles)])
    return store


def _recount(store: CatalogStore) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for title, body in store.conn.execute("SELECT title, body FROM products_fts"):
        counts.update({*title.split(), *body.split()})
    return dict(counts)


def test_document_frequencies_follow_inserts_and_deletes(tmp_path: Path) -> None:
    store = _store(tmp_path, ["steel kettle", "steel pan", "glass kettle kettle"])
    assert dict(store.conn.execute("SELECT term, df FROM lexicon").fetchall()) == _recount(store)
    assert dict(store.conn.execute("SELECT term, df FROM lexicon WHERE term = 'kettle'").fetchall()) == {
        "kettle": 2
    }
    with store.transaction():
        store.delete_products(list(store.vids_of(["p0", "p1"]).values()))
    assert dict(store.conn.execute("SELECT term, df FROM lexicon").fetchall()) == _recount(store)


def test_common_words_are_dropped_only_in_large_catalogs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = [f"blue item {i}" for i in range(40)] + ["blue kettle", "red kettle"]
    store = _store(tmp_path, titles)
    everything = store.lexical_search("blue kettle", 100)
    assert len(everything) == 42  # small catalog: every word used
    monkeypatch.setattr(lexical, "PRUNE_FROM_DOCS", 10)
    assert lexical.query_terms(store.conn, "blue kettle", 42) == ["kettle"]
    assert len(store.lexical_search("blue kettle", 100)) == 2
    assert lexical.query_terms(store.conn, "blue item", 42) == ["item"]  # all common: the rarest kept
    monkeypatch.setattr(lexical, "COMMON_SHARE", 1.0)
    monkeypatch.setattr(lexical, "MAX_POSTINGS", 41)
    assert lexical.query_terms(store.conn, "blue kettle item", 42) == ["kettle"]  # 2, then 40 > 41 - 2
