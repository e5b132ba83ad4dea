"""`shopbot bench channels`: what the web chat and the Telegram bot add to the assistant's time.

``shopbot bench channels [--users 20] [--turns 5] [--think 0] [--out docs/results/channels_bench.md]``

N simulated users talk at once, each for a fixed number of turns (a search, "cheaper?", a
reference to a shown product, another search, a comparison). With ``--think 0`` each user sends
the next message the moment the reply arrives (a stress test: the load is limited only by how
fast replies come back); ``--think S`` makes each user pause S seconds on average (uniformly
0.5-1.5 S, seeded per user) before each message, first ones included, as people reading the
cards do. They talk through:

- the assistant alone (``Assistant.reply`` in N threads): the baseline;
- the web app (a Gradio server on 127.0.0.1; each user speaks Gradio's queue protocol as the
  browser's client does: join, then read server-sent events; history sent back each turn);
- the Telegram bot (the real PTB Application polling the fake Bot API server on 127.0.0.1),
  with Telegram's global rate limiter as in production, and without it (the bot's own cost);
- the HTTP API (``POST /v1/chat`` on uvicorn on 127.0.0.1, read as Server-Sent Events the way
  ``curl -N`` reads them; a stream whose cards do not come before its text counts as an error).

The assistant runs the scripted fake model over the demo store indexed with the hashing
embedder, so the numbers are the channels', not a model's. Every channel turn is timed from
the user's send to the final reply arriving (the last edit received by the fake server for
Telegram); the assistant's own time for that same turn (``Reply.timings["total"]``, measured
inside the turn) is subtracted: the difference is the channel overhead (including the hand-off
from the assistant's worker thread to the channel's event loop). A turn whose reply does not
arrive within ``--timeout`` seconds is lost; errors are exceptions and requests the fake
server rejected. Memory is the process RSS after each run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.reply import Action, Event

TURNS = [
    "backpack under $60",
    "cheaper?",
    "tell me about the second one",
    "hoodie under $50",
    "compare the first two",
]
TARGET_P95_MS = 50.0
CHANNELS = ("web", "telegram", "api")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users (20)")
    parser.add_argument("--turns", type=int, default=5, help="turns per user (5)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a turn counts as lost")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a user pauses before each message (0: none)"
    )
    parser.add_argument(
        "--channels",
        default=",".join(CHANNELS),
        help=f"channels to run besides the baseline, comma-separated (default: {','.join(CHANNELS)})",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/results/channels_bench.md"), help="markdown report to update"
    )


@dataclass
class Run:
    channel: str
    e2e: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)
    errors: int = 0
    lost: int = 0
    rss_mb: float = 0.0
    wall: float = 0.0

    def row(self, users: int, turns: int) -> list[object]:
        overhead = [outer - inner for outer, inner in zip(self.e2e, self.inner, strict=True)]
        return [
            self.channel,
            users,
            users * turns,
            self.errors,
            self.lost,
            _ms(self.e2e, 50),
            _ms(self.e2e, 95),
            _ms(self.inner, 50),
            _ms(self.inner, 95),
            _ms(overhead, 50) if overhead else "-",
            _ms(overhead, 95) if overhead else "-",
            round(self.rss_mb),
        ]


class TimedAssistant:
    """The assistant as the channels see it, recording each turn's own time (``Reply.timings``)."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._lock = threading.Lock()
        self.turns: dict[str, list[tuple[float, str]]] = defaultdict(list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assistant, name)

    async def astream(
        self, session_id: str, text: str, role: str = "shopper", action: Action | None = None
    ) -> AsyncIterator[Event]:
        from assistant.reply import Done

        async for event in self._assistant.astream(session_id, text, role, action):
            if isinstance(event, Done):
                with self._lock:
                    self.turns[session_id].append((event.reply.timings["total"], event.reply.text))
            yield event

    def turn(self, session_id: str, number: int) -> tuple[float, str] | None:
        with self._lock:
            done = self.turns.get(session_id, [])
            return done[number] if len(done) > number else None


def run(args: argparse.Namespace) -> int:
    if args.users < 1 or args.turns < 1 or args.think < 0:
        print(
            "shopbot bench channels: --users and --turns must be at least 1, --think not negative",
            file=sys.stderr,
        )
        return 2
    channels = [name.strip() for name in args.channels.split(",") if name.strip()]
    if not channels or set(channels) - set(CHANNELS):
        print(f"shopbot bench channels: --channels takes some of {', '.join(CHANNELS)}", file=sys.stderr)
        return 2
    from ui.report import markdown_table, write_section

    messages = [TURNS[i % len(TURNS)] for i in range(args.turns)]
    with tempfile.TemporaryDirectory(prefix="shopbot-bench-") as tmp:
        assistant = _assistant(Path(tmp))
        load = Load(args.users, messages, args.think)
        runs = [_bench_direct(assistant, load)]
        if "web" in channels:
            runs.append(_bench_web(TimedAssistant(assistant), Path(tmp), load, args.timeout))
        if "telegram" in channels:
            runs.append(_bench_telegram(TimedAssistant(assistant), Path(tmp), load, args.timeout, True))
            runs.append(_bench_telegram(TimedAssistant(assistant), Path(tmp), load, args.timeout, False))
        if "api" in channels:
            runs.append(_bench_api(TimedAssistant(assistant), load, args.timeout))
    headers = ["channel", "users", "turns", "errors", "lost", "p50 ms", "p95 ms", "assistant p50 ms",
               "assistant p95 ms", "overhead p50 ms", "overhead p95 ms", "RSS MB"]  # fmt: skip
    table = markdown_table(headers, [r.row(args.users, args.turns) for r in runs])
    print(table)
    deployed = [r for r in runs[1:] if "no global limiter" not in r.channel]
    worst = max(
        (_ms([o - i for o, i in zip(r.e2e, r.inner, strict=True)], 95) for r in deployed), default=0.0
    )
    verdict = "met" if worst < TARGET_P95_MS and all(r.errors == r.lost == 0 for r in runs) else "NOT met"
    pacing = (
        f"pausing {args.think:g} s on average before each message" if args.think else "no pause between turns"
    )
    summary = (
        f"{args.users} concurrent users x {args.turns} turns ({', '.join(repr(m) for m in messages)}), {pacing}; "
        f"scripted model, demo store with the hashing embedder. Target (zero errors and lost messages, overhead "
        f"p95 < {TARGET_P95_MS:.0f} ms for every channel as deployed): {verdict}.\n\n"
        "Reproduce: `shopbot bench channels --users "
        f"{args.users} --turns {args.turns} --think {args.think:g}"
        + (f" --channels {','.join(channels)}`." if channels != list(CHANNELS) else "`.")
    )
    print(summary)
    # runs with other user counts or pacing keep their own section
    name = (
        f"channels-{args.users}-users"
        + (f"-think-{args.think:g}s" if args.think else "")
        + (f"-{'-'.join(channels)}" if channels != list(CHANNELS) else "")
    )
    write_section(args.out, name, f"{table}\n\n{summary}", title="Channel overhead")
    print(f"wrote {args.out}")
    return 0


def _assistant(tmp: Path) -> Assistant:
    from assistant import Assistant
    from assistant.config import demo_store_dir
    from assistant.testing import ScriptedChatModel
    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder
    from index.ingest import load_products, load_reviews

    store = demo_store_dir()
    products = load_products(store / "luma_products.jsonl", None, False, None).records
    reviews = load_reviews(store / "luma_reviews.jsonl", {p.id for p in products}, None, False).records
    index = CatalogIndex.build(products, tmp / "index", embedder=HashingEmbedder(), reviews=reviews)
    model = ScriptedChatModel(
        function=lambda messages, call: "Happy to help: tell me more about what you need."
    )
    return Assistant(model, index, sessions_path=tmp / "sessions.sqlite", tool_first=False)


@dataclass(frozen=True)
class Load:
    """Who talks and how: ``users`` at once, each sending ``messages`` in order, pausing
    ``think`` seconds on average before each one."""

    users: int
    messages: list[str]
    think: float = 0.0

    def turns(self, user: int) -> Iterator[tuple[int, str]]:
        """The user's (turn number, message) pairs, each after the user's pause."""
        pauses = random.Random(user)
        for turn, text in enumerate(self.messages):
            if self.think:
                time.sleep(self.think * pauses.uniform(0.5, 1.5))
            yield turn, text


def _users(load: Load, label: str, user: Callable[[int], None]) -> float:
    """Run ``user(i)`` for each user in its own thread; returns the wall time."""
    from tqdm import tqdm

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(load.users)]
    with tqdm(total=load.users, desc=label, unit="user", file=sys.stderr, leave=False) as bar:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
            bar.update()
    return time.perf_counter() - started


def _bench_direct(assistant: Assistant, load: Load) -> Run:
    result = Run("assistant alone (baseline)")
    lock = threading.Lock()

    def user(number: int) -> None:
        session = f"bench:{uuid.uuid4().hex}"
        for _, text in load.turns(number):
            started = time.perf_counter()
            try:
                assistant.reply(session, text)
            except Exception:
                with lock:
                    result.errors += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                result.e2e.append(elapsed)
                result.inner.append(elapsed)

    result.wall = _users(load, "assistant", user)
    result.rss_mb = _rss_mb()
    return result


def _bench_web(timed: TimedAssistant, tmp: Path, load: Load, timeout: float) -> Run:
    import socket

    import httpx

    from ui.web import browser_secret, build_web_app, launch_options

    result = Run("web (Gradio)")
    app = build_web_app(cast("Assistant", timed), secret=browser_secret(tmp))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.queue().launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options()
    )
    url = f"http://127.0.0.1:{port}/"
    config = httpx.get(url + "config").json()
    chat_fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "chat")
    lock = threading.Lock()

    def user(number: int) -> None:
        session = uuid.uuid4().hex
        history: list[Any] = []
        with httpx.Client(base_url=url + "gradio_api/", timeout=timeout) as http:
            for turn, text in load.turns(number):
                started = time.perf_counter()
                try:
                    chat = _gradio_call(http, chat_fn, [text, history, session], session)
                except Exception:
                    with lock:
                        result.errors += 1
                    continue
                elapsed = time.perf_counter() - started
                done = timed.turn(f"web:{session}", turn)
                with lock:
                    if done is None or not chat or chat[-1]["role"] != "assistant":
                        result.lost += 1
                        continue
                    result.e2e.append(elapsed)
                    result.inner.append(done[0])
                history = chat

    try:
        result.wall = _users(load, "web", user)
    finally:
        app.close()
    result.rss_mb = _rss_mb()
    return result


def _gradio_call(http: Any, fn_index: int, data: list[Any], session_hash: str) -> Any:
    """One event through Gradio's queue as the browser's client makes it: join, then read the
    server-sent events until this event completes; returns its first output."""
    import json

    joined = http.post(
        "queue/join",
        json={
            "data": data,
            "event_data": None,
            "fn_index": fn_index,
            "trigger_id": None,
            "session_hash": session_hash,
        },
    )
    joined.raise_for_status()
    event_id = joined.json()["event_id"]
    with http.stream("GET", "queue/data", params={"session_hash": session_hash}) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                if not message.get("success"):
                    raise RuntimeError(f"the web app failed: {message.get('output')}")
                return message["output"]["data"][0]
    raise RuntimeError("the event stream ended before the reply")


def _bench_telegram(timed: TimedAssistant, tmp: Path, load: Load, timeout: float, rate_limit: bool) -> Run:
    from ui.telegram_bot import TelegramBot
    from ui.telegram_fake import BackgroundBot, FakeTelegram

    label = "Telegram (PTB, AIORateLimiter)" if rate_limit else "Telegram (PTB, no global limiter)"
    result = Run(label)
    lock = threading.Lock()
    bot = TelegramBot(cast("Assistant", timed), state_dir=tmp / f"telegram-{rate_limit}")
    with FakeTelegram() as telegram:
        app = bot.application(telegram.token, api_url=telegram.url, rate_limit=rate_limit)

        def user(number: int) -> None:
            chat = 10_000 + number + (0 if rate_limit else 1_000)
            for turn, text in load.turns(number):
                started = time.perf_counter()
                telegram.user_says(chat, text)

                def delivered(chat: int = chat, turn: int = turn) -> Any:
                    done = timed.turn(f"telegram:{chat}", turn)
                    if done is None:
                        return None
                    sent = telegram.messages(chat)
                    return (done, sent[-1]) if sent and sent[-1].text == done[1].strip() else None

                try:
                    (inner, _), last = telegram.wait_for(delivered, timeout=timeout)
                except AssertionError:
                    with lock:
                        result.lost += 1
                    continue
                with lock:
                    result.e2e.append(last.at - started)
                    result.inner.append(inner)

        with BackgroundBot(app):
            result.wall = _users(load, "telegram", user)
        result.errors += len(telegram.rejected)
    result.rss_mb = _rss_mb()
    return result


def _bench_api(timed: TimedAssistant, load: Load, timeout: float) -> Run:
    import httpx

    from ui.background_server import BackgroundServer
    from ui.http_api import build_api

    result = Run("HTTP API (SSE, uvicorn)")
    app = build_api(cast("Assistant", timed), rate_limit="1000000/minute", mcp=False)
    lock = threading.Lock()

    def user(number: int, url: str) -> None:
        session = uuid.uuid4().hex
        with httpx.Client(base_url=url, timeout=timeout) as http:
            for turn, text in load.turns(number):
                started = time.perf_counter()
                kinds: list[str] = []
                try:
                    with http.stream(
                        "POST", "/v1/chat", json={"message": text, "session_id": session}
                    ) as stream:
                        stream.raise_for_status()
                        kinds = [
                            line[6:].strip() for line in stream.iter_lines() if line.startswith("event:")
                        ]
                except Exception:
                    with lock:
                        result.errors += 1
                    continue
                elapsed = time.perf_counter() - started
                done = timed.turn(f"api:{session}", turn)
                with lock:
                    if done is None or not kinds or kinds[-1] != "done":
                        result.lost += 1
                    elif "cards" in kinds and "text" in kinds and kinds.index("cards") > kinds.index("text"):
                        result.errors += 1  # cards must come before the text that talks about them
                    else:
                        result.e2e.append(elapsed)
                        result.inner.append(done[0])

    with BackgroundServer(app) as url:
        result.wall = _users(load, "api", lambda number: user(number, url))
    result.rss_mb = _rss_mb()
    return result


def _ms(values: list[float], percentile: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[percentile - 1] * 1000, 1)


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20
