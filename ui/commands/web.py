"""`shopbot web`: serve the web chat (Gradio) on this machine.

``shopbot web [--index DIR] [--host 127.0.0.1] [--port 7860]``. Host and port default to the
``web_host``/``web_port`` settings. No share link, no analytics; to put the chat on a store's
page, mount it in the store's FastAPI app or embed it in an iframe (docs/embedding.md). The
Merchant tab is unlocked by the keys in the ``merchant_api_keys`` setting (none: disabled).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--host", help="address to listen on (default: setting web_host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: setting web_port, 7860)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.config import load_settings
    from assistant.loading import retrain_in_background, warm_up_in_background
    from ui.commands import open_assistant
    from ui.web import browser_secret, build_web_server

    settings = load_settings()
    assistant = open_assistant("web", args.index, settings)
    if assistant is None:
        return 1
    app = build_web_server(
        assistant, secret=browser_secret(settings.data_dir), merchant_keys=settings.merchant_api_keys
    )
    warm_up_in_background(assistant)
    retrain_in_background(assistant, settings.recommend_retrain_hours)
    host = args.host or settings.web_host
    port = args.port or settings.web_port
    print(f"shopbot web: serving on http://{host}:{port} (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
