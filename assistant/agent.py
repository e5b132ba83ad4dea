"""The agent graph: route -> (fast answer | model <-> tools -> grounding check), bounded.

A LangGraph ``StateGraph`` over any LangChain chat model with ``bind_tools``:

- ``route`` reads the message with rules (:mod:`assistant.intents`); an obvious request is
  answered by :mod:`assistant.fast_path` without the model; otherwise the card of a product the
  message points at ("is the first one warm enough?") is shown before the model runs;
- ``model`` calls the chat model with the role's tools and streams its text; a model with a
  grammar (``narrows_tool_calls``) gets, per turn, the filters the message gives no value for
  (:mod:`assistant.argument_support`, left out of the call) and the product ids the
  conversation knows (the only ones a call may name);
- ``tools`` runs the requested tools (:mod:`tools.registry`); product cards are emitted as
  soon as a tool returns them, before any prose;
- ``ground`` checks the model's final text against the session's tool results
  (:mod:`assistant.grounding`) and repairs it from a template when it states an unknown
  price, rating or product, or answers in the wrong language.

Error policy (written here, as in smolagents): a tool mistake becomes an observation the
model sees and can recover from; a second failed tool call in one turn, or more than
``max_steps`` model calls, ends the turn with a graceful reply built from what was found. A
failing model call (busy, timeout, any exception) ends the turn with a short apology; the
caller never sees a traceback. Every step leaves a record in the state (``turn``) that the
:class:`~assistant.assistant.Assistant` turns into a ``Reply``.

``templated_replies`` (default): when every tool the model called in a step is one whose
result a template renders in full (search, recommend, compare, reviews, sentiment, copy,
analytics: :data:`assistant.templates.TEMPLATED_TOOLS`), the reply is that rendering, and the
turn costs one model call instead of two (the second reads the tool result, ~300 tokens at
~45 tokens/s, and writes prose at ~12.6 tokens/s: 10-15 s on two cores). The model still
writes the answer after ``get_product`` (a question about a product) and after a failed tool.

``tool_first`` (default) makes the first model step of a turn call a tool (``tool_choice=
"required"``): small local models otherwise often answer shopping questions from memory, which
the grounding check would then have to throw away; a constrained first call keeps every reply
on catalog facts. Later steps choose freely (answer, or call another tool).

The state (messages, session memory) is saved by the checkpointer given to :func:`build_graph`.
``model`` may be a factory: it is then called on the first turn that needs the model, so
turns answered by rules never wait for a model to load.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph

from assistant import fast_path, templates
from assistant.argument_support import stated_limits_only, unsupported_filters
from assistant.grounding import numbers_in, search_limits, verify
from assistant.guards import redact
from assistant.intents import Intent, parse, resolve_references
from assistant.language import reply_language
from assistant.prompts import system_prompt
from index.quantities import quantities
from tools.context import Catalog, SessionMemory, ToolContext, ToolRefused
from tools.product_texts import ProductTexts
from tools.registry import call_tool, schemas
from tools.shopping import ToolError, show_referenced, tools_for

if TYPE_CHECKING:
    from index.behaviour import Behaviour
    from tools.campaign_desk import CampaignDesk

log = logging.getLogger(__name__)

MAX_STEPS = 4  # model calls per turn
MAX_TOOL_FAILURES = 2  # failed tool calls per turn before the turn ends gracefully
HISTORY_MESSAGES = 4  # earlier user/assistant messages the model sees (2 turns)


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    memory: dict[str, Any]
    turn: dict[str, Any]


def new_turn(lang: str, role: str, shopper: str | None = None) -> dict[str, Any]:
    """The per-turn record the graph fills in (input of every turn; replaces the last one);
    ``shopper``: whose history recommendations read (:mod:`assistant.shoppers`)."""
    return {"lang": lang, "role": role, "shopper": shopper, "steps": 0, "failures": 0, "cards": [], "tool_calls": [], "text": "",
            "path": "model", "grounding": {"checked": False, "issues": [], "repaired": False}, "model_s": 0.0}  # fmt: skip


def build_graph(
    model: BaseChatModel | Callable[[], BaseChatModel],
    catalog: Catalog,
    *,
    checkpointer: BaseCheckpointSaver | None = None,
    analyzer_factory: Callable[[], Any] | None = None,
    texts: ProductTexts | None = None,
    fast_paths: bool = True,
    max_steps: int = MAX_STEPS,
    tool_first: bool = True,
    templated_replies: bool = True,
    relevance_gate: bool = True,
    currency_rates: dict[str, float] | None = None,
    behaviour: Behaviour | None = None,
    campaigns: CampaignDesk | None = None,
) -> CompiledStateGraph:
    bound: dict[tuple[str, bool], Any] = {}
    narrows: list[bool] = []  # whether the model takes omit_arguments and argument_values (a grammar)
    bind_lock = threading.Lock()

    def bound_model(role: str, forced: bool) -> Any:
        """The model with the role's tools bound (``forced``: it must call one); a model
        factory is called on first need."""
        with bind_lock:
            if not bound:
                chat_model = model if isinstance(model, BaseChatModel) else model()
                for r in ("shopper", "merchant"):
                    tools = schemas(tools_for(r))
                    bound[r, False] = chat_model.bind_tools(tools)
                    bound[r, True] = chat_model.bind_tools(tools, tool_choice="required")
                narrows.append(bool(getattr(chat_model, "narrows_tool_calls", False)))
            return bound[role, forced]

    def context(state: AgentState) -> ToolContext:
        """The tools' context for this turn; cards they show are streamed at once."""
        turn = state["turn"]
        writer = get_stream_writer()
        return ToolContext(catalog=catalog, role=turn["role"], lang=turn["lang"],
                           memory=SessionMemory.from_dict(state.get("memory")), analyzer_factory=analyzer_factory,
                           texts=texts, on_cards=lambda cards: writer({"type": "cards", "products": cards}),
                           shown_this_turn=list(turn["cards"]), relevance_gate=relevance_gate,
                           currency_rates=dict(currency_rates or {}), behaviour=behaviour,
                           shopper=turn.get("shopper"), campaigns=campaigns)  # fmt: skip

    def route(state: AgentState) -> dict[str, Any]:
        turn = dict(state["turn"])
        ctx = context(state)
        action = turn.get("action")
        intent = (
            Intent(action["kind"], refs=list(action["product_ids"]))  # a button: no sentence to read back
            if action
            else parse(
                _text(state["messages"][-1]), ctx.memory, lambda pid: catalog.get(pid) is not None,
                catalog.named_products, catalog.type_request,
            )
        )  # fmt: skip
        ctx.memory.clarifying = None  # a question we asked is answered (or dropped) by this message
        fast_path.remember_preferences(ctx, intent)
        answer = fast_path.answer(intent, ctx, get_stream_writer()) if fast_paths else None
        if answer is None:
            if len(intent.refs) == 1:  # the card of the product asked about, before the model runs
                show_referenced(ctx, intent.refs[0])
            turn["cards"] = ctx.shown_this_turn
            return {"memory": ctx.memory.to_dict(), "turn": turn}
        turn.update(text=answer.text, path="fast", tool_calls=answer.tool_calls, cards=ctx.shown_this_turn)
        get_stream_writer()({"type": "text", "text": answer.text})
        return {"memory": ctx.memory.to_dict(), "turn": turn, "messages": [AIMessage(answer.text)]}

    def call_model(state: AgentState) -> dict[str, Any]:
        turn = dict(state["turn"])
        turn["steps"] += 1
        writer = get_stream_writer()
        started = time.perf_counter()
        try:
            forced = tool_first and turn["steps"] == 1
            runnable = bound_model(turn["role"], forced)
            if narrows[0]:
                known = _known_products(state, catalog)
                runnable = runnable.bind(
                    omit_arguments=_unsupported(state, catalog, _stated_numbers(state)),
                    argument_values={"product_id": known, "product_ids": known},
                )
            message = _stream(runnable, _model_input(state), writer)
        except Exception as error:  # the user gets an apology, the log gets the details
            from assistant.models.errors import GenerationTimeoutError, ModelBusyError

            expected = isinstance(error, ModelBusyError | GenerationTimeoutError)
            log.warning("model call failed: %s", redact(repr(error)), exc_info=not expected)
            key = (
                "busy"
                if isinstance(error, ModelBusyError)
                else "timeout"
                if isinstance(error, GenerationTimeoutError)
                else "failed"
            )
            text = templates.message(key, turn["lang"])
            if turn["cards"]:
                text += "\n" + templates.search_results(turn["cards"], turn["lang"])
            turn.update(text=text, path="error")
            writer({"type": "replace", "text": text})
            return {"turn": turn, "messages": [AIMessage(text)]}
        finally:
            turn["model_s"] += time.perf_counter() - started
        return {"turn": turn, "messages": [message]}

    def run_tools(state: AgentState) -> dict[str, Any]:
        turn = dict(state["turn"])
        ctx = context(state)
        writer = get_stream_writer()
        call_message = state["messages"][-1]
        assert isinstance(call_message, AIMessage)
        results: list[BaseMessage] = []
        rendered: list[str] = []
        stated = _stated_numbers(state)
        unsupported = _unsupported(state, catalog, stated)
        for call in call_message.tool_calls:
            args = {k: v for k, v in call["args"].items() if k not in unsupported.get(call["name"], ())}
            call = {**call, "args": stated_limits_only(call["name"], args, stated)}
            writer({"type": "tool", "name": call["name"], "args": call["args"]})
            record: dict[str, Any] = {"name": call["name"], "args": call["args"], "ok": True}
            try:
                observation: dict[str, Any] = call_tool(
                    tools_for(turn["role"]), call["name"], call["args"], ctx
                )
            except ToolRefused as refusal:
                record.update(ok=False, error=str(refusal))
                turn["tool_calls"] = [*turn["tool_calls"], record]
                turn["cards"] = ctx.shown_this_turn
                turn.update(text=str(refusal), path="fast")
                writer({"type": "replace", "text": str(refusal)})
                return _end(state, ctx, turn, results, call_message, str(refusal))
            except Exception as error:  # a mistake the model may fix: hand it back
                turn["failures"] += 1
                record.update(ok=False, error=str(error))
                if not isinstance(error, ToolError):
                    log.warning("tool %s failed", call["name"], exc_info=True)
                observation = {
                    "error": str(error)
                    if isinstance(error, ToolError)
                    else f"{call['name']} failed; try other arguments"
                }
            turn["tool_calls"] = [*turn["tool_calls"], record]
            if record["ok"] and call["name"] in templates.TEMPLATED_TOOLS:
                rendered.append(
                    templates.tool_reply(
                        call["name"], call["args"], observation, turn["lang"], ctx.memory.facts
                    )
                )
            results.append(ToolMessage(_compact(observation), tool_call_id=call["id"], name=call["name"]))
        turn["cards"] = ctx.shown_this_turn
        if templated_replies and rendered and len(rendered) == len(call_message.tool_calls):
            text = "\n\n".join(rendered)  # grounded by construction; no second model call
            writer({"type": "replace", "text": text})
            return _end(state, ctx, turn, results, call_message, text)
        if turn["failures"] >= MAX_TOOL_FAILURES or turn["steps"] >= max_steps:
            key = "tools_failed" if turn["failures"] >= MAX_TOOL_FAILURES else "too_many_steps"
            text = templates.message(key, turn["lang"])
            if turn["cards"]:
                text += "\n" + templates.search_results(turn["cards"], turn["lang"])
            turn.update(path="error" if key == "tools_failed" else "model")
            writer({"type": "replace", "text": text})
            return _end(state, ctx, turn, results, call_message, text)
        return {"messages": results, "memory": ctx.memory.to_dict(), "turn": turn}

    def ground(state: AgentState) -> dict[str, Any]:
        turn = dict(state["turn"])
        message = state["messages"][-1]
        text = _text(message).strip()
        memory = SessionMemory.from_dict(state.get("memory"))
        user_numbers = _user_numbers(state["messages"]) + search_limits(memory.last_search)
        result = verify(
            text,
            memory.facts,
            user_numbers=user_numbers,
            is_catalog_id=lambda pid: catalog.get(pid) is not None,
        )
        issues = list(result.issues)
        if not text:
            issues.append("empty reply")
        elif turn["lang"] != reply_language(text, turn["lang"], [f["title"] for f in memory.facts.values()]):
            issues.append(f"reply is not in the user's language ({turn['lang']})")
        turn["grounding"] = {"checked": True, "issues": issues, "repaired": bool(issues)}
        if not issues:
            turn["text"] = text
            return {"turn": turn}
        shown = turn["cards"] or [
            memory.facts[item["id"]] for item in memory.shown if item["id"] in memory.facts
        ]
        repaired = (
            templates.message("repaired", turn["lang"]) + "\n" + templates.search_results(shown, turn["lang"])
            if shown
            else templates.message("tools_failed", turn["lang"])
        )
        log.warning("grounding repaired a reply: %s | original: %s", "; ".join(issues), redact(text[:300]))
        turn["text"] = repaired
        get_stream_writer()({"type": "replace", "text": repaired})
        return {"turn": turn, "messages": [AIMessage(repaired, id=message.id)]}

    def after_route(state: AgentState) -> str:
        return END if state["turn"]["text"] else "model"

    def after_model(state: AgentState) -> str:
        if state["turn"]["path"] == "error":
            return END
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else "ground"

    def after_tools(state: AgentState) -> str:
        return END if state["turn"]["text"] else "model"

    graph = StateGraph(AgentState)
    graph.add_node("route", route)
    graph.add_node("model", call_model)
    graph.add_node("tools", run_tools)
    graph.add_node("ground", ground)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", after_route, ["model", END])
    graph.add_conditional_edges("model", after_model, ["tools", "ground", END])
    graph.add_conditional_edges("tools", after_tools, ["model", END])
    graph.add_edge("ground", END)
    return graph.compile(checkpointer=checkpointer)


def warm_up(model: BaseChatModel) -> int:
    """Evaluate the fixed start of shopper prompts (system prompt and tool schemas, English and
    Chinese) ahead of time, where the model can (:meth:`LocalChatModel.warm_up`); returns the
    prompt tokens computed. On two cores that start costs ~25 s per language, once."""
    warm = getattr(model, "warm_up", None)
    if warm is None:
        return 0
    tools = schemas(tools_for("shopper"))
    return sum(int(warm([SystemMessage(system_prompt(lang))], tools)) for lang in ("en", "zh"))


def _stated_numbers(state: AgentState) -> list[float | None]:
    """Numbers a price limit may come from: money the user wrote, a remembered budget, and the
    prices shown ("cheaper than the second one")."""
    memory = SessionMemory.from_dict(state.get("memory"))
    shown = [item.get("price") for item in memory.shown]
    return [*_user_prices(state["messages"]), memory.prefs.get("budget"), *shown]


def _known_products(state: AgentState, catalog: Catalog) -> list[str]:
    """Product ids a call may name: those shown or returned in this session and those the
    message types ("compare MH01 and MJ11"); the 1.5B model otherwise invents ids ("12345")
    or appends titles to them."""
    memory = SessionMemory.from_dict(state.get("memory"))
    typed = resolve_references(_current_text(state), memory, lambda pid: catalog.get(pid) is not None)
    return list(dict.fromkeys([*typed, *(item["id"] for item in memory.shown), *memory.facts]))


def _unsupported(state: AgentState, catalog: Catalog, stated: list[float | None]) -> dict[str, list[str]]:
    """Filters this turn's message gives no value for (:mod:`assistant.argument_support`)."""
    return unsupported_filters(_current_text(state), stated, catalog.brands())


def _current_text(state: AgentState) -> str:
    """The user's message of this turn."""
    return _text(next(m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)))


def _end(state: AgentState, ctx: ToolContext, turn: dict[str, Any], results: list[BaseMessage], call: AIMessage, text: str) -> dict[str, Any]:  # fmt: skip
    """End the turn after a tool step: answer every pending call (so the history stays valid)."""
    answered = {m.tool_call_id for m in results if isinstance(m, ToolMessage)}
    skipped = [
        ToolMessage('{"error": "not run"}', tool_call_id=c["id"], name=c["name"])
        for c in call.tool_calls
        if c["id"] not in answered
    ]
    turn["text"] = text
    return {"messages": [*results, *skipped, AIMessage(text)], "memory": ctx.memory.to_dict(), "turn": turn}


def _model_input(state: AgentState) -> list[BaseMessage]:
    """System prompt, the last few user/assistant messages, and this turn's messages; the
    current message carries a short note of what was shown, so "the second one" resolves."""
    turn = state["turn"]
    messages = state["messages"]
    start = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
    earlier = [
        m
        for m in messages[:start]
        if isinstance(m, HumanMessage) or (isinstance(m, AIMessage) and not m.tool_calls)
    ]
    current = list(messages[start:])
    memory = SessionMemory.from_dict(state.get("memory"))
    notes = []
    if memory.shown:
        shown = "; ".join(
            f"{i}. {item['id']} {item['title']}" for i, item in enumerate(memory.shown, start=1)
        )
        notes.append(f"[shown: {shown}]")
    if memory.prefs:
        notes.append(f"[user prefs: {json.dumps(memory.prefs, ensure_ascii=False)}]")
    if notes:
        current[0] = HumanMessage(" ".join(notes) + "\n" + _text(current[0]))
    return [SystemMessage(system_prompt(turn["lang"])), *earlier[-HISTORY_MESSAGES:], *current]


def _stream(model: Any, messages: list[BaseMessage], writer: Callable[[Any], None]) -> AIMessage:
    full: AIMessageChunk | None = None
    for chunk in model.stream(messages):
        if chunk.content:
            writer({"type": "text", "text": chunk.content})
        full = chunk if full is None else full + chunk
    if full is None:
        return AIMessage("", id=str(uuid.uuid4()))
    return AIMessage(content=full.content, tool_calls=full.tool_calls, id=full.id or str(uuid.uuid4()),
                     usage_metadata=full.usage_metadata, response_metadata=full.response_metadata)  # fmt: skip


def _compact(observation: dict[str, Any]) -> str:
    return json.dumps(observation, ensure_ascii=False, separators=(",", ":"))


def _user_numbers(messages: list[AnyMessage]) -> list[float]:
    """Every number the user wrote in this conversation (a reply or a limit may repeat them)."""
    return [n for m in messages if isinstance(m, HumanMessage) for n in numbers_in(_text(m))]


def _user_prices(messages: list[AnyMessage]) -> list[float]:
    """Every amount of money the user wrote ("$60", "500元", "under 40"): "40 degree weather",
    "30L" or "2 people" give none (:mod:`index.quantities`)."""
    return [
        q.value
        for m in messages
        if isinstance(m, HumanMessage)
        for q in quantities(_text(m))
        if q.kind == "money"
    ]


def _text(message: BaseMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.text)
