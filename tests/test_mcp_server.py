"""The MCP server with the SDK's own client, over both transports, against the real server.

Streamable HTTP: the endpoint served by uvicorn on 127.0.0.1 (scripted model, demo index).
stdio: ``shopbot mcp`` started as a subprocess the way a desktop client starts it, over an index
built on disk. Merchant tools must be invisible without the key and work with it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import httpx2
import pytest
from conftest import serve_asgi
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from assistant import Assistant
from ui.http_api import build_api

KEY = "merchant-key-0123456789"
SHOPPER_TOOLS = {"search_products", "get_product", "compare_products", "recommend", "summarize_reviews",
                 "review_sentiment", "recommend_for_you", "bought_together", "goes_with"}  # fmt: skip
MERCHANT_TOOLS = {
    "write_promo_copy",
    "review_analytics",
    "buyers_of",
    "bought_together_pairs",
    "run_campaign",
}


@pytest.fixture
def mcp_url(scripted_model, demo_index, tmp_path):
    assistant = Assistant(scripted_model, demo_index, sessions_path=tmp_path / "s.sqlite")
    url, stop = serve_asgi(build_api(assistant, merchant_keys=[KEY]))
    yield f"{url}/mcp"
    stop()


def http_client(url: str, key: str | None = None) -> Client:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60)))


def test_shopper_tools_over_http_return_cards(mcp_url, demo_index):
    async def session() -> None:
        async with http_client(mcp_url) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == SHOPPER_TOOLS  # merchant tools are not listed at all
            search = tools["search_products"]
            assert {"query", "max_price", "category"} <= set(search.input_schema["properties"])
            assert search.input_schema["required"] == ["query"]
            assert "max_price" in json.dumps(search.input_schema) and search.description

            result = await client.call_tool("search_products", {"query": "duffle bag", "max_price": 50})
            assert not result.is_error
            cards = result.structured_content["cards"]
            assert cards and all("duffle" in card["title"].lower() for card in cards)
            for card in cards:
                product = demo_index.get(card["id"])
                assert (card["price"], card["currency"], card["rating"]) == (
                    product.price,
                    "USD",
                    product.rating,
                )

            details = await client.call_tool("get_product", {"product_id": cards[0]["id"]})
            assert details.structured_content["data"]["id"] == cards[0]["id"]

            wrong = await client.call_tool("get_product", {"product_id": "NOPE-1"})
            assert wrong.is_error and "NOPE-1" in wrong.content[0].text

            refused = await client.call_tool("review_analytics", {})
            assert refused.is_error

            resources = {str(item.uri) for item in (await client.list_resources()).resources}
            assert {"shop://vocabulary", "shop://categories"} <= resources
            vocabulary = await client.read_resource("shop://vocabulary")
            types = json.loads(vocabulary.contents[0].text)["types"]
            assert any(entry["name"].lower().startswith("bag") for entry in types.values())

    anyio.run(session)


def test_merchant_tools_over_http_need_the_key(mcp_url):
    async def session() -> None:
        async with http_client(mcp_url, KEY) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == SHOPPER_TOOLS | MERCHANT_TOOLS
            analytics = await client.call_tool("review_analytics", {})
            assert not analytics.is_error and analytics.structured_content["data"]["products"]

    anyio.run(session)
    refused = httpx2.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={"authorization": "Bearer wrong-key-0123456789", "accept": "application/json, text/event-stream"})  # fmt: skip
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


def _stdio(index_dir: Path, tmp_path: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(Path(sys.executable).with_name("shopbot")),
        args=["mcp", "--index", str(index_dir)],
        env={**os.environ, "SHOPBOT_DATA_DIR": str(tmp_path / "data"), **env},
    )


def test_stdio_serves_the_shopper_tools(demo_index, tmp_path):
    async def session() -> None:
        async with Client(_stdio(demo_index.directory, tmp_path)) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == SHOPPER_TOOLS
            result = await client.call_tool("search_products", {"query": "yoga pants for women"})
            cards = result.structured_content["cards"]
            assert cards and all(not card["alternative"] for card in cards)

    anyio.run(session)


def test_stdio_merchant_key_unlocks_merchant_tools(demo_index, tmp_path):
    keys = {"SHOPBOT_MERCHANT_API_KEYS": KEY}

    async def session() -> None:
        async with Client(_stdio(demo_index.directory, tmp_path, SHOPBOT_MERCHANT_KEY=KEY, **keys)) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == SHOPPER_TOOLS | MERCHANT_TOOLS

    anyio.run(session)


def test_stdio_refuses_a_wrong_merchant_key(demo_index, tmp_path):
    import subprocess

    params = _stdio(demo_index.directory, tmp_path, SHOPBOT_MERCHANT_KEY="wrong-key-0123456789",
                    SHOPBOT_MERCHANT_API_KEYS=KEY)  # fmt: skip
    done = subprocess.run([params.command, *params.args], env=params.env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "SHOPBOT_MERCHANT_KEY" in done.stderr and done.stdout == ""


def test_http_command_serves_mcp_alone(demo_index, tmp_path):
    """`shopbot mcp --http`: the endpoint on its own, as a remote client reaches it."""
    import subprocess
    import time

    from conftest import free_port

    port = free_port()
    params = _stdio(demo_index.directory, tmp_path)
    server = subprocess.Popen([params.command, *params.args, "--http", "--port", str(port)], env=params.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/mcp" in banner, banner
        for _ in range(100):  # the banner is printed just before uvicorn binds the port
            try:
                httpx2.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)

        async def session() -> None:
            async with http_client(f"http://127.0.0.1:{port}/mcp") as client:
                assert {tool.name for tool in (await client.list_tools()).tools} == SHOPPER_TOOLS

        anyio.run(session)
    finally:
        server.terminate()
        server.wait(timeout=30)
