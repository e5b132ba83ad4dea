"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, for tests of the real PTB Application
and for ``shopbot bench channels``.

::

    with FakeTelegram() as telegram, BackgroundBot(bot.application(telegram.token, api_url=telegram.url)):
        telegram.user_says(chat_id=42, text="hi")
        telegram.wait_for(lambda: telegram.messages(42))
        telegram.fail("editMessageText", retry_after=1)      # the next edit gets a 429

It implements the methods the bot uses (getMe, getUpdates with long polling, deleteWebhook,
setWebhook, setMyCommands, sendMessage, sendPhoto, sendDocument, editMessageText,
editMessageReplyMarkup, sendChatAction, answerCallbackQuery) and checks parameters as Telegram
does: text and caption limits counted in UTF-16 units after entity parsing, ``parse_mode=HTML`` parsed with
Telegram's tag set (unbalanced or unknown tags and unknown entities are rejected with
"Bad Request: can't parse entities: ..."), inline keyboards with 1-64 byte callback data,
"message is not modified" for edits that change nothing, "message to edit not found" (the
rules live in :mod:`ui.telegram_rules`). Tests inject updates (messages, button presses), read what the bot sent (each message's
current text and its edit history) and queue errors (429 with ``retry_after``, any
description). Requests are read as Telegram reads them: JSON, form-urlencoded, or
multipart/form-data, the way PTB uploads files (``sendDocument`` keeps each upload's name,
bytes and type in :attr:`Sent.document`; at most 50 MB, as for bots). :class:`BackgroundBot`
polls it with a PTB Application in a background event loop, as ``run_polling`` would, without
taking over signals. Deliberately not modelled: downloads (getFile), file ids sent again,
groups' permissions, flood limits by itself (a test queues the 429 it wants).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram.ext import Application

from ui import telegram_rules as rules
from ui.telegram_rules import ApiError, parse_html, utf16_len

__all__ = [
    "BOT", "MAX_UPLOAD", "TOKEN", "ApiError", "BackgroundBot", "FakeTelegram", "Sent", "Upload", "parse_html",
    "utf16_len",
]  # fmt: skip

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "shopbot", "username": "shopbot_test_bot"}
MAX_UPLOAD = 50 * 1024 * 1024  # the largest file a bot may upload through the cloud Bot API


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (one part of a multipart/form-data request)."""

    file_name: str
    data: bytes
    mime_type: str | None = None


@dataclass
class Sent:
    """A message the bot sent, as it is now, with every text it had before."""

    chat_id: int
    message_id: int
    text: str  # visible text (caption for photos)
    raw: str  # as sent (with markup)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    photo: str | None = None
    document: Upload | None = None
    edits: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.perf_counter)  # when the server last received it

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(button["text"], button.get("callback_data", "")) for row in rows for button in row]


class FakeTelegram:
    def __init__(self) -> None:
        self.token = TOKEN
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # notified whenever the bot's messages change
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._next_callback = 1
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answered_callbacks: list[dict[str, Any]] = []
        self.rejected: list[tuple[str, str]] = []  # (method, description) of every error returned
        self.webhook: dict[str, Any] = {}
        self._failures: dict[str, list[ApiError]] = {}
        self._pending_callbacks: set[str] = set()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root URL, as for a self-hosted Bot API server (the bot adds ``/bot<token>``)."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeTelegram:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-telegram", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # -- what tests do ----------------------------------------------------------------------

    def user_says(
        self, chat_id: int, text: str, *, user_id: int | None = None, first_name: str = "Ann"
    ) -> int:
        """Queue a private-chat message from a user; returns its update id."""
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name}
        with self._lock:
            message = {
                "message_id": self._new_message_id(),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": first_name},
                "from": user,
                "text": text,
            }
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            return self._add_update({"message": message})

    def press(self, sent: Sent, data: str, *, user_id: int | None = None) -> str:
        """Queue a press of an inline button with ``data`` on ``sent``; returns the query id."""
        with self._lock:
            query_id = str(self._next_callback)
            self._next_callback += 1
            self._pending_callbacks.add(query_id)
            self._add_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": {"id": user_id or sent.chat_id, "is_bot": False, "first_name": "Ann"},
                        "chat_instance": "1",
                        "data": data,
                        "message": {
                            "message_id": sent.message_id,
                            "date": int(time.time()),
                            "chat": {"id": sent.chat_id, "type": "private"},
                            "from": BOT,
                            "text": sent.text,
                        },
                    }
                }
            )
            return query_id

    def fail(
        self, method: str, *, retry_after: int | None = None, description: str = "", times: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` fail: a 429 with ``retry_after``, or a 400."""
        error = (
            ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
            if retry_after is not None
            else ApiError(400, description or "Bad Request: injected failure")
        )
        with self._lock:
            self._failures.setdefault(method, []).extend([error] * times)

    def messages(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [sent for sent in self.sent if sent.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until ``condition()`` is truthy (returns it), re-checking whenever the bot sends or
        edits something; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = condition()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = [sent.text[:60] for sent in self.sent]
                    raise AssertionError(f"condition not met within {timeout}s; bot sent {shown}")
                self._changed.wait(min(left, 0.05))

    # -- the HTTP side ----------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.path_params["method"]
        try:
            params = await _read_params(request)
            with self._lock:
                self.calls.append((method, params))
                queued = self._failures.get(method)
                if queued:
                    raise queued.pop(0)
            if method == "getUpdates":
                result = await self._get_updates(params)
            else:
                handler = getattr(self, f"_m_{method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                with self._changed:
                    result = handler(params)
                    self._changed.notify_all()
        except ApiError as error:
            with self._lock:
                self.rejected.append((method, error.description))
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return JSONResponse(body, error.code)
        return JSONResponse({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates[: int(params.get("limit") or 100)])
            await asyncio.sleep(0.005)

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands") or []:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        rules.chat_id(params)
        if params.get("action") not in {"typing", "upload_photo", "record_video", "upload_document"}:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = rules.chat_id(params)
        raw, text = _message_text(params)
        sent = Sent(
            chat_id, self._new_message_id(), text, raw, params.get("parse_mode"), rules.markup(params)
        )
        self.sent.append(sent)
        return _message_json(sent)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = rules.chat_id(params)
        photo = str(params.get("photo") or "")
        if not photo.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: wrong remote file identifier specified")
        raw, caption = _caption(params)
        sent = Sent(
            chat_id,
            self._new_message_id(),
            caption,
            raw,
            params.get("parse_mode"),
            rules.markup(params),
            photo,
        )
        self.sent.append(sent)
        return _message_json(sent)

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = rules.chat_id(params)
        document = params.get("document")
        if not isinstance(document, Upload):
            if isinstance(document, str) and document:  # a file id or URL: not modelled
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            raise ApiError(400, "Bad Request: there is no document in the request")
        if not document.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(document.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        raw, caption = _caption(params)
        sent = Sent(
            chat_id,
            self._new_message_id(),
            caption,
            raw,
            params.get("parse_mode"),
            rules.markup(params),
            document=document,
        )
        self.sent.append(sent)
        return _message_json(sent)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._find(params)
        raw, text = _message_text(params)
        markup = rules.markup(params)
        if raw == sent.raw and markup == sent.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a content and reply markup of the current message",
            )
        sent.edits.append(sent.text)
        sent.text, sent.raw, sent.parse_mode, sent.reply_markup = text, raw, params.get("parse_mode"), markup
        sent.at = time.perf_counter()
        return _message_json(sent)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._find(params)
        sent.reply_markup = rules.markup(params)
        return _message_json(sent)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._pending_callbacks:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._pending_callbacks.discard(query_id)
        self.answered_callbacks.append(params)
        return True

    # -- helpers ----------------------------------------------------------------------------

    def _find(self, params: dict[str, Any]) -> Sent:
        chat_id, message_id = rules.chat_id(params), int(params.get("message_id") or 0)
        for sent in self.sent:
            if sent.chat_id == chat_id and sent.message_id == message_id:
                return sent
        raise ApiError(400, "Bad Request: message to edit not found")

    def _new_message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    def _add_update(self, body: dict[str, Any]) -> int:
        update_id = self._next_update
        self._next_update += 1
        self._updates.append({"update_id": update_id, **body})
        return update_id


async def _read_params(request: Request) -> dict[str, Any]:
    """A request's parameters, as the Bot API takes them: a query string, then a JSON body, a
    form-urlencoded one or a multipart one (nested values JSON-encoded, files as :class:`Upload`)."""
    params: dict[str, Any] = {key: rules.decode(value) for key, value in request.query_params.items()}
    if request.method != "POST":
        return params
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object")
        return {**params, **body}
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            params[key] = Upload(value.filename or key, data, value.content_type)
        else:
            params[key] = rules.decode(value)
    return params


def _caption(params: dict[str, Any]) -> tuple[str, str]:
    """(raw, visible) caption of a sendPhoto or sendDocument, checked as Telegram checks it."""
    raw = str(params.get("caption") or "")
    caption = rules.visible(raw, params.get("parse_mode"))
    if utf16_len(caption) > 1024:
        raise ApiError(400, "Bad Request: message caption is too long")
    return raw, caption


def _message_text(params: dict[str, Any]) -> tuple[str, str]:
    """(raw, visible) text of a sendMessage or editMessageText, checked as Telegram checks it."""
    raw = str(params.get("text") or "")
    text = rules.visible(raw, params.get("parse_mode"))
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return raw, text


def _message_json(sent: Sent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": sent.message_id,
        "date": int(time.time()),
        "chat": {"id": sent.chat_id, "type": "private"},
        "from": BOT,
    }
    if sent.photo:
        body["photo"] = [{"file_id": "p1", "file_unique_id": "p1", "width": 320, "height": 320}]
        body["caption"] = sent.text
    elif sent.document:
        file_id = f"d{sent.message_id}"
        body["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": sent.document.file_name,
                            "file_size": len(sent.document.data)}  # fmt: skip
        if sent.document.mime_type:
            body["document"]["mime_type"] = sent.document.mime_type
        if sent.text:
            body["caption"] = sent.text
    else:
        body["text"] = sent.text
    if sent.reply_markup:
        body["reply_markup"] = sent.reply_markup
    return body


class BackgroundBot:
    """Run a PTB Application (polling) in a background event loop for the ``with`` block."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)

    def __enter__(self) -> BackgroundBot:
        self.thread.start()
        self._run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def _start(self) -> None:
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)
        await self.app.start()

    async def _stop(self) -> None:
        assert self.app.updater is not None
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
