"""The web chat: a Gradio app over :class:`assistant.Assistant`, standalone or mounted in FastAPI.

::

    app = build_web_app(assistant, secret=browser_secret(settings.data_dir),
                        merchant_keys=settings.merchant_api_keys)
    app.launch(server_name="127.0.0.1", server_port=7860, **launch_options())
    # or, inside a store's FastAPI app (see docs/embedding.md):
    gr.mount_gradio_app(fastapi_app, app, path="/assistant", **launch_options())

What it does: streams the reply as the assistant writes it, shows product cards (image, title,
price with currency, rating, link) as soon as a search returns and before the prose, offers
example prompts in English and Chinese, and a "New conversation" button. Each browser keeps
a session id in ``localStorage`` (``gr.BrowserState``, encrypted with a secret kept in the data
dir), and the conversation lives in the assistant's session store, so a page reload or a
server restart continues where the shopper left off. The ``/chat`` API endpoint takes the
session id explicitly (``gradio_client``: ``predict(message, history, session, api_name="/chat")``).
A second tab, "Merchant", holds promo copy and review dashboards behind an API key
(:mod:`ui.web_merchant`; ``build_web_app(..., merchant_keys=settings.merchant_api_keys)``).

Everything from the catalog is HTML-escaped; links are kept only when they are http(s). The
theme uses system fonts and analytics are off, so the page makes no request to the outside
world. Deliberately not here: business logic (the assistant decides), the merchant tab's
components (:mod:`ui.web_merchant`).
"""

from __future__ import annotations

import html
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.language import detect_language
from assistant.reply import CardsEvent, Done, ProductCard, TextChunk, TextReplaced
from assistant.templates import message
from ui.cards import price_text, rating_text, safe_url, summary_text
from ui.web_clicks import click_router, click_url, identify_from_request

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI
    from pydantic import SecretStr

    from assistant import Assistant

STORAGE_KEY = "shopbot-session"
MAX_CONCURRENT_TURNS = 64  # turns run in worker threads; the chat model has its own bounded queue
EXAMPLES = [
    "Waterproof backpack under $60",
    "Show me men's hoodies",
    "我想要一件100美元以下的男士夹克",
    "推荐一个瑜伽垫",
]
_SESSION = re.compile(r"^[0-9a-f]{32}$")
THUMB_WIDTH, THUMB_HEIGHT = 164, 120  # a card's picture box, so the layout does not jump as images load
PHONE_THUMB_HEIGHT = 72
CHAT_HEIGHT = "calc(100dvh - 250px)"  # the window less the input row, the buttons and the examples
# The page fills the viewport: the conversation takes what the input row, the buttons and the
# examples leave, on a desktop and on a phone. On a narrow screen the cards of one answer scroll
# sideways in one row, so the shopper's message and the cards it brought stay in view together.
CSS = f"""
.gradio-container {{ padding-top: 8px !important; padding-bottom: 8px !important; }}
#shopbot-chat {{ height: {CHAT_HEIGHT} !important; min-height: 320px; }}
.shopbot-cards {{ display: flex; flex-wrap: wrap; gap: 8px; }}
.shopbot-card {{ border: 1px solid #d0d0d0; border-radius: 8px; padding: 8px; width: 180px; box-sizing: border-box; }}
#shopbot-chat .shopbot-card .shopbot-thumb {{ display: block; box-sizing: border-box; width: 100% !important;
  max-width: 100%; height: {THUMB_HEIGHT}px !important; margin: 0 0 6px !important; border-radius: 6px; }}
#shopbot-chat .shopbot-card img.shopbot-thumb {{ object-fit: contain; }}
#shopbot-chat .shopbot-card .shopbot-placeholder {{ display: flex; align-items: center; justify-content: center;
  background: #eef0f3; color: #6b7280; font-size: 44px; font-weight: 600; user-select: none; }}
.shopbot-card .shopbot-title {{ font-weight: 600; display: block; }}
.shopbot-card .shopbot-summary {{ font-size: 0.85em; white-space: pre-line; margin: 4px 0;
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 5; overflow: hidden; }}
.shopbot-card .shopbot-why {{ font-size: 0.85em; opacity: 0.8; }}
@media (max-width: 640px) {{
  .gradio-container {{ padding-left: 4px !important; padding-right: 4px !important; }}
  #shopbot-chat {{ height: calc(100dvh - 200px) !important; }}
  .shopbot-cards {{ flex-wrap: nowrap; overflow-x: auto; scroll-snap-type: x mandatory; padding-bottom: 4px; }}
  .shopbot-card {{ flex: 0 0 150px; width: 150px; scroll-snap-align: start; }}
  #shopbot-chat .shopbot-card .shopbot-thumb {{ height: {PHONE_THUMB_HEIGHT}px !important; }}
  #shopbot-chat .shopbot-card .shopbot-placeholder {{ font-size: 32px; }}
  .shopbot-card .shopbot-summary {{ -webkit-line-clamp: 2; }}
  .shopbot-card .shopbot-why {{ display: none; }}
  #shopbot-examples {{ display: none; }}
}}
"""


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``launch`` and ``gr.mount_gradio_app``: offline theme, our CSS, no SSR,
    no run history, no footer."""
    import gradio as gr

    theme = gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
    )
    # No run history (it keeps conversations in the browser and offers uploads to a Hugging Face
    # bucket) and no footer links: the page is a widget on a store's site.
    return {"theme": theme, "css": CSS, "ssr_mode": False, "run_history": False, "footer_links": []}


def browser_secret(data_dir: Path) -> str:
    """The key that encrypts session ids in browsers; made once and kept, so ids survive restarts."""
    path = Path(data_dir) / "web" / "browser_secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return secret


def valid_session(token: Any) -> str:
    """The browser's session token if well-formed, else a fresh one."""
    return token if isinstance(token, str) and _SESSION.match(token) else uuid.uuid4().hex


def cards_html(cards: list[ProductCard], link: Callable[[ProductCard, str], str] | None = None) -> str:
    """Product cards as one line of escaped HTML (a chat message); ``link`` turns a card's
    product URL into the link the card shows (the click endpoint: :mod:`ui.web_clicks`)."""
    parts = []
    for card in cards:
        title = html.escape(card.title)
        url = safe_url(card.url)
        if url and link is not None:
            url = link(card, url)
        image = safe_url(card.image_url)
        heading = (
            f'<a class="shopbot-title" href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
            if url
            else f'<span class="shopbot-title">{title}</span>'
        )
        pieces = [
            _thumbnail(card, title, image),
            heading,
            f'<span class="shopbot-price">{html.escape(price_text(card))}</span>'
            if card.price is not None
            else "",
            f' <span class="shopbot-rating">{html.escape(rating_text(card))}</span>'
            if card.rating is not None
            else "",
            f'<div class="shopbot-summary">{html.escape(summary_text(card))}</div>' if card.summary else "",
            f'<div class="shopbot-why">{html.escape(card.why)}</div>' if card.why else "",
        ]
        parts.append(
            f'<div class="shopbot-card" data-product-id="{html.escape(card.id)}">{"".join(pieces)}</div>'
        )
    return f'<div class="shopbot-cards">{"".join(parts)}</div>'


def _thumbnail(card: ProductCard, title: str, image: str | None) -> str:
    """The card's picture: the image, lazy-loaded in a box of fixed size, or a neutral
    placeholder with the category's initial (the title's when the product has no category)."""
    if image:
        return (
            f'<img class="shopbot-thumb" src="{html.escape(image)}" alt="{title}" loading="lazy" '
            f'decoding="async" width="{THUMB_WIDTH}" height="{THUMB_HEIGHT}">'
        )
    initial = next((char for char in card.category or card.title if char.isalnum()), "?").upper()
    label = html.escape(card.category or card.title)
    return f'<div class="shopbot-thumb shopbot-placeholder" role="img" aria-label="{label}">{html.escape(initial)}</div>'


class WebChat:
    """The event handlers of the page, bound to one assistant (the Gradio app calls them)."""

    def __init__(self, assistant: Assistant, secret: str) -> None:
        self.assistant = assistant
        self.secret = secret

    def cards(self, session: str, cards: list[ProductCard]) -> str:
        """The cards of a reply, their links through the click endpoint of this session."""
        return cards_html(cards, lambda card, url: click_url(self.secret, session, card.id, url))

    def restore(self, token: Any, request: Any = None) -> tuple[list[dict[str, Any]], str]:
        """On page load: the browser's session (a new one if it has none) and its conversation;
        a valid signed customer token in the page's URL links the session to that customer."""
        session = valid_session(token)
        identify_from_request(self.assistant, session, request)
        history: list[dict[str, Any]] = [
            {"role": role, "content": text} for role, text in self.assistant.history(f"web:{session}")
        ]
        shown = self.assistant.memory(f"web:{session}").get("shown") or []
        if shown and history:
            # The last list shown (what "the second one" refers to) goes before the last answer.
            asked = [i for i, message in enumerate(history) if message["role"] == "user"]
            last = asked[-1] + 1 if asked else 0
            cards = {
                "role": "assistant",
                "content": self.cards(session, [ProductCard(**item) for item in shown]),
            }
            history.insert(last, cards)
        return history, session

    async def respond(
        self, message: str, history: list[dict[str, Any]] | None, token: Any
    ) -> AsyncIterator[tuple[list[dict[str, Any]], str, str]]:
        """One turn: yields (chat, textbox, session) as cards and text arrive."""
        session = valid_session(token)
        text = (message or "").strip()
        history = list(history or [])
        if not text:
            yield history, "", session
            return
        history.append({"role": "user", "content": text})
        cards: list[dict[str, Any]] = []
        answer = ""
        yield history, "", session
        async for event in self.assistant.astream(f"web:{session}", text):
            if isinstance(event, CardsEvent):
                cards.append({"role": "assistant", "content": self.cards(session, event.products)})
            elif isinstance(event, TextChunk):
                answer += event.text
            elif isinstance(event, TextReplaced):
                answer = event.text
            elif isinstance(event, Done):
                if event.reply.text == answer:
                    continue  # the page already shows it: spare a round of rendering
                answer = event.reply.text
            else:
                continue
            reply = [{"role": "assistant", "content": answer}] if answer else []
            yield [*history, *cards, *reply], "", session

    def link_telegram(
        self, history: list[dict[str, Any]] | None, token: Any
    ) -> tuple[list[dict[str, Any]], str]:
        """A one-time code for the store's Telegram bot, when the page named a signed-in customer."""
        session = valid_session(token)
        said = [text for role, text in self.assistant.history(f"web:{session}") if role == "user"]
        lang = detect_language(said[-1]) if said else "en"
        code = self.assistant.shoppers.link_code(f"web:{session}")
        text = message("link_code", lang, code=code) if code else message("link_needs_customer", lang)
        return [*(history or []), {"role": "assistant", "content": text}], session

    def new_conversation(self, token: Any) -> tuple[list[dict[str, Any]], str]:
        """Forget this browser's conversation and start over."""
        session = valid_session(token)
        self.assistant.reset(f"web:{session}")
        return [], session


def build_web_app(
    assistant: Assistant,
    *,
    secret: str,
    title: str = "shopbot",
    merchant_keys: Iterable[SecretStr | str] = (),
) -> gr.Blocks:
    """The chat page over ``assistant``; ``secret`` encrypts the session id kept in the browser;
    ``merchant_keys`` unlock the Merchant tab (:mod:`ui.web_merchant`; none: the tab is disabled)."""
    import gradio as gr

    from ui.web_merchant import build_merchant_tab

    chat = WebChat(assistant, secret)
    with gr.Blocks(title=title, analytics_enabled=False) as app:
        session = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=secret)
        with gr.Tab("Chat", id="chat"):
            chatbot = gr.Chatbot(
                label="shopbot",
                show_label=False,
                elem_id="shopbot-chat",
                height=CHAT_HEIGHT,  # and the CSS, for phones too
                sanitize_html=True,
                feedback_options=None,
                buttons=["copy", "copy_all"],  # no "share" (it posts to Hugging Face)
            )
            with gr.Row():
                box = gr.Textbox(
                    placeholder="Ask for a product, e.g. a waterproof backpack under $60",
                    show_label=False,
                    scale=8,
                    min_width=180,  # the box and the button share one row on a phone
                    elem_id="shopbot-input",
                    autofocus=True,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="shopbot-send")
            with gr.Row():
                new = gr.Button("New conversation", size="sm", elem_id="shopbot-new")
                link = gr.Button("Continue on Telegram", size="sm", elem_id="shopbot-link")
            with gr.Column(elem_id="shopbot-examples"):
                gr.Examples(EXAMPLES, inputs=box, label="Try")
        with gr.Tab("Merchant", id="merchant"):
            build_merchant_tab(assistant.merchant, merchant_keys)
        turn: dict[str, Any] = {
            "fn": chat.respond,
            "inputs": [box, chatbot, session],
            "outputs": [chatbot, box, session],
            "concurrency_limit": MAX_CONCURRENT_TURNS,
        }
        box.submit(**turn, api_name="chat")
        send.click(**turn, api_visibility="private")
        new.click(
            chat.new_conversation, inputs=session, outputs=[chatbot, session], api_name="new_conversation"
        )
        link.click(
            chat.link_telegram,
            inputs=[chatbot, session],
            outputs=[chatbot, session],
            api_name="link_telegram",
        )
        # the chat's own trash button forgets the conversation too (else a reload brings it back)
        chatbot.clear(
            chat.new_conversation, inputs=session, outputs=[chatbot, session], api_visibility="private"
        )

        def restore(token: Any, request: Any) -> tuple[list[dict[str, Any]], str]:
            return chat.restore(token, request)

        # Gradio hands the page's request to a parameter annotated gr.Request; this module's
        # annotations are strings naming a module it imports lazily, so the hint is set here
        restore.__annotations__["request"] = gr.Request
        app.load(restore, inputs=session, outputs=[chatbot, session], api_name="restore")
    return app


def build_web_server(
    assistant: Assistant, *, secret: str, merchant_keys: Iterable[SecretStr | str] = (), path: str = "/"
) -> FastAPI:
    """The web chat with its click endpoint, as one ASGI app (what ``shopbot web`` serves)."""
    import gradio as gr
    from fastapi import FastAPI

    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.include_router(click_router(assistant, secret))
    blocks = build_web_app(assistant, secret=secret, merchant_keys=merchant_keys)
    return gr.mount_gradio_app(server, blocks.queue(), path=path, show_error=False, **launch_options())
