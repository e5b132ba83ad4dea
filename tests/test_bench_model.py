"""The routing set, its scoring, and the `shopbot bench model` harness (scripted and real model)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from assistant.models.bench import ModelBench, RawSpeed, evenly_spaced, measure_speed, run_routing
from assistant.models.bench_report import render
from assistant.models.errors import GenerationTimeoutError
from assistant.models.routing import (
    RoutingCase,
    RoutingSetError,
    RoutingTally,
    load_routing_set,
    score,
)
from assistant.prompts import system_prompt
from assistant.testing import ScriptedCall, ScriptedChatModel
from tools.shopping import tools_for
from ui.cli import main

TOOLS = tools_for("merchant")
TOOL_NAMES = [tool.__name__ for tool in TOOLS]


def call(name: str, **args: object) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": "c1"}])


# ---- the bundled routing set


def test_bundled_set_covers_both_languages_and_every_tool() -> None:
    cases = load_routing_set(tool_names=TOOL_NAMES)
    assert len(cases) >= 40
    by_lang = {lang: [c for c in cases if c.lang == lang] for lang in ("en", "zh")}
    assert len(by_lang["en"]) >= 20 and len(by_lang["zh"]) >= 20
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.request) for c in by_lang["zh"])
    assert {c.expected_tool for c in cases} == set(TOOL_NAMES)


def test_bundled_expected_arguments_fit_the_tools() -> None:
    by_name = {tool.__name__: tool for tool in TOOLS}
    for case in load_routing_set(tool_names=TOOL_NAMES):
        parameters = set(inspect.signature(by_name[case.expected_tool]).parameters) - {"ctx"}
        assert set(case.expected_args) <= parameters, case.id
        # a call with exactly the expected arguments (plus required ones) scores as right
        required = {
            name: "x"
            for name, p in inspect.signature(by_name[case.expected_tool]).parameters.items()
            if name != "ctx" and p.default is inspect.Parameter.empty and name not in case.expected_args
        }
        outcome = score(case, call(case.expected_tool, **case.expected_args, **required), TOOLS)
        assert outcome.valid and outcome.right_tool and outcome.args_match in (True, None), case.id


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"bad\.jsonl:2: not valid JSON"),
        ('["a list"]', r"bad\.jsonl:2: expected a JSON object"),
        ('{"id": "x", "lang": "en", "request": "hi"}', r"bad\.jsonl:2: field 'expected_tool': missing"),
        ('{"id": "x", "lang": "fr", "request": "hi", "expected_tool": "get_product"}', r"field 'lang': 'fr'"),
        (
            '{"id": "x", "lang": "en", "request": "hi", "expected_tool": "buy_now"}',
            r"field 'expected_tool': 'buy_now' is not one",
        ),
        (
            '{"id": "a", "lang": "en", "request": "hi", "expected_tool": "get_product"}',
            r"field 'id': duplicate id 'a'",
        ),
        (
            '{"id": "x", "lang": "en", "request": "hi", "expected_tool": "get_product", "expected_args": [1]}',
            "field 'expected_args'",
        ),
        (
            '{"id": "x", "lang": "en", "request": "hi", "expected_tool": "get_product", "tool": 1}',
            r"unknown field\(s\) tool",
        ),
    ],
)
def test_malformed_routing_sets_name_file_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    first = {"id": "a", "lang": "en", "request": "hi", "expected_tool": "get_product"}
    path.write_text(json.dumps(first) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(RoutingSetError, match=message):
        load_routing_set(path, TOOL_NAMES)


# ---- scoring

CASE = RoutingCase("t", "en", "compare MH01 and MH02", "compare_products", {"product_ids": ["MH01", "MH02"]})


def test_score_right_call_with_arguments_in_any_order_and_case() -> None:
    outcome = score(CASE, call("compare_products", product_ids=["mh02", "MH01"]), TOOLS)
    assert (outcome.valid, outcome.right_tool, outcome.args_match) == (True, True, True)


def test_score_wrong_tool_wrong_args_and_no_call() -> None:
    wrong = score(CASE, call("get_product", product_id="MH01"), TOOLS)
    assert (wrong.valid, wrong.right_tool, wrong.args_match) == (True, False, False)
    partial = score(CASE, call("compare_products", product_ids=["MH01"]), TOOLS)
    assert (partial.right_tool, partial.args_match) == (True, False)
    text = score(CASE, AIMessage("Which products?"), TOOLS)
    assert (text.attempted, text.valid, text.right_tool, text.problem) == (
        False,
        False,
        False,
        "no tool call",
    )


def test_score_invalid_calls() -> None:
    bad_type = score(CASE, call("compare_products", product_ids="MH01,MH02"), TOOLS)
    assert bad_type.attempted and not bad_type.valid and "product_ids" in bad_type.problem
    unknown_arg = score(CASE, call("compare_products", product_ids=["MH01", "MH02"], sort="price"), TOOLS)
    assert not unknown_arg.valid and "sort" in unknown_arg.problem
    unknown_tool = score(CASE, call("checkout"), TOOLS)
    assert not unknown_tool.valid and unknown_tool.problem == "unknown tool 'checkout'"
    garbled = AIMessage(
        "", invalid_tool_calls=[{"name": "compare_products", "args": "{oops", "id": "1", "error": "x"}]
    )
    unparsed = score(CASE, garbled, TOOLS)
    assert unparsed.attempted and not unparsed.valid and unparsed.problem.startswith("unparseable call")


def test_numbers_compare_numerically() -> None:
    case = RoutingCase("p", "en", "under 60", "search_products", {"max_price": 60})
    assert score(case, call("search_products", query="hoodie", max_price=60.0), TOOLS).args_match
    assert not score(case, call("search_products", query="hoodie", max_price=70), TOOLS).args_match


def test_evenly_spaced_subset_spans_the_set() -> None:
    cases = load_routing_set(tool_names=TOOL_NAMES)
    subset = evenly_spaced(cases, 8)
    assert len(subset) == 8 and len({c.expected_tool for c in subset}) >= 6
    assert evenly_spaced(cases, None) == cases


# ---- the harness, driven by the scripted model


def oracle(wrong_ids: set[str]) -> ScriptedChatModel:
    """Answers each routing request with its expected call (or a wrong tool for ``wrong_ids``)."""
    cases = {case.request: case for case in load_routing_set(tool_names=TOOL_NAMES)}
    parameters = {tool.__name__: inspect.signature(tool).parameters for tool in TOOLS}

    def answer(messages: list[BaseMessage], scripted: ScriptedCall) -> AIMessage | str:
        case = cases.get(str(messages[-1].content))
        if case is None:  # the speed probes: short text
            return "Sure, here is a long answer about jackets."
        if case.id in wrong_ids:
            return call("get_product", product_id="MH01")
        args = dict(case.expected_args)
        for name, parameter in parameters[case.expected_tool].items():
            if name != "ctx" and parameter.default is inspect.Parameter.empty and name not in args:
                args[name] = case.request
        return call(case.expected_tool, **args)

    return ScriptedChatModel(function=answer)


def test_routing_harness_scores_every_case_and_reports_misses() -> None:
    model = oracle(wrong_ids={"en-search-1", "zh-summary-2"})
    cases = load_routing_set(tool_names=TOOL_NAMES)
    outcomes = run_routing(model, cases, TOOLS, max_tokens=64, progress=False)
    tally = RoutingTally.of(outcomes)
    assert (tally.cases, tally.valid, tally.right_tool) == (len(cases), len(cases), len(cases) - 2)
    first = model.calls[0]
    assert first.messages[0].type == "system" and "ShopBot" in str(first.messages[0].content)
    assert sorted(first.tool_names) == sorted(TOOL_NAMES)
    assert first.kwargs["max_tokens"] == 64 and first.tool_choice == "required"
    zh = next(c for c in model.calls if c.messages[-1].content == "帮我找一下100美元以内的男士夹克。")
    assert zh.messages[0].content == system_prompt("zh") != system_prompt("en")

    wrapper, no_raw = measure_speed(model, TOOLS, load_s=0.5, decode_tokens=16)
    assert no_raw is None
    assert wrapper.prompt_tokens > 0 and wrapper.ttft_cold_s is not None and wrapper.rss_mib is None
    raw = RawSpeed(
        load_s=0.4,
        prompt_tokens=wrapper.prompt_tokens,
        ttft_s=1.0,
        prompt_tps=50.0,
        decode_tokens=16,
        decode_tps=10.0,
    )
    bench = ModelBench("scripted", "scripted", "test machine", wrapper, raw, outcomes=outcomes, routing_s=3.0)
    report = render(bench, "shopbot bench model", "today")
    assert f"| all | {len(cases)} | {len(cases)} | {len(cases)}/{len(cases)} (100%) |" in report
    assert "right tool >= 95%: met" in report  # 50/52 = 96%
    assert (
        "| en-search-1 | Show me men's hoodies under $60. | search_products {'max_price': 60} | get_product product_id='MH01' | wrong tool |"
        in report
    )
    assert "| zh-summary-2 |" in report


def test_a_timeout_counts_against_its_case_and_the_run_goes_on() -> None:
    cases = load_routing_set(tool_names=TOOL_NAMES)[:2]
    model = ScriptedChatModel().enqueue_error(GenerationTimeoutError("passed its 1 s deadline"))
    model.enqueue(call("search_products", query="running shorts"))
    outcomes = run_routing(model, cases, TOOLS, max_tokens=32, progress=False)
    assert outcomes[0].problem == "GenerationTimeoutError: passed its 1 s deadline"
    assert outcomes[0].args_match is False and outcomes[1].right_tool
    model.assert_complete()


# ---- the command on the real small model


@pytest.mark.real_model
def test_bench_command_on_the_small_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.md"
    argv = ["bench", "model", "--model", "smollm2-135m-instruct", "--limit", "2", "--threads", "1"]
    argv += ["--decode-tokens", "8", "--max-tokens", "24", "--out", str(out)]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    report = out.read_text(encoding="utf-8")
    assert report == capsys.readouterr().out
    assert "Model `smollm2-135m-instruct`, backend llama.cpp" in report
    assert "raw `llama_cpp.Llama`, same file" in report
    decode_row = next(line for line in report.splitlines() if line.startswith("| decode (8 / 8 tokens)"))
    assert decode_row.count("tokens/s") == 2 and "of raw:" in decode_row
    json_row = next(line for line in report.splitlines() if line.startswith("| decode of a JSON tool call"))
    assert json_row.count("tokens/s") == 2
    assert "| all | 2 |" in report
    assert "--limit 2" in report.splitlines()[2]


def test_report_without_any_tool_call_does_not_claim_validity() -> None:
    cases = load_routing_set(tool_names=TOOL_NAMES)[:3]
    model = ScriptedChatModel(function=lambda messages, scripted: "I can help with that.")
    outcomes = run_routing(model, cases, TOOLS, max_tokens=16, tool_choice="auto", progress=False)
    assert model.last_call.tool_choice == "auto"
    wrapper, _ = measure_speed(model, TOOLS, load_s=0.1, decode_tokens=8)
    bench = ModelBench("m", "scripted", "box", wrapper, outcomes=outcomes, tool_choice="auto", tools_bound=8)
    report = render(bench, "cmd", "now")
    assert "## Tool routing: 3 requests of the routing set, 8 tools bound, tool_choice auto" in report
    assert "JSON valid 100%: not measured (no tool calls); right tool >= 95%: MISSED" in report
    assert "| all | 3 | 0 | - | 0/3 (0%) |" in report
    assert ">= 90% of raw: not measured" in report
