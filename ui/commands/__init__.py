"""One module per `shopbot` command (see ui/cli.py), and what several of them share."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.config import Settings
    from index.catalog import CatalogIndex
    from tools.product_texts import ProductTexts


def open_index(command: str, index_dir: Path | None, settings: Settings) -> CatalogIndex | None:
    """The catalog index in ``index_dir`` (default: the settings' one), or None after saying on
    stderr why there is none there."""
    from index.catalog import CatalogIndex, IndexNotFoundError

    try:
        return CatalogIndex.load(index_dir or settings.effective_index_dir, cache_dir=settings.cache_dir)
    except IndexNotFoundError as error:
        print(f"shopbot {command}: {error}", file=sys.stderr)
        return None


def open_assistant(command: str, index_dir: Path | str | None, settings: Settings) -> Assistant | None:
    """The assistant over the catalog index in ``index_dir`` (default: the settings' one), or
    None after saying on stderr why there is no index there and how to build one."""
    from assistant.loading import IndexMissingError, build_assistant

    try:
        return build_assistant(settings, index_dir=index_dir)
    except IndexMissingError as error:
        print(f"shopbot {command}: {error}", file=sys.stderr)
        return None


def open_texts(index: CatalogIndex, settings: Settings, *, progress: bool = True) -> ProductTexts:
    """The model-written texts of ``index`` as the chat keeps them: the settings' chat model
    (loaded on first need, with a progress bar when ``progress``) and the shared text cache."""
    from assistant.loading import texts_cache_path, texts_model_name
    from assistant.models.loader import load_chat_model
    from tools.product_texts import ProductTexts
    from tools.text_cache import TextCache

    return ProductTexts(
        index,
        lambda: load_chat_model(settings, progress=progress),
        cache=TextCache(texts_cache_path(settings)),
        model_name=texts_model_name(settings),
    )


def text_token_caps(text: str) -> list[int]:
    """``--text-tokens 64,96,0`` (an argparse type): how much of each product's text to embed,
    0 for the whole text."""
    import argparse

    try:
        caps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        caps = []
    if not caps or min(caps) < 0:
        raise argparse.ArgumentTypeError(f"takes token counts (0: the whole text), e.g. 64,0; got {text!r}")
    return caps


API_MODULES = ("mcp", "limits", "sse_starlette", "swagger_ui_bundle")


def missing_api_extra(command: str) -> bool:
    """True (after saying on stderr what to install) when the ``api`` extra, which the HTTP API
    and the MCP server need, is not installed."""
    import importlib.util

    missing = [name for name in API_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        print(f"shopbot {command}: needs {', '.join(missing)}: pip install '.[api]'", file=sys.stderr)
    return bool(missing)
