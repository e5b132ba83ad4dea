"""A document-embedding cache on disk, for re-embedding the same corpus quickly.

:class:`CachingEmbedder` wraps any :class:`~index.embedders.Embedder`: ``embed_documents``
looks each text up by sha256 in a SQLite file (one per vector space and dimension), embeds
only the missing ones, in batches with an optional progress bar (rate and time left), and
stores them every ``commit_every`` texts, each chunk in one transaction: a killed run keeps
the chunks it finished (whole vectors only) and the next run embeds only the rest. Queries are
never cached. The wrapper keeps the inner embedder's ``name`` and ``dim``, so an index built
through it records the real model; ``hits``/``misses`` count what was reused and embedded.

Index builds (``shopbot index build``: a rebuild after a catalog change embeds only the products
whose embedded text changed, and an interrupted build resumes) and evaluations of large corpora
use it. It does not bound its size or evict anything (delete the file to reclaim space).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.embedders import Embedder, embed_in_batches, embedder_revision, vector_space

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
COMMIT_EVERY = 1024  # texts embedded between two commits: what a killed run can lose at most


def cache_file(cache_dir: Path, embedder: Embedder) -> Path:
    """Where ``embedder``'s document vectors are cached under ``cache_dir`` (one file per vector
    space: a new engine revision of the same model starts a new file)."""
    slug = _UNSAFE.sub("_", vector_space(embedder)).strip("_")[-80:] or "embedder"
    return cache_dir / "embeddings" / f"{slug}-{embedder.dim}.sqlite"


class CachingEmbedder:
    """``inner`` with document vectors cached in ``path`` (created on first use)."""

    def __init__(
        self,
        inner: Embedder,
        path: Path,
        *,
        progress: bool = False,
        batch_size: int = 64,
        commit_every: int | None = None,
        desc: str | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.revision = embedder_revision(inner)
        self.path = path
        self.progress = progress
        self.batch_size = batch_size
        self.commit_every = commit_every or COMMIT_EVERY
        self.desc = desc or f"embedding with {inner.name}"
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
                found.update(self._embed(connection, missing))
        finally:
            connection.close()
        fresh = sum(key in missing for key in keys)  # texts (duplicates too) not in the cache before
        self.misses += fresh
        self.hits += len(texts) - fresh
        for index, key in enumerate(keys):
            out[index] = found[key]
        return out

    def _embed(self, connection: sqlite3.Connection, missing: dict[bytes, str]) -> dict[bytes, np.ndarray]:
        """Embed ``missing`` (key -> text), storing each chunk of ``commit_every`` as it is done."""
        items = list(missing.items())
        done: dict[bytes, np.ndarray] = {}
        with tqdm(total=len(items), desc=self.desc, unit="text", disable=not self.progress) as bar:
            for start in range(0, len(items), self.commit_every):
                chunk = items[start : start + self.commit_every]
                vectors = embed_in_batches(
                    self.inner, [text for _, text in chunk], batch_size=self.batch_size
                )
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        [(key, vector.tobytes()) for (key, _), vector in zip(chunk, vectors, strict=True)],
                    )
                done.update((key, vector) for (key, _), vector in zip(chunk, vectors, strict=True))
                bar.update(len(chunk))
        return done

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
