"""One forced tool call: how the text-writing tools get structured output from the chat model.

Review summaries, description summaries and promo copy each describe what they want as one
tool schema (lengths and counts capped, so a grammar-constrained local model cannot write
anything else) and force the model to call it. :func:`forced_list` makes that call and returns
the list argument the tool carries, or raises ``ValueError`` naming what was missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage


def forced_list(
    model: BaseChatModel, tool: dict[str, Any], messages: Sequence[BaseMessage], field: str
) -> list[Any]:
    """Call ``model`` with ``tool`` forced; the non-empty list in its ``field`` argument."""
    name = tool["function"]["name"]
    reply = model.bind_tools([tool], tool_choice=name).invoke(list(messages))
    calls = [call for call in getattr(reply, "tool_calls", []) if call["name"] == name]
    value = calls[0]["args"].get(field) if calls else None
    if not isinstance(value, list) or not value:
        raise ValueError(f"the model did not call {name} with {field}: {str(reply.content)[:200]!r}")
    return value
