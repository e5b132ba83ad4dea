"""A scripted chat model: the deterministic stand-in for a real model in tests of the code above it.

The agent, the tools and the channels are tested with :class:`ScriptedChatModel` instead of a
model: each turn's reply is queued in advance (text, tool calls, an error) or computed by a
function of the input messages, every call is recorded, and the test fails as soon as the
code under test calls the model more often, or less often, than the script says::

    model = ScriptedChatModel()
    model.enqueue_tool_call("search_products", {"query": "hoodie", "max_price": 60})
    model.enqueue_text("The Chaz Kangeroo Hoodie costs $52.")
    agent = build_agent(model.bind_tools(tools))        # any code that takes a chat model
    ...
    assert model.calls[1].messages[-1].type == "tool"   # what the model was shown
    model.assert_complete()                             # every scripted turn was used

It is a real LangChain ``BaseChatModel``: ``invoke``/``ainvoke``, ``stream``/``astream`` (the
text in word chunks, tool calls and usage in the last chunk), ``bind_tools`` with
``tool_choice``, ``with_structured_output``, stop sequences and callbacks all behave as they
do with a real model. It checks what a real model with constrained decoding guarantees: a
scripted tool call must name a tool bound in that call, carry its required arguments and
no unknown ones, none that ``omit_arguments`` left out or ``argument_values`` do not allow,
none longer or shorter than ``argument_schemas`` bound,
and respect ``tool_choice``; a violation is an ``AssertionError`` naming the call. Usage
metadata counts words (each CJK character one), not tokenizer tokens.

It deliberately does not imitate a model's wording, latency or mistakes: a test that needs a
wrong tool call or a slow reply scripts one (``enqueue`` accepts any ``AIMessage``, a
function, or an exception to raise). The ``scripted_model`` pytest fixture
(``assistant.pytest_plugin``) yields one and calls ``assert_complete()`` after the test.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, PrivateAttr

_FORCING_CHOICES = {"any", "required"}
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\w+|[^\w\s]")
_CHUNK = re.compile(r"\S+\s*|\s+")


@dataclass
class ScriptedCall:
    """One call the code under test made to the model, and the reply it got."""

    index: int
    messages: list[BaseMessage]
    tools: list[dict[str, Any]]  # bound tools in OpenAI format; [] when none were bound
    tool_choice: Any
    stop: list[str] | None
    kwargs: dict[str, Any]  # every other keyword the model was called with
    streamed: bool
    response: AIMessage | None = None

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools]


ScriptFunction = Callable[[list[BaseMessage], ScriptedCall], "AIMessage | str"]
Step = AIMessage | BaseException | ScriptFunction


@dataclass
class _Script:
    steps: deque[Step] = field(default_factory=deque)
    calls: list[ScriptedCall] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # calls nothing was scripted for
    lock: threading.Lock = field(default_factory=threading.Lock)
    call_ids: Iterator[int] = field(default_factory=itertools.count)


class ScriptedChatModel(BaseChatModel):
    """Chat model whose replies are scripted per turn; see the module docstring."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    function: ScriptFunction | None = None
    """Answers every call for which nothing is queued (like pydantic-ai's ``FunctionModel``)."""
    words_per_chunk: int = 1
    """How many words (with their trailing whitespace) each streamed chunk carries."""
    model_name: str = "scripted"
    narrows_tool_calls: bool = True
    """Take ``omit_arguments``, ``argument_values`` and ``argument_schemas`` as
    :class:`~assistant.models.LocalChatModel` does (a scripted call must keep to them; of a
    schema, its counts and lengths are checked); False stands for a model without a grammar."""

    _script: _Script = PrivateAttr(default_factory=_Script)

    def __init__(self, responses: Iterable[Step | str] = (), **data: Any) -> None:
        super().__init__(**data)
        self.enqueue(*responses)

    # -- scripting -------------------------------------------------------------------------

    def enqueue(self, *steps: Step | str) -> ScriptedChatModel:
        """Queue turns: a string or ``AIMessage`` is the reply, a function computes it from
        ``(messages, call)``, an exception is raised from that call."""
        with self._script.lock:
            for step in steps:
                self._script.steps.append(AIMessage(content=step) if isinstance(step, str) else step)
        return self

    def enqueue_text(self, text: str) -> ScriptedChatModel:
        return self.enqueue(AIMessage(content=text))

    def enqueue_tool_call(
        self, name: str, args: dict[str, Any] | None = None, *, id: str | None = None, text: str = ""
    ) -> ScriptedChatModel:
        """Queue a turn that calls one tool (with optional text before the call)."""
        return self.enqueue_tool_calls([(name, args or {})], ids=[id] if id else None, text=text)

    def enqueue_tool_calls(
        self,
        calls: Sequence[tuple[str, dict[str, Any]]],
        *,
        ids: Sequence[str] | None = None,
        text: str = "",
    ) -> ScriptedChatModel:
        """Queue a turn that calls several tools at once (parallel tool calls)."""
        ids = list(ids) if ids else [""] * len(calls)
        tool_calls = [
            ToolCall(name=name, args=args, id=call_id or None, type="tool_call")
            for (name, args), call_id in zip(calls, ids, strict=True)
        ]
        return self.enqueue(AIMessage(content=text, tool_calls=tool_calls))

    def enqueue_error(self, error: BaseException) -> ScriptedChatModel:
        """Queue a turn on which the model raises ``error`` (e.g. ``ModelBusyError``)."""
        return self.enqueue(error)

    # -- inspection ------------------------------------------------------------------------

    @property
    def calls(self) -> list[ScriptedCall]:
        with self._script.lock:
            return list(self._script.calls)

    @property
    def last_call(self) -> ScriptedCall:
        calls = self.calls
        if not calls:
            raise AssertionError("the scripted model was never called")
        return calls[-1]

    @property
    def pending(self) -> int:
        """Queued turns not yet consumed."""
        with self._script.lock:
            return len(self._script.steps)

    def assert_complete(self) -> None:
        """Fail if scripted turns were left unconsumed (the code made fewer calls than planned)
        or a call came that nothing was scripted for, even if the code caught the error."""
        with self._script.lock:
            left = list(self._script.steps)
            made = len(self._script.calls)
            unexpected = list(self._script.unexpected)
        if unexpected:
            raise AssertionError(unexpected[0])
        if left:
            shown = "; ".join(_describe(step) for step in left[:5])
            raise AssertionError(
                f"{len(left)} scripted turn(s) were never used (the model was called {made} time(s)): {shown}"
            )

    # -- LangChain interface ---------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        names = [tool["function"]["name"] for tool in formatted]
        if tool_choice is True:
            tool_choice = "any"
        if isinstance(tool_choice, str) and tool_choice not in {"auto", "none", *_FORCING_CHOICES, *names}:
            raise ValueError(
                f"tool_choice {tool_choice!r} is neither auto/none/any/required nor one of {names}"
            )
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = tool_choice
        return super().bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._respond(messages, stop, kwargs, streamed=False)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._respond(messages, stop, kwargs, streamed=True)
        for chunk in self._chunks(message):
            if run_manager:
                run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        message = self._respond(messages, stop, kwargs, streamed=True)
        for chunk in self._chunks(message):
            if run_manager:
                await run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk

    # -- internals -------------------------------------------------------------------------

    def _respond(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any], *, streamed: bool
    ) -> AIMessage:
        extra = {key: value for key, value in kwargs.items() if key not in {"tools", "tool_choice"}}
        with self._script.lock:
            call = ScriptedCall(
                index=next(self._script.call_ids),
                messages=list(messages),
                tools=list(kwargs.get("tools") or []),
                tool_choice=kwargs.get("tool_choice"),
                stop=stop,
                kwargs=extra,
                streamed=streamed,
            )
            self._script.calls.append(call)
            step: Step | None = self._script.steps.popleft() if self._script.steps else self.function
        if step is None:
            last = messages[-1].content if messages else ""
            problem = (
                f"unexpected call #{call.index + 1} to the scripted model: nothing is queued for it "
                f"and no function is set; last message: {str(last)[:200]!r}"
            )
            with self._script.lock:
                self._script.unexpected.append(problem)
            raise AssertionError(problem)
        if isinstance(step, BaseException):
            raise step
        reply = step if isinstance(step, AIMessage) else step(list(messages), call)
        message = self._finish(AIMessage(content=reply) if isinstance(reply, str) else reply, call)
        call.response = message
        return message

    def _finish(self, reply: AIMessage, call: ScriptedCall) -> AIMessage:
        """Check the reply against the call (tools, tool_choice), then add ids, stop and usage."""
        _check_tool_calls(reply, call)
        text = reply.content if isinstance(reply.content, str) else ""
        if call.stop and isinstance(reply.content, str):
            cuts = [text.index(stop) for stop in call.stop if stop in text]
            text = text[: min(cuts)] if cuts else text
        tool_calls = [
            ToolCall(
                name=tc["name"],
                args=tc["args"],
                id=tc.get("id") or f"call_{call.index}_{i}",
                type="tool_call",
            )
            for i, tc in enumerate(reply.tool_calls)
        ]
        if reply.usage_metadata is not None:
            usage = reply.usage_metadata
        else:
            prompt_words = sum(_count_words(_text_of(message)) for message in call.messages)
            output_words = _count_words(text) + sum(_count_words(json.dumps(tc["args"])) for tc in tool_calls)
            usage = {
                "input_tokens": prompt_words,
                "output_tokens": output_words,
                "total_tokens": prompt_words + output_words,
            }
        metadata = {
            "model_name": self.model_name,
            "finish_reason": "tool_calls" if tool_calls else "stop",
            **reply.response_metadata,
        }
        return reply.model_copy(
            update={
                "content": text if isinstance(reply.content, str) else reply.content,
                "tool_calls": tool_calls,
                "usage_metadata": usage,
                "response_metadata": metadata,
            }
        )

    def _chunks(self, message: AIMessage) -> Iterator[ChatGenerationChunk]:
        text = message.content if isinstance(message.content, str) else _text_of(message)
        pieces = _CHUNK.findall(text)
        size = max(self.words_per_chunk, 1)
        grouped = ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
        for piece in grouped[:-1]:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
        last = AIMessageChunk(
            content=grouped[-1] if grouped else "",
            id=message.id,
            tool_call_chunks=[
                tool_call_chunk(name=tc["name"], args=json.dumps(tc["args"]), id=tc["id"], index=i)
                for i, tc in enumerate(message.tool_calls)
            ],
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            chunk_position="last",
        )
        yield ChatGenerationChunk(message=last)


def _check_tool_calls(reply: AIMessage, call: ScriptedCall) -> None:
    """What constrained decoding guarantees of a real model, asserted of the script."""
    where = f"scripted reply to call #{call.index + 1}"
    choice = call.tool_choice
    if isinstance(choice, dict):
        choice = choice.get("function", {}).get("name") or choice.get("name") or choice.get("type")
    if choice in _FORCING_CHOICES and not reply.tool_calls:
        raise AssertionError(
            f"{where} has no tool call, but the model was called with tool_choice={choice!r}"
        )
    for tool_call in reply.tool_calls:
        name = tool_call["name"]
        if not call.tools:
            raise AssertionError(f"{where} calls tool {name!r}, but no tools were bound in this call")
        if choice == "none":
            raise AssertionError(f"{where} calls tool {name!r}, but the call had tool_choice='none'")
        if name not in call.tool_names:
            raise AssertionError(
                f"{where} calls tool {name!r}, which is not among the bound tools {call.tool_names}"
            )
        if choice in call.tool_names and name != choice:
            raise AssertionError(f"{where} calls tool {name!r}, but tool_choice forced {choice!r}")
        parameters = next(t["function"] for t in call.tools if t["function"]["name"] == name).get(
            "parameters", {}
        )
        known = set(parameters.get("properties", {}))
        missing = [arg for arg in parameters.get("required", []) if arg not in tool_call["args"]]
        unknown = [arg for arg in tool_call["args"] if known and arg not in known]
        if missing or unknown:
            raise AssertionError(
                f"{where} calls {name!r} with arguments that do not fit its schema "
                f"(missing required: {missing}, unknown: {unknown})"
            )
        omitted = [
            arg for arg in tool_call["args"] if arg in call.kwargs.get("omit_arguments", {}).get(name, ())
        ]
        if omitted:
            raise AssertionError(
                f"{where} calls {name!r} with {omitted}, which the call's omit_arguments leave out"
            )
        for arg, allowed in call.kwargs.get("argument_values", {}).items():
            given = tool_call["args"].get(arg)
            values = given if isinstance(given, list) else [given]
            outside = [value for value in values if value is not None and value not in allowed]
            if outside:
                raise AssertionError(
                    f"{where} calls {name!r} with {arg}={outside}, outside the call's argument_values"
                )
        for arg, schema in call.kwargs.get("argument_schemas", {}).items():
            if arg in tool_call["args"] and not _fits(tool_call["args"][arg], schema):
                raise AssertionError(
                    f"{where} calls {name!r} with {arg}={tool_call['args'][arg]!r}, outside the "
                    f"counts or lengths of the call's argument_schemas ({schema})"
                )


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` keeps to the item counts and string lengths of ``schema``."""
    if isinstance(value, list):
        return schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)) and all(
            _fits(item, schema.get("items", {})) for item in value
        )
    if isinstance(value, str):
        return schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
    return True


def _text_of(message: BaseMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return " ".join(
        str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in message.content
    )


def _count_words(text: str) -> int:
    return len(_WORD.findall(text))


def _describe(step: Step) -> str:
    if isinstance(step, BaseException):
        return f"raise {step!r}"
    if isinstance(step, AIMessage):
        calls = ", ".join(
            f"{tc['name']}({json.dumps(tc['args'], ensure_ascii=False)})" for tc in step.tool_calls
        )
        return f"tool calls {calls}" if calls else f"text {str(step.content)[:60]!r}"
    return f"function {getattr(step, '__name__', repr(step))}"
