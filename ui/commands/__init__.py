"""One module per `shopbot` command (see ui/cli.py), and what several of them share."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.config import Settings
    from index.catalog import CatalogIndex


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
