"""Recommendations in the web widget, in a real headless Chromium: the store page names its
customer with a signed token, the shopper clicks a card (its link goes through the server's
click endpoint, then on to the product page), and the next "for you" follows that click. A
forged token links no one. Product pages are a second local server; nothing leaves 127.0.0.1."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr
from recommend_shop import trained_behaviour
from test_web_browser import CHROMIUM, CHROMIUM_ARGS

from assistant import Assistant
from assistant.shoppers import sign_customer_token
from assistant.testing import ScriptedChatModel
from index.events import Event

KEY = SecretStr("a store key for signing customer ids, sixty-four characters long!")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
)


class _ProductPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<html><body>product page {self.path}</body></html>".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop(demo_store: Path, tmp_path: Path, serve):
    from index.catalog import CatalogIndex
    from index.embedders import HashingEmbedder
    from index.ingest import load_products

    pages = ThreadingHTTPServer(("127.0.0.1", 0), _ProductPage)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{pages.server_address[1]}"
    products = load_products(demo_store / "luma_products.jsonl", None, False, None).records[:40]
    products = [replace(p, url=f"{base}/p/{p.id}") for p in products]
    catalog = CatalogIndex.build(products, tmp_path / "index", embedder=HashingEmbedder())
    behaviour, ids = trained_behaviour(tmp_path, [p.id for p in products])
    assistant = Assistant(ScriptedChatModel(), catalog, sessions_path=tmp_path / "sessions.sqlite",
                          behaviour=behaviour, customer_token_key=KEY)  # fmt: skip
    yield serve(assistant), behaviour, catalog, ids
    pages.shutdown()
    catalog.close()


def test_a_card_click_changes_the_next_for_you(shop) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, behaviour, catalog, ids = shop
    token = sign_customer_token("alice", KEY)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            page.goto(f"{url}?customer={token}")
            page.wait_for_load_state("networkidle")  # the page's session is restored (and linked) first
            box, chat = page.locator("#shopbot-input textarea"), page.locator("#shopbot-chat")
            box.fill("gift ideas")
            box.press("Enter")
            expect(chat.locator(".shopbot-card").first).to_be_visible(timeout=30_000)
            link = chat.locator(f'a.shopbot-title[href*="p={ids["seed"]}&"]').first
            href = link.get_attribute("href") or ""
            assert "/shopbot/click?" in href  # the server sees the click, no script guesses it
            with page.context.expect_page() as opened:
                link.click()
            product_page = opened.value
            product_page.wait_for_load_state()
            assert product_page.url.endswith(f"/p/{ids['seed']}")  # then on to the product page
            assert ids["seed"] in [
                e.product for e in behaviour.history("customer:alice") if e.kind == "click"
            ]
            box.fill("what else would I like?")
            box.press("Enter")
            partner = chat.locator(".shopbot-card", has=page.locator(f'a[href*="p={ids["partner"]}&"]')).last
            expect(partner).to_be_visible(timeout=30_000)
            expect(partner.locator(".shopbot-why")).to_contain_text(catalog.get(ids["seed"]).title)
            # a tampered link records nothing
            forged = page.request.get(url.rstrip("/") + href.replace("sig=", "sig=0"), max_redirects=0)
            assert forged.status == 400
        finally:
            browser.close()


def test_a_forged_customer_token_links_no_one(shop) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, behaviour, _, _ = shop
    behaviour.store.add([Event("customer:bob", "anything", "purchase", datetime.now(UTC))])
    forged = sign_customer_token("bob", "somebody else's key, just as long as the store's own is, 64 ch")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}?customer={forged}")
            expect(page.locator("#shopbot-input textarea")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(500)
        finally:
            browser.close()
    assert behaviour.store.identities("customer:bob") == ["customer:bob"]  # no session was linked to bob
