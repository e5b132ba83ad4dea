"""``Assistant``: the product a shopper (or merchant) talks to, one turn at a time.

::

    assistant = Assistant(chat_model, CatalogIndex.load(index_dir), sessions_path="sessions.sqlite")
    reply = assistant.reply("web:abc", "waterproof backpack under $60")
    reply.text, reply.products, reply.tool_calls, reply.language, reply.timings
    for event in assistant.stream("telegram:42", "cheaper?"):    # ToolEvent, CardsEvent, TextChunk...
        ...
    assistant.tools.call("search_products", {"query": "backpack"})  # one tool, typed, no turn
    async for event in assistant.astream("web:abc", "第二个"):
        ...

A turn: the session id is checked (``<channel>:<user>``), the language detected, the message
guarded (empty, abusive, off-topic, too long), then the agent graph runs with the session's
saved state and streams events; the :class:`~assistant.reply.Reply` is assembled from the
turn's record. Nothing a user can type raises: failures become a polite reply (logged, with
personal data redacted). Turns of one session run one at a time; sessions run in parallel.

Deliberately not here: loading models and indexes (the caller passes them in; see
:func:`assistant.loading.build_assistant`), channel rendering (``ui/``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from assistant import templates
from assistant.agent import MAX_STEPS, build_graph, new_turn
from assistant.agent import warm_up as agent_warm_up
from assistant.guards import RedactingFilter, check_message, redact, truncation_notice
from assistant.intents import parse
from assistant.language import detect_language
from assistant.merchant import MerchantDesk
from assistant.reply import (
    Action,
    CardsEvent,
    Done,
    Event,
    Grounding,
    ProductCard,
    Reply,
    TextChunk,
    TextReplaced,
    ToolCallRecord,
    ToolEvent,
)
from assistant.sessions import open_checkpointer, parse_session_id
from assistant.shoppers import Shoppers
from assistant.tool_calls import ToolDesk
from index.events import EventKind
from tools.campaign_desk import CampaignDesk, ListedCatalog
from tools.context import ROLES, Catalog, SessionMemory
from tools.product_texts import ProductTexts
from tools.text_cache import TextCache

if TYPE_CHECKING:
    from pydantic import SecretStr

    from index.behaviour import Behaviour

log = logging.getLogger("assistant")
log.addFilter(RedactingFilter())
_RESET = ("/reset", "reset", "重置")


class Assistant:
    def __init__(
        self,
        model: BaseChatModel | Callable[[], BaseChatModel],
        catalog: Catalog,
        *,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
        sessions_path: str | Path | None = None,
        analyzer_factory: Callable[[], Any] | None = None,
        text_cache: TextCache | None = None,
        model_name: str = "",
        fast_paths: bool = True,
        max_steps: int = MAX_STEPS,
        tool_first: bool = True,
        templated_replies: bool = True,
        relevance_gate: bool = True,
        currency_rates: dict[str, float] | None = None,
        behaviour: Behaviour | None = None,
        customer_token_key: SecretStr | None = None,
        campaigns_dir: Path | None = None,
    ) -> None:
        """``model`` is a chat model, or a function returning one (called when first needed).
        ``checkpointer`` (any LangGraph saver) or ``sessions_path`` (a SQLite file or a
        ``postgresql://`` URL) keeps sessions; with neither, sessions live in memory only.
        ``text_cache`` keeps model-written review summaries (keyed with ``model_name``; default:
        in memory). ``tool_first``: the model's first step in a turn must call a tool (see
        :mod:`assistant.agent`). ``templated_replies``: a search-like tool's result is rendered
        by a template instead of a second model call (see :mod:`assistant.agent`). ``relevance_gate``:
        search shows only products that match the request (False: as retrieved, for baselines).
        ``currency_rates``: converts a price limit given in another currency than the catalog's
        (:attr:`assistant.config.Settings.currency_rates`). ``behaviour``: events and the trained
        recommender ("for you", "bought together"; None: nothing is recorded), with
        ``customer_token_key`` verifying the customer ids store pages pass (:mod:`assistant.shoppers`).
        ``campaigns_dir`` keeps the merchant's campaigns and their copy (None: no campaigns)."""
        if checkpointer is None:
            if sessions_path is not None:
                checkpointer = open_checkpointer(sessions_path)
            else:
                from langgraph.checkpoint.memory import InMemorySaver

                checkpointer = InMemorySaver()
        self.checkpointer = checkpointer
        self.catalog = catalog
        self.texts = ProductTexts(catalog, model, cache=text_cache, model_name=model_name)
        """Review summaries and promo copy, written with the same chat model as the turns."""
        campaigns = (
            None
            if campaigns_dir is None
            else CampaignDesk(cast(ListedCatalog, catalog), self.texts, campaigns_dir)
        )
        self.merchant = MerchantDesk(
            catalog, self.texts, analyzer_factory=analyzer_factory, campaigns=campaigns
        )
        """The merchant tools as plain calls (promo copy, review dashboards, campaigns) for the channels."""
        self.tools = ToolDesk(
            catalog, self.texts, analyzer_factory=analyzer_factory, currency_rates=currency_rates,
            behaviour=behaviour, campaigns=campaigns,
        )  # fmt: skip
        """Every tool as a typed call, one at a time, for other software (MCP, the HTTP API)."""
        self.graph = build_graph(
            self.texts.model,
            catalog,
            checkpointer=checkpointer,
            analyzer_factory=analyzer_factory,
            texts=self.texts,
            fast_paths=fast_paths,
            max_steps=max_steps,
            tool_first=tool_first,
            templated_replies=templated_replies,
            relevance_gate=relevance_gate,
            currency_rates=currency_rates,
            behaviour=behaviour,
            campaigns=campaigns,
        )
        self.shoppers = Shoppers(behaviour, customer_token_key)
        """Who a session's shopper is (signed customer ids, link codes) and what they click."""
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- public API -------------------------------------------------------------------------

    def reply(self, session_id: str, text: str, role: str = "shopper", action: Action | None = None) -> Reply:
        """One turn, whole: the final :class:`Reply`."""
        for event in self.stream(session_id, text, role, action):
            if isinstance(event, Done):
                return event.reply
        raise AssertionError("stream ended without a Done event")  # pragma: no cover

    def stream(
        self, session_id: str, text: str, role: str = "shopper", action: Action | None = None
    ) -> Iterator[Event]:
        """One turn as events: tool calls, product cards (as soon as found), text, Done.
        ``action``: what a button asks, done as given (``text`` is what the history shows)."""
        parse_session_id(session_id)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        with self._session_lock(session_id):
            yield from self._turn(session_id, text or "", role, action)

    async def astream(
        self, session_id: str, text: str, role: str = "shopper", action: Action | None = None
    ) -> AsyncIterator[Event]:
        """:meth:`stream` for asyncio: the turn runs in a worker thread, the loop stays free."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event | BaseException | None] = asyncio.Queue()

        def work() -> None:
            try:
                for event in self.stream(session_id, text, role, action):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as error:  # re-raised in the caller's task
                loop.call_soon_threadsafe(queue.put_nowait, error)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = threading.Thread(target=work, name=f"turn-{session_id}", daemon=True)
        worker.start()
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def areply(self, session_id: str, text: str, role: str = "shopper") -> Reply:
        async for event in self.astream(session_id, text, role):
            if isinstance(event, Done):
                return event.reply
        raise AssertionError("stream ended without a Done event")  # pragma: no cover

    def warm_up(self) -> int:
        """Load the chat model and read the fixed start of its prompts now, so that the first
        shopper whose turn needs the model does not wait for either; returns prompt tokens read."""
        return agent_warm_up(self.texts.model()) + self.texts.warm_up()

    def reset(self, session_id: str) -> None:
        """Forget a session: its messages and everything remembered."""
        parse_session_id(session_id)
        self.checkpointer.delete_thread(session_id)

    def history(self, session_id: str) -> list[tuple[str, str]]:
        """The conversation so far as (``"user"``/``"assistant"``, text) pairs."""
        values = self._state(session_id)
        pairs = []
        for message in values.get("messages", []):
            if isinstance(message, HumanMessage):
                pairs.append(("user", str(message.content)))
            elif isinstance(message, AIMessage) and not message.tool_calls and message.content:
                pairs.append(("assistant", str(message.content)))
        return pairs

    def transcript(self, session_id: str) -> str:
        """The conversation as text for logs and exports, personal data redacted."""
        return "\n".join(f"{role}: {redact(text)}" for role, text in self.history(session_id))

    def memory(self, session_id: str) -> dict[str, Any]:
        """What the session remembers (shown products, last search, preferences)."""
        return dict(self._state(session_id).get("memory") or {})

    # -- internals --------------------------------------------------------------------------

    def _turn(self, session_id: str, text: str, role: str, action: Action | None) -> Iterator[Event]:
        started = time.perf_counter()
        previous = self._state(session_id)
        lang = detect_language(text, (previous.get("turn") or {}).get("lang", "en"))
        guard = check_message(text, lang)
        if guard.answer is not None:
            log.info("%s guard=%s user=%s", session_id, guard.kind, text[:200])
            yield TextChunk(text=guard.answer)
            yield Done(reply=Reply(text=guard.answer, language=lang, path="guard", timings=_timings(started)))
            return
        if guard.text.lower() in _RESET or parse(guard.text, SessionMemory()).kind == "forget_me":
            key = "reset" if guard.text.lower() in _RESET else self._forget_shopper(session_id)
            if key != "failed":
                self.checkpointer.delete_thread(session_id)
            answer = templates.message(key, lang)
            yield TextChunk(text=answer)
            yield Done(reply=Reply(text=answer, language=lang, path="fast", timings=_timings(started)))
            return
        if action is not None:  # a button pressed on products: a click on each
            self._record(session_id, "click", action.product_ids)
        notices = [truncation_notice(lang)] if guard.truncated else []
        for notice in notices:
            yield TextChunk(text=notice + "\n")
        config: RunnableConfig = {"configurable": {"thread_id": session_id}}
        first_card: float | None = None
        try:
            for raw in self.graph.stream(
                {
                    "messages": [HumanMessage(guard.text)],
                    "turn": {
                        **new_turn(lang, role, self._shopper(session_id)),
                        "action": action.model_dump() if action else None,
                    },
                },
                config,
                stream_mode="custom",
            ):
                event = _event(raw)
                if isinstance(event, CardsEvent) and first_card is None:
                    first_card = time.perf_counter() - started
                yield event
            turn = self.graph.get_state(config).values["turn"]
        except Exception:
            log.exception("turn failed in session %s", session_id)
            answer = templates.message("failed", lang)
            yield TextReplaced(text=answer)
            yield Done(reply=Reply(text=answer, language=lang, path="error", timings=_timings(started)))
            return
        reply = Reply(
            text="\n".join([*notices, turn["text"]]),
            products=[ProductCard(**card) for card in _unique(turn["cards"])],
            tool_calls=[ToolCallRecord(**call) for call in turn["tool_calls"]],
            language=lang,
            timings=_timings(started, first_card=first_card, model=turn["model_s"]),
            grounding=Grounding(**turn["grounding"]),
            path=turn["path"],
            notices=notices,
        )
        log.info("%s path=%s user=%s reply=%s", session_id, reply.path, guard.text[:200], reply.text[:200])
        self._record(session_id, "impression", [card.id for card in reply.products])
        yield Done(reply=reply)

    def _shopper(self, session_id: str) -> str:
        try:
            return self.shoppers.shopper_of(session_id)
        except Exception:  # the event store is down: this turn is the session's own
            log.warning("shopper of %s not resolved", session_id, exc_info=True)
            return session_id

    def _record(self, session_id: str, kind: EventKind, product_ids: list[str]) -> None:
        """Keep what the shopper did; a failure to store it never fails the turn."""
        try:
            self.shoppers.record(session_id, kind, product_ids)
        except Exception:
            log.warning("%s events of %s not recorded", kind, session_id, exc_info=True)

    def _forget_shopper(self, session_id: str) -> str:
        """Remove the shopper's history; the message key of the answer (``failed``: nothing was
        forgotten, the conversation is kept so the shopper can ask again)."""
        try:
            removed = self.shoppers.forget(session_id)
        except Exception:
            log.exception("forgetting the shopper of %s failed", session_id)
            return "failed"
        log.info("%s forgotten: %d events removed", session_id, removed)
        return "forgot_me"

    def _state(self, session_id: str) -> dict[str, Any]:
        config: RunnableConfig = {"configurable": {"thread_id": session_id}}
        snapshot = self.graph.get_state(config)
        return dict(snapshot.values or {})

    def _session_lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())


def _event(raw: dict[str, Any]) -> Event:
    kind = raw["type"]
    if kind == "tool":
        return ToolEvent(name=raw["name"], args=raw["args"])
    if kind == "cards":
        return CardsEvent(products=[ProductCard(**card) for card in raw["products"]])
    if kind == "replace":
        return TextReplaced(text=raw["text"])
    return TextChunk(text=raw["text"])


def _unique(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({card["id"]: card for card in reversed(cards)}.values())[::-1]


def _timings(started: float, *, first_card: float | None = None, model: float = 0.0) -> dict[str, float]:
    timings = {"total": round(time.perf_counter() - started, 4)}
    if first_card is not None:
        timings["first_card"] = round(first_card, 4)
    if model:
        timings["model"] = round(model, 4)
    return timings
