"""The routing set (requests labelled with the tool to call) and the scoring of a model's replies.

A case is one user request with the tool the assistant should call first and, optionally,
argument values the call must carry. A reply is scored on three things:

- **valid**: the model's first tool call parsed and its arguments validate against the tool's
  schema (the same pydantic model :func:`tools.registry.call_tool` checks); a call that did
  not parse (``invalid_tool_calls``) or names no known tool is invalid;
- **right tool**: its first call names the expected tool (a reply without a call is wrong);
- **arguments**: the expected values are there (ids compared case-insensitively, id lists as
  sets, numbers numerically); only cases that list ``expected_args`` count.

The tools are the assistant's own (``tools.shopping``), so the set measures what the agent
offers the model. This module neither runs a model nor times anything (``bench.py`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage
from pydantic import ValidationError

from index.readers import jsonl_objects
from tools.registry import ToolFunction, args_model

LANGS = ("en", "zh")


class RoutingSetError(ValueError):
    """A routing-set file is malformed; the message names file, line and field."""


@dataclass(frozen=True)
class RoutingCase:
    id: str
    lang: str
    request: str
    expected_tool: str
    expected_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingOutcome:
    case: RoutingCase
    called: str | None  # name of the first tool call, None when the reply had none
    args: dict[str, Any] | None
    attempted: bool  # the reply tried to call a tool (parsed or not)
    valid: bool
    right_tool: bool
    args_match: bool | None  # None when the case lists no expected arguments
    problem: str = ""  # why the call was invalid, for the report
    ttft_s: float | None = None
    seconds: float = 0.0


def default_routing_set() -> Path:
    return Path(str(resources.files("assistant") / "eval_data" / "routing_set.jsonl"))


def load_routing_set(path: Path | None = None, tool_names: Iterable[str] | None = None) -> list[RoutingCase]:
    """Cases of a JSONL routing set; with ``tool_names``, every expected tool must be among them."""
    path = path or default_routing_set()
    known = set(tool_names) if tool_names is not None else None
    cases: list[RoutingCase] = []
    seen: set[str] = set()
    for number, row in jsonl_objects(path, RoutingSetError):
        where = f"{path}:{number}"
        case = _case(row, where, known)
        if case.id in seen:
            raise RoutingSetError(f"{where}: field 'id': duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise RoutingSetError(f"{path}: no cases")
    return cases


def _case(row: dict[str, Any], where: str, known: set[str] | None) -> RoutingCase:
    for name in ("id", "lang", "request", "expected_tool"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            raise RoutingSetError(f"{where}: field {name!r}: missing or not a non-empty string")
    if row["lang"] not in LANGS:
        raise RoutingSetError(f"{where}: field 'lang': {row['lang']!r} is not one of {', '.join(LANGS)}")
    if known is not None and row["expected_tool"] not in known:
        raise RoutingSetError(
            f"{where}: field 'expected_tool': {row['expected_tool']!r} is not one of the tools "
            f"({', '.join(sorted(known))})"
        )
    expected_args = row.get("expected_args", {})
    if not isinstance(expected_args, dict):
        raise RoutingSetError(f"{where}: field 'expected_args': expected a JSON object")
    unknown = set(row) - {"id", "lang", "request", "expected_tool", "expected_args"}
    if unknown:
        raise RoutingSetError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return RoutingCase(row["id"], row["lang"], row["request"], row["expected_tool"], expected_args)


def score(
    case: RoutingCase,
    reply: AIMessage,
    tools: Sequence[ToolFunction],
    *,
    ttft_s: float | None = None,
    seconds: float = 0.0,
) -> RoutingOutcome:
    """How ``reply`` to ``case.request`` did (see the module docstring)."""
    by_name = {tool.__name__: tool for tool in tools}
    if not reply.tool_calls:
        bad = reply.invalid_tool_calls[0] if reply.invalid_tool_calls else None
        problem = f"unparseable call: {str(bad.get('args'))[:80]!r}" if bad else "no tool call"
        return RoutingOutcome(
            case,
            bad.get("name") if bad else None,
            None,
            bool(bad),
            False,
            False,
            None,
            problem,
            ttft_s,
            seconds,
        )
    call = reply.tool_calls[0]
    name, args = call["name"], dict(call["args"])
    problem = ""
    if name not in by_name:
        problem = f"unknown tool {name!r}"
    else:
        try:
            args_model(by_name[name]).model_validate(args)
        except ValidationError as error:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    right = name == case.expected_tool
    matched = _args_match(case.expected_args, args) if case.expected_args and right else None
    if case.expected_args and not right:
        matched = False
    return RoutingOutcome(case, name, args, True, not problem, right, matched, problem, ttft_s, seconds)


def _args_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(_same(value, actual.get(key)) for key, value in expected.items())


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return isinstance(actual, list) and {_norm(v) for v in expected} == {_norm(v) for v in actual}
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return actual is not None and abs(float(actual) - float(expected)) < 1e-6
        except (TypeError, ValueError):
            return False
    return _norm(expected) == _norm(actual)


def _norm(value: Any) -> str:
    return str(value).strip().casefold()


@dataclass(frozen=True)
class RoutingTally:
    """Counts over a group of outcomes (one language, or all)."""

    cases: int
    attempted: int
    valid: int
    right_tool: int
    args_cases: int
    args_match: int

    @classmethod
    def of(cls, outcomes: Sequence[RoutingOutcome]) -> RoutingTally:
        with_args = [o for o in outcomes if o.args_match is not None]
        return cls(
            cases=len(outcomes),
            attempted=sum(o.attempted for o in outcomes),
            valid=sum(o.valid for o in outcomes),
            right_tool=sum(o.right_tool for o in outcomes),
            args_cases=len(with_args),
            args_match=sum(bool(o.args_match) for o in with_args),
        )

    @property
    def valid_rate(self) -> float:
        """Share of attempted calls that parsed and validated."""
        return self.valid / self.attempted if self.attempted else 0.0

    @property
    def right_rate(self) -> float:
        return self.right_tool / self.cases if self.cases else 0.0
