"""Markdown report of a :class:`~assistant.models.bench.ModelBench`, with the targets checked.

The same text is printed by ``shopbot bench model`` and written to ``docs/results/`` (atomically),
so the README can include the tables as they are. It formats numbers; it measures nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from assistant.models.bench import ModelBench
from assistant.models.routing import RoutingOutcome, RoutingTally

TARGET_DECODE_RATIO = 0.90  # wrapper decode speed at least 90% of raw llama.cpp
TARGET_TTFT_CACHED_S = 0.7
TARGET_VALID = 1.0
TARGET_RIGHT_TOOL = 0.95


def render(bench: ModelBench, command: str, when: str) -> str:
    lines = [
        "# Chat model benchmark",
        "",
        f"`{command}` on {when}; {bench.machine}. Model `{bench.model}`, backend {bench.backend}.",
        _load_line(bench),
        "",
        *_speed(bench),
    ]
    if bench.outcomes:
        lines += ["", *_routing(bench)]
    return "\n".join(lines) + "\n"


def _load_line(bench: ModelBench) -> str:
    start, end = bench.load_averages
    if start is None or end is None:
        return ""
    return (
        f"Load average (1 min) {start:.1f} at the start and {end:.1f} at the end: other work on the "
        "machine above the benchmark's own threads slows every number below."
    )


def _speed(bench: ModelBench) -> list[str]:
    w, raw = bench.wrapper, bench.raw
    raw_head = "raw `llama_cpp.Llama`, same file" if raw else "raw llama.cpp"
    rows = [
        "## Speed: the chat model as the assistant uses it, and raw llama.cpp in the same run",
        "",
        f"| | chat model ({bench.backend}) | {raw_head} | target |",
        "|---|---:|---:|---|",
        f"| load time | {_s(w.load_s)} | {_s(raw.load_s) if raw else '-'} | |",
        f"| resident memory (RSS, after load and use) | {_mib(w.rss_mib)} | - | |",
        f"| prompt: system prompt + tool schemas + short message | {w.prompt_tokens} tokens | "
        f"{raw.prompt_tokens if raw else '-'} tokens | |",
        f"| time to first token, cold (whole prompt read) | {_s(w.ttft_cold_s)} | {_s(raw.ttft_s) if raw else '-'} | |",
        f"| time to first token, cached prefix{_reused(bench)} | {_s(w.ttft_cached_s)} | - | "
        f"< {TARGET_TTFT_CACHED_S} s: {_verdict(w.ttft_cached_s, lambda v: v < TARGET_TTFT_CACHED_S)} |",
        f"| prompt processing | {_tps(w.prompt_tps)} | {_tps(raw.prompt_tps) if raw else '-'} | |",
        f"| decode ({w.decode_tokens} / {raw.decode_tokens if raw else '-'} tokens) | {_tps(w.decode_tps)} | "
        f"{_tps(raw.decode_tps) if raw else '-'} | {_decode_target(bench)} |",
        f"| decode of a JSON tool call ({w.json_decode_tokens} tokens; raw: grammar in llama.cpp's sampler chain) | "
        f"{_tps(w.json_decode_tps)} | {_tps(raw.json_decode_tps) if raw else '-'} | |",
    ]
    if bench.raw_note:
        rows += ["", bench.raw_note]
    return rows


def _reused(bench: ModelBench) -> str:
    w = bench.wrapper
    return f" ({w.cached_tokens} of {w.prompt_tokens} tokens reused)" if w.cached_tokens else ""


def _decode_target(bench: ModelBench) -> str:
    if bench.raw is None or bench.wrapper.decode_tps is None:
        return f">= {TARGET_DECODE_RATIO:.0%} of raw: not measured"
    ratio = bench.wrapper.decode_tps / bench.raw.decode_tps
    met = "met" if ratio >= TARGET_DECODE_RATIO else "MISSED"
    return f">= {TARGET_DECODE_RATIO:.0%} of raw: {ratio:.0%}, {met}"


def _routing(bench: ModelBench) -> list[str]:
    outcomes = bench.outcomes
    groups = [("English", [o for o in outcomes if o.case.lang == "en"])]
    groups += [("Chinese", [o for o in outcomes if o.case.lang == "zh"]), ("all", outcomes)]
    total = RoutingTally.of(outcomes)
    ttfts = sorted(o.ttft_s for o in outcomes if o.ttft_s is not None)
    per_request = sum(o.seconds for o in outcomes) / len(outcomes)
    rows = [
        f"## Tool routing: {len(outcomes)} requests of the routing set, {bench.tools_bound} tools bound, "
        f"tool_choice {bench.tool_choice}",
        "",
        "| requests | n | made a tool call | JSON valid (of calls) | right tool | arguments right |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, group in groups:
        tally = RoutingTally.of(group)
        rows.append(
            f"| {name} | {tally.cases} | {tally.attempted} | {_frac(tally.valid, tally.attempted)} | "
            f"{_frac(tally.right_tool, tally.cases)} | {_frac(tally.args_match, tally.args_cases)} |"
        )
    rows += [
        "",
        f"Targets: JSON valid {TARGET_VALID:.0%}: {_valid_verdict(total)}; "
        f"right tool >= {TARGET_RIGHT_TOOL:.0%}: {'met' if total.right_rate >= TARGET_RIGHT_TOOL else 'MISSED'}. "
        f"Per request: {per_request:.1f} s on average, time to first token median "
        f"{_s(ttfts[len(ttfts) // 2] if ttfts else None)}; {bench.routing_s:.0f} s in all.",
    ]
    misses = [o for o in outcomes if not (o.valid and o.right_tool and o.args_match is not False)]
    if misses:
        rows += ["", "| id | request | expected | got | problem |", "|---|---|---|---|---|"]
        rows += [_miss(o) for o in misses]
    return rows


def _valid_verdict(total: RoutingTally) -> str:
    if not total.attempted:
        return "not measured (no tool calls)"
    return "met" if total.valid_rate >= TARGET_VALID else "MISSED"


def _miss(outcome: RoutingOutcome) -> str:
    got = outcome.called or "(no call)"
    if outcome.args is not None:
        got += " " + ", ".join(f"{k}={v!r}" for k, v in outcome.args.items())
    problem = outcome.problem or ("wrong tool" if not outcome.right_tool else "arguments differ")
    expected = outcome.case.expected_tool + (
        f" {outcome.case.expected_args}" if outcome.case.expected_args else ""
    )
    return f"| {outcome.case.id} | {_cell(outcome.case.request)} | {_cell(expected)} | {_cell(got)} | {_cell(problem)} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:120]


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _tps(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} tokens/s"


def _mib(value: float | None) -> str:
    return "- (on the server)" if value is None else f"{value:,.0f} MiB"


def _frac(part: int, whole: int) -> str:
    return "-" if not whole else f"{part}/{whole} ({part / whole:.0%})"


def _verdict(value: float | None, ok: Callable[[float], bool]) -> str:
    if value is None:
        return "not measured"
    return "met" if ok(value) else "MISSED"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
