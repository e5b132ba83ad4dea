"""``LocalChatModel``: a LangChain chat model over a local backend, with real tool calling.

Anything that takes a LangChain ``BaseChatModel`` (the agent, ``with_structured_output``,
LangGraph) can use it; it can equally be swapped for any other chat model. Per request:

1. Messages (``ToolMessage`` and ``AIMessage.tool_calls`` included) and the bound tools are
   rendered through the model's own chat template (``chat_template.py``).
2. The request waits for its turn on the model's :class:`GenerationScheduler` (one
   generation at a time, bounded queue, deadline); the token loop checks the ticket per token.
3. Tool choice:

   - ``"required"`` / a tool name: the reply is opened with ``<tool_call>`` and the JSON is
     constrained to ``{"name": <tool>, "arguments": <its schema>}`` (llama.cpp grammar), so
     the call always parses and validates (a call may use ``tool_call_max_tokens`` even when
     ``max_tokens`` is smaller: a call cut short is useless). ``omit_arguments`` (tool name ->
     optional argument names), ``argument_values`` (argument name -> allowed values) and
     ``argument_schemas`` (argument name -> JSON schema) narrow that grammar for one request,
     not the prompt (its cached prefix stays the same): the caller knows the user gave no
     value for an argument, which product ids exist here, or how many items of what length
     this call wants (:func:`~assistant.models.tool_calls.narrowed_tools`).
   - ``"auto"``: the model starts freely; if its first characters open a call (``<tool_call>``,
     ``{``, a fence), that attempt is dropped and the call is re-generated under the grammar
     (the prompt is still in the KV cache, so this costs a few tokens). Otherwise the prose
     streams as it comes; a call written later in the text is parsed without constraint.
   - Backends without grammar support (transformers) get the same prompt steering, and the
     robust parser; a call that does not parse becomes ``invalid_tool_calls``, never an error.

4. Stop strings, ``max_tokens``, ``temperature``, ``seed`` apply; the reply carries
   ``usage_metadata`` and ``response_metadata`` (``time_to_first_token_s``,
   ``prompt_tokens_cached``, ``tokens_per_s``, ``finish_reason``); ``replies.py`` builds
   the chunks and messages.

Async calls wait for the slot on the event loop and run the backend in a worker thread,
passing pieces through a queue, so the loop is never blocked. It deliberately does not
trim histories to the context window or retry failed calls (the agent decides that).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.models.backend import ChatBackend, GenerationParams, GenerationStats
from assistant.models.chat_template import TemplateFeatures, prepare_messages
from assistant.models.replies import Item, final_message, to_chunk
from assistant.models.scheduler import GenerationScheduler, Ticket
from assistant.models.text_scanner import TextScanner
from assistant.models.tool_calls import (
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    ParsedReply,
    could_start_call,
    format_tools,
    narrowed_tools,
    parse_tool_calls,
    resolve_tool_choice,
    tool_call_schema,
    tool_names,
)

CALL_PREFIX = f"{TOOL_CALL_OPEN}\n"


class _StopRequested(Exception):
    """The async consumer went away; the worker thread stops generating."""


class LocalChatModel(BaseChatModel):
    """Chat model over one loaded local backend (llama.cpp or transformers)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any = Field(exclude=True)
    """The loaded :class:`~assistant.models.backend.ChatBackend`."""
    scheduler: GenerationScheduler = Field(default_factory=GenerationScheduler, exclude=True)
    """Serialises generations on the backend; shared by everything that uses this model."""
    model_name: str | None = None
    """Name reported in ``response_metadata``; default: the backend's."""
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int | None = None
    stop: list[str] | None = None
    tool_call_max_tokens: int = 256
    """Token budget of a constrained tool call, if larger than ``max_tokens``."""
    _features: TemplateFeatures | None = PrivateAttr(default=None)
    deadline_s: float | None = None
    """Per-request deadline; None uses the scheduler's."""
    narrows_tool_calls: ClassVar[bool] = True
    """Callers may pass ``omit_arguments``, ``argument_values`` and ``argument_schemas`` (see the
    module docstring)."""

    @property
    def _llm_type(self) -> str:
        return f"shopbot-local-{self.backend.name}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name or self.backend.model_name,
            "backend": self.backend.name,
            "temperature": self.temperature,
        }

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, pydantic models, functions or OpenAI dicts).

        ``tool_choice``: ``"auto"`` (default), ``"none"``, ``"any"``/``"required"``, or a tool name.
        """
        formatted = format_tools(tools)
        resolve_tool_choice(tool_choice, tool_names(formatted))  # fail now on a bad choice
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # ---- LangChain entry points

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self.scheduler.slot(deadline_s=self.deadline_s) as ticket:
            message = final_message(
                self._run(messages, stop, kwargs, ticket.raise_if_cancelled), *self._names()
            )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self.scheduler.slot(deadline_s=self.deadline_s) as ticket:
            for item in self._run(messages, stop, kwargs, ticket.raise_if_cancelled):
                chunk = to_chunk(item, *self._names())
                if run_manager and isinstance(item, str):
                    run_manager.on_llm_new_token(item, chunk=chunk)
                yield chunk

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        items = [item async for item in self._arun(messages, stop, kwargs)]
        return ChatResult(generations=[ChatGeneration(message=final_message(iter(items), *self._names()))])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for item in self._arun(messages, stop, kwargs):
            chunk = to_chunk(item, *self._names())
            if run_manager and isinstance(item, str):
                await run_manager.on_llm_new_token(item, chunk=chunk)
            yield chunk

    # ---- the work

    def _template_features(self) -> TemplateFeatures:
        if self._features is None:
            self._features = TemplateFeatures.probe(self.backend.render)
        return self._features

    def _names(self) -> tuple[str, str]:
        return self.model_name or self.backend.model_name, self.backend.name

    def prompt(self, messages: Sequence[BaseMessage], tools: Sequence[Any] = ()) -> str:
        """The prompt text the backend reads for ``messages`` with ``tools`` bound."""
        formatted = format_tools(tools) if tools else []
        rendered, template_tools = prepare_messages(messages, formatted or None, self._template_features())
        return str(self.backend.render(rendered, template_tools))

    def warm_up(self, messages: Sequence[BaseMessage], tools: Sequence[Any] = ()) -> int:
        """Evaluate the fixed start of future prompts (system prompt, tool schemas) ahead of time.

        Returns the number of prompt tokens computed. Later requests that start with the
        same messages and tools reuse that state instead of reading it again.
        """
        one = self.prompt([*messages, HumanMessage("a")], tools)
        two = self.prompt([*messages, HumanMessage("b")], tools)
        prefix = one[: _common_prefix_chars(one, two)]
        with self.scheduler.slot(deadline_s=self.deadline_s) as ticket:
            return int(self.backend.prefill(prefix, ticket.raise_if_cancelled))

    def _run(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        check: Callable[[], None],
    ) -> Iterator[Item]:
        """Prose pieces as they are generated, then (parsed reply, stats). Caller holds the slot."""
        backend: ChatBackend = self.backend
        tools = format_tools(kwargs.get("tools") or [])
        choice = resolve_tool_choice(kwargs.get("tool_choice"), tool_names(tools))
        call_tools = narrowed_tools(
            tools, kwargs.get("omit_arguments"), kwargs.get("argument_values"), kwargs.get("argument_schemas")
        )
        if not call_tools or choice not in ("auto", "required", None, *tool_names(call_tools)):
            call_tools = tools  # narrowing left nothing callable: the call may use the full schemas
        features = self._template_features()
        rendered, template_tools = prepare_messages(messages, tools if choice else None, features)
        prompt = backend.render(rendered, template_tools)
        params = GenerationParams(
            max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
            temperature=float(kwargs.get("temperature", self.temperature)),
            top_p=float(kwargs.get("top_p", self.top_p)),
            seed=kwargs.get("seed", self.seed),
        )
        stats = GenerationStats()
        stops = list(stop or self.stop or [])
        if choice is not None and choice != "auto":
            text = self._constrained_call(prompt, params, stats, check, call_tools, choice, stops)
            yield _call_reply(text, tools, stats), stats
            return
        scanner = TextScanner(stops, markers=[TOOL_CALL_OPEN] if choice else [])
        pieces = backend.generate(prompt, params, stats, check)
        opening = ""  # held while undecided whether the reply opens with a call
        deciding = choice == "auto"
        try:
            for piece in pieces:
                if deciding:
                    opening += piece
                    decision = could_start_call(opening)
                    if decision is None:
                        continue
                    deciding, piece = False, opening
                    if decision and backend.supports_json_schema:
                        pieces.close()
                        cached = stats.cached_prompt_tokens
                        text = self._constrained_call(
                            prompt, params, stats, check, call_tools, "required", stops
                        )
                        stats.cached_prompt_tokens = cached
                        yield _call_reply(text, tools, stats), stats
                        return
                    if decision:  # no grammar here: keep the whole reply for the parser
                        scanner.capture(piece)
                        continue
                emitted = scanner.feed(piece)
                if emitted:
                    yield emitted
                if scanner.stopped:
                    stats.finish_reason = "stop"
                    break
            emitted = scanner.feed(opening) if deciding else ""
            emitted += scanner.flush()
        finally:
            pieces.close()
        if emitted:
            yield emitted
        reply = parse_tool_calls(scanner.tail, tools) if scanner.tail else ParsedReply(content="")
        if not reply.tool_calls and not reply.invalid_tool_calls:
            reply.content = scanner.tail  # a marker that led to no call is prose after all
        if reply.tool_calls:
            stats.finish_reason = "tool_calls"
        yield reply, stats

    def _constrained_call(
        self,
        prompt: str,
        params: GenerationParams,
        stats: GenerationStats,
        check: Callable[[], None],
        tools: list[dict[str, Any]],
        choice: str,
        stops: list[str],
    ) -> str:
        """The text of one call, opened by us and (where supported) grammar-constrained."""
        only = None if choice == "required" else choice
        schema = tool_call_schema(tools, only) if self.backend.supports_json_schema else None
        constrained = GenerationParams(
            max_tokens=max(params.max_tokens, self.tool_call_max_tokens),
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed,
            json_schema=schema,
        )
        scanner = TextScanner([*stops, TOOL_CALL_CLOSE])
        body = ""
        pieces = self.backend.generate(prompt + CALL_PREFIX, constrained, stats, check)
        try:
            for piece in pieces:
                body += scanner.feed(piece)
                if scanner.stopped:
                    stats.finish_reason = "stop"
                    break
        finally:
            pieces.close()
        body += scanner.flush()
        if stats.finish_reason == "stop":
            stats.finish_reason = "tool_calls"
        return f"{CALL_PREFIX}{body}\n{TOOL_CALL_CLOSE}"

    async def _arun(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> AsyncIterator[Item]:
        """:meth:`_run` in a worker thread, its items passed to the event loop through a queue."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        consumer_gone = threading.Event()

        def produce(ticket: Ticket) -> None:
            def check() -> None:
                if consumer_gone.is_set():
                    raise _StopRequested
                ticket.raise_if_cancelled()

            try:
                for item in self._run(messages, stop, kwargs, check):
                    loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
            except _StopRequested:
                pass
            except BaseException as error:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", error))
            loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

        async with self.scheduler.aslot(deadline_s=self.deadline_s) as ticket:
            worker = asyncio.ensure_future(asyncio.to_thread(produce, ticket))
            try:
                while True:
                    kind, value = await queue.get()
                    if kind == "done":
                        break
                    if kind == "error":
                        raise value
                    yield value
            finally:
                consumer_gone.set()
                await asyncio.shield(worker)  # the model stays ours until the thread is done


def _common_prefix_chars(one: str, two: str) -> int:
    end = 0
    for a, b in zip(one, two, strict=False):
        if a != b:
            break
        end += 1
    return end


def _call_reply(text: str, tools: list[dict[str, Any]], stats: GenerationStats) -> ParsedReply:
    reply = parse_tool_calls(text, tools)
    if stats.finish_reason == "length":
        for bad in reply.invalid_tool_calls:
            bad["error"] = f"the call was cut off at the token limit; {bad['error']}"
    return reply
