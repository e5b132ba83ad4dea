"""Conversation sessions: ids keyed by channel and user, and the store that keeps them.

A session id is ``<channel>:<user>`` (``"web:abc"``, ``"telegram:123"``, ``"cli:default"``);
it is the LangGraph thread id, so each session has its own messages and memory and two
sessions never see each other's state. The store is a LangGraph checkpointer: by default a
SQLite file (``<data_dir>/sessions.sqlite``) that survives restarts; for several replicas,
any other checkpointer (``langgraph-checkpoint-postgres``: ``pip install '.[postgres]'``,
then ``open_checkpointer("postgresql://user:pass@host/db")``) shares sessions between them.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

_SESSION_ID = re.compile(r"^([a-z][a-z0-9_-]{0,31}):([^\s:]{1,128})$")


class InvalidSessionError(ValueError):
    """A session id that is not ``<channel>:<user>``."""


def parse_session_id(session_id: str) -> tuple[str, str]:
    """``"telegram:123"`` -> ``("telegram", "123")``; anything else raises :class:`InvalidSessionError`."""
    match = _SESSION_ID.match(session_id or "")
    if not match:
        raise InvalidSessionError(
            f"session id {session_id!r} must look like <channel>:<user>, e.g. web:abc or telegram:123 "
            "(lowercase channel; user without spaces or colons)"
        )
    return match.group(1), match.group(2)


def open_checkpointer(target: str | Path) -> BaseCheckpointSaver[Any]:
    """A checkpointer for a SQLite file path, or a ``postgresql://`` URL."""
    text = str(target)
    if text.startswith(("postgres://", "postgresql://")):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as error:
            raise ImportError("Postgres sessions need: pip install '.[postgres]'") from error
        # a small pool (as the saver's docs advise): a connection the server dropped is replaced
        pool = ConnectionPool(
            text,
            min_size=1,
            max_size=4,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            check=ConnectionPool.check_connection,
            open=True,
        )
        postgres = PostgresSaver(pool)  # type: ignore[arg-type]  # the pool's type parameter is not inferred
        postgres.setup()
        return postgres
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False)  # the saver serialises access with a lock
    connection.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(connection)
    saver.setup()
    return saver
