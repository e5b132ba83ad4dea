"""A document-embedding cache on disk, for re-embedding the same corpus quickly.

:class:`CachingEmbedder` wraps any :class:`~index.embedders.Embedder`: ``embed_documents``
looks each text up by sha256 in a SQLite file (one per embedder name and dimension), embeds
only the missing ones, in batches with an optional progress bar, and stores them in one
transaction (a crash stores nothing half-written). Queries are never cached. The wrapper
keeps the inner embedder's ``name`` and ``dim``, so an index built through it records the
real model.

It is meant for evaluation and rebuilds of large corpora; it does not bound its size or
evict anything (delete the file to reclaim space).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import numpy as np

from index.embedders import Embedder, embed_in_batches

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def cache_file(cache_dir: Path, embedder: Embedder) -> Path:
    """Where ``embedder``'s document vectors are cached under ``cache_dir``."""
    slug = _UNSAFE.sub("_", embedder.name).strip("_")[-80:] or "embedder"
    return cache_dir / "embeddings" / f"{slug}-{embedder.dim}.sqlite"


class CachingEmbedder:
    """``inner`` with document vectors cached in ``path`` (created on first use)."""

    def __init__(self, inner: Embedder, path: Path, *, progress: bool = False, batch_size: int = 64) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = path
        self.progress = progress
        self.batch_size = batch_size
        self.hits = 0
        self.misses = 0

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        keys = [hashlib.sha256(text.encode()).digest() for text in texts]
        connection = self._connect()
        try:
            found = self._lookup(connection, sorted(set(keys)))
            missing: dict[bytes, str] = {}
            for key, text in zip(keys, texts, strict=True):
                if key not in found:
                    missing.setdefault(key, text)
            if missing:
                vectors = embed_in_batches(
                    self.inner,
                    list(missing.values()),
                    batch_size=self.batch_size,
                    progress=self.progress,
                    desc=f"embedding with {self.name}",
                )
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        [(key, vector.tobytes()) for key, vector in zip(missing, vectors, strict=True)],
                    )
                found.update(zip(missing, vectors, strict=True))
        finally:
            connection.close()
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        for index, key in enumerate(keys):
            out[index] = found[key]
        return out

    def _lookup(self, connection: sqlite3.Connection, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            placeholders = ",".join("?" * len(chunk))
            rows = connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({placeholders})", chunk)
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dim,):
                    found[key] = vector
        return found

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)
