"""Tool calls of a local model: compact schemas in, parsed ``tool_calls`` out.

Three jobs, all pure functions over text and dicts (no model, no llama.cpp):

- :func:`format_tools` turns whatever ``bind_tools`` received (LangChain tools, pydantic
  models, plain functions, OpenAI dicts) into compact OpenAI-style tool dicts: no
  ``title`` keys, ``Optional[X]`` shown as ``X``, whitespace collapsed. Every token of a
  schema is re-read by a slow CPU model, so they are kept small.
- :func:`narrowed_tools` narrows what one call may write (arguments the caller knows the user
  gave no value for, product ids to those the conversation knows), while the prompt keeps
  showing the full schemas;
- :func:`tool_call_schema` gives the JSON schema of one call,
  ``{"name": <one of the tools>, "arguments": <that tool's parameters>}``, which the
  llama.cpp backend compiles into a grammar so a constrained call always parses and validates.
- :func:`parse_tool_calls` finds calls in free text: Qwen ``<tool_call>`` blocks, fenced
  JSON, a bare JSON object or list, and the double-brace ``{{"name": ...}}`` that Qwen copies
  from its own template. Anything that looks like a call but does not parse or names an
  unknown tool becomes an ``invalid_tool_call`` with the reason; it never raises.

It deliberately does not validate arguments beyond required keys and object shape (the
grammar does that for constrained calls; tools validate their own inputs).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.utils.function_calling import convert_to_openai_tool

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"

_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```(?:json|tool_call)?\s*\n?(.*?)(?:```|$)", re.DOTALL)
_SPACE = re.compile(r"\s+")


@dataclass
class ParsedReply:
    """A model reply split into prose and calls."""

    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def format_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Compact OpenAI-style ``{"type": "function", "function": {...}}`` dicts for ``tools``."""
    formatted: list[dict[str, Any]] = []
    for tool in tools:
        spec: dict[str, Any] = dict(convert_to_openai_tool(tool))
        function = dict(spec["function"])
        if function.get("description"):
            function["description"] = _SPACE.sub(" ", function["description"]).strip()
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        function["parameters"] = _compact(parameters)
        formatted.append({"type": "function", "function": function})
    names = [tool["function"]["name"] for tool in formatted]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"two bound tools share the name(s) {', '.join(duplicates)}")
    return formatted


def _compact(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    variants = schema.get("anyOf")
    if isinstance(variants, list):
        non_null = [v for v in variants if v != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(variants):
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(non_null[0])
            schema = merged
    compacted = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "description" and isinstance(value, str):
            value = _SPACE.sub(" ", value).strip()
        if key == "properties" and isinstance(value, dict):
            compacted[key] = {name: _compact(prop) for name, prop in value.items()}
        else:
            compacted[key] = _compact(value)
    return compacted


def tool_names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return [tool["function"]["name"] for tool in tools]


def resolve_tool_choice(tool_choice: Any, names: Sequence[str]) -> str | None:
    """Normalise LangChain/OpenAI ``tool_choice`` values to None (free text), "auto", "required" or a name.

    Accepts ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True``, a tool name, and the
    OpenAI dict ``{"type": "function", "function": {"name": ...}}``.
    """
    if not names or tool_choice in ("none", False):
        return None
    if tool_choice in (None, "auto"):
        return "auto"
    if tool_choice in ("any", "required", True):
        return "required"
    if isinstance(tool_choice, dict):
        tool_choice = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
    if isinstance(tool_choice, str) and tool_choice in names:
        return tool_choice
    raise ValueError(f"tool_choice {tool_choice!r} names no bound tool; bound tools: {', '.join(names)}")


def tool_call_schema(tools: Sequence[dict[str, Any]], only: str | None = None) -> dict[str, Any]:
    """JSON schema of one call to one of ``tools`` (or to the tool named ``only``).

    A tool's ``$defs`` move to the root, where its ``#/$defs/...`` references now point (two
    tools defining one name differently is an error)."""
    variants = []
    definitions: dict[str, Any] = {}
    for tool in tools:
        function = tool["function"]
        if only is not None and function["name"] != only:
            continue
        arguments = dict(function.get("parameters") or {"type": "object", "properties": {}})
        for key, definition in arguments.pop("$defs", {}).items():
            if definitions.setdefault(key, definition) != definition:
                raise ValueError(f"tools define $defs/{key} differently; rename it in {function['name']}")
        arguments.setdefault("type", "object")
        arguments.setdefault("properties", {})
        arguments["additionalProperties"] = False
        variants.append(
            {
                "type": "object",
                "properties": {"name": {"const": function["name"]}, "arguments": arguments},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    if not variants:
        raise ValueError(f"no bound tool is named {only!r}")
    schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
    return {**schema, "$defs": definitions} if definitions else schema


def narrowed_tools(
    tools: Sequence[dict[str, Any]],
    omit: Mapping[str, Sequence[str]] | None = None,
    values: Mapping[str, Sequence[str]] | None = None,
    schemas: Mapping[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """``tools`` as one call may use them: the optional arguments named in ``omit`` (tool name ->
    argument names) removed, the arguments named in ``schemas`` (argument name -> JSON schema)
    given that schema (this call's bounds: "exactly 2 variants of at most 60 characters"), and
    string arguments (or string lists) named in ``values`` (argument name -> allowed values)
    limited to those values. An argument left with no value is removed if optional; a tool
    that needs it is dropped. Leaving out a required argument by ``omit`` is an error (no call
    could be valid). The input is not changed."""
    omit, values, schemas = omit or {}, values or {}, schemas or {}
    narrowed = []
    for tool in tools:
        function = tool["function"]
        parameters = function.get("parameters") or {}
        properties = dict(parameters.get("properties", {}))
        properties |= {name: schema for name, schema in schemas.items() if name in properties}
        required = set(parameters.get("required", ()))
        dropped = set(omit.get(function["name"], ())) & set(properties)
        if dropped & required:
            raise ValueError(
                f"cannot leave out required argument(s) {sorted(dropped & required)} of {function['name']}"
            )
        usable = True
        for name in set(values) & set(properties):
            allowed = list(dict.fromkeys(values[name]))
            if not allowed:
                dropped.add(name)
                usable = usable and name not in required
                continue
            prop = properties[name]
            if prop.get("type") == "array":
                properties[name] = {**prop, "items": {**prop.get("items", {}), "enum": allowed}}
            else:
                properties[name] = {**prop, "enum": allowed}
        if not usable:
            continue
        properties = {k: v for k, v in properties.items() if k not in dropped}
        if properties == parameters.get("properties", {}):
            narrowed.append(tool)
            continue
        narrowed.append(
            {**tool, "function": {**function, "parameters": {**parameters, "properties": properties}}}
        )
    return narrowed


def parse_tool_calls(text: str, tools: Sequence[dict[str, Any]]) -> ParsedReply:
    """Split ``text`` into prose and calls to ``tools``; never raises."""
    known = {tool["function"]["name"]: tool["function"] for tool in tools}
    blocks = list(_BLOCK.finditer(text))
    if blocks:
        content = _BLOCK.sub("", text)
        return _collect([block.group(1) for block in blocks], content, known, strict=True)
    fences = [match for match in _FENCE.finditer(text) if _looks_like_call(match.group(1))]
    if fences:
        content = text
        for fence in fences:
            content = content.replace(fence.group(0), "")
        return _collect([fence.group(1) for fence in fences], content, known, strict=True)
    stripped = text.strip()
    if stripped[:1] in "{[" and _looks_like_call(stripped):
        reply = _collect([stripped], "", known, strict=False)
        if reply.tool_calls:
            return reply
    return ParsedReply(content=text.strip())


def _looks_like_call(body: str) -> bool:
    return '"name"' in body and ('"arguments"' in body or '"parameters"' in body)


def _collect(bodies: list[str], content: str, known: dict[str, Any], *, strict: bool) -> ParsedReply:
    reply = ParsedReply(content=content.strip())
    for body in bodies:
        for outcome in _parse_body(body, known):
            if isinstance(outcome, str):
                if strict:
                    reply.invalid_tool_calls.append(
                        invalid_tool_call(name=None, args=body, id=new_call_id(), error=outcome)
                    )
                continue
            name, arguments, error = outcome
            if error is None:
                reply.tool_calls.append(tool_call(name=name, args=arguments, id=new_call_id()))
            else:
                reply.invalid_tool_calls.append(
                    invalid_tool_call(
                        name=name,
                        args=json.dumps(arguments, ensure_ascii=False),
                        id=new_call_id(),
                        error=error,
                    )
                )
    if not strict and not reply.tool_calls:
        return ParsedReply(content="")
    return reply


def _parse_body(body: str, known: dict[str, Any]) -> list[str | tuple[str, dict[str, Any], str | None]]:
    """Each call in ``body`` as (name, arguments, error or None), or an error string."""
    value = _loads_lenient(body.strip())
    if value is None:
        return [f"not valid JSON: {body.strip()[:200]!r}"]
    items = value if isinstance(value, list) else [value]
    return [_check_call(item, known) for item in items]


def _loads_lenient(body: str) -> Any:
    candidates = [body]
    if body.startswith("{{") and body.endswith("}}"):
        candidates.append(body[1:-1])
        candidates.append(body.replace("{{", "{").replace("}}", "}"))
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _check_call(item: Any, known: dict[str, Any]) -> str | tuple[str, dict[str, Any], str | None]:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return "a tool call must be a JSON object with a string 'name'"
    name = item["name"]
    arguments = item.get("arguments", item.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return (name, {"_raw": arguments}, "arguments are a string that is not valid JSON")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return (name, {"_raw": arguments}, "arguments must be a JSON object")
    if name not in known:
        return (name, arguments, f"unknown tool {name!r}; known tools: {', '.join(known) or 'none'}")
    required = (known[name].get("parameters") or {}).get("required") or []
    missing = [key for key in required if key not in arguments]
    if missing:
        return (name, arguments, f"missing required argument(s): {', '.join(missing)}")
    return (name, arguments, None)


def render_tool_call(name: str, arguments: dict[str, Any]) -> str:
    """A call as the model writes it (for histories rendered by templates without tool support)."""
    payload = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"{TOOL_CALL_OPEN}\n{payload}\n{TOOL_CALL_CLOSE}"


def could_start_call(text: str) -> bool | None:
    """Whether a reply that begins with ``text`` is a tool call: True, False, or None (undecided yet)."""
    head = text.lstrip()
    if not head:
        return None
    for opener in (TOOL_CALL_OPEN, "{", "```"):
        if head.startswith(opener):
            return True
        if opener.startswith(head):
            return None
    return False
