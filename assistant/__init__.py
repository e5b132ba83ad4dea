"""shopbot's assistant: the agent a shopper or merchant talks to.

Public surface::

    from assistant import Assistant, Reply, ProductCard
    assistant = Assistant(chat_model, catalog_index, sessions_path="sessions.sqlite")
    reply = assistant.reply("web:abc", "waterproof backpack under $60")

Stream events (``ToolEvent``, ``CardsEvent``, ``TextChunk``, ``TextReplaced``, ``Done``) come
from :meth:`Assistant.stream` / :meth:`Assistant.astream`. Names are imported on first use
(PEP 562), so ``import assistant.config`` stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.reply import (
        CardsEvent,
        Done,
        Event,
        ProductCard,
        Reply,
        TextChunk,
        TextReplaced,
        ToolEvent,
    )
    from assistant.sessions import InvalidSessionError

_WHERE = {
    "Assistant": "assistant.assistant",
    "InvalidSessionError": "assistant.sessions",
    **{
        name: "assistant.reply"
        for name in (
            "CardsEvent",
            "Done",
            "Event",
            "ProductCard",
            "Reply",
            "TextChunk",
            "TextReplaced",
            "ToolEvent",
        )
    },
}

__all__ = [
    "Assistant",
    "CardsEvent",
    "Done",
    "Event",
    "InvalidSessionError",
    "ProductCard",
    "Reply",
    "TextChunk",
    "TextReplaced",
    "ToolEvent",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
