"""How much of a product's text is embedded: the first ``text_tokens`` tokens where the embedder
can count them (recorded in the manifest, part of the build fingerprint, kept by incremental
updates), the whole text where it cannot or where the cap is off."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import CatalogIndex, HashingEmbedder
from index.building import TEXT_TOKENS, document_text, embedded_texts
from index.embedders import cap_tokens
from index.embedding_cache import CachingEmbedder
from index.schema import Product
from ui.cli import main
from ui.commands import text_token_caps


class WordEmbedder(HashingEmbedder):
    """The hashing embedder with a tokenizer of its own: a token is a word. Records what it embeds."""

    def __init__(self) -> None:
        super().__init__(64)
        self.embedded: list[str] = []

    def truncate(self, texts: list[str], max_tokens: int) -> list[str]:
        return [" ".join(text.split()[:max_tokens]) for text in texts]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().embed_documents(texts)


LONG: dict[str, Any] = {
    "id": "p1",
    "title": "Trail runner",
    "description": " ".join(f"word{i}" for i in range(40)),
}
SHORT: dict[str, Any] = {"id": "p2", "title": "Water bottle", "category": "Gear/Bottles"}


@pytest.mark.parametrize(
    ("embedder", "cap", "expected_cap"),
    [
        (WordEmbedder(), 5, 5),
        (WordEmbedder(), None, None),  # cap off: whole texts
        (HashingEmbedder(64), 5, None),  # no tokenizer: whole texts
    ],
)
def test_cap_tokens(embedder, cap, expected_cap) -> None:
    texts = [document_text(Product(**LONG)), document_text(Product(**SHORT))]
    out, applied = cap_tokens(embedder, texts, cap)
    assert applied == expected_cap
    if expected_cap:
        assert out == [" ".join(texts[0].split()[:5]), " ".join(texts[1].split()[:5])]
    else:
        assert out == texts


def test_a_caching_embedder_caps_with_the_tokenizer_it_wraps(tmp_path: Path) -> None:
    cached = CachingEmbedder(WordEmbedder(), tmp_path / "v.sqlite")
    texts, applied = embedded_texts([Product(**LONG)], cached, 3)
    assert (texts, applied) == (["Trail runner. word0"], 3)


def test_the_build_embeds_capped_texts_and_the_manifest_says_so(tmp_path: Path) -> None:
    embedder = WordEmbedder()
    index = CatalogIndex.build([LONG, SHORT], tmp_path / "i", embedder=embedder, text_tokens=6)
    assert index.manifest["text"] == {"max_tokens": 6}
    assert all(len(text.split()) <= 6 for text in embedder.embedded)
    assert "word39" not in " ".join(embedder.embedded)
    # an update is embedded with the cap the index was built with
    index.update([{**LONG, "title": "Trail runner v2"}])
    assert embedder.embedded[-1] == "Trail runner v2. word0 word1 word2"
    index.close()
    assert CatalogIndex.build([LONG], tmp_path / "j", embedder=HashingEmbedder(64)).manifest["text"] == {
        "max_tokens": None
    }


def test_an_index_without_a_recorded_cap_updates_with_whole_texts(tmp_path: Path) -> None:
    embedder = WordEmbedder()
    CatalogIndex.build([SHORT], tmp_path / "i", embedder=embedder, text_tokens=None).close()
    manifest_file = tmp_path / "i" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["text"]  # as an index built before caps were recorded
    manifest_file.write_text(json.dumps(manifest))
    index = CatalogIndex.load(tmp_path / "i", embedder=embedder)
    index.add([LONG])
    assert embedder.embedded[-1] == document_text(Product(**LONG))
    index.close()


def test_changing_the_cap_rebuilds_and_the_same_cap_does_not(tmp_path: Path) -> None:
    catalog = tmp_path / "p.jsonl"
    catalog.write_text(json.dumps(LONG) + "\n" + json.dumps(SHORT) + "\n", encoding="utf-8")

    def build(cap: int | None) -> tuple[bool, int]:
        embedder = WordEmbedder()
        report = CatalogIndex.build_from_files(
            catalog,
            tmp_path / "i",
            embedder=embedder,
            cache_dir=tmp_path / "c",
            progress=False,
            text_tokens=cap,
        )
        report.index.close()
        return report.skipped_build, len(embedder.embedded)

    assert build(TEXT_TOKENS) == (False, 2)
    assert build(TEXT_TOKENS) == (True, 0)
    assert build(4)[0] is False  # a new cap: a new build; the long text is embedded again
    assert build(None)[0] is False


@pytest.mark.parametrize(("value", "code"), [("-1", 2), ("0", 0), ("8", 0)])
def test_index_build_text_tokens_option(tmp_path, capsys, value, code) -> None:
    catalog = tmp_path / "p.jsonl"
    catalog.write_text(json.dumps(LONG) + "\n", encoding="utf-8")
    args = ["index", "build", str(catalog), "--out", str(tmp_path / "i"), "--embedder", "hashing-32"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--text-tokens", value])
    assert exit_info.value.code == code
    if code:
        assert "--text-tokens" in capsys.readouterr().err
    else:
        manifest = json.loads((tmp_path / "i" / "manifest.json").read_text())
        assert manifest["inputs"]["text_tokens"] == (int(value) or None)


@pytest.mark.parametrize(("text", "caps"), [("64,96,0", [64, 96, 0]), ("64", [64]), (" 64 , 0 ", [64, 0])])
def test_text_token_caps_option(text: str, caps: list[int]) -> None:
    assert text_token_caps(text) == caps


@pytest.mark.parametrize("text", ["-1", "64,x", "", ","])
def test_text_token_caps_option_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="token counts"):
        text_token_caps(text)
