"""Shared fixtures: the bundled demo store and its index, the shared real data, a web server."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from assistant import Assistant
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


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``serve(assistant, keys=())``: the web chat with its click endpoint (what ``shopbot web``
    serves, with those merchant keys) on a free port of 127.0.0.1; returns its URL. Every
    server started is stopped after the test."""
    from ui.web import browser_secret, build_web_server

    stops = []

    def start(assistant: Assistant, keys: Sequence[str] = ()) -> str:
        app = build_web_server(assistant, secret=browser_secret(tmp_path), merchant_keys=list(keys))
        url, stop = serve_asgi(app)
        stops.append(stop)
        return url.rstrip("/") + "/"

    yield start
    for stop in stops:
        stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_asgi(app: object) -> tuple[str, Callable[[], None]]:
    """Serve an ASGI ``app`` with uvicorn on a free port of 127.0.0.1 in a thread; returns its
    base URL and a function that stops it (running the app's shutdown)."""
    from ui.background_server import BackgroundServer

    server = BackgroundServer(app)
    return server.start(), server.stop


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (tests/postgres_server.py)."""
    from postgres_server import postgres_cluster

    with postgres_cluster() as url:
        yield url
