"""TextCache: model-written texts (review summaries, description summaries) kept between runs.

A generated text is expensive on 2 CPU cores (seconds to a minute) and the same for the same
inputs, so it is stored in one SQLite file under a key derived from everything it depends on:
``TextCache.key("review-summary", product_id, lang, reviews_fingerprint, model_name)``. A
changed review, model or language gives a new key; stale entries are simply never read
again. Values are JSON. Each ``put`` is one committed transaction (atomic; a crash leaves the
old value or the new one), and the file is safe to share between threads and processes
(WAL journal, a busy timeout). ``TextCache(None)`` keeps entries in memory (tests, one-off
CLI runs).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


class TextCache:
    def __init__(self, path: str | Path | None) -> None:
        if path is None:
            target = ":memory:"
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        self.path = None if path is None else Path(path)
        self._connection = sqlite3.connect(target, timeout=30, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._connection:
            if path is not None:
                self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(_SCHEMA)

    @staticmethod
    def key(*parts: Any) -> str:
        """A stable key for the given JSON-able parts (order matters)."""
        text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, kind: str, key: str) -> Any | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM texts WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, kind: str, key: str, value: Any) -> None:
        encoded = json.dumps(value, ensure_ascii=False)
        with self._lock, self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO texts (kind, key, value, created) VALUES (?, ?, ?, ?)",
                (kind, key, encoded, time.time()),
            )

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return int(self._connection.execute("SELECT count(*) FROM texts").fetchone()[0])
            return int(
                self._connection.execute("SELECT count(*) FROM texts WHERE kind = ?", (kind,)).fetchone()[0]
            )

    def close(self) -> None:
        with self._lock:
            self._connection.close()
