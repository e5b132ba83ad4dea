"""`shopbot telegram`: run the Telegram bot (polling by default, or a webhook for production).

The token comes from ``TELEGRAM_BOT_TOKEN`` (never a flag, so it stays out of shell history
and process lists). ``--base-url`` points at a self-hosted Bot API server (its root URL).
``--webhook-url https://bot.example.com/telegram`` switches to a webhook: the bot listens on
``--listen``/``--port`` and Telegram must send ``TELEGRAM_WEBHOOK_SECRET`` in every request's
``X-Telegram-Bot-Api-Secret-Token`` header; requests without it are refused (docs/telegram.md).
Merchant commands are allowed for the ids in the ``telegram_merchants`` setting.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from urllib.parse import urlparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--base-url", help="root URL of a self-hosted Bot API server (default: Telegram's)")
    parser.add_argument("--webhook-url", help="public https URL Telegram posts updates to (default: polling)")
    parser.add_argument("--listen", default="127.0.0.1", help="webhook: address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="webhook: port to listen on (8443)")


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        print(
            "shopbot telegram: set TELEGRAM_BOT_TOKEN to your bot's token (from @BotFather)", file=sys.stderr
        )
        return 2
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if args.webhook_url:
        problem = _webhook_problem(args.webhook_url, secret)
        if problem:
            print(f"shopbot telegram: {problem}", file=sys.stderr)
            return 2

    from assistant.config import load_settings
    from assistant.loading import retrain_in_background, warm_up_in_background
    from ui.commands import open_assistant
    from ui.telegram_bot import TelegramBot

    settings = load_settings()
    assistant = open_assistant("telegram", args.index, settings)
    if assistant is None:
        return 1
    bot = TelegramBot(
        assistant, merchants=settings.telegram_merchants, state_dir=settings.data_dir / "telegram"
    )
    warm_up_in_background(assistant)
    retrain_in_background(assistant, settings.recommend_retrain_hours)
    app = bot.application(token, api_url=args.base_url)
    if args.webhook_url:
        path = urlparse(args.webhook_url).path.strip("/")
        print(f"shopbot telegram: webhook {args.webhook_url} -> {args.listen}:{args.port}/{path}")
        app.run_webhook(
            listen=args.listen,
            port=args.port,
            url_path=path,
            webhook_url=args.webhook_url,
            secret_token=secret,
            drop_pending_updates=False,
        )
    else:
        print("shopbot telegram: polling (Ctrl-C stops)")
        app.run_polling()
    return 0


def _webhook_problem(url: str, secret: str) -> str | None:
    if urlparse(url).scheme != "https":
        return f"--webhook-url must be an https URL (Telegram only posts to https), not {url!r}"
    if not secret:
        return "a webhook needs TELEGRAM_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        return "TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256 characters)"
    return None
