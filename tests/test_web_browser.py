"""The web chat in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Types a message, watches the reply stream in and a product card appear, reloads the page
(the conversation comes back), starts a new conversation, and checks the page asked nothing
of any host but the local server. A screenshot is saved to test-artifacts/web_chat.png. A
second test unlocks the Merchant tab and draws a product's review dashboard (web_merchant.png).
Layout tests size the page as a desktop (1280x1400) and a phone (390x844) would, check that
the conversation fills the viewport and that the shopper's last message and the cards of its
answer are in view together, that cards without images get a placeholder with the category's
initial, and that catalog images load lazily in a box of fixed size (web_layout_*.png).
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


VIEWPORTS = {"desktop": (1280, 1400), "phone": (390, 844)}


@pytest.fixture(scope="module")
def category_of_title(demo_store: Path) -> dict[str, str]:
    from index.ingest import load_products
    from tools.cards import category_name

    return {p.title: category_name(p) for p in load_products(demo_store / "luma_products.jsonl").records}


# The boxes of the chat panel, the last user message and each card of the answer after it.
_GEOMETRY = """() => {
    const chat = document.querySelector('#shopbot-chat');
    const box = (element) => { const r = element.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; };
    const users = [...chat.querySelectorAll('.message-row.user-row, .user-row')];
    const last = users[users.length - 1];
    const cards = [...chat.querySelectorAll('.shopbot-cards')].pop();
    return {
        chat: box(chat),
        user: box(last),
        cards: [...cards.querySelectorAll('.shopbot-card')].map(box),
        viewport: [window.innerWidth, window.innerHeight],
    };
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_chat_fills_the_viewport_and_keeps_the_question_with_its_cards(
    demo_index, tmp_path, serve, category_of_title, viewport
):
    from playwright.sync_api import expect

    width, height = VIEWPORTS[viewport]
    model = ScriptedChatModel()  # both turns are answered by the rules: the model must not be asked
    assistant = Assistant(model, demo_index, sessions_path=tmp_path / "sessions.sqlite")
    with local_page(serve(assistant), width, height) as page:
        box = page.locator("#shopbot-input textarea")
        chat = page.locator("#shopbot-chat")
        for number, message in enumerate(["Show me men's hoodies", "waterproof backpack under $60"], 1):
            box.fill(message)
            box.press("Enter")
            expect(chat.locator(".shopbot-cards")).to_have_count(number, timeout=30_000)
            expect(chat).to_contain_text("under $60" if number == 2 else "hoodie", timeout=30_000)
        page.wait_for_timeout(800)  # let autoscroll settle
        geometry = page.evaluate(_GEOMETRY)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"web_layout_{viewport}.png"))

        top, bottom = geometry["chat"][:2]
        assert bottom - top >= 0.6 * height, f"the chat is {bottom - top:.0f} px high in a {height} px window"
        assert bottom <= height + 1, "the chat runs below the window"
        user_top, user_bottom = geometry["user"][:2]
        assert top - 1 <= user_top and user_bottom <= bottom + 1, ("the question scrolled out", geometry)
        assert geometry["cards"], "no cards in the answer"
        for card_top, card_bottom, _, _ in geometry["cards"]:
            assert top - 1 <= card_top and card_bottom <= bottom + 1, ("a card is out of view", geometry)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        for control in ("#shopbot-input textarea", "#shopbot-send"):
            control_box = page.locator(control).bounding_box()
            assert control_box and control_box["y"] + control_box["height"] <= height, (
                f"{control} is off screen"
            )

        # the demo store has no images: each card shows its category's initial instead
        placeholders = chat.locator(".shopbot-card .shopbot-placeholder")
        expect(placeholders.first).to_be_visible()
        assert chat.locator(".shopbot-card img").count() == 0
        titles = chat.locator(".shopbot-card .shopbot-title").all_inner_texts()
        categories = [category_of_title[title] for title in titles]
        assert placeholders.all_inner_texts() == [category[0].upper() for category in categories]
        assert "Bags" in categories  # "Gear/Bags": the backpacks show a "B"


@pytest.fixture
def image_host() -> Iterator[str]:
    """A local server of product pictures (400x300 PNGs) on 127.0.0.1; yields its base URL."""
    import io
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (70, 130, 180)).save(buffer, format="PNG")
    picture = buffer.getvalue()

    class Pictures(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pictures)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_catalog_images_load_lazily_in_a_fixed_box(tmp_path, serve, image_host):
    from playwright.sync_api import expect

    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder
    from index.schema import Product
    from ui.web import THUMB_HEIGHT, THUMB_WIDTH

    products = [
        Product(id=f"T{n}", title=f"{colour} canvas tote", price=20.0 + n, currency="USD",
                category="Bags/Totes", image_url=f"{image_host}/t{n}.png")
        for n, colour in enumerate(["Red", "Blue", "Green"], 1)
    ]  # fmt: skip
    products.append(
        Product(id="T4", title="Plain canvas tote", price=19.0, currency="USD", category="Bags/Totes")
    )
    index = CatalogIndex.build(products, tmp_path / "index", embedder=HashingEmbedder())
    assistant = Assistant(ScriptedChatModel(), index, sessions_path=tmp_path / "sessions.sqlite")
    try:
        with local_page(serve(assistant), *VIEWPORTS["desktop"]) as page:
            box = page.locator("#shopbot-input textarea")
            box.fill("canvas totes under $40")
            box.press("Enter")
            chat = page.locator("#shopbot-chat")
            images = chat.locator(".shopbot-card img")
            expect(images).to_have_count(3, timeout=30_000)
            for n in range(3):
                image = images.nth(n)
                assert image.get_attribute("loading") == "lazy"
                assert (image.get_attribute("width"), image.get_attribute("height")) == (
                    str(THUMB_WIDTH),
                    str(THUMB_HEIGHT),
                )
            page.wait_for_function(
                "() => [...document.querySelectorAll('#shopbot-chat .shopbot-card img')]"
                ".every(i => i.complete && i.naturalWidth === 400)",
                timeout=30_000,
            )
            heights = chat.locator(".shopbot-card .shopbot-thumb").evaluate_all(
                "items => items.map(i => Math.round(i.getBoundingClientRect().height))"
            )
            assert heights == [THUMB_HEIGHT] * 4, heights  # pictures and the placeholder alike
            expect(chat.locator(".shopbot-card .shopbot-placeholder")).to_have_text("T")
            page.screenshot(path=str(ARTIFACTS / "web_layout_images.png"))
    finally:
        index.close()
