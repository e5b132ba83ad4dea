"""Shared fixtures: paths to the bundled demo store and to the shared real data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from index.catalog import CatalogIndex

from assistant.config import apply_environment, demo_store_dir

REPO_ROOT = Path(__file__).resolve().parent.parent

apply_environment()


@pytest.fixture(scope="session")
def demo_store() -> Path:
    return demo_store_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the project root (read-only; never write into it)."""
    path = Path(os.environ.get("SHOPBOT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}; set SHOPBOT_SHARED_DATA")
    return path


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    """An empty model cache for tests that assemble or verify models."""
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory, demo_store: Path) -> Iterator[CatalogIndex]:
    """A real CatalogIndex over the demo store with the hashing embedder, built once per session.

    Read-only for tests: a test that changes the catalog builds its own."""
    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder
    from index.ingest import load_products, load_reviews

    products = load_products(demo_store / "luma_products.jsonl", None, False, None).records
    reviews = load_reviews(demo_store / "luma_reviews.jsonl", {p.id for p in products}, None, False).records
    index = CatalogIndex.build(
        products, tmp_path_factory.mktemp("demo-index") / "index", embedder=HashingEmbedder(), reviews=reviews
    )
    yield index
    index.close()
