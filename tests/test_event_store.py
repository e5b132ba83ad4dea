"""The event store in a real SQLite file and a real PostgreSQL server: history, imports once,
links between a channel and a customer, one-time codes, and forgetting a shopper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.event_store import EventStore, customer_key
from index.events import Event


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "sqlite":
        target: str | Path = tmp_path / "sessions.sqlite"
    else:
        pytest.importorskip("psycopg_pool", reason="pip install '.[postgres]'")
        url = request.getfixturevalue("postgres_url")
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:  # each test on empty tables
            for table in ("shop_events", "shop_event_imports", "shop_links", "shop_link_codes"):
                connection.execute(f"DROP TABLE IF EXISTS {table}")
        target = url
    opened = EventStore(target)
    yield opened
    opened.close()


def _at(day: int) -> datetime:
    return datetime(2024, 1, day, 12, tzinfo=UTC)


def test_history_is_the_latest_events_oldest_first(store: EventStore) -> None:
    store.add([Event("customer:1", f"p{day}", "view", _at(day)) for day in (3, 1, 2)])
    store.add([Event("customer:2", "other", "purchase", _at(1))])
    assert [e.product for e in store.history("customer:1")] == ["p1", "p2", "p3"]
    assert [e.product for e in store.history("customer:1", limit=2)] == ["p2", "p3"]
    assert store.history("customer:nobody") == []
    assert store.count() == 4
    assert [e.product for e in store.events(before=_at(2))] == ["p1", "other"]


def test_a_file_is_imported_once_unless_forced(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("any content", encoding="utf-8")
    events = [
        Event("customer:1", "a", "purchase", _at(1), 2.0, "o1"),
        Event(None, "b", "purchase", _at(1), 1.0, "o2"),
    ]
    assert store.import_file(path, events) == 2
    assert store.import_file(path, events) is None
    assert store.count() == 2
    assert store.import_file(path, events[:1], force=True) == 1  # replaces, never doubles
    assert store.count() == 1


def test_a_linked_channel_shares_the_customers_history(store: EventStore) -> None:
    store.add([Event("customer:7", "bought", "purchase", _at(1))])
    store.add([Event("telegram:42", "clicked", "click", _at(2))])
    assert store.resolve("telegram:42") == "telegram:42"
    store.link("telegram:42", "customer:7")
    assert store.resolve("telegram:42") == "customer:7"
    assert [e.product for e in store.history("customer:7")] == ["bought", "clicked"]


def test_link_codes_work_once_and_expire(store: EventStore) -> None:
    code = store.issue_code("customer:7")
    assert len(code) == 8
    assert store.redeem("nonsense", "telegram:1") is None
    assert store.redeem(code.lower(), "telegram:1") == "customer:7"  # typed in lower case: still it
    assert store.redeem(code, "telegram:2") is None  # spent
    stale = store.issue_code("customer:7", ttl=timedelta(seconds=-1))
    assert store.redeem(stale, "telegram:3") is None
    assert store.resolve("telegram:2") == "telegram:2" and store.resolve("telegram:3") == "telegram:3"


def test_forgetting_a_customer_removes_their_events_links_and_codes(store: EventStore) -> None:
    store.add([Event("customer:7", "a", "purchase", _at(1)), Event("telegram:42", "b", "click", _at(2)),
               Event("customer:8", "c", "purchase", _at(1))])  # fmt: skip
    store.link("telegram:42", "customer:7")
    code = store.issue_code("customer:7")
    assert store.purge("customer:7") == 2
    assert store.history("customer:7") == [] and store.history("telegram:42") == []
    assert store.resolve("telegram:42") == "telegram:42"
    assert store.redeem(code, "telegram:9") is None
    assert [e.product for e in store.history("customer:8")] == ["c"]  # nobody else's


def test_customer_keys() -> None:
    assert customer_key("12583") == "customer:12583"
