"""Tool schemas derived from plain functions, and calling a tool with a model's arguments.

A tool is a function ``fn(ctx, arg: type = default, ...) -> dict``: its name is the schema's
name, the first paragraph of its docstring the description, the ``Args:`` section the
argument descriptions and the signature the JSON schema (through pydantic), so nothing is
written twice. :func:`call_tool` validates a model's arguments against the same schema before
calling, so a wrong type or a missing argument becomes a :class:`ToolError` the model can fix.
A small model writing under a grammar fills optional arguments with placeholders (``""``,
``0``, ``[]``, the string ``"None"``, in Chinese ``"无"``: seen with Qwen 1.5B); for a parameter whose default is
None they mean "not given" (a ``max_price`` of 0 or a brand "None" would empty every search).

Deliberately not here: what the tools do (:mod:`tools.shopping`) and the agent's error policy.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from tools.context import ToolContext
from tools.shopping import ToolError

ToolFunction = Callable[..., dict[str, Any]]
_ARG_LINE = re.compile(r"^\s+(\w+):\s*(.+)$")
_PLACEHOLDERS: tuple[object, ...] = ("", 0, [], "None", "none", "null", "any", "Any", "N/A", "n/a", "无", "不限", "任意")  # fmt: skip


@cache
def args_model(tool: ToolFunction) -> type[BaseModel]:
    """A pydantic model of ``tool``'s arguments (every parameter after ``ctx``)."""
    hints = get_type_hints(tool)
    descriptions = _arg_descriptions(tool.__doc__ or "")
    fields: dict[str, Any] = {}
    for name, parameter in list(inspect.signature(tool).parameters.items())[1:]:
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (hints[name], Field(default, description=descriptions.get(name)))
    return create_model(tool.__name__, __config__=ConfigDict(extra="forbid"), **fields)


def description(tool: ToolFunction) -> str:
    """The first paragraph of the docstring, on one line."""
    first = (tool.__doc__ or tool.__name__).strip().split("\n\n")[0]
    return " ".join(first.split())


def schema(tool: ToolFunction) -> dict[str, Any]:
    """The OpenAI-style function schema every LangChain chat model's ``bind_tools`` accepts."""
    parameters = args_model(tool).model_json_schema()
    parameters.pop("title", None)
    for spec in parameters.get("properties", {}).values():
        spec.pop("title", None)
        spec.pop("default", None)
        _collapse_optional(spec)
    return {
        "type": "function",
        "function": {"name": tool.__name__, "description": description(tool), "parameters": parameters},
    }


def schemas(tools: Sequence[ToolFunction]) -> list[dict[str, Any]]:
    return [schema(tool) for tool in tools]


def call_tool(
    tools: Sequence[ToolFunction], name: str, args: dict[str, Any], ctx: ToolContext
) -> dict[str, Any]:
    """Validate ``args`` and call the tool ``name``; a fixable mistake raises :class:`ToolError`."""
    by_name = {tool.__name__: tool for tool in tools}
    if name not in by_name:
        raise ToolError(f"there is no tool {name!r}; available: {', '.join(by_name)}")
    tool = by_name[name]
    optional = {key for key, p in inspect.signature(tool).parameters.items() if p.default is None}
    given = {
        key: value
        for key, value in (args or {}).items()
        if not (key in optional and not isinstance(value, bool) and value in _PLACEHOLDERS)
    }
    try:
        validated = args_model(tool).model_validate(given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}"
            for item in error.errors()
        )
        raise ToolError(f"bad arguments for {name}: {problems}") from None
    return tool(ctx, **{key: getattr(validated, key) for key in type(validated).model_fields})


def _arg_descriptions(doc: str) -> dict[str, str]:
    found: dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        if line.strip() == "Args:":
            in_args = True
            continue
        if in_args:
            match = _ARG_LINE.match(line)
            if match:
                found[match.group(1)] = match.group(2).strip()
            elif line.strip():
                break
    return found


def _collapse_optional(spec: dict[str, Any]) -> None:
    """``anyOf: [{type: X}, {type: null}]`` -> ``type: X`` (optional is said by "required")."""
    options = spec.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        spec.pop("anyOf")
        spec.update(next(option for option in options if option != {"type": "null"}))
