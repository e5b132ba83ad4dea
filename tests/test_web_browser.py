"""The web chat in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Types a message, watches the reply stream in and a product card appear, reloads the page
(the conversation comes back), starts a new conversation, and checks the page asked nothing
of any host but the local server. A screenshot is saved to test-artifacts/web_chat.png. A
second test unlocks the Merchant tab and draws a product's review dashboard (web_merchant.png).
Never runs `playwright install`: without /usr/bin/chromium the test is skipped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant import Assistant
from assistant.testing import ScriptedChatModel

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
)


@contextlib.contextmanager
def local_page(url: str, width: int, height: int) -> Iterator[Any]:
    """A Chromium page opened on ``url``; on leaving, checks the page asked nothing of any host
    but the local server."""
    from playwright.sync_api import sync_playwright

    hosts: set[str] = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url))
            page.goto(url)
            yield page
        finally:
            browser.close()
    assert hosts == {"127.0.0.1"}, f"the page contacted other hosts: {sorted(hosts)}"


class SlowScriptedModel(ScriptedChatModel):
    """Streams its scripted words with a pause between them, so streaming is visible in the page."""

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(0.08)
            yield chunk


@pytest.fixture
def server(demo_index, tmp_path, serve) -> Iterator[tuple[str, SlowScriptedModel]]:
    model = SlowScriptedModel()
    assistant = Assistant(model, demo_index, sessions_path=tmp_path / "sessions.sqlite", tool_first=False)
    yield serve(assistant), model
    model.assert_complete()


def test_chat_in_headless_chromium(server):
    from playwright.sync_api import expect

    url, model = server
    advice = "Pick a light shell with taped seams and a hood that stays put in the wind."
    model.enqueue_text(advice)
    with local_page(url, 1100, 1000) as page:
        box = page.locator("#shopbot-input textarea")
        chat = page.locator("#shopbot-chat")

        box.fill("waterproof backpack under $60")
        box.press("Enter")
        expect(chat.locator(".shopbot-card").first).to_be_visible(timeout=30_000)
        expect(chat).to_contain_text("under $60", timeout=30_000)
        expect(chat.locator(".shopbot-card .shopbot-price").first).to_contain_text("$")

        # a model turn: record the reply's text as it grows
        page.evaluate(
            """() => {
                window.seen = [];
                const chat = document.querySelector('#shopbot-chat');
                new MutationObserver(() => window.seen.push(chat.innerText.length))
                    .observe(chat, {subtree: true, childList: true, characterData: true});
            }"""
        )
        box.fill("what matters in a rain jacket?")
        box.press("Enter")
        expect(chat).to_contain_text(advice, timeout=30_000)
        lengths = sorted(set(page.evaluate("window.seen")))
        assert len(lengths) >= 5, f"the reply did not stream: lengths seen {lengths}"

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web_chat.png"), full_page=True)

        # a reload brings the conversation back (session id in localStorage, state on the server)
        page.reload()
        expect(chat).to_contain_text(advice, timeout=30_000)
        expect(chat.locator(".shopbot-card").first).to_be_visible()

        page.locator("#shopbot-new").click()
        expect(chat.locator(".shopbot-card")).to_have_count(0, timeout=30_000)
        expect(chat).not_to_contain_text(advice)
        page.reload()  # forgotten on the server too, not just cleared on the screen
        box.fill("hello")
        box.press("Enter")
        expect(chat).to_contain_text("what you're looking for", timeout=30_000)  # the greeting
        expect(chat).not_to_contain_text("under $60")


MERCHANT_KEY = "merchant-key-0123456789"


@pytest.fixture
def merchant_server(demo_index, serve) -> str:
    from assistant.config import load_settings
    from tools.sentiment import load_analyzer

    analyzer = load_analyzer(load_settings().cache_dir)
    assistant = Assistant(ScriptedChatModel(), demo_index, analyzer_factory=lambda: analyzer)
    return serve(assistant, [MERCHANT_KEY])


def test_merchant_dashboard_in_headless_chromium(merchant_server):
    """Merchant tab: a wrong key keeps the tools hidden; the right one opens a product's dashboard
    with its charts drawn. A screenshot is saved to test-artifacts/web_merchant.png."""
    from playwright.sync_api import expect

    with local_page(merchant_server, 1200, 1400) as page:
        page.get_by_role("tab", name="Merchant").click()
        key = page.locator("#merchant-key input")
        tools = page.locator("#merchant-tools")

        key.fill("not-the-key-0123456789")
        page.locator("#merchant-unlock").click()
        expect(page.locator("#merchant-status")).to_contain_text("not valid", timeout=30_000)
        expect(tools).to_be_hidden()

        key.fill(MERCHANT_KEY)
        page.locator("#merchant-unlock").click()
        expect(page.locator("#merchant-status")).to_contain_text("Unlocked", timeout=30_000)
        expect(tools).to_be_visible()
        search = page.get_by_label("Find a product")
        search.fill("Strike Endurance Tee")
        search.press("Enter")
        expect(page.locator("#merchant-product input")).to_have_value(
            "Strike Endurance Tee (MS08)", timeout=30_000
        )

        page.get_by_role("tab", name="Review dashboard").click()
        page.locator("#merchant-show").click()
        expect(page.locator("#merchant-headline")).to_contain_text("4 reviews", timeout=30_000)
        for chart in ("#merchant-aspects", "#merchant-labels"):
            expect(page.locator(f"{chart} canvas, {chart} svg").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)  # let the charts' entry animation finish before the picture
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web_merchant.png"), full_page=True)
