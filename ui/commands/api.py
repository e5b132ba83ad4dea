"""`shopbot api`: serve the HTTP API (and the MCP endpoint at /mcp) on this machine.

``shopbot api [--index DIR] [--host 127.0.0.1] [--port 8000] [--no-mcp]``. Host and port default
to the ``api_host``/``api_port`` settings; merchant keys, CORS origins, the rate limit and the
largest body come from the settings too (``shopbot config``). Routes and examples:
docs/http-api.md; the schema is at ``/openapi.json`` and browsable at ``/docs``.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--host", help="address to listen on (default: setting api_host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: setting api_port, 8000)")
    parser.add_argument("--no-mcp", action="store_true", help="do not serve the MCP endpoint at /mcp")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.config import load_settings
    from assistant.loading import retrain_in_background, warm_up_in_background
    from ui.commands import missing_api_extra, open_assistant

    if missing_api_extra("api"):
        return 2
    from ui.http_api import build_api

    settings = load_settings()
    assistant = open_assistant("api", args.index, settings)
    if assistant is None:
        return 1
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    app = build_api(
        assistant,
        merchant_keys=settings.merchant_api_keys,
        cors_origins=settings.api_cors_origins,
        rate_limit=settings.api_rate_limit,
        max_body_bytes=settings.api_max_body_bytes,
        mcp=not args.no_mcp,
        host=host,
    )
    warm_up_in_background(assistant)
    retrain_in_background(assistant, settings.recommend_retrain_hours)
    print(f"shopbot api: serving on http://{host}:{port} (docs at /docs; Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
