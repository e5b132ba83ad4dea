"""The Telegram bot end to end: the real PTB Application polling a fake Bot API server over HTTP.

The assistant runs the scripted model over the real demo-store index (or a small index built
here for escaping); the fake server (ui/telegram_fake.py) validates every request as Telegram
would, so a badly escaped or too long message fails the test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from ui.telegram_bot import TelegramBot
from ui.telegram_fake import TOKEN, BackgroundBot, FakeTelegram, Sent, utf16_len
from ui.telegram_render import (
    parse_callback,
)

CHAT = 1001
MERCHANT = 4242


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def running(bot: TelegramBot, telegram: FakeTelegram) -> BackgroundBot:
    return BackgroundBot(bot.application(telegram.token, api_url=telegram.url))


def make_bot(assistant: Assistant, tmp_path: Path, **options: Any) -> TelegramBot:
    options.setdefault("edit_interval", 0.05)
    return TelegramBot(assistant, merchants={MERCHANT}, state_dir=tmp_path / "telegram", **options)


def say(telegram: FakeTelegram, text: str, *, chat: int = CHAT, count: int = 1) -> list[Sent]:
    """Send ``text`` and wait until the bot has sent ``count`` more messages and gone quiet."""
    before = len(telegram.messages(chat))
    telegram.user_says(chat, text)
    return _settle(telegram, chat, before, count)


def press(telegram: FakeTelegram, sent: Sent, data: str, *, count: int = 1) -> list[Sent]:
    before = len(telegram.messages(sent.chat_id))
    telegram.press(sent, data)
    return _settle(telegram, sent.chat_id, before, count)


def _settle(telegram: FakeTelegram, chat: int, before: int, count: int) -> list[Sent]:
    def replied() -> bool:  # the reply text (a message without buttons) comes after the cards
        new = telegram.messages(chat)[before:]
        return len(new) >= count and not new[-1].buttons()

    telegram.wait_for(replied)
    # then wait until nothing changes for a moment (edits of the streamed reply have ended)
    snapshot: list[Any] = []

    def quiet() -> bool:
        now = [(s.message_id, s.text) for s in telegram.messages(chat)] + [len(telegram.calls)]
        stable = now == snapshot[-1] if snapshot else False
        snapshot.append(now)
        return stable

    telegram.wait_for(lambda: quiet() and quiet() and quiet(), timeout=20)
    return telegram.messages(chat)[before:]


def cards_of(sent: list[Sent]) -> list[Sent]:
    return [message for message in sent if message.buttons()]


@pytest.fixture
def assistant(scripted_model, demo_index, tmp_path) -> Assistant:
    return Assistant(scripted_model, demo_index, sessions_path=tmp_path / "sessions.sqlite")


@pytest.fixture
def chatty(scripted_model, demo_index, tmp_path) -> Assistant:
    """An assistant whose model may answer without calling a tool first, so a test can script
    plain prose of any length (the channel is under test here, not the agent's policy)."""
    return Assistant(scripted_model, demo_index, sessions_path=tmp_path / "sessions.sqlite", tool_first=False)


def test_full_conversation(telegram, assistant, scripted_model, demo_index, tmp_path):
    with running(make_bot(assistant, tmp_path), telegram):
        welcome = say(telegram, "/start")
        assert "shopbot" in welcome[0].text and "/reset" in welcome[0].text
        assert [c["command"] for c in telegram.calls_of("setMyCommands")[0]["commands"]][:2] == [
            "start",
            "help",
        ]
        sent = say(telegram, "waterproof backpack under $60", count=2)
        assert telegram.calls_of("sendChatAction") == []  # answered at once: no "typing…" needed
        cards, reply = cards_of(sent), sent[-1]
        assert cards and not reply.buttons() and "under $60" in reply.text
        assert [label for label, _ in cards[0].buttons()] == ["Reviews", "Similar", "Compare", "Details"]
        for card in cards:
            product = demo_index.get(parse_callback(card.buttons()[0][1]).ids[0])
            assert card.text.startswith(product.title) and f"${product.price:,.2f}" in card.text
            assert product.price <= 60
        # a follow-up in words resolves against what was shown
        second = parse_callback(cards[1].buttons()[0][1]).ids[0]
        details = say(telegram, "tell me about the second one")
        assert demo_index.get(second).title[:15] in details[-1].text
        assert say(telegram, "/reset")[-1].text.startswith("Done")
        assert assistant.history(f"telegram:{CHAT}") == []
    assert scripted_model.calls == []  # every turn above was answered without the model
    assert telegram.rejected == []


@pytest.mark.parametrize(("button", "expect"), [("r", "review"), ("s", ""), ("c", ""), ("d", "")])
def test_product_buttons_ask_the_assistant(
    telegram, assistant, scripted_model, demo_index, tmp_path, button, expect
):
    with running(make_bot(assistant, tmp_path), telegram):
        cards = cards_of(say(telegram, "backpack under $60", count=2))
        data = dict((d[0], d) for _, d in cards[0].buttons())[button]
        first, *others = parse_callback(data).ids
        summarized = button == "r" and bool(demo_index.reviews(first))
        if summarized:  # the reviews button asks for a summary, which the model writes
            scripted_model.enqueue_tool_call(
                "SummaryDraft", {"verdict": "Reviewers like it.", "pros": [], "cons": [], "disagreements": []}
            )
        reply = press(telegram, cards[0], data)
        assert telegram.answered_callbacks, "the button press was not answered"
        text = " ".join(message.text for message in reply)
        if button == "c":
            assert demo_index.get(first).title[:12] in text and demo_index.get(others[0]).title[:12] in text
        elif button == "s":
            assert cards_of(reply) and first not in [
                parse_callback(c.buttons()[0][1]).ids[0] for c in cards_of(reply)
            ]
        else:
            assert demo_index.get(first).title[:12] in text and expect in text.lower()
    assert len(scripted_model.calls) == int(summarized)
    assert telegram.rejected == []


def test_reply_streams_as_edits_of_one_message(telegram, chatty, scripted_model, tmp_path):
    words = " ".join(f"word{i}" for i in range(40)) + "."
    scripted_model.enqueue_text(words)
    with running(make_bot(chatty, tmp_path, edit_interval=0.0), telegram):
        reply = say(telegram, "what should I think about before a long hike?")
    assert len(reply) == 1 and reply[0].text == words
    assert len(reply[0].edits) >= 3, "the reply was not streamed as edits"
    assert all(words.startswith(before) for before in reply[0].edits)
    assert telegram.rejected == []


def test_a_slow_reply_shows_typing_first(telegram, chatty, scripted_model, tmp_path):
    def slow(messages, call):
        time.sleep(1.0)
        return "Layers, water and a map."

    scripted_model.enqueue(slow)
    with running(make_bot(chatty, tmp_path), telegram):
        reply = say(telegram, "what should I think about before a long hike?")
    assert [c["action"] for c in telegram.calls_of("sendChatAction")] == ["typing"]
    assert reply[0].text == "Layers, water and a map."


def test_long_replies_are_split_and_escaped(telegram, chatty, scripted_model, tmp_path):
    paragraph = 'Tips & tricks <for> "hikers": pack light_*[]; ' * 40
    text = "\n\n".join(f"{i}. {paragraph.strip()}" for i in range(6))  # ~ 12,000 characters
    scripted_model.enqueue_text(text)
    with running(make_bot(chatty, tmp_path), telegram):
        reply = say(telegram, "give me all your hiking advice", count=3)
    assert len(reply) >= 3
    assert all(utf16_len(message.text) <= 4096 for message in reply)
    assert "".join(m.text for m in reply).replace("\n", "").replace(" ", "") == text.replace(
        "\n", ""
    ).replace(" ", "")
    assert telegram.rejected == []


def test_catalog_titles_with_markup_characters(telegram, scripted_model, tmp_path):
    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder

    title = 'Trail <Pro> & "Co" _Ultra_ *Backpack* [2024] </b>'
    products = [
        {"id": "P<1>", "title": title, "description": "a backpack", "price": 50, "currency": "USD", "category": "Bags"},
        {"id": "P2", "title": "Plain backpack", "description": "a backpack", "price": 40, "currency": "USD",
         "category": "Bags", "image_url": "https://img.example/p2.png", "url": "https://shop.example/p2?a=1&b=2"},
    ]  # fmt: skip
    index = CatalogIndex.build(products, tmp_path / "index", embedder=HashingEmbedder())
    try:
        assistant = Assistant(scripted_model, index)
        with running(make_bot(assistant, tmp_path), telegram):
            sent = say(telegram, "backpack under $60", count=3)
        cards = cards_of(sent)
        assert telegram.rejected == []
        assert any(card.text.startswith(title) for card in cards)
        photo = next(card for card in cards if card.photo)
        assert (
            photo.photo == "https://img.example/p2.png"
            and 'href="https://shop.example/p2?a=1&amp;b=2"' in photo.raw
        )
    finally:
        index.close()


def test_card_falls_back_to_text_when_telegram_cannot_fetch_the_photo(telegram, scripted_model, tmp_path):
    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder

    product = {"id": "P1", "title": "Photo backpack", "description": "a backpack", "price": 40, "currency": "USD",
               "category": "Bags", "image_url": "https://img.example/missing.png"}  # fmt: skip
    index = CatalogIndex.build([product], tmp_path / "index", embedder=HashingEmbedder())
    telegram.fail("sendPhoto", description="Bad Request: wrong type of the web page content")
    try:
        with running(make_bot(Assistant(scripted_model, index), tmp_path), telegram):
            sent = say(telegram, "backpack under $60", count=2)
    finally:
        index.close()
    card = cards_of(sent)[0]
    assert card.photo is None and card.text.startswith("Photo backpack")
    assert [method for method, _ in telegram.rejected] == ["sendPhoto"]


def test_rate_limits_are_waited_out(telegram, chatty, scripted_model, tmp_path):
    words = " ".join(f"w{i}" for i in range(30))
    scripted_model.enqueue_text(words)
    telegram.fail("sendMessage", retry_after=1)
    telegram.fail("editMessageText", retry_after=1)
    with running(make_bot(chatty, tmp_path), telegram):
        telegram.user_says(CHAT, "how do I choose trail shoes?")
        # the 429s pause the bot for retry_after seconds; the whole reply still arrives
        telegram.wait_for(lambda: telegram.messages(CHAT) and telegram.messages(CHAT)[-1].text == words)
    assert [m for m, d in telegram.rejected] == ["sendMessage", "editMessageText"]
    assert len(telegram.messages(CHAT)) == 1


def test_message_not_modified_is_harmless(telegram, chatty, scripted_model, tmp_path):
    words = " ".join(f"w{i}" for i in range(30))
    scripted_model.enqueue_text(words)
    telegram.fail(
        "editMessageText",
        description="Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a content and reply markup of the current message",
    )
    with running(make_bot(chatty, tmp_path, edit_interval=0.0), telegram):
        reply = say(telegram, "how do I choose trail shoes?")
    assert reply[-1].text == words  # the bot carried on streaming after the refused edit
    assert [m for m, d in telegram.rejected] == ["editMessageText"]


def test_merchant_commands_only_for_allowlisted_users(telegram, assistant, scripted_model, tmp_path):
    with running(make_bot(assistant, tmp_path), telegram):
        refused = say(telegram, "/insights")
        assert refused[-1].text == "This command is for merchants only."
        assert say(telegram, "/copy MH01")[-1].text == "This command is for merchants only."
        assert assistant.history(f"telegram:{CHAT}") == []  # nothing reached the assistant
        help_text = say(telegram, "/help", chat=MERCHANT)[-1].text
        assert "/insights" in help_text
        insights = say(telegram, "/insights", chat=MERCHANT)
        assert insights[-1].text != "This command is for merchants only."
        assert insights[-1].text.startswith("Products with the most negative reviews")
        # the same request typed by a shopper reaches the assistant as a shopper, who refuses it
        assert "merchant accounts only" in say(telegram, "review analytics across products")[-1].text
    assert telegram.rejected == []


def test_restart_mid_conversation(telegram, scripted_model, demo_index, tmp_path):
    sessions = tmp_path / "sessions.sqlite"
    with running(make_bot(Assistant(scripted_model, demo_index, sessions_path=sessions), tmp_path), telegram):
        say(telegram, "/lang zh")
        cards = cards_of(say(telegram, "backpack under $60", count=2))
    assert [label for label, _ in cards[0].buttons()] == ["评价", "类似", "比较", "详情"]
    # a new process: new assistant over the same session store, new bot over the same state dir
    with running(make_bot(Assistant(scripted_model, demo_index, sessions_path=sessions), tmp_path), telegram):
        product = parse_callback(cards[1].buttons()[3][1]).ids[0]
        scripted_model.enqueue_tool_call("DescriptionSummary", {"lines": ["一款日常使用的背包。"]})
        details = press(telegram, cards[1], cards[1].buttons()[3][1])
        assert demo_index.get(product).title[:12] in details[-1].text
        assert "一款日常使用的背包。" in details[-1].text  # the description, summarized in Chinese
        again = cards_of(say(telegram, "cheaper?", count=2))
        assert again and again[0].buttons()[0][0] == "评价"
    assert [call.tool_names for call in scripted_model.calls] == [["DescriptionSummary"]]
    assert telegram.rejected == []


# -- the command, in its own process ----------------------------------------------------------


def _command(tmp_path: Path, demo_index, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SHOPBOT_DATA_DIR": str(tmp_path / "data"),
        "SHOPBOT_TELEGRAM_MERCHANTS": f"[{MERCHANT}]",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ui", "telegram", "--index", str(demo_index.directory), *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def test_command_polls_a_self_hosted_api_server(telegram, demo_index, tmp_path):
    process = _command(tmp_path, demo_index, "--base-url", telegram.url)
    try:
        telegram.wait_for(lambda: telegram.calls_of("setMyCommands"), timeout=60)
        reply = say(telegram, "backpack under $60", count=2)
        assert cards_of(reply) and "under $60" in reply[-1].text
        assert "Products with the most negative reviews" in say(telegram, "/insights", chat=MERCHANT)[-1].text
    finally:
        output = _stop(process)
    assert process.returncode == 0, output
    assert telegram.rejected == []


def test_command_webhook_checks_the_secret_token(telegram, demo_index, tmp_path):
    port = _free_port()
    process = _command(
        tmp_path,
        demo_index,
        "--base-url",
        telegram.url,
        "--webhook-url",
        "https://bot.example.com/telegram/hook",
        "--port",
        str(port),
        TELEGRAM_WEBHOOK_SECRET="s3cret-Token_1",
    )
    try:
        telegram.wait_for(lambda: telegram.webhook.get("secret_token") == "s3cret-Token_1", timeout=60)
        assert telegram.webhook["url"] == "https://bot.example.com/telegram/hook"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": CHAT, "type": "private"},
                "from": {"id": CHAT, "is_bot": False, "first_name": "Ann"},
                "text": "backpack under $60",
            },
        }
        url = f"http://127.0.0.1:{port}/telegram/hook"
        assert _post(url, update, secret=None) == 403
        assert _post(url, update, secret="wrong") == 403
        assert telegram.messages(CHAT) == []
        assert _post(url, update, secret="s3cret-Token_1") == 200
        telegram.wait_for(lambda: telegram.messages(CHAT) and not telegram.messages(CHAT)[-1].buttons())
    finally:
        output = _stop(process)
    assert process.returncode == 0, output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: dict[str, Any], *, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except urllib.error.URLError:  # not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
