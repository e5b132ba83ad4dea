"""`shopbot chat`: talk to the assistant in the terminal.

Interactive (``shopbot chat [--index DIR] [--session ID]``): replies stream as they are
written, product cards print as a compact table as soon as a search returns, ``/reset``
clears the session, ``/quit`` (or Ctrl-D) leaves. One turn (``shopbot chat --message TEXT
[--session ID] [--json]``): prints the reply, or with ``--json`` the whole ``Reply`` as JSON.
Sessions persist (``Settings.sessions``), so a later ``shopbot chat`` with the same
``--session`` continues the conversation.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

from assistant.reply import CardsEvent, Done, Event, ProductCard, TextChunk, TextReplaced, ToolEvent

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--session", help="session id <channel>:<user> (default: cli:<your user name>)")
    parser.add_argument("--message", "-m", help="send one message, print the reply and exit")
    parser.add_argument("--json", action="store_true", help="with --message: print the Reply as JSON")
    parser.add_argument(
        "--role", choices=["shopper", "merchant"], default="shopper", help="merchant unlocks merchant tools"
    )


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from ui.commands import open_assistant

    settings = load_settings()
    session = args.session or default_session()
    if args.json and args.message is None:
        print("shopbot chat: --json needs --message", file=sys.stderr)
        return 2
    assistant = open_assistant("chat", args.index, settings)
    if assistant is None:
        return 1
    if args.message is not None:
        if args.json:
            print(assistant.reply(session, args.message, role=args.role).model_dump_json(indent=2))
        else:
            render_turn(assistant, session, args.message, args.role, sys.stdout)
        return 0
    return loop(assistant, session, args.role)


def interactive(settings: Settings, session: str | None = None) -> int:
    """The interactive chat over the settings' index (what `shopbot demo` ends with)."""
    from assistant.loading import build_assistant

    return loop(build_assistant(settings), session or default_session(), "shopper")


def default_session() -> str:
    user = "".join(c for c in getpass.getuser() if c.isalnum() or c in "._-") or "me"
    return f"cli:{user}"


def loop(assistant: Assistant, session: str, role: str) -> int:
    print(f"shopbot chat - session {session}. Ask for products; /reset clears, /quit leaves.")
    while True:
        try:
            text = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if text in ("/quit", "/exit", "quit", "exit"):
            return 0
        render_turn(assistant, session, text, role, sys.stdout)


def render_turn(assistant: Assistant, session: str, text: str, role: str, out: TextIO) -> None:
    """Stream one turn to ``out``: tool calls, card tables, text as it comes, corrections."""
    out.write("bot> ")
    for event in assistant.stream(session, text, role):
        _render(event, out)
        out.flush()
    out.write("\n")


def _render(event: Event, out: TextIO) -> None:
    if isinstance(event, ToolEvent):
        args = ", ".join(f"{key}={value!r}" for key, value in event.args.items())
        out.write(f"\n  [{event.name}({args})]\n")
    elif isinstance(event, CardsEvent):
        out.write(cards_table(event.products) + "\n")
    elif isinstance(event, TextChunk):
        out.write(event.text)
    elif isinstance(event, TextReplaced):
        out.write(f"\n  [corrected]\n{event.text}")
    elif isinstance(event, Done):
        timings = event.reply.timings
        shown = ", ".join(f"{key} {value:.2f}s" for key, value in timings.items())
        out.write(f"\n  ({shown})")


def cards_table(cards: list[ProductCard]) -> str:
    """Product cards as a compact fixed-width table."""
    rows = [("#", "id", "title", "price", "rating", "why")]
    for number, card in enumerate(cards, start=1):
        price = f"{card.price:,.2f} {card.currency or ''}".strip() if card.price is not None else "-"
        rating = f"{card.rating:g}" if card.rating is not None else "-"
        rows.append((str(number), card.id, _cut(card.title, 34), price, rating, _cut(card.why, 44)))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  " + "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
        for row in rows
    ]
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= c <= "\uffef" else 1 for c in text)
