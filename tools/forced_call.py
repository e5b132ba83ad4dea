"""One forced tool call: how the text-writing tools get structured output from the chat model.

Review summaries, description summaries and promo copy each describe what they want as one
tool schema (lengths and counts capped, so a grammar-constrained local model cannot write
anything else) and force the model to call it. :func:`forced_list` makes that call and returns
the list argument the tool carries, or raises ``ValueError`` naming what was missing.

Bounds that change from call to call ("2 variants of at most 60 characters") can be passed
apart from the tool: a model that narrows its calls (``narrows_tool_calls``, a grammar) gets
them for the grammar alone, so the prompt, and the prefix a server read ahead of time, stays
the same; any other model sees them in the tool's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage


def forced_list(
    model: BaseChatModel,
    tool: dict[str, Any],
    messages: Sequence[BaseMessage],
    field: str,
    bounds: dict[str, dict[str, Any]] | None = None,
) -> list[Any]:
    """Call ``model`` with ``tool`` forced; the non-empty list in its ``field`` argument.
    ``bounds`` (argument name -> JSON schema) replace those arguments' schemas for this call."""
    name = tool["function"]["name"]
    if bounds and getattr(model, "narrows_tool_calls", False):
        bound = model.bind_tools([tool], tool_choice=name).bind(argument_schemas=bounds)
    else:
        bound = model.bind_tools([_with_bounds(tool, bounds or {})], tool_choice=name)
    reply = bound.invoke(list(messages))
    calls = [call for call in getattr(reply, "tool_calls", []) if call["name"] == name]
    value = calls[0]["args"].get(field) if calls else None
    if not isinstance(value, list) or not value:
        raise ValueError(f"the model did not call {name} with {field}: {str(reply.content)[:200]!r}")
    return value


def _with_bounds(tool: dict[str, Any], bounds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    function = tool["function"]
    parameters = function["parameters"]
    properties = {**parameters["properties"], **bounds}
    return {**tool, "function": {**function, "parameters": {**parameters, "properties": properties}}}
