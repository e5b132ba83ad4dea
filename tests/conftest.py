"""Shared fixtures: paths to the bundled demo store and to the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
