"""LocalChatModel on the transformers backend with the real small model (SmolLM2 GGUF, de-quantized).

One module-scoped load (the de-quantization takes seconds); the tests check the same
contract as on llama.cpp, except grammar constraints, which this backend does not have:
there a tool call relies on prompt steering, and whatever the model writes must come back
as a call, an invalid call or text, never an exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from assistant.models import LocalChatModel, ModelLoadError
from assistant.models.hf_backend import TransformersBackend
from assistant.models.loader import cuda_available, load_backend, load_chat_model
from index.model_registry import ensure

SYSTEM = SystemMessage("You are the shop assistant of an outdoor store. Answer in one short sentence.")


def search_products(query: str) -> str:
    """Search the catalog for products matching a query."""
    return query


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> TransformersBackend:
    path = ensure("smollm2-135m-instruct", tmp_path_factory.mktemp("cache"), progress=False)
    return TransformersBackend(path, model_name="smollm2")


@pytest.fixture()
def model(backend: TransformersBackend) -> LocalChatModel:
    return LocalChatModel(backend=backend, model_name="smollm2", max_tokens=12, tool_call_max_tokens=40)


def ask(text: str) -> list[SystemMessage | HumanMessage]:
    return [SYSTEM, HumanMessage(text)]


@pytest.mark.real_model
def test_loads_on_cpu_in_float32(backend: TransformersBackend) -> None:
    assert backend.device == "cpu"
    assert next(backend.model.parameters()).dtype.is_floating_point
    assert str(next(backend.model.parameters()).dtype) == "torch.float32"
    assert backend._eos  # end-of-turn tokens found


@pytest.mark.real_model
def test_invoke_and_stream_agree_and_report_usage(model: LocalChatModel) -> None:
    messages = ask("What is a tent?")
    reply = model.invoke(messages)
    chunks = list(model.stream(messages))
    assert "".join(str(c.content) for c in chunks).strip() == reply.content
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 12
    assert reply.response_metadata["backend"] == "transformers"
    assert reply.response_metadata["time_to_first_token_s"] > 0


@pytest.mark.real_model
def test_prefix_reuse_reports_cached_tokens_and_keeps_the_reply(model: LocalChatModel) -> None:
    messages = ask("Do you sell stoves?")
    first = model.invoke(messages)
    model.invoke(ask("Do you rent kayaks?"))
    again = model.invoke(messages)
    assert again.response_metadata["prompt_tokens_cached"] > 20
    assert again.content == first.content


@pytest.mark.real_model
def test_max_tokens_and_seed(model: LocalChatModel) -> None:
    messages = ask("Invent a name for a backpack.")
    short = model.invoke(messages, max_tokens=3)
    assert short.usage_metadata is not None and short.usage_metadata["output_tokens"] == 3
    assert short.response_metadata["finish_reason"] == "length"
    one = model.invoke(messages, temperature=1.0, seed=3, max_tokens=8).content
    assert one == model.invoke(messages, temperature=1.0, seed=3, max_tokens=8).content


@pytest.mark.real_model
def test_tool_calls_without_grammar_never_raise(model: LocalChatModel, backend: TransformersBackend) -> None:
    prompt = backend.render(
        [{"role": "user", "content": "hi"}], [{"type": "function", "function": {"name": "x"}}]
    )
    assert "hi" in prompt
    bound = model.bind_tools([search_products], tool_choice="required")
    reply = bound.invoke(ask("Find tents"), max_tokens=40)
    assert isinstance(reply, AIMessage)
    assert reply.tool_calls or reply.invalid_tool_calls
    for call in reply.tool_calls:
        assert call["name"] == "search_products"
    history = [
        *ask("Find tents"),
        AIMessage("", tool_calls=[{"name": "search_products", "args": {"query": "tent"}, "id": "c1"}]),
        ToolMessage('[{"id": "T1", "price": 89}]', tool_call_id="c1"),
    ]
    assert isinstance(model.bind_tools([search_products]).invoke(history), AIMessage)


def test_a_directory_without_a_model_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=str(tmp_path)):
        TransformersBackend(tmp_path)


def test_auto_backend_sends_model_directories_to_transformers(tmp_path: Path) -> None:
    from assistant.config import load_settings

    with pytest.raises(ModelLoadError, match="transformers"):
        load_backend(load_settings(chat_model=str(tmp_path), cache_dir=tmp_path / "cache"))


@pytest.mark.real_model
@pytest.mark.skipif(not cuda_available(), reason="needs a CUDA GPU")
def test_on_cuda_the_model_runs_on_the_gpu_in_bfloat16(tmp_path: Path) -> None:
    from assistant.config import load_settings

    settings = load_settings(chat_model="smollm2-135m-instruct", cache_dir=tmp_path, chat_max_tokens=8)
    model = load_chat_model(settings, progress=False)  # backend "auto"
    assert isinstance(model, LocalChatModel) and model.backend.name == "transformers"
    weights = next(model.backend.model.parameters())
    assert weights.is_cuda and str(weights.dtype) == "torch.bfloat16"
    reply = model.invoke(ask("What is a tent?"))
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] > 0
