"""The HTTP API through a real uvicorn server on 127.0.0.1, driven with httpx.

The assistant runs the scripted model over the real demo-store index. Streams are read as a
client reads them (Server-Sent Events, in order); every error answer is checked to be the
API's JSON error body, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import serve_asgi

from assistant import Assistant
from index.schema import Product
from ui.http_api import build_api

KEY = "merchant-key-0123456789"


@pytest.fixture
def api(scripted_model, demo_index, tmp_path) -> Iterator[Callable[..., str]]:
    """``api(**build_api options)``: the API over the demo store; returns its base URL."""
    servers = []

    def start(assistant: Assistant | None = None, **options: Any) -> str:
        assistant = assistant or Assistant(scripted_model, demo_index, sessions_path=tmp_path / "s.sqlite")
        options.setdefault("merchant_keys", [KEY])
        url, stop = serve_asgi(build_api(assistant, **options))
        servers.append(stop)
        return url

    yield start
    for stop in servers:
        stop()


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of an SSE response, in order."""
    found, name = [], "message"
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            found.append((name, json.loads(line.split(":", 1)[1])))
    return found


def test_chat_streams_cards_before_text_and_keeps_the_session(api, demo_index):
    url = api()
    with httpx.stream(
        "POST", f"{url}/v1/chat", json={"message": "waterproof backpack under $60"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        first = events(response)
    kinds = [kind for kind, _ in first]
    assert kinds[0] == "session" and kinds[-1] == "done"
    assert "cards" in kinds and kinds.index("cards") < kinds.index("text")
    cards = next(data for kind, data in first if kind == "cards")["products"]
    for card in cards:
        product = demo_index.get(card["id"])
        assert card["price"] == product.price <= 60 and card["currency"] == "USD"
    session = first[0][1]["session_id"]
    done = first[-1][1]["reply"]
    assert done["products"] and "under $60" in done["text"]

    # the same session knows what it showed: "the second one" is the second card
    with httpx.stream(
        "POST", f"{url}/v1/chat", json={"message": "compare the first and the second", "session_id": session}
    ) as again:
        second = events(again)
    assert second[0] == ("session", {"session_id": session})
    reply = second[-1][1]["reply"]
    assert [call["args"] for call in reply["tool_calls"]] == [
        {"product_ids": [cards[0]["id"], cards[1]["id"]]}
    ]


def test_search_and_product_are_plain_json(api, demo_index):
    url = api()
    found = httpx.get(f"{url}/v1/search", params={"q": "duffle bag", "max_price": 50}).json()
    assert found["tool"] == "search_products" and found["cards"]
    for card in found["cards"]:
        assert "duffle" in card["title"].lower() and card["price"] <= 50
    assert [row["id"] for row in found["data"]["results"]] == [card["id"] for card in found["cards"]]

    nothing = httpx.get(f"{url}/v1/search", params={"q": "coffee maker"}).json()
    assert all(card["alternative"] for card in nothing["cards"])  # never shown as a match
    assert nothing["data"].get("not_carried")

    product = httpx.get(f"{url}/v1/products/24-MB01").json()
    assert (
        product["cards"][0]["id"] == "24-MB01" and product["data"]["price"] == demo_index.get("24-MB01").price
    )
    assert product["data"]["description"]

    missing = httpx.get(f"{url}/v1/products/NOPE-1")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found" and "NOPE-1" in missing.json()["error"]["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        (
            {"content": b'{"message": "hi"', "headers": {"content-type": "application/json"}},
            422,
            "malformed_json",
        ),
        (
            {"content": b"{bad", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            422,
            "malformed_json",
        ),
        ({"json": ["hi"]}, 422, "malformed_json"),
        ({}, 422, "invalid"),
        ({"json": {"text": "hi"}}, 422, "invalid"),
        ({"json": {"message": 42}}, 422, "invalid"),
        ({"json": {"message": "hi", "session_id": "a b"}}, 422, "invalid"),
        ({"json": {"message": "hi", "role": "merchant"}}, 403, "forbidden"),
        (
            {"json": {"message": "hi"}, "headers": {"authorization": "Bearer wrong-key-0123456789"}},
            401,
            "unauthorized",
        ),
        ({"content": b"x" * 70_000, "headers": {"content-type": "application/json"}}, 413, "too_large"),
    ],
    ids=[
        "malformed",
        "form-encoded",
        "not-an-object",
        "no-body",
        "no-message",
        "wrong-type",
        "bad-session",
        "merchant-without-key",
        "wrong-key",
        "huge",
    ],
)
def test_bad_chat_requests_get_a_clear_json_error(api, request_kwargs, status, code):
    response = httpx.post(f"{api()}/v1/chat", **request_kwargs)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.text


def test_a_streamed_huge_body_is_refused_without_a_declared_length(api):
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 8192

    response = httpx.post(f"{api()}/v1/chat", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_merchant_tools_need_the_key(api, scripted_model):
    url = api()
    shopper = {tool["name"] for tool in httpx.get(f"{url}/v1/tools").json()}
    merchant = {
        tool["name"]
        for tool in httpx.get(f"{url}/v1/tools", headers={"authorization": f"Bearer {KEY}"}).json()
    }
    assert "search_products" in shopper and "write_promo_copy" not in shopper
    assert {"write_promo_copy", "review_analytics"} <= merchant

    refused = httpx.post(f"{url}/v1/tools/review_analytics", json={})
    assert refused.status_code == 403 and "merchant" in refused.json()["error"]["message"]
    allowed = httpx.post(
        f"{url}/v1/tools/review_analytics", json={}, headers={"authorization": f"Bearer {KEY}"}
    )
    assert allowed.status_code == 200 and allowed.json()["data"]["products"]

    unknown = httpx.post(f"{url}/v1/tools/drop_tables", json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    no_product = httpx.post(f"{url}/v1/tools/get_product", json={"product_id": "NOPE-1"})
    assert no_product.status_code == 404 and "NOPE-1" in no_product.json()["error"]["message"]
    bad = httpx.post(f"{url}/v1/tools/compare_products", json={"product_ids": ["24-MB01"]})
    assert bad.status_code == 422 and "2 to 4" in bad.json()["error"]["message"]


def test_rate_limit_answers_429_with_retry_after(api):
    url = api(rate_limit="3/minute")
    answers = [httpx.get(f"{url}/v1/search", params={"q": "bag"}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    # a merchant key has its own allowance; a made-up key does not buy one
    assert (
        httpx.get(
            f"{url}/v1/search", params={"q": "bag"}, headers={"authorization": f"Bearer {KEY}"}
        ).status_code
        == 200
    )
    made_up = httpx.get(
        f"{url}/v1/search", params={"q": "bag"}, headers={"authorization": "Bearer made-up-key-000000"}
    )
    assert made_up.status_code == 429


def test_cors_allows_only_configured_origins(api):
    url = api(cors_origins=["https://shop.example.com"])
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = httpx.options(f"{url}/v1/chat", headers={"origin": "https://shop.example.com", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == "https://shop.example.com"
    other = httpx.options(f"{url}/v1/chat", headers={"origin": "https://evil.example.net", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_docs_are_served_offline_with_the_schema(api):
    url = api()
    page = httpx.get(f"{url}/docs")
    assert page.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert httpx.get(f"{url}/docs/static/swagger-ui-bundle.js").status_code == 200
    schema = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/chat", "/v1/search", "/v1/products/{product_id}", "/v1/tools/{name}"} <= set(schema["paths"])


class BrokenCatalog:
    """The demo catalog whose search fails, as a lost database connection would."""

    def __init__(self, catalog) -> None:
        self._catalog = catalog

    def search(self, *args, **kwargs):
        raise RuntimeError("database is gone")

    def __getattr__(self, name):
        return getattr(self._catalog, name)

    def __len__(self) -> int:
        return len(self._catalog)


def test_a_failure_on_the_server_is_a_graceful_answer(api, scripted_model, demo_index, tmp_path):
    url = api(Assistant(scripted_model, BrokenCatalog(demo_index), sessions_path=tmp_path / "b.sqlite"))
    search = httpx.get(f"{url}/v1/search", params={"q": "backpack"})
    assert search.status_code == 503 and search.json()["error"]["code"] == "unavailable"
    assert "database is gone" not in search.text
    with httpx.stream("POST", f"{url}/v1/chat", json={"message": "backpack"}) as response:  # a rule's search
        streamed = events(response)
    assert streamed[-1][0] == "done" and streamed[-1][1]["reply"]["path"] == "error"
    assert "database is gone" not in json.dumps(streamed)
    scripted_model.enqueue_error(RuntimeError("the model is gone too"))  # a question only the model answers
    with httpx.stream(
        "POST", f"{url}/v1/chat", json={"message": "is a backpack good for hiking?"}
    ) as response:
        streamed = events(response)
    assert streamed[-1][0] == "done" and streamed[-1][1]["reply"]["path"] == "error"
    assert "model is gone" not in json.dumps(streamed)


def test_mounted_next_to_the_web_chat(scripted_model, demo_index, tmp_path):
    """The recipe of docs/http-api.md: the API and the Gradio chat in one store app."""
    import gradio as gr
    from fastapi import FastAPI

    from ui.web import browser_secret, build_web_app, launch_options

    assistant = Assistant(scripted_model, demo_index, sessions_path=tmp_path / "s.sqlite")
    store = FastAPI()
    store.mount("/api", build_api(assistant, mcp=False))
    store = gr.mount_gradio_app(store, build_web_app(assistant, secret=browser_secret(tmp_path)), path="/assistant",
                                **launch_options())  # fmt: skip
    url, stop = serve_asgi(store)
    try:
        assert httpx.get(f"{url}/api/v1/health").json() == {"status": "ok", "products": len(demo_index)}
        assert httpx.get(f"{url}/api/docs").text.count("/api/docs/static/") >= 2
        assert httpx.get(f"{url}/assistant/", follow_redirects=True).status_code == 200
    finally:
        stop()


def test_products_are_what_the_index_holds(api, demo_index):
    """Every card field comes from the catalog: the API adds nothing of its own."""
    url = api()
    found = httpx.get(f"{url}/v1/search", params={"q": "hoodie", "lang": "en"}).json()
    for card in found["cards"]:
        product: Product = demo_index.get(card["id"])
        assert (card["title"], card["price"], card["rating"], card["url"]) == (
            product.title, product.price, product.rating, product.url,
        )  # fmt: skip


def test_command_serves_the_index_and_stops_on_sigterm(demo_index, tmp_path):
    """`shopbot api --index DIR --port P` in its own process, as a deployment starts it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import free_port

    port = free_port()
    env = {**os.environ, "SHOPBOT_DATA_DIR": str(tmp_path / "data"), "SHOPBOT_API_RATE_LIMIT": "5/minute"}
    command = [sys.executable, "-m", "ui", "api", "--index", str(demo_index.directory), "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                health = httpx.get(f"{url}/v1/health")
                break
            except httpx.TransportError:
                assert process.poll() is None, "the server exited"
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "products": len(demo_index)}
        statuses = [httpx.get(f"{url}/v1/search", params={"q": "bag"}).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]  # the setting's limit, the health check counted
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=90)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status says why it ended
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in output
    assert f"serving on http://127.0.0.1:{port}" in output
