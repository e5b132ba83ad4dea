"""Embedders: the hashing embedder, the loader's errors, and each bundled model for real.

The real-model tests load the bundled weights (verified through the registry into a
temporary cache) and check what retrieval relies on: dimensions, unit norms, float32, a
paraphrase closer than an unrelated sentence, in English and in Chinese.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedders import (
    Embedder,
    EmbedderNotFoundError,
    HashingEmbedder,
    bundled_embedders,
    embed_in_batches,
    load_embedder,
    normalize_rows,
)
from index.embedding_cache import CachingEmbedder, cache_file

BUNDLED = {"all-minilm-l6-v2": 384, "multilingual-e5-small": 384, "use-multilingual-v3": 512}


def test_bundled_embedders_are_the_registry_entries() -> None:
    assert bundled_embedders() == sorted(BUNDLED)


def test_hashing_by_name(cache_dir: Path) -> None:
    embedder = load_embedder("hashing-32", cache_dir)
    assert isinstance(embedder, HashingEmbedder) and embedder.dim == 32
    assert isinstance(embedder, Embedder)


def test_unknown_and_wrong_kind_are_clear_errors(cache_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(EmbedderNotFoundError, match="neither a bundled model"):
        load_embedder("no-such-model", cache_dir)
    with pytest.raises(EmbedderNotFoundError, match="is a chat model, not an embedder"):
        load_embedder("smollm2-135m-instruct", cache_dir)
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedderNotFoundError, match=r"no modules\.json"):
        load_embedder(str(tmp_path / "empty"), cache_dir)


def test_normalize_rows_keeps_zero_rows() -> None:
    rows = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_embed_in_batches_matches_one_call() -> None:
    embedder = HashingEmbedder(16)
    texts = [f"product {i}" for i in range(10)]
    np.testing.assert_array_equal(
        embed_in_batches(embedder, texts, batch_size=3), embedder.embed_documents(texts)
    )
    assert embed_in_batches(embedder, []).shape == (0, 16)


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(16)
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().embed_documents(texts)


def test_caching_embedder_embeds_each_text_once(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    path = cache_file(tmp_path, inner)
    first = CachingEmbedder(inner, path).embed_documents(["a drill", "a hose", "a drill"])
    assert inner.embedded == ["a drill", "a hose"]
    again = CachingEmbedder(inner, path)  # a new process would see the same file
    second = again.embed_documents(["a hose", "a saw", "a drill"])
    assert inner.embedded == ["a drill", "a hose", "a saw"]
    assert (again.hits, again.misses) == (2, 1)
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    np.testing.assert_array_equal(second, inner.embed_documents(["a hose", "a saw", "a drill"]))


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module", params=sorted(BUNDLED))
def bundled(request: pytest.FixtureRequest, model_cache: Path) -> Embedder:
    return load_embedder(request.param, model_cache, threads=2)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_bundled_dims_norms_and_dtype(bundled: Embedder) -> None:
    texts = ["Men's waterproof hiking jacket", "男士防水登山夹克", ""]
    documents = bundled.embed_documents(texts[:2])
    query = bundled.embed_query("rain jacket")
    assert documents.shape == (2, BUNDLED[bundled.name]) and bundled.dim == BUNDLED[bundled.name]
    assert documents.dtype == np.float32 and query.dtype == np.float32 and query.shape == (bundled.dim,)
    np.testing.assert_allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    assert bundled.embed_documents([]).shape == (0, bundled.dim)


def test_bundled_english_paraphrase_is_closer(bundled: Embedder) -> None:
    documents = bundled.embed_documents(
        ["cordless power drill with two batteries", "organic green tea, 100 bags"]
    )
    query = bundled.embed_query("battery powered drill")
    assert _cos(query, documents[0]) > _cos(query, documents[1]) + 0.1


def test_bundled_chinese_query_matches_chinese_title(bundled: Embedder) -> None:
    if bundled.name == "all-minilm-l6-v2":
        pytest.skip("all-MiniLM-L6-v2 is an English model")
    documents = bundled.embed_documents(["无线充电器 快充 手机支架", "女士纯棉长袖衬衫 春秋款"])
    query = bundled.embed_query("手机无线充电")
    assert _cos(query, documents[0]) > _cos(query, documents[1]) + 0.05


def test_bundled_cross_lingual(bundled: Embedder) -> None:
    if bundled.name == "all-minilm-l6-v2":
        pytest.skip("all-MiniLM-L6-v2 is an English model")
    documents = bundled.embed_documents(
        ["Women's long sleeve cotton shirt", "Stainless steel kitchen knife set"]
    )
    query = bundled.embed_query("女士长袖衬衫")
    assert _cos(query, documents[0]) > _cos(query, documents[1])


def test_sentence_transformers_directory_by_path(model_cache: Path) -> None:
    from index import model_registry

    directory = model_registry.ensure("all-minilm-l6-v2", model_cache)
    embedder = load_embedder(str(directory), model_cache, threads=2)
    bundled = load_embedder("all-minilm-l6-v2", model_cache, threads=2)
    assert embedder.name == str(directory.resolve()) and embedder.dim == 384
    text = ["a sturdy oak dining table"]
    np.testing.assert_allclose(embedder.embed_documents(text), bundled.embed_documents(text), atol=1e-5)


def test_e5_prefixes_differ_between_query_and_passage(model_cache: Path) -> None:
    e5 = load_embedder("multilingual-e5-small", model_cache, threads=2)
    text = "waterproof hiking boots"
    assert _cos(e5.embed_query(text), e5.embed_documents([text])[0]) < 0.999
