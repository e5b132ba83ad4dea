"""Measurements behind ``shopbot bench model``: the chat model's speed and tool routing, and
raw llama.cpp on the same file in the same run as the baseline.

Through the chat model (what the assistant runs; ``LocalChatModel`` or ``ChatOpenAI``):

- load time and resident memory (RSS of this process after loading and generating);
- time to first token for a short user message behind the assistant's real system prompt and
  tool schemas: **cold** (first request, nothing cached) and **cached** (median of three
  later requests with different messages, the prefix reused), and the prompt-processing
  speed the cold request implies;
- decode speed on a long reply, as free text and as a JSON tool call (the grammar checks
  every token: all the assistant's own model output is constrained that way);
- routing: each request of the routing set behind the system prompt of its language with all
  the assistant's tools bound (``tool_choice`` required, as the agent's first step), scored by
  :mod:`assistant.models.routing`.

Raw ``llama_cpp.Llama`` on the same file (same threads and batch), measured alternately with
the chat model so both see the same load on the machine: a prompt of the same token count
read from scratch, and greedy decoding of the same number of tokens, free and under the same
kind of JSON grammar in llama.cpp's sampler chain (median of three rounds each); the wrapper's
overhead is the ratio of the two. Timings come from the model's own
``time_to_first_token_s`` / ``tokens_per_s`` metadata where it reports them, else from the
stream as seen by the caller. This module measures; ``bench_report.py`` renders.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from tqdm import tqdm

from assistant.models.errors import ModelError
from assistant.models.routing import RoutingCase, RoutingOutcome, score
from assistant.prompts import system_prompt
from tools.registry import ToolFunction, schemas

COLD_MESSAGE = "Hi! Do you have rain jackets?"
CACHED_MESSAGES = ("Hello, what do you sell?", "Any yoga mats in stock?", "Show me something for running.")
DECODE_REQUEST = (
    "Write a detailed product description, at least 300 words, of a waterproof hiking jacket: "
    "materials, fit, pockets, care instructions and who it is for."
)
TTFT_MAX_TOKENS = 4
JSON_SCHEMA = {
    "type": "object",
    "properties": {"description": {"type": "string"}},
    "required": ["description"],
}
JSON_TOOL = {
    "type": "function",
    "function": {
        "name": "record_description",
        "description": "Record the description.",
        "parameters": JSON_SCHEMA,
    },
}


@dataclass(frozen=True)
class Timed:
    """One request as the caller saw it."""

    reply: AIMessage
    ttft_s: float | None
    seconds: float


@dataclass
class WrapperSpeed:
    load_s: float
    rss_mib: float | None  # None when the model runs elsewhere (a server)
    prompt_tokens: int  # of the short-message prompt: system prompt + tool schemas + message
    ttft_cold_s: float | None
    ttft_cached_s: float | None
    cached_tokens: int | None  # prompt tokens reused on the cached requests (if reported)
    prompt_tps: float | None
    decode_tokens: int
    decode_tps: float | None
    json_decode_tokens: int = 0  # of a forced call to JSON_TOOL
    json_decode_tps: float | None = None


@dataclass
class RawSpeed:
    load_s: float
    prompt_tokens: int
    ttft_s: float
    prompt_tps: float
    decode_tokens: int
    decode_tps: float
    json_decode_tps: float | None = None


@dataclass
class ModelBench:
    model: str
    backend: str
    machine: str
    wrapper: WrapperSpeed
    raw: RawSpeed | None = None
    raw_note: str = ""
    outcomes: list[RoutingOutcome] = field(default_factory=list)
    routing_s: float = 0.0
    load_averages: tuple[float | None, float | None] = (None, None)  # at start and end of the run
    tool_choice: str = "required"
    tools_bound: int = 0


def timed_invoke(runnable: Runnable[Any, Any], messages: Sequence[BaseMessage]) -> Timed:
    """Stream one request, aggregate the reply, and time its first token."""
    start = time.perf_counter()
    first: float | None = None
    merged: AIMessageChunk | None = None
    for chunk in runnable.stream(list(messages)):
        if first is None and (chunk.content or chunk.tool_call_chunks):
            first = time.perf_counter() - start
        merged = chunk if merged is None else merged + chunk
    seconds = time.perf_counter() - start
    if merged is None:
        raise RuntimeError("the model returned an empty stream")
    reply = AIMessage(
        content=merged.content,
        tool_calls=merged.tool_calls,
        invalid_tool_calls=merged.invalid_tool_calls,
        usage_metadata=merged.usage_metadata,
        response_metadata=merged.response_metadata,
    )
    reported = reply.response_metadata.get("time_to_first_token_s")
    return Timed(reply, float(reported) if reported is not None else first, seconds)


def rss_mib() -> float | None:
    """Resident memory of this process (Linux), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_speed(
    model: Any,
    tools: Sequence[ToolFunction],
    load_s: float,
    decode_tokens: int,
    load_raw: Callable[[], RawLlama] | None = None,
    rounds: int = 3,
) -> tuple[WrapperSpeed, RawSpeed | None]:
    """Speed of the chat model as the agent uses it (tools bound, system prompt) and of raw
    llama.cpp on the same file (``load_raw``, loaded after the chat model's memory is read),
    measured alternately so both see the same load on the machine."""
    bound = model.bind_tools(schemas(tools))
    system = SystemMessage(system_prompt("en"))
    cold = timed_invoke(bound.bind(max_tokens=TTFT_MAX_TOKENS), [system, HumanMessage(COLD_MESSAGE)])
    memory = rss_mib() if hasattr(model, "backend") else None
    prompt_tokens = _tokens(cold.reply, "input_tokens")
    raw = load_raw() if load_raw else None
    try:
        raw_cold = raw.cold(prompt_tokens, tools) if raw else None
        cached = [
            timed_invoke(bound.bind(max_tokens=TTFT_MAX_TOKENS), [system, HumanMessage(text)])
            for text in CACHED_MESSAGES
        ]
        decodes: list[Timed] = []
        json_decodes: list[Timed] = []
        raw_decodes: list[float] = []
        raw_json_decodes: list[float] = []
        forced = model.bind_tools([JSON_TOOL], tool_choice="record_description").bind(
            max_tokens=decode_tokens
        )
        for _ in range(rounds):
            decodes.append(timed_invoke(model.bind(max_tokens=decode_tokens), [HumanMessage(DECODE_REQUEST)]))
            json_decodes.append(timed_invoke(forced, [HumanMessage(DECODE_REQUEST)]))
            if raw:
                raw_decodes.append(raw.decode(decode_tokens))
                raw_json_decodes.append(raw.decode(decode_tokens, JSON_SCHEMA))
    finally:
        if raw:
            raw.close()
    reused_cold = int(cold.reply.response_metadata.get("prompt_tokens_cached") or 0)
    reused = [c.reply.response_metadata.get("prompt_tokens_cached") for c in cached]
    wrapper = WrapperSpeed(
        load_s=load_s,
        rss_mib=memory,
        prompt_tokens=prompt_tokens,
        ttft_cold_s=cold.ttft_s,
        ttft_cached_s=_median([c.ttft_s for c in cached]),
        cached_tokens=int(statistics.median(r for r in reused if r is not None)) if all(reused) else None,
        prompt_tps=(prompt_tokens - reused_cold) / cold.ttft_s if cold.ttft_s and prompt_tokens else None,
        decode_tokens=_tokens(decodes[0].reply, "output_tokens"),
        decode_tps=_median([_decode_tps(d) for d in decodes]),
        json_decode_tokens=_tokens(json_decodes[0].reply, "output_tokens"),
        json_decode_tps=_median([_decode_tps(d) for d in json_decodes]),
    )
    if raw is None or raw_cold is None:
        return wrapper, None
    ttft, count = raw_cold
    raw_speed = RawSpeed(
        load_s=raw.load_s,
        prompt_tokens=count,
        ttft_s=ttft,
        prompt_tps=count / ttft,
        decode_tokens=decode_tokens,
        decode_tps=statistics.median(raw_decodes),
        json_decode_tps=statistics.median(raw_json_decodes),
    )
    return wrapper, raw_speed


def _decode_tps(run: Timed) -> float | None:
    reported = run.reply.response_metadata.get("tokens_per_s")
    if reported:
        return float(reported)
    tokens = _tokens(run.reply, "output_tokens")
    if run.ttft_s is None or tokens < 2 or run.seconds <= run.ttft_s:
        return None
    return (tokens - 1) / (run.seconds - run.ttft_s)


def _tokens(reply: AIMessage, key: str) -> int:
    usage: dict[str, Any] = dict(reply.usage_metadata or {})
    return int(usage.get(key) or 0)


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


class RawLlama:
    """Raw ``llama_cpp.Llama`` on the chat model's file, same threads and batch: the baseline."""

    def __init__(self, model_path: Path, *, n_ctx: int, n_threads: int) -> None:
        import llama_cpp

        start = time.perf_counter()
        self.llm = llama_cpp.Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_batch=256,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            verbose=False,
        )
        self.load_s = time.perf_counter() - start

    def cold(self, prompt_tokens: int, tools: Sequence[ToolFunction]) -> tuple[float, int]:
        """Seconds to the first token of a ``prompt_tokens``-token prompt read from scratch."""
        tokens = self._prompt(prompt_tokens, tools)
        self.llm.reset()
        start = time.perf_counter()
        generator = self.llm.generate(tokens, temp=0.0, reset=True)
        next(generator)
        ttft = time.perf_counter() - start
        generator.close()
        return ttft, len(tokens)

    def _prompt(self, count: int, tools: Sequence[ToolFunction]) -> list[int]:
        """``count`` tokens of text like the assistant's prompt (system prompt, tool schemas)."""
        text = f"{system_prompt('en')}\n{json.dumps(schemas(tools), ensure_ascii=False)}\n{COLD_MESSAGE}"
        tokens: list[int] = list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))
        while len(tokens) < count:
            tokens += tokens
        return tokens[: max(count, 8)]

    def decode(self, count: int, schema: dict[str, Any] | None = None) -> float:
        """Tokens/s of greedy decoding after the first token; free text ignores end-of-turn (an
        exact count), a ``schema`` (llama.cpp's grammar in its sampler chain) ends with the JSON."""
        import llama_cpp
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        grammar = (
            llama_cpp.LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(schema)), verbose=False)
            if schema
            else None
        )
        tokens = list(self.llm.tokenize(DECODE_REQUEST.encode("utf-8"), add_bos=True))
        generator = self.llm.generate(tokens, temp=0.0, reset=True, grammar=grammar)
        next(generator)
        start = time.perf_counter()
        made = 1
        for token in generator:
            if schema and llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
                break
            made += 1
            if made == count:
                break
        seconds = time.perf_counter() - start
        generator.close()
        return (made - 1) / seconds

    def close(self) -> None:
        self.llm.close()


def run_routing(
    model: Any,
    cases: Sequence[RoutingCase],
    tools: Sequence[ToolFunction],
    *,
    max_tokens: int,
    tool_choice: str = "required",
    progress: bool = True,
    on_outcome: Callable[[RoutingOutcome], None] | None = None,
) -> list[RoutingOutcome]:
    """Each case behind the system prompt of its language, all tools bound, scored.

    ``tool_choice`` "required" is how the agent's first step on a request calls the model;
    "auto" lets the model answer in prose instead (which counts as no call).
    """
    bound = model.bind_tools(schemas(tools), tool_choice=tool_choice).bind(max_tokens=max_tokens)
    outcomes: list[RoutingOutcome] = []
    bar = tqdm(cases, desc="routing set", unit="request", disable=not progress)
    for case in bar:
        start = time.perf_counter()
        try:
            run = timed_invoke(bound, [SystemMessage(system_prompt(case.lang)), HumanMessage(case.request)])
        except ModelError as error:  # a timeout or a busy model counts against the case, and the run goes on
            outcome = RoutingOutcome(
                case, None, None, False, False, False, False if case.expected_args else None,
                problem=f"{type(error).__name__}: {error}", seconds=time.perf_counter() - start,
            )  # fmt: skip
        else:
            outcome = score(case, run.reply, tools, ttft_s=run.ttft_s, seconds=run.seconds)
        outcomes.append(outcome)
        bar.set_postfix(right=sum(o.right_tool for o in outcomes), valid=sum(o.valid for o in outcomes))
        if on_outcome:
            on_outcome(outcome)
    return outcomes


def machine_summary() -> str:
    import platform

    try:
        from importlib.metadata import version

        llama = f", llama-cpp-python {version('llama-cpp-python')}"
    except Exception:  # not installed: the OpenAI path needs no llama.cpp
        llama = ""
    return f"{os.cpu_count()} CPU cores ({platform.machine()}), Python {platform.python_version()}{llama}"


def load_average() -> float | None:
    """1-minute load average: other work on the machine slows every number here."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def evenly_spaced(cases: Sequence[RoutingCase], limit: int | None) -> list[RoutingCase]:
    """``limit`` cases spread over the whole set (the set is grouped by tool)."""
    if not limit or limit >= len(cases):
        return list(cases)
    return [cases[round(i * len(cases) / limit)] for i in range(limit)]
