"""A trained recommender over a handful of catalog products, for the channel tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from index.behaviour import Behaviour
from index.event_store import EventStore
from index.events import Event


def trained_behaviour(directory: Path, ids: list[str]) -> tuple[Behaviour, dict[str, str]]:
    """40 customers' orders: everybody buys ``popular``; half buy the seed with its partner,
    the others another product. Returns the behaviour (events in ``directory/sessions.sqlite``,
    model trained) and the roles of the products."""
    roles = {"seed": ids[0], "partner": ids[1], "other": ids[2], "popular": ids[3]}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = []
    for n in range(40):
        basket = [roles["popular"]] + ([roles["seed"], roles["partner"]] if n % 2 else [roles["other"]])
        events += [
            Event(f"customer:{n}", pid, "purchase", start + timedelta(days=n), 1.0, f"o{n}") for pid in basket
        ]
    behaviour = Behaviour(EventStore(directory / "sessions.sqlite"), directory / "recommender")
    behaviour.store.add(events)
    behaviour.train()
    return behaviour, roles
