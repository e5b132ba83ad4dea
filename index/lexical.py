"""Lexical retrieval: BM25 over SQLite FTS5, with Chinese word segmentation done beforehand.

Why FTS5 rather than an in-memory BM25 (bm25s): rows are inserted and deleted one by one in
the same transaction as the product table (incremental updates stay consistent), filters are
SQL joins in the same query (no top-k holes), and the index lives on disk beside the
metadata, so a million products do not have to fit a Python structure. FTS5 ranks with
``bm25()``; the title column (title, brand, product id) weighs :data:`TITLE_WEIGHT` times the
body (category, description, attribute values).

Text is tokenized here, in Python, and stored as space-separated tokens; FTS5's own
``porter unicode61`` tokenizer then only lowercases and stems English words. Chinese runs are
segmented with jieba's search mode (words and their sub-words). Codes keep a joined form next
to their parts, so ``24-MB01`` is indexed as ``24 mb01 24mb01`` and a search for the exact
code ranks that product first.

Large catalogs: FTS5 scores every row that matches any query word, so a query with a word
found in half the catalog ("in", "x", "women") costs as much as that half. From
:data:`PRUNE_FROM_DOCS` products on, words found in more than :data:`COMMON_SHARE` of the
products are left out of the query (their BM25 weight is small anyway; the dense side still
sees the whole query), and so are the more common of the remaining words once the rarer ones
already match :data:`MAX_POSTINGS` products; the rarest word is always kept. Document
frequencies come from the ``lexicon`` table, kept exact on every insert and delete.

Not here: the product table and filters' SQL (:mod:`index.store`), fusion (:mod:`index.catalog`).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

TITLE_WEIGHT = 3.0
PRUNE_FROM_DOCS = 20_000
COMMON_SHARE = 0.05
MAX_POSTINGS = 30_000
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"[^\W_]+(?:[-_./][^\W_]+)+")
_RANK = f"bm25(products_fts, {TITLE_WEIGHT}, 1.0)"

CREATE_SQL = """
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
    title, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS lexicon (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
"""


def tokens(text: str) -> list[str]:
    """Index and query tokens of ``text`` (order kept, duplicates kept)."""
    lowered = text.casefold()
    out: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(lowered):
        out.extend(_latin_tokens(lowered[position : match.start()]))
        out.extend(word for word in _segment(match.group()) if word.strip())
        position = match.end()
    out.extend(_latin_tokens(lowered[position:]))
    return out


def _latin_tokens(text: str) -> list[str]:
    out = _WORD.findall(text)
    out.extend(re.sub(r"[-_./]", "", code) for code in _CODE.findall(text))
    return out


def _segment(run: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return list(jieba.lcut_for_search(run))


def document(title_parts: Iterable[str | None], body_parts: Iterable[str | None]) -> tuple[str, str]:
    """The (title, body) FTS row for a product's texts."""
    return (
        " ".join(tokens(" ".join(part for part in title_parts if part))),
        " ".join(tokens(" ".join(part for part in body_parts if part))),
    )


def query_terms(conn: sqlite3.Connection, query: str, total: int) -> list[str]:
    """The query's distinct tokens, without very common ones in a large catalog (see above)."""
    unique = list(dict.fromkeys(tokens(query)))
    if total < PRUNE_FROM_DOCS or len(unique) < 2:
        return unique
    marks = ", ".join("?" * len(unique))
    df = dict(conn.execute(f"SELECT term, df FROM lexicon WHERE term IN ({marks})", unique).fetchall())
    rarest_first = sorted(unique, key=lambda term: df.get(term, 0))
    kept: list[str] = []
    postings = 0
    for term in rarest_first:
        count = df.get(term, 0)
        if kept and (count > COMMON_SHARE * total or postings + count > MAX_POSTINGS):
            break
        kept.append(term)
        postings += count
    return kept


def match_expression(terms: Sequence[str]) -> str | None:
    """An FTS5 query matching any of ``terms``, or None when there are none."""
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def insert(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> None:
    """Add ``(rowid, title, body)`` rows (rowid = the product's vector id)."""
    rows = list(rows)
    conn.executemany("INSERT INTO products_fts(rowid, title, body) VALUES (?, ?, ?)", rows)
    counts = Counter(term for _, title, body in rows for term in {*title.split(), *body.split()})
    conn.executemany(
        "INSERT INTO lexicon(term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
        counts.items(),
    )


def delete(conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
    counts: Counter[str] = Counter()
    for rowid in rowids:
        row = conn.execute("SELECT title, body FROM products_fts WHERE rowid = ?", (rowid,)).fetchone()
        if row is not None:
            counts.update({*row[0].split(), *row[1].split()})
    conn.executemany("DELETE FROM products_fts WHERE rowid = ?", [(rowid,) for rowid in rowids])
    conn.executemany(
        "UPDATE lexicon SET df = df - ? WHERE term = ?", [(n, term) for term, n in counts.items()]
    )
    conn.executemany("DELETE FROM lexicon WHERE term = ? AND df <= 0", [(term,) for term in counts])


def search(
    conn: sqlite3.Connection, query: str, k: int, total: int, where: str = "", params: Sequence[Any] = ()
) -> list[tuple[int, float]]:
    """Top-k ``(rowid, bm25 score)`` (higher is better) among products satisfying ``where``
    (SQL over the product table aliased ``p``; empty for no filter); ``total`` = products."""
    expression = match_expression(query_terms(conn, query, total))
    if expression is None or k <= 0:
        return []
    if where:
        sql = (
            f"SELECT products_fts.rowid, -{_RANK} FROM products_fts JOIN products p ON p.vid = products_fts.rowid "
            f"WHERE products_fts MATCH ? AND {where} ORDER BY {_RANK} LIMIT ?"
        )
    else:
        sql = f"SELECT rowid, -{_RANK} FROM products_fts WHERE products_fts MATCH ? ORDER BY {_RANK} LIMIT ?"
    return [(int(rowid), float(score)) for rowid, score in conn.execute(sql, (expression, *params, k))]
