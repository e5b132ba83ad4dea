"""Build a ready :class:`~assistant.assistant.Assistant` from the settings, for the channels.

Loads the catalog index (``--index`` or ``Settings.effective_index_dir``), prepares the chat
model (:func:`assistant.models.loader.load_chat_model`, loaded on the first turn that needs
it, so rule-answered turns start instantly) and opens the session store
(``Settings.sessions`` or ``<data_dir>/sessions.sqlite``) and the cache of model-written
texts (``<cache_dir>/texts.sqlite``). The review sentiment analyzer is
loaded on the first question that needs it, once. A missing index is a
:class:`IndexMissingError` saying how to build one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.assistant import Assistant
    from assistant.config import Settings
    from index.behaviour import Behaviour
    from index.catalog import CatalogIndex


log = logging.getLogger(__name__)


class IndexMissingError(FileNotFoundError):
    """There is no catalog index where the assistant looks; the message says how to build one."""


def sessions_target(settings: Settings) -> str | Path:
    return settings.sessions or settings.data_dir / "sessions.sqlite"


def load_catalog(settings: Settings, index_dir: Path | str | None = None) -> CatalogIndex:
    """The catalog index in ``index_dir`` (default: the settings' index directory)."""
    from index.catalog import CatalogIndex

    directory = Path(index_dir or settings.effective_index_dir)
    if not (directory / "manifest.json").is_file():
        raise IndexMissingError(
            f"no catalog index in {directory}. Build one with\n"
            f"  shopbot index build CATALOG [--reviews FILE] --out {directory}\n"
            "or prepare the demo store with `make run` (shopbot demo)."
        )
    return CatalogIndex.load(directory, cache_dir=settings.cache_dir)


def build_assistant(
    settings: Settings, *, index_dir: Path | str | None = None, model: BaseChatModel | None = None
) -> Assistant:
    from assistant.assistant import Assistant
    from tools.text_cache import TextCache

    catalog = load_catalog(settings, index_dir)

    def load_model() -> BaseChatModel:
        from assistant.models.loader import load_chat_model

        return load_chat_model(settings)

    return Assistant(
        model if model is not None else load_model,
        catalog,
        sessions_path=sessions_target(settings),
        behaviour=open_behaviour(settings),
        customer_token_key=settings.customer_token_key,
        analyzer_factory=lazy_analyzer(settings.cache_dir),
        text_cache=TextCache(texts_cache_path(settings)),
        model_name=texts_model_name(settings),
        currency_rates=settings.currency_rates,
        campaigns_dir=settings.data_dir,
    )


def open_behaviour(settings: Settings) -> Behaviour:
    """The events (in the session store's database) and the recommender of the data dir."""
    from index.behaviour import Behaviour
    from index.event_store import EventStore

    return Behaviour(EventStore(sessions_target(settings)), settings.recommender_dir)


def texts_cache_path(settings: Settings) -> Path:
    """Where model-written texts (review summaries) are kept between runs."""
    return settings.cache_dir / "texts.sqlite"


def texts_model_name(settings: Settings) -> str:
    """The chat model as part of the cache keys of the texts it writes."""
    return f"{settings.chat_backend}:{settings.chat_model}"


def lazy_analyzer(cache_dir: Path) -> Callable[[], Any]:
    """A factory that loads the review sentiment analyzer on first call and then reuses it."""
    loaded: list[Any] = []
    lock = threading.Lock()

    def factory() -> Any:
        with lock:
            if not loaded:
                from tools.sentiment import load_analyzer

                loaded.append(load_analyzer(cache_dir))
            return loaded[0]

    return factory


def warm_up_in_background(assistant: Assistant) -> threading.Thread:
    """Start :meth:`Assistant.warm_up` in a daemon thread (a server calls this as it starts
    listening); a failure is logged, and the model is then loaded by the first turn instead."""

    def work() -> None:
        started = time.perf_counter()
        try:
            tokens = assistant.warm_up()
        except Exception:
            log.warning("warming up the chat model failed; the first turn will load it", exc_info=True)
            return
        log.info(
            "chat model ready: %d prompt tokens prepared in %.1f s", tokens, time.perf_counter() - started
        )

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


def retrain_in_background(assistant: Assistant, hours: float) -> threading.Thread | None:
    """While a server runs, retrain the recommender every ``hours`` when new events came in
    since the last training (a daemon thread; a failed training is logged and the previous
    model kept). None when ``hours`` is 0 or nothing is recorded."""
    behaviour = assistant.shoppers.behaviour
    if behaviour is None or hours <= 0:
        return None

    def work() -> None:
        trained_at = -1
        while True:
            time.sleep(hours * 3600)
            try:
                count = behaviour.store.count()
                if count != trained_at:
                    report = behaviour.train()
                    trained_at = count
                    log.info("recommender retrained on %d events in %.1f s", report.events, report.seconds)
            except Exception:
                log.warning("retraining the recommender failed; the previous model stays", exc_info=True)

    thread = threading.Thread(target=work, name="retrain-recommender", daemon=True)
    thread.start()
    return thread
