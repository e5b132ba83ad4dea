"""The OpenAI-compatible backend against real servers on 127.0.0.1.

The round trips run llama-cpp-python's own OpenAI-compatible server on the small bundled
model (SmolLM2-135M), started once for this module; the error paths use tiny real HTTP
servers that answer the way misconfigured deployments do.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, ToolMessage

from assistant.config import load_settings
from assistant.models.errors import ModelLoadError
from assistant.models.loader import load_chat_model
from assistant.models.openai_backend import connect, openai_chat_model, served_models
from index.model_registry import ensure


def get_product(product_id: str) -> str:
    """Details of one product.

    Args:
        product_id: the product's id, e.g. MH01
    """
    return product_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on SmolLM2; yields its base URL."""
    model = ensure("smollm2-135m-instruct", load_settings().cache_dir, progress=False)
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1",
        "--chat_format", "chatml-function-calling", "--verbose", "False",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_for(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            served_models(base_url, timeout_s=1)
            return
        except ModelLoadError:
            time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not answer at {base_url}:\n{log.read_text()[-2000:]}")


@pytest.mark.real_model
def test_the_only_served_model_is_picked(llama_server: str) -> None:
    assert served_models(llama_server) == ["smollm2"]
    model = connect(llama_server, temperature=0, max_tokens=8)
    assert model.model_name == "smollm2"  # type: ignore[attr-defined]


@pytest.mark.real_model
def test_chat_round_trip_respects_max_tokens(llama_server: str) -> None:
    model = connect(llama_server, temperature=0, max_tokens=6, seed=1)
    reply = model.invoke([HumanMessage("Write a long story about a hoodie.")])
    assert isinstance(reply.content, str) and reply.content.strip()
    assert reply.usage_metadata is not None
    assert 1 <= reply.usage_metadata["output_tokens"] <= 6
    assert reply.usage_metadata["input_tokens"] > 5


@pytest.mark.real_model
def test_streaming_yields_several_chunks(llama_server: str) -> None:
    model = connect(llama_server, temperature=0, max_tokens=12)
    chunks = list(model.stream("Name three colors of hoodies."))
    texts = [str(chunk.content) for chunk in chunks if chunk.content]
    assert len(texts) >= 3
    assert "".join(texts).strip()


@pytest.mark.real_model
def test_async_invoke(llama_server: str) -> None:
    model = connect(llama_server, temperature=0, max_tokens=4)
    reply = asyncio.run(model.ainvoke("Say hello."))
    assert str(reply.content).strip()


@pytest.mark.real_model
def test_tool_call_round_trip(llama_server: str) -> None:
    model = connect(llama_server, temperature=0, max_tokens=48)
    bound = model.bind_tools([get_product], tool_choice="get_product")
    question = HumanMessage("Show me the details of product MH01.")
    call = bound.invoke([question])
    assert len(call.tool_calls) == 1
    assert call.tool_calls[0]["name"] == "get_product"
    assert set(call.tool_calls[0]["args"]) == {"product_id"}  # the server's grammar enforces the schema
    result = ToolMessage(json.dumps({"id": "MH01", "price": 52}), tool_call_id=call.tool_calls[0]["id"] or "")
    answer = model.bind(max_tokens=12).invoke([question, call, result])
    assert isinstance(answer.content, str) and answer.content.strip()
    assert not answer.tool_calls


@pytest.mark.real_model
def test_settings_select_the_server_and_a_wrong_model_name_is_explained(llama_server: str) -> None:
    settings = load_settings(openai_base_url=llama_server, chat_max_tokens=5, chat_temperature=0)
    reply = openai_chat_model(settings).invoke("Hi")
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] <= 5
    with pytest.raises(ModelLoadError, match=r"does not serve 'gpt-4o'; it serves: smollm2"):
        openai_chat_model(load_settings(openai_base_url=llama_server, openai_model="gpt-4o"))


@pytest.mark.real_model
def test_the_loader_selects_the_server_by_setting(llama_server: str) -> None:
    settings = load_settings(chat_backend="openai", openai_base_url=llama_server, chat_max_tokens=3)
    model = load_chat_model(settings)
    assert type(model).__name__ == "CompatibleChatOpenAI"
    assert model.invoke("Hi").usage_metadata is not None


def test_no_server_is_an_actionable_error() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(
        ModelLoadError, match=rf"no OpenAI-compatible server answers at {base_url}.*openai_base_url"
    ):
        connect(base_url)


class _Canned(BaseHTTPRequestHandler):
    """Answers every GET with the status and body the test put on the server."""

    def do_GET(self) -> None:
        status, body = self.server.canned  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def canned_server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, '{"detail": "Not Found"}', r"answered HTTP 404; is .* base URL \(it usually ends in /v1\)"),
        (401, '{"error": "bad key"}', r"refused the API key \(HTTP 401\); set openai_api_key"),
        (200, "<html>a web page</html>", "did not answer with an OpenAI model list"),
        (
            200,
            '{"object": "list", "data": [{"id": "a"}, {"id": "b"}]}',
            r"set openai_model: .* serves 2 models \(a, b\)",
        ),
    ],
)
def test_misconfigured_servers_are_explained(
    canned_server: tuple[ThreadingHTTPServer, str], status: int, body: str, message: str
) -> None:
    server, base_url = canned_server
    server.canned = (status, body)  # type: ignore[attr-defined]
    with pytest.raises(ModelLoadError, match=message):
        connect(base_url)


def test_a_model_name_is_required_without_the_server_check() -> None:
    with pytest.raises(ModelLoadError, match="set openai_model"):
        connect("http://127.0.0.1:9/v1", check=False)
    model = connect("http://127.0.0.1:9/v1", model="qwen2.5:1.5b", check=False, max_tokens=7)
    assert model.model_name == "qwen2.5:1.5b"  # type: ignore[attr-defined]
    payload = model._get_request_payload([HumanMessage("hi")])  # type: ignore[attr-defined]
    assert payload["max_tokens"] == 7 and "max_completion_tokens" not in payload
