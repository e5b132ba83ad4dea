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

Not here: the product table and filters' SQL (:mod:`index.store`), fusion (:mod:`index.catalog`).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

TITLE_WEIGHT = 3.0
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"[^\W_]+(?:[-_./][^\W_]+)+")
_RANK = f"bm25(products_fts, {TITLE_WEIGHT}, 1.0)"

CREATE_SQL = """
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
    title, body, tokenize = 'porter unicode61 remove_diacritics 2'
)
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


def match_expression(query: str) -> str | None:
    """An FTS5 query matching any of the query's tokens, or None when it has none."""
    unique = dict.fromkeys(tokens(query))
    if not unique:
        return None
    return " OR ".join('"' + token.replace('"', '""') + '"' for token in unique)


def insert(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> None:
    """Add ``(rowid, title, body)`` rows (rowid = the product's vector id)."""
    conn.executemany("INSERT INTO products_fts(rowid, title, body) VALUES (?, ?, ?)", rows)


def delete(conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM products_fts WHERE rowid = ?", [(rowid,) for rowid in rowids])


def search(
    conn: sqlite3.Connection, query: str, k: int, where: str = "", params: Sequence[Any] = ()
) -> list[tuple[int, float]]:
    """Top-k ``(rowid, bm25 score)`` (higher is better) among products satisfying ``where``
    (SQL over the product table aliased ``p``; empty for no filter)."""
    expression = match_expression(query)
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
