"""What the Telegram Bot API accepts, as the fake server (:mod:`ui.telegram_fake`) checks it.

Telegram HTML (``parse_mode=HTML``): the supported tags, balanced; only ``&lt; &gt; &amp;
&quot;`` and numeric entities; anything else is "Bad Request: can't parse entities: ...".
Lengths count UTF-16 units of the visible text. Inline keyboards need a label and 1-64 bytes of
callback data (or a URL). Form values arrive as PTB sends them: scalars as strings, nested
values JSON-encoded. Deliberately not here: state (messages, updates) and HTTP.
"""

from __future__ import annotations

import json
import re
from typing import Any


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
         "tg-spoiler", "tg-emoji", "blockquote"}  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The visible text of Telegram HTML; raises :class:`ApiError` where Telegram would."""
    visible: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        offset = len(text[:position].encode("utf-8"))
        if char == "<":
            match = _TAG.match(text, position)
            if not match:
                raise _entities(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, _, _ = match.groups()
            name = name.lower()
            if closing:
                if not stack or stack[-1] != name:
                    raise _entities(f"Unexpected end tag at byte offset {offset}")
                stack.pop()
            elif name not in _TAGS:
                raise _entities(f'Unsupported start tag "{name}" at byte offset {offset}')
            else:
                stack.append(name)
            position = match.end()
        elif char == "&":
            match = _ENTITY.match(text, position)
            if not match:
                raise _entities(f"Character entity expected at byte offset {offset}")
            name = match.group(1)
            visible.append(_NAMED.get(name) or chr(int(name[2:], 16) if name[1] == "x" else int(name[1:])))
            position = match.end()
        elif char == ">":
            raise _entities(f"Unexpected end of name token at byte offset {offset}")
        else:
            visible.append(char)
            position += 1
    if stack:
        raise _entities(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)


def _entities(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def decode(value: str) -> Any:
    """PTB sends nested values JSON-encoded and scalars as plain strings."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def chat_id(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def visible(raw: str, parse_mode: Any) -> str:
    if parse_mode in (None, ""):
        return raw
    if parse_mode != "HTML":
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in the fake")
    return parse_html(raw)


def markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup["inline_keyboard"]:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not button.get("url"):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                )
    return markup
