"""One Telegram reply that grows as the assistant writes it: send once, then edit at a safe rate.

Telegram allows about one message per second per chat, and edits count. A
:class:`StreamedReply` sends the first text as a new message, then edits it at most every
``interval`` seconds with everything written so far (chunks in between are folded into the
next edit). A 429 on an edit postpones the next edit by its ``retry_after``; "message is not
modified" is ignored. :meth:`finish` always delivers the whole reply: the first 4,096
characters in the streamed message, the rest as further messages (split by
:func:`ui.telegram_render.split_text`, each part escaped on its own), retrying after 429s.
Deliberately not here: the typing action and cards (the bot sends those).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from ui.telegram_render import escape, split_text

log = logging.getLogger("ui.telegram")
FINAL_ATTEMPTS = 5
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class StreamedReply:
    def __init__(
        self, bot: Bot, chat_id: int, *, interval: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.interval = interval
        self.clock = clock
        self.message_id: int | None = None
        self.shown = ""  # the text the streamed message shows now
        self.message_ids: list[int] = []  # every message of this reply, in order
        self._next_edit = 0.0

    @property
    def started(self) -> bool:
        return self.message_id is not None

    async def update(self, text: str) -> None:
        """The reply so far; shown now if the rate allows, else folded into a later edit."""
        if self.clock() < self._next_edit or not text.strip():
            return
        part = split_text(text)[0]
        if part == self.shown:
            return
        try:
            await self._show(part)
        except RetryAfter as error:
            self._next_edit = self.clock() + _seconds(error)
            log.info("chat %s: edits paused %.1fs (429)", self.chat_id, _seconds(error))
            return
        self._next_edit = self.clock() + self.interval

    async def finish(self, text: str) -> None:
        """Deliver the whole reply, whatever the rate limits did to the updates before."""
        parts = split_text(text) or ["…"]
        if parts[0] != self.shown:
            await _persist(lambda: self._show(parts[0]))
        for part in parts[1:]:
            message = await _persist(functools.partial(self._send, part))
            self.message_ids.append(message.message_id)

    async def _show(self, part: str) -> None:
        if self.message_id is None:
            message = await self._send(part)
            self.message_id = message.message_id
            self.message_ids.append(message.message_id)
        else:
            try:
                await self.bot.edit_message_text(
                    escape(part),
                    chat_id=self.chat_id,
                    message_id=self.message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=_NO_PREVIEW,
                )
            except BadRequest as error:
                if "not modified" not in error.message:
                    raise
        self.shown = part

    async def _send(self, part: str) -> Any:
        return await self.bot.send_message(
            self.chat_id, escape(part), parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
        )


async def _persist(call: Callable[[], Awaitable[Any]]) -> Any:
    """``call()``, waiting out 429s (beyond the rate limiter's own retries)."""
    for attempt in range(FINAL_ATTEMPTS):
        try:
            return await call()
        except RetryAfter as error:
            if attempt == FINAL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(_seconds(error))
    raise AssertionError("unreachable")  # pragma: no cover


def _seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (an int in PTB 22, a timedelta from PTB 23 or with PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
