"""Where shopper behaviour is kept: events, imports, identity links and one-time link codes.

The events live in the session store's database: a SQLite file by default (the sessions
file, its own tables beside the checkpointer's), or a ``postgresql://`` URL so that several
replicas share them. Shoppers are keys such as ``customer:12583`` (a store customer, from an
import or a signed widget token), ``web:<session>`` or ``telegram:<user>`` (no known customer).
A channel user can be linked to a customer (:meth:`EventStore.link`), after which the
customer's history is theirs too. :meth:`EventStore.purge` removes everything of a shopper.

Statements are written once with ``?`` placeholders; the Postgres connection gets them as
``%s``. Every write is one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from index.events import Event

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS shop_events (
        id {serial} PRIMARY KEY, shopper TEXT, product TEXT NOT NULL, kind TEXT NOT NULL,
        at TEXT NOT NULL, quantity REAL NOT NULL, order_id TEXT, session TEXT, source TEXT)""",
    "CREATE INDEX IF NOT EXISTS shop_events_shopper ON shop_events (shopper, at)",
    "CREATE INDEX IF NOT EXISTS shop_events_at ON shop_events (at)",
    """CREATE TABLE IF NOT EXISTS shop_event_imports (
        digest TEXT PRIMARY KEY, name TEXT NOT NULL, events INTEGER NOT NULL, at TEXT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS shop_links (alias TEXT PRIMARY KEY, shopper TEXT NOT NULL, at TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS shop_link_codes (
        code TEXT PRIMARY KEY, shopper TEXT NOT NULL, expires TEXT NOT NULL)""",
)
_COLUMNS = "shopper, product, kind, at, quantity, order_id, session"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed


def customer_key(customer_id: str) -> str:
    """The shopper key of a store customer id (as imports and signed tokens name them)."""
    return f"customer:{customer_id}"


class EventStore:
    """Events and identity links in SQLite (a path) or Postgres (a ``postgresql://`` URL)."""

    def __init__(self, target: str | Path) -> None:
        text = str(target)
        self._postgres = text.startswith(("postgres://", "postgresql://"))
        self._lock = threading.Lock()
        if self._postgres:
            from psycopg_pool import ConnectionPool

            self._pool: Any = ConnectionPool(text, min_size=1, max_size=4, open=True,
                                             check=ConnectionPool.check_connection)  # fmt: skip
        else:
            path = Path(target).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
        serial = "BIGSERIAL" if self._postgres else "INTEGER"
        with self._transaction() as run:
            for statement in _SCHEMA:
                run(statement.format(serial=serial))

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """``run(sql, params=(), many=False)`` inside one transaction; returns a cursor."""
        if self._postgres:
            with self._pool.connection() as connection, connection.transaction():
                cursor = connection.cursor()

                def run_pg(
                    sql: str, params: Sequence[Any] | Iterable[Sequence[Any]] = (), many: bool = False
                ) -> Any:
                    sql = sql.replace("?", "%s")
                    if many:
                        cursor.executemany(sql, list(params))
                    else:
                        cursor.execute(sql, params)
                    return cursor

                yield run_pg
            return
        with self._lock, self._sqlite:  # the connection's context manager commits or rolls back
            cursor = self._sqlite.cursor()

            def run_sqlite(sql: str, params: Any = (), many: bool = False) -> Any:
                return cursor.executemany(sql, params) if many else cursor.execute(sql, params)

            yield run_sqlite

    def add(self, events: Iterable[Event], source: str | None = None) -> int:
        rows = [(*_row(event), source) for event in events]
        with self._transaction() as run:
            run(
                f"INSERT INTO shop_events ({_COLUMNS}, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
                many=True,
            )
        return len(rows)

    def import_file(self, path: Path, events: Sequence[Event], force: bool = False) -> int | None:
        """Store the events read from ``path``, once per file content: the same file again is
        skipped (None) unless ``force`` replaces what it stored before."""
        digest = _digest(path)
        with self._transaction() as run:
            seen = run("SELECT events FROM shop_event_imports WHERE digest = ?", (digest,)).fetchone()
            if seen is not None and not force:
                return None
            run("DELETE FROM shop_events WHERE source = ?", (digest,))
            run("DELETE FROM shop_event_imports WHERE digest = ?", (digest,))
            run(
                f"INSERT INTO shop_events ({_COLUMNS}, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_row(event), digest) for event in events],
                many=True,
            )
            run("INSERT INTO shop_event_imports (digest, name, events, at) VALUES (?, ?, ?, ?)",
                (digest, path.name, len(events), _now().isoformat()))  # fmt: skip
        return len(events)

    def history(self, shopper: str, limit: int = 500) -> list[Event]:
        """The shopper's latest ``limit`` events, oldest first, with those of linked aliases."""
        keys = self.identities(shopper)
        marks = ", ".join("?" for _ in keys)
        with self._transaction() as run:
            rows = run(
                f"SELECT {_COLUMNS} FROM shop_events WHERE shopper IN ({marks}) ORDER BY at DESC, id DESC LIMIT ?",
                (*keys, limit),
            ).fetchall()
        return [_event(row) for row in reversed(rows)]

    def events(self, before: datetime | None = None, batch: int = 10_000) -> Iterator[Event]:
        """Every event (before ``before``), oldest first, read in batches."""
        last_id = 0
        cutoff = (before or datetime.max.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        while True:
            with self._transaction() as run:
                rows = run(
                    f"SELECT id, {_COLUMNS} FROM shop_events WHERE id > ? AND at < ? ORDER BY id LIMIT ?",
                    (last_id, cutoff, batch),
                ).fetchall()
            if not rows:
                return
            last_id = rows[-1][0]
            yield from (_event(row[1:]) for row in rows)

    def count(self) -> int:
        with self._transaction() as run:
            return int(run("SELECT COUNT(*) FROM shop_events").fetchone()[0])

    def purge(self, shopper: str) -> int:
        """Forget a shopper: their events, those of every alias linked to them, the links and
        open link codes. Returns how many events were removed."""
        keys = self.identities(shopper)
        marks = ", ".join("?" for _ in keys)
        with self._transaction() as run:
            removed = run(f"DELETE FROM shop_events WHERE shopper IN ({marks})", keys).rowcount
            run(f"DELETE FROM shop_links WHERE alias IN ({marks}) OR shopper IN ({marks})", (*keys, *keys))
            run(f"DELETE FROM shop_link_codes WHERE shopper IN ({marks})", keys)
        return int(removed)

    def link(self, alias: str, shopper: str) -> None:
        """From now on ``alias`` (``telegram:123``) is ``shopper`` (``customer:42``)."""
        with self._transaction() as run:
            run("DELETE FROM shop_links WHERE alias = ?", (alias,))
            run(
                "INSERT INTO shop_links (alias, shopper, at) VALUES (?, ?, ?)",
                (alias, shopper, _now().isoformat()),
            )

    def resolve(self, alias: str) -> str:
        """The shopper ``alias`` is linked to, else ``alias`` itself."""
        with self._transaction() as run:
            row = run("SELECT shopper FROM shop_links WHERE alias = ?", (alias,)).fetchone()
        return str(row[0]) if row else alias

    def identities(self, shopper: str) -> list[str]:
        """``shopper`` and every alias linked to it."""
        with self._transaction() as run:
            rows = run("SELECT alias FROM shop_links WHERE shopper = ?", (shopper,)).fetchall()
        return [shopper, *(str(row[0]) for row in rows)]

    def issue_code(self, shopper: str, ttl: timedelta = timedelta(minutes=10)) -> str:
        """A one-time code (8 characters) that links whoever redeems it in time to ``shopper``."""
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        with self._transaction() as run:
            run("DELETE FROM shop_link_codes WHERE expires < ?", (_now().isoformat(),))
            run("INSERT INTO shop_link_codes (code, shopper, expires) VALUES (?, ?, ?)",
                (code, shopper, (_now() + ttl).isoformat()))  # fmt: skip
        return code

    def redeem(self, code: str, alias: str) -> str | None:
        """Link ``alias`` to the shopper of ``code`` and spend the code; None when the code is
        unknown, spent or expired."""
        normalized = code.strip().upper().replace("-", "").replace(" ", "")
        with self._transaction() as run:
            row = run("SELECT shopper, expires FROM shop_link_codes WHERE code = ?", (normalized,)).fetchone()
            if row is None:
                return None
            run("DELETE FROM shop_link_codes WHERE code = ?", (normalized,))
            if datetime.fromisoformat(row[1]) < _now():
                return None
        shopper = str(row[0])
        self.link(alias, shopper)
        return shopper

    def close(self) -> None:
        if self._postgres:
            self._pool.close()
        else:
            self._sqlite.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _row(event: Event) -> tuple[Any, ...]:
    return (event.shopper, event.product, event.kind, event.at.astimezone(UTC).isoformat(),
            event.quantity, event.order, event.session)  # fmt: skip


def _event(row: Sequence[Any]) -> Event:
    shopper, product, kind, at, quantity, order, session = row
    return Event(shopper, product, kind, datetime.fromisoformat(at), float(quantity), order, session)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
