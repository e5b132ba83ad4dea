"""`shopbot mcp`: the shop's tools for MCP clients (desktop assistants, other agents).

``shopbot mcp [--index DIR]`` speaks MCP over stdin/stdout, for a client that starts it (see
docs/mcp.md for a client config). The merchant tools are served when the environment has
``SHOPBOT_MERCHANT_KEY`` set to one of the ``merchant_api_keys``; a wrong key stops the server.
``shopbot mcp --http [--host] [--port]`` serves streamable HTTP at ``/mcp`` instead, where a
client unlocks the merchant tools with ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.config import Settings

KEY_VARIABLE = "SHOPBOT_MERCHANT_KEY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp instead of stdio")
    parser.add_argument("--host", help="with --http: address to listen on (default: setting api_host)")
    parser.add_argument("--port", type=int, help="with --http: port to listen on (default: setting api_port)")


def run(args: argparse.Namespace) -> int:
    from contextlib import redirect_stdout

    from assistant.config import load_settings
    from ui.commands import missing_api_extra, open_assistant

    if missing_api_extra("mcp"):
        return 2
    settings = load_settings()
    with redirect_stdout(sys.stderr):  # over stdio, stdout carries the protocol and nothing else
        assistant = open_assistant("mcp", args.index, settings)
    if assistant is None:
        return 1
    if args.http:
        return _serve_http(assistant, settings, args)
    from ui.http_guards import merchant_role
    from ui.mcp_server import build_mcp

    role = merchant_role(os.environ.get(KEY_VARIABLE) or None, settings.merchant_api_keys)
    if role is None:
        print(f"shopbot mcp: {KEY_VARIABLE} is not one of the merchant_api_keys", file=sys.stderr)
        return 2
    print(f"shopbot mcp: serving {role} tools over stdio", file=sys.stderr)
    build_mcp(assistant, role).run("stdio")
    return 0


def _serve_http(assistant: Assistant, settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route

    from ui.http_guards import guards
    from ui.mcp_server import PATH, McpHttp

    host = args.host or settings.api_host
    port = args.port or settings.api_port
    endpoint = McpHttp(assistant, settings.merchant_api_keys, host=host)
    app = Starlette(
        routes=[Route(PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"])],
        middleware=guards(
            merchant_keys=settings.merchant_api_keys,
            rate_limit=settings.api_rate_limit,
            max_body_bytes=settings.api_max_body_bytes,
        ),
        lifespan=lambda _: endpoint.lifespan(),
    )
    print(f"shopbot mcp: serving streamable HTTP on http://{host}:{port}{PATH} (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
