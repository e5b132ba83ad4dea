"""LangChain messages -> the dicts a Hugging Face chat template expects, tools included.

A model's own chat template (``tokenizer.chat_template``, also stored in GGUF files) decides
how tools, tool calls and tool results are written; this module only prepares its inputs,
the way ``transformers.apply_chat_template`` receives them:

- ``SystemMessage``/``HumanMessage``/``AIMessage``/``ToolMessage`` become
  ``{"role": "system"|"user"|"assistant"|"tool", "content": ...}``; an ``AIMessage`` with
  ``tool_calls`` carries them as ``[{"type": "function", "function": {"name", "arguments"}}]``.
- Templates that know nothing of tools (SmolLM2's, for one) get the same information as
  text: the tool schemas and the call format in the system message, calls written as
  ``<tool_call>`` blocks, results as user turns wrapped in ``<tool_response>``. The parser in
  ``tool_calls.py`` reads that format back.

Rendering itself happens in each backend (llama.cpp: Jinja with the template from the GGUF;
transformers: the tokenizer's ``apply_chat_template``), so this module imports neither.
It does not truncate histories to fit a context window; the caller keeps histories short.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from assistant.models.tool_calls import render_tool_call

FALLBACK_TOOL_PROMPT = (
    "You can call these tools. Tools (JSON schemas):\n{tools}\n"
    "To call a tool, reply with only:\n"
    '<tool_call>\n{{"name": "<tool name>", "arguments": {{...}}}}\n</tool_call>'
)


@dataclass(frozen=True)
class TemplateFeatures:
    """What a chat template renders natively."""

    tools: bool
    tool_calls: bool
    tool_role: bool

    @classmethod
    def probe(
        cls, render: Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], str]
    ) -> TemplateFeatures:
        """Render probe conversations through ``render`` and see what comes out."""
        user = {"role": "user", "content": "hi"}
        tool = {"type": "function", "function": {"name": "zz_probe_tool", "parameters": {"type": "object"}}}
        calls = [{"type": "function", "id": "c1", "function": {"name": "zz_probe_call", "arguments": {}}}]
        call = {"role": "assistant", "content": "", "tool_calls": calls}
        result = {"role": "tool", "content": "zz_probe_result", "tool_call_id": "c1", "name": "zz_probe_call"}

        def shows(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, needle: str) -> bool:
            try:
                return needle in render(messages, tools)
            except Exception:  # a template may reject what it does not support
                return False

        return cls(
            tools=shows([user], [tool], "zz_probe_tool"),
            tool_calls=shows([user, call], None, "zz_probe_call"),
            tool_role=shows([user, call, result], None, "zz_probe_result"),
        )


def message_content(message: BaseMessage) -> str:
    """A message's text (list contents keep their text parts)."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text":
            parts.append(str(part.get("text", "")))
    return "".join(parts)


def prepare_messages(
    messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] | None, features: TemplateFeatures
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(messages as template dicts, tools to pass to the template or None)."""
    rendered: list[dict[str, Any]] = []
    for message in messages:
        rendered.append(_message_dict(message, features))
    if not tools:
        return rendered, None
    if features.tools:
        return rendered, list(tools)
    schemas = "\n".join(json.dumps(tool["function"], ensure_ascii=False) for tool in tools)
    instructions = FALLBACK_TOOL_PROMPT.format(tools=schemas)
    if rendered and rendered[0]["role"] == "system":
        rendered[0] = {**rendered[0], "content": f"{rendered[0]['content']}\n\n{instructions}"}
    else:
        rendered.insert(0, {"role": "system", "content": instructions})
    return rendered, None


def _message_dict(message: BaseMessage, features: TemplateFeatures) -> dict[str, Any]:
    text = message_content(message)
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": text}
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": text}
    if isinstance(message, AIMessage):
        if not message.tool_calls:
            return {"role": "assistant", "content": text}
        if features.tool_calls:
            calls = [
                {
                    "type": "function",
                    "id": call["id"],
                    "function": {"name": call["name"], "arguments": call["args"]},
                }
                for call in message.tool_calls
            ]
            return {"role": "assistant", "content": text, "tool_calls": calls}
        written = "\n".join(render_tool_call(call["name"], call["args"]) for call in message.tool_calls)
        return {"role": "assistant", "content": f"{text}\n{written}".strip()}
    if isinstance(message, ToolMessage):
        if features.tool_role:
            return {
                "role": "tool",
                "content": text,
                "tool_call_id": message.tool_call_id,
                "name": message.name,
            }
        return {"role": "user", "content": f"<tool_response>\n{text}\n</tool_response>"}
    role = getattr(message, "role", None) or message.type
    return {"role": str(role), "content": text}
