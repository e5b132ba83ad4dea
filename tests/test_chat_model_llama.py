"""LocalChatModel on llama.cpp with the real small model (SmolLM2-135M), plus Qwen for tool choice.

SmolLM2 cannot follow tool instructions, which makes it a good test of the machinery: under
the grammar even it must produce a valid call. Qwen (the default model) is loaded only in the
two tests that check it picks the right tool, in English and in Chinese.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from assistant.config import load_settings
from assistant.models import GenerationScheduler, GenerationTimeoutError, LocalChatModel, ModelBusyError
from assistant.models.errors import ModelLoadError
from assistant.models.llama_backend import LlamaCppBackend
from assistant.models.loader import load_backend, load_chat_model
from index.model_registry import ensure

# One thread: on a busy machine llama.cpp's spinning thread barriers make 2 threads on 2 cores
# dozens of times slower than 1 (measured: 16 tokens in 71 s vs 1.8 s with other jobs running).
THREADS = 1

SYSTEM = SystemMessage(
    "You are the shop assistant of an outdoor store. Answer in one short sentence. "
    "Prices are in US dollars. Never invent products."
)


def search_products(query: str, max_price: float | None = None) -> str:
    """Search the catalog for products matching a query, optionally under a price."""
    return query


class ReviewSummary(BaseModel):
    """Summarise the customer reviews of one product."""

    product_id: str = Field(description="catalog id of the product")


class WeatherFor(BaseModel):
    """Weather forecast for a city."""

    city: Literal["Paris", "Berlin", "Beijing"]


@pytest.fixture(scope="module")
def small_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure("smollm2-135m-instruct", tmp_path_factory.mktemp("cache"), progress=False)


@pytest.fixture(scope="module")
def backend(small_path: Path) -> LlamaCppBackend:
    return LlamaCppBackend(small_path, model_name="smollm2", n_ctx=2048, n_threads=THREADS)


@pytest.fixture()
def model(backend: LlamaCppBackend) -> LocalChatModel:
    return LocalChatModel(backend=backend, model_name="smollm2", max_tokens=24, tool_call_max_tokens=64)


def ask(text: str) -> list[SystemMessage | HumanMessage]:
    return [SYSTEM, HumanMessage(text)]


@pytest.mark.real_model
def test_invoke_reports_usage_and_timings(model: LocalChatModel) -> None:
    reply = model.invoke(ask("What is a tent?"))
    assert isinstance(reply, AIMessage) and reply.content
    usage = reply.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 20 and 0 < usage["output_tokens"] <= 24
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    meta = reply.response_metadata
    assert meta["backend"] == "llama.cpp" and meta["model_name"] == "smollm2"
    assert meta["finish_reason"] in ("stop", "length")
    assert meta["time_to_first_token_s"] > 0
    assert 0 <= meta["prompt_tokens_cached"] < usage["input_tokens"]


@pytest.mark.real_model
def test_stream_yields_tokens_that_add_up_to_the_invoke_reply(model: LocalChatModel) -> None:
    messages = ask("Name three things to pack for a hike.")
    chunks = list(model.stream(messages))
    assert len(chunks) > 3
    streamed = "".join(str(chunk.content) for chunk in chunks)
    assert streamed.strip() == model.invoke(messages).content
    assert chunks[-1].usage_metadata is not None  # the last chunk carries usage and timings
    assert chunks[-1].response_metadata["time_to_first_token_s"] > 0


@pytest.mark.real_model
def test_stop_sequence_cuts_the_reply(model: LocalChatModel) -> None:
    messages = ask("Count from 1 to 10, separated by commas.")
    full = str(model.invoke(messages, max_tokens=40).content)
    assert "4" in full, full
    stopped = model.invoke(messages, max_tokens=40, stop=["4"])
    assert "4" not in stopped.content
    assert full.startswith(str(stopped.content))
    assert stopped.response_metadata["finish_reason"] == "stop"


@pytest.mark.real_model
def test_max_tokens_bounds_the_reply(model: LocalChatModel) -> None:
    reply = model.invoke(ask("Write a long story about a mountain."), max_tokens=5)
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] == 5
    assert reply.response_metadata["finish_reason"] == "length"


@pytest.mark.real_model
def test_seed_makes_sampling_reproducible(model: LocalChatModel) -> None:
    messages = ask("Invent a name for a backpack.")
    first = model.invoke(messages, temperature=1.2, seed=7, max_tokens=16).content
    again = model.invoke(messages, temperature=1.2, seed=7, max_tokens=16).content
    others = {model.invoke(messages, temperature=1.2, seed=s, max_tokens=16).content for s in (8, 9, 10)}
    assert first == again
    assert others - {first}, "different seeds should give some different text"


def _next_token_logits(backend: LlamaCppBackend, prompt: str) -> np.ndarray:
    """Logits for the token after ``prompt``, evaluated the way generate() does (reusing what it can)."""
    backend.prefill(prompt, lambda: None)
    logits = backend.llm._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(logits, shape=(backend.llm.n_vocab(),)).copy()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.real_model
def test_reused_prefix_and_restored_state_compute_what_a_cold_start_does(small_path: Path) -> None:
    warm = LlamaCppBackend(small_path, n_ctx=2048, n_threads=THREADS)
    cold = LlamaCppBackend(small_path, n_ctx=2048, prefix_cache_mb=0, n_threads=THREADS)
    render = warm.render
    chat_a = render(
        [{"role": "system", "content": SYSTEM.content}, {"role": "user", "content": "Which stoves?"}], None
    )
    chat_b = render(
        [{"role": "system", "content": SYSTEM.content}, {"role": "user", "content": "Do you rent kayaks?"}],
        None,
    )
    other = render(
        [{"role": "system", "content": "You translate to French."}, {"role": "user", "content": "Hi"}], None
    )

    def fresh(prompt: str) -> np.ndarray:
        cold.llm.reset()
        return _next_token_logits(cold, prompt)

    _next_token_logits(warm, chat_a)
    reused = _next_token_logits(warm, chat_b)  # shares the system turn with chat A
    assert warm.llm.n_tokens == len(warm.tokenize(chat_b))
    _next_token_logits(warm, other)  # evicts chat B from the live context
    restored = _next_token_logits(warm, chat_b)  # comes back from the saved state
    expected = fresh(chat_b)
    assert _cosine(reused, expected) > 0.999
    assert _cosine(restored, expected) > 0.999
    assert int(np.argmax(restored)) == int(np.argmax(expected))
    assert _cosine(fresh(other), expected) < 0.99  # the check can tell different contexts apart


@pytest.mark.real_model
def test_warm_requests_report_the_reused_prompt_tokens(model: LocalChatModel) -> None:
    model.invoke(ask("Which stoves do you sell?"))
    warm = model.invoke(ask("Do you rent kayaks?"))
    chat_a = [SYSTEM, HumanMessage("I need a tent."), AIMessage("Sure."), HumanMessage("Any under $100?")]
    first = model.invoke(chat_a)
    model.invoke([SystemMessage("You translate English to French."), HumanMessage("Good morning")])
    again = model.invoke(chat_a)  # restored from the saved state of chat A
    again_live = model.invoke(chat_a)  # straight from the live context
    assert warm.response_metadata["prompt_tokens_cached"] > 30  # the system turn was not re-read
    assert first.usage_metadata is not None
    assert again.response_metadata["prompt_tokens_cached"] == first.usage_metadata["input_tokens"] - 1
    assert again.content == again_live.content


@pytest.mark.real_model
@pytest.mark.parametrize(
    "question", ["Find me a rain jacket under 80 dollars", "帮我找一件八十美元以下的雨衣"]
)
def test_required_tool_choice_always_gives_a_valid_call(model: LocalChatModel, question: str) -> None:
    bound = model.bind_tools([search_products, ReviewSummary, WeatherFor], tool_choice="required")
    reply = bound.invoke(ask(question))
    assert isinstance(reply, AIMessage)
    assert reply.invalid_tool_calls == []
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    required = {"search_products": {"query"}, "ReviewSummary": {"product_id"}, "WeatherFor": {"city"}}
    assert required[call["name"]] <= set(call["args"])
    assert reply.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.real_model
def test_named_tool_choice_forces_that_tool(model: LocalChatModel) -> None:
    bound = model.bind_tools([search_products, WeatherFor], tool_choice="WeatherFor")
    reply = bound.invoke(ask("Will it rain tomorrow?"))
    assert [call["name"] for call in reply.tool_calls] == ["WeatherFor"]
    assert reply.tool_calls[0]["args"]["city"] in ("Paris", "Berlin", "Beijing")


@pytest.mark.real_model
def test_streamed_tool_call_aggregates_to_the_call(model: LocalChatModel) -> None:
    bound = model.bind_tools([search_products], tool_choice="search_products")
    chunks = [chunk for chunk in bound.stream(ask("tents")) if isinstance(chunk, AIMessageChunk)]
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert [call["name"] for call in total.tool_calls] == ["search_products"]
    assert "query" in total.tool_calls[0]["args"]


@pytest.mark.real_model
def test_auto_tool_choice_never_raises(model: LocalChatModel) -> None:
    bound = model.bind_tools([search_products, WeatherFor], tool_choice="auto")
    for question in ("hello!", "find hiking boots", "weather in Paris?"):
        reply = bound.invoke(ask(question))
        assert reply.content or reply.tool_calls or reply.invalid_tool_calls
        for call in reply.tool_calls:
            assert call["name"] in ("search_products", "WeatherFor")


@pytest.mark.real_model
def test_history_with_tool_results_is_accepted(model: LocalChatModel, backend: LlamaCppBackend) -> None:
    history = [
        SYSTEM,
        HumanMessage("Find tents"),
        AIMessage("", tool_calls=[{"name": "search_products", "args": {"query": "tent"}, "id": "call_1"}]),
        ToolMessage('[{"id": "T1", "title": "Trail 2P tent", "price": 89}]', tool_call_id="call_1"),
    ]
    reply = model.bind_tools([search_products]).invoke(history)
    assert isinstance(reply, AIMessage)
    assert reply.content or reply.tool_calls
    prompt = backend.render(
        [
            {"role": "user", "content": "x"},
            {"role": "user", "content": "<tool_response>\nR\n</tool_response>"},
        ],
        None,
    )
    assert "<tool_response>" in prompt


@pytest.mark.real_model
def test_async_calls_leave_the_event_loop_free(model: LocalChatModel) -> None:
    async def main() -> tuple[int, AIMessage, str]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        reply = await model.ainvoke(ask("Describe a good camping stove."), max_tokens=24)
        streamed = "".join(
            [str(c.content) async for c in model.astream(ask("Describe a good camping stove."))]
        )
        done.set()
        await task
        return ticks, reply, streamed

    ticks, reply, streamed = asyncio.run(main())
    assert ticks > 5  # the loop kept running while the model generated in its thread
    assert streamed.strip() == reply.content


@pytest.mark.real_model
def test_concurrent_callers_are_served_one_at_a_time(backend: LlamaCppBackend) -> None:
    model = LocalChatModel(backend=backend, max_tokens=12, scheduler=GenerationScheduler(max_waiting=4))
    questions = [f"Say a word about item {n}." for n in range(3)]
    expected = [model.invoke(ask(q)).content for q in questions]
    results: dict[int, str] = {}

    def call(index: int) -> None:
        results[index] = str(model.invoke(ask(questions[index])).content)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[n] for n in range(3)] == expected  # no interleaving corrupted a generation


@pytest.mark.real_model
def test_forward_passes_run_on_one_thread_whichever_thread_asks(
    backend: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = LocalChatModel(backend=backend, max_tokens=4)
    evaluate = backend.llm.eval
    computed_on: set[str] = set()

    def recording(tokens: list[int]) -> None:
        computed_on.add(threading.current_thread().name)
        evaluate(tokens)

    monkeypatch.setattr(backend.llm, "eval", recording)
    model.invoke(ask("Say a word about tents."))  # from this thread
    worker = threading.Thread(target=model.invoke, args=(ask("Say a word about boots."),))
    worker.start()
    worker.join()
    assert len(computed_on) == 1
    assert threading.current_thread().name not in computed_on and worker.name not in computed_on


@pytest.mark.real_model
def test_full_queue_answers_busy(backend: LlamaCppBackend) -> None:
    model = LocalChatModel(backend=backend, max_tokens=64, scheduler=GenerationScheduler(max_waiting=0))
    stream = cast(Generator[AIMessageChunk, None, None], model.stream(ask("Tell me about tents.")))
    next(stream)  # the first request now holds the model
    with pytest.raises(ModelBusyError):
        model.invoke(ask("hi"))
    stream.close()
    assert model.invoke(ask("hi"), max_tokens=2).content is not None  # the slot was released


@pytest.mark.real_model
def test_deadline_cancels_a_long_generation(backend: LlamaCppBackend) -> None:
    # the small model writes a short "essay" (~26 tokens, ~0.3 s): a fixed deadline raced the
    # machine's speed, so the deadline is a quarter of what the same (greedy, cached) reply takes
    request = ask("Write a very long essay about every tent ever made.")
    LocalChatModel(backend=backend, max_tokens=2000).invoke(request)  # its prompt is now cached
    started = time.perf_counter()
    LocalChatModel(backend=backend, max_tokens=2000).invoke(request)
    whole = time.perf_counter() - started
    model = LocalChatModel(
        backend=backend, max_tokens=2000, scheduler=GenerationScheduler(deadline_s=whole / 4)
    )
    with pytest.raises(GenerationTimeoutError):
        model.invoke(request)
    reply = LocalChatModel(backend=backend, max_tokens=3).invoke(ask("hi"))  # the backend still works
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] <= 3


@pytest.mark.real_model
def test_load_chat_model_picks_llama_cpp_on_cpu(tmp_path: Path) -> None:
    settings = load_settings(
        chat_model="smollm2-135m-instruct", cache_dir=tmp_path, chat_max_tokens=7, chat_n_threads=THREADS
    )
    model = load_chat_model(settings, progress=False)
    assert isinstance(model, LocalChatModel)
    assert model.backend.name == "llama.cpp" and model.max_tokens == 7


def test_unloadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelLoadError, match=r"broken\.gguf"):
        LlamaCppBackend(bad)


def test_missing_llama_cpp_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.setitem(sys.modules, "llama_cpp.llama_chat_format", None)
    with pytest.raises(ModelLoadError, match="pip install llama-cpp-python"):
        LlamaCppBackend(tmp_path / "model.gguf", model_name="qwen")


def test_missing_weights_give_the_registry_hint(tmp_path: Path) -> None:
    settings = load_settings(chat_model=str(tmp_path / "nope.gguf"), cache_dir=tmp_path)
    with pytest.raises(ModelLoadError, match=r"nope\.gguf"):
        load_backend(settings)


# ---- the default model (Qwen2.5-Coder-1.5B): does it pick the right tool? Two tests, one load.


def get_review_summary(product_id: str) -> str:
    """What customers say about one product: rating, pros and cons from its reviews."""
    return product_id


def compare_products(product_ids: list[str]) -> str:
    """Compare two or more products side by side."""
    return ",".join(product_ids)


SHOP_TOOLS = [search_products, get_review_summary, compare_products]


@pytest.fixture(scope="module")
def qwen() -> LocalChatModel:
    path = ensure("qwen2.5-coder-1.5b-instruct", load_settings().cache_dir, progress=False)
    return LocalChatModel(
        backend=LlamaCppBackend(path, model_name="qwen2.5-coder-1.5b-instruct", n_threads=THREADS),
        max_tokens=64,
    )


@pytest.mark.real_model
@pytest.mark.parametrize(
    ("question", "tool", "argument"),
    [
        ("Show me waterproof hiking boots under $120", "search_products", "query"),
        ("帮我比较一下 MJ01 和 MJ02 这两件夹克", "compare_products", "product_ids"),
    ],
)
def test_qwen_picks_the_right_tool_in_english_and_chinese(
    qwen: LocalChatModel, question: str, tool: str, argument: str
) -> None:
    bound = qwen.bind_tools(SHOP_TOOLS, tool_choice="auto")
    reply = bound.invoke([SystemMessage("You are a helpful shop assistant."), HumanMessage(question)])
    assert [call["name"] for call in reply.tool_calls] == [tool], reply
    assert argument in reply.tool_calls[0]["args"]
    if tool == "compare_products":
        assert {"MJ01", "MJ02"} <= set(reply.tool_calls[0]["args"]["product_ids"])


@pytest.mark.real_model
def test_omitted_arguments_leave_the_grammar_not_the_prompt(
    model: LocalChatModel, backend: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, dict]] = []
    generate = backend.generate

    def recording(prompt, params, stats, check):  # type: ignore[no-untyped-def]
        seen.append((prompt, params.json_schema))
        return generate(prompt, params, stats, check)

    monkeypatch.setattr(backend, "generate", recording)
    bound = model.bind_tools([search_products], tool_choice="required")
    for question in ("rain jacket under $60", "a tent below 100 dollars"):
        reply = bound.invoke(ask(question), omit_arguments={"search_products": ["max_price"]})
        calls = [*reply.tool_calls, *reply.invalid_tool_calls]  # SmolLM2 may run past the token limit
        assert calls and all("max_price" not in str(call["args"]) for call in calls)
    prompt, schema = seen[-1]
    assert '"max_price"' in prompt  # the prompt (and its cached prefix) is the same as without
    assert set(schema["properties"]["arguments"]["properties"]) == {"query"}


@pytest.mark.real_model
def test_argument_values_limit_what_a_call_may_name(model: LocalChatModel) -> None:
    bound = model.bind_tools([ReviewSummary], tool_choice="ReviewSummary")
    reply = bound.invoke(
        ask("what do reviews say about product 12345?"), argument_values={"product_id": ["MJ01", "MH01"]}
    )
    assert reply.tool_calls and reply.tool_calls[0]["args"]["product_id"] in {"MJ01", "MH01"}
    # narrowing that leaves the forced tool nothing to call with falls back to its full schema
    fallback = bound.invoke(ask("reviews of 12345?"), argument_values={"product_id": []})
    assert [*fallback.tool_calls, *fallback.invalid_tool_calls]
