"""What shoppers did, and what the store learned from it, for one running assistant.

:class:`Behaviour` joins the :class:`~index.event_store.EventStore` (events as they happen)
and the trained :class:`~index.recommender.Recommender` (from ``<data_dir>/recommender``):
it records events, answers a shopper's history (their own and their linked identities'),
trains a new model from every stored event, and hands out the current model, reloading it
when another process (``shopbot recommend train``, the server's nightly schedule) swapped a
new one in. Without a trained model :meth:`Behaviour.model` is None and recommendations fall
back to what the catalog says (the tools decide how).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from index.event_store import EventStore
from index.events import Event, EventKind

if TYPE_CHECKING:  # implicit and scipy load on the first recommendation, not with the assistant
    from index.recommender import Recommender

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TrainReport:
    events: int
    seconds: float
    directory: Path


class Behaviour:
    def __init__(self, store: EventStore, model_dir: Path) -> None:
        self.store = store
        self.model_dir = model_dir
        self._model: Recommender | None = None
        self._stamp: float | None = None  # mtime of the manifest the loaded model came from
        self._lock = threading.Lock()

    def record(
        self, shopper: str, kind: EventKind, product_ids: Iterable[str], session: str | None = None
    ) -> int:
        """Store that ``shopper`` did ``kind`` with each product, now."""
        now = datetime.now(UTC)
        return self.store.add(Event(shopper, pid, kind, now, 1.0, None, session) for pid in product_ids)

    def history(self, shopper: str | None, limit: int = 500) -> list[Event]:
        return self.store.history(shopper, limit) if shopper else []

    def model(self) -> Recommender | None:
        """The newest trained model, or None when none was trained yet (or it cannot be read)."""
        from index.recommender import Recommender, RecommenderNotFoundError

        manifest = self.model_dir / MANIFEST
        try:
            stamp = manifest.stat().st_mtime
        except FileNotFoundError:
            return None
        with self._lock:
            if self._model is None or stamp != self._stamp:
                try:
                    self._model, self._stamp = Recommender.load(self.model_dir), stamp
                except RecommenderNotFoundError as error:
                    log.warning("recommender at %s not loaded: %s", self.model_dir, error)
                    return self._model
            return self._model

    def train(self, progress: bool = False) -> TrainReport:
        """Train on every stored event and swap the model into place."""
        from index.recommender import Recommender

        started = time.perf_counter()
        events = list(self.store.events())
        model = Recommender.train(events, progress=progress)
        model.save(self.model_dir)
        with self._lock:
            self._model, self._stamp = model, (self.model_dir / MANIFEST).stat().st_mtime
        return TrainReport(len(events), time.perf_counter() - started, self.model_dir)
