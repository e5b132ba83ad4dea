"""`shopbot eval assistant` machinery: sets load, metrics are computed and can fail."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage, ToolMessage

from assistant import Assistant
from assistant.evaluation import (
    Turn,
    conversations,
    evaluate,
    named_turns,
    routing_turns,
    run_turns,
    slowest_turns,
    summarize,
    table,
    webshop_turns,
)
from assistant.testing import ScriptedChatModel


def test_sets_load(shared_data):
    convs = conversations()
    assert len(convs) >= 8 and all(turns for turns in convs)
    assert {turn.lang for turns in convs for turn in turns} == {"en", "zh"}
    routing = routing_turns()
    assert len(routing) >= 40
    webshop = webshop_turns(shared_data / "eval" / "agent" / "webshop_requests_dev.jsonl", 5)
    assert len(webshop) == 5 and all(turns[0].tool == "search_products" for turns in webshop)
    assert webshop == webshop_turns(
        shared_data / "eval" / "agent" / "webshop_requests_dev.jsonl", 5
    )  # seeded


def _search_then_answer(messages, call):
    if isinstance(messages[-1], ToolMessage):
        return "Here you go."
    return AIMessage("", tool_calls=[{"name": "search_products", "args": {"query": "bag"}, "id": "c1"}])


def test_conversations_through_the_rules_and_a_scripted_model(demo_index):
    model = ScriptedChatModel(function=_search_then_answer)
    outcomes = run_turns(Assistant(model, demo_index), conversations())
    metrics = summarize(outcomes)
    assert metrics["turns"] == sum(len(turns) for turns in conversations())
    assert metrics["no_error"] == 100 and metrics["grounded"] == 100 and metrics["language"] == 100
    assert metrics["right_tool"] >= 90
    assert 0 < metrics["by_model"] < 50
    slowest = metrics["slowest"]
    assert len(slowest) == 3 and slowest[0].seconds >= slowest[1].seconds >= slowest[2].seconds
    assert max(o.seconds for o in outcomes) == slowest[0].seconds and slowest[0].text


def test_metrics_catch_a_wrong_tool(demo_index):
    def wrong_tool(messages, call):
        if isinstance(messages[-1], ToolMessage):
            return "Sure, here is something."
        return AIMessage("", tool_calls=[{"name": "get_product", "args": {"product_id": "MH01"}, "id": "c1"}])

    model = ScriptedChatModel(function=wrong_tool, narrows_tool_calls=False)  # MH01 was never shown
    turns = [[Turn("eval:x", "夏天跑步穿什么好？", "zh", tool="search_products")]]
    metrics = summarize(run_turns(Assistant(model, demo_index), turns))
    assert metrics["right_tool"] == 0
    assert metrics["by_model"] == 100
    assert metrics["language"] == 100  # the English reply was repaired, in Chinese


def test_baseline_rows_use_the_same_turns(demo_index):
    model = ScriptedChatModel(function=_search_then_answer)
    rows = list(
        evaluate(
            lambda fast: Assistant(model, demo_index, fast_paths=fast),
            {"routing": routing_turns()},
            baseline_turns=3,
        )
    )
    assert [config for _, config, _ in rows] == [
        "shipped: rules, then model",
        "shipped, first 3 turns",
        "baseline: model only, first 3 turns",
    ]
    assert rows[2][2]["by_model"] == 100 and rows[1][2]["turns"] == rows[2][2]["turns"] == 3
    markdown = table(rows)
    assert markdown.count("\n") == 4 and "| routing | baseline: model only, first 3 turns | 3 |" in markdown
    listed = slowest_turns(rows)
    # shipped row only; a text is quoted as repr quotes it ("women's jacket" takes double quotes)
    assert listed.count("\n- routing: ") == 1 and len(re.findall(r"\d s ['\"]", listed)) == 3


def test_named_set_asks_about_catalog_products_by_title(demo_index):
    turns = named_turns(demo_index, 10)
    assert turns == named_turns(demo_index, 10)  # seeded
    assert len(turns) == 10 and all(len(conversation) == 1 for conversation in turns)
    titles = [demo_index.get(pid).title.casefold() for pid in demo_index.product_ids()]
    for (turn,) in turns:
        ids = turn.args.get("product_ids") or [turn.args["product_id"]]
        for product_id in ids:
            title = demo_index.get(product_id).title
            assert title in turn.text and titles.count(title.casefold()) == 1
        assert turn.role == ("merchant" if turn.tool == "write_promo_copy" else "shopper")
    assert {turn.tool if isinstance(turn.tool, str) else "either" for (turn,) in turns} == {
        "summarize_reviews", "get_product", "either", "compare_products", "write_promo_copy"
    }  # fmt: skip


def test_named_set_through_the_rules_needs_no_model_for_routing(demo_index):
    """Every product named by title reaches its tool by the rules; the model only writes
    summaries and copy (scripted here), never picks the tool."""

    def writes_only(messages, call):
        tool = call.tool_names[0] if call.tool_names else None
        if tool == "SummaryDraft":
            return AIMessage("", tool_calls=[{"name": tool, "args": {"verdict": "Fine.", "pros": [], "cons": [], "disagreements": []}, "id": "s"}])  # fmt: skip
        return AIMessage("", tool_calls=[{"name": tool, "args": {"variants": ["A fine product for every day."]}, "id": "c"}])  # fmt: skip

    model = ScriptedChatModel(function=writes_only)
    metrics = summarize(run_turns(Assistant(model, demo_index), named_turns(demo_index, 10)))
    assert metrics["right_tool"] == 100 and metrics["no_error"] == 100
