"""Tool schemas, tool-call parsing and template inputs: pure functions, no model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jinja2
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from assistant.models.chat_template import TemplateFeatures, prepare_messages
from assistant.models.tool_calls import (
    could_start_call,
    format_tools,
    narrowed_tools,
    parse_tool_calls,
    resolve_tool_choice,
    tool_call_schema,
)


def search_products(query: str, max_price: float | None = None) -> str:
    """Search the catalog   for products.

    Matches titles and descriptions.
    """
    return query


class CompareProducts(BaseModel):
    """Compare two products side by side."""

    first_id: str = Field(description="id of the first product")
    second_id: str = Field(description="id of the second product")


@tool
def review_summary(product_id: str) -> str:
    """Summarise the reviews of a product."""
    return product_id


TOOLS = format_tools([search_products, CompareProducts, review_summary])


def test_format_tools_accepts_every_kind_and_is_compact() -> None:
    names = [t["function"]["name"] for t in TOOLS]
    assert names == ["search_products", "CompareProducts", "review_summary"]
    search = TOOLS[0]["function"]
    assert search["description"] == "Search the catalog for products. Matches titles and descriptions."
    assert search["parameters"]["required"] == ["query"]
    assert search["parameters"]["properties"]["max_price"]["type"] == "number"  # Optional[float] -> number
    assert '"title"' not in json.dumps(TOOLS)
    assert format_tools(TOOLS) == TOOLS  # already formatted dicts pass through unchanged


def test_format_tools_rejects_duplicate_names() -> None:
    with pytest.raises(ValueError, match="search_products"):
        format_tools([search_products, search_products])


def test_tool_call_schema_moves_definitions_to_the_root_where_references_point() -> None:
    from tools.review_summary import summary_tool

    schema = tool_call_schema([summary_tool(["r1", "r7"])])
    arguments = schema["properties"]["arguments"]
    assert "$defs" not in arguments and schema["$defs"] == {"label": {"type": "string", "enum": ["r1", "r7"]}}
    reviews = arguments["properties"]["pros"]["items"]["properties"]["reviews"]
    assert reviews["items"] == {"$ref": "#/$defs/label"}
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    grammar = llama_grammar.json_schema_to_gbnf(json.dumps(schema))  # resolves the reference
    assert '\\"r7\\"' in grammar and '\\"r2\\"' not in grammar
    other = {"type": "function", "function": {"name": "other", "parameters": {
        "type": "object", "properties": {}, "$defs": {"label": {"type": "integer"}}}}}  # fmt: skip
    with pytest.raises(ValueError, match=r"\$defs/label differently"):
        tool_call_schema([summary_tool(["r1"]), other])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, "auto"),
        ("auto", "auto"),
        ("none", None),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("review_summary", "review_summary"),
        ({"type": "function", "function": {"name": "CompareProducts"}}, "CompareProducts"),
    ],
)
def test_resolve_tool_choice(choice: object, expected: str | None) -> None:
    assert resolve_tool_choice(choice, ["search_products", "CompareProducts", "review_summary"]) == expected


def test_resolve_tool_choice_rejects_unknown_tool() -> None:
    with pytest.raises(ValueError, match="no bound tool"):
        resolve_tool_choice("delete_everything", ["search_products"])
    assert resolve_tool_choice("auto", []) is None


def test_tool_call_schema_pins_names_and_closes_arguments() -> None:
    schema = tool_call_schema(TOOLS)
    assert [v["properties"]["name"]["const"] for v in schema["anyOf"]] == [
        "search_products",
        "CompareProducts",
        "review_summary",
    ]
    assert all(v["properties"]["arguments"]["additionalProperties"] is False for v in schema["anyOf"])
    only = tool_call_schema(TOOLS, only="review_summary")
    assert only["properties"]["name"] == {"const": "review_summary"}
    with pytest.raises(ValueError):
        tool_call_schema(TOOLS, only="missing")


def test_narrowed_tools_omit_optional_arguments_and_limit_values() -> None:
    narrowed = narrowed_tools(TOOLS, {"search_products": ["max_price"], "review_summary": ["colour"]})
    assert narrowed[0]["function"]["parameters"]["properties"].keys() == {"query"}
    assert narrowed[1:] == TOOLS[1:]  # other tools, and names a tool does not have, change nothing
    assert TOOLS[0]["function"]["parameters"]["properties"].keys() == {"query", "max_price"}  # not mutated
    call = tool_call_schema(narrowed, only="search_products")
    assert call["properties"]["arguments"]["properties"].keys() == {"query"}
    with pytest.raises(ValueError, match="required"):
        narrowed_tools(TOOLS, {"search_products": ["query"]})

    limited = narrowed_tools(TOOLS, values={"product_id": ["MJ01", "MH01"], "first_id": []})
    assert [t["function"]["name"] for t in limited] == [
        "search_products",
        "review_summary",
    ]  # first_id is required
    assert limited[1]["function"]["parameters"]["properties"]["product_id"]["enum"] == ["MJ01", "MH01"]
    ids = format_tools([compare])[0]
    listed = narrowed_tools([ids], values={"product_ids": ["MJ01", "MH01"]})[0]["function"]["parameters"]
    assert listed["properties"]["product_ids"]["items"] == {"type": "string", "enum": ["MJ01", "MH01"]}


def test_narrowed_tools_take_the_calls_argument_schemas() -> None:
    bounds = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "maxLength": 60}}
    ids = format_tools([compare])[0]
    narrowed = narrowed_tools([ids], schemas={"product_ids": bounds, "not_an_argument": {"type": "string"}})
    assert narrowed[0]["function"]["parameters"]["properties"] == {"product_ids": bounds}
    assert ids["function"]["parameters"]["properties"]["product_ids"] != bounds  # not mutated
    call = tool_call_schema(narrowed, only="compare")
    assert call["properties"]["arguments"]["properties"]["product_ids"]["maxItems"] == 2


def compare(product_ids: list[str]) -> str:
    """Compare products."""
    return ",".join(product_ids)


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "search_products", "arguments": {"query": "跑鞋"}}\n</tool_call>',
        '<tool_call>\n{{"name": "search_products", "arguments": {"query": "跑鞋"}}}\n</tool_call>',
        '{{"name": "search_products", "arguments": {{"query": "跑鞋"}}}}',
        '```json\n{"name": "search_products", "arguments": {"query": "跑鞋"}}\n```',
        '{"name": "search_products", "arguments": "{\\"query\\": \\"跑鞋\\"}"}',
        '  {"name": "search_products", "parameters": {"query": "跑鞋"}}  ',
        '<tool_call>\n{"name": "search_products", "arguments": {"query": "跑鞋"}}',  # truncated close
    ],
)
def test_parse_accepts_the_formats_models_write(text: str) -> None:
    reply = parse_tool_calls(text, TOOLS)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("search_products", {"query": "跑鞋"})]
    assert reply.invalid_tool_calls == []
    assert reply.content == ""
    assert str(reply.tool_calls[0]["id"]).startswith("call_")


def test_parse_keeps_prose_and_several_calls() -> None:
    text = (
        "Let me look.\n<tool_call>\n"
        '{"name": "search_products", "arguments": {"query": "tent"}}\n</tool_call>\n<tool_call>\n'
        '{"name": "review_summary", "arguments": {"product_id": "p1"}}\n</tool_call>'
    )
    reply = parse_tool_calls(text, TOOLS)
    assert reply.content == "Let me look."
    assert [c["name"] for c in reply.tool_calls] == ["search_products", "review_summary"]
    assert len({c["id"] for c in reply.tool_calls}) == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('<tool_call>\n{"name": "search_products", "arguments": {"query": </tool_call>', "not valid JSON"),
        ('<tool_call>{"name": "buy_now", "arguments": {}}</tool_call>', "unknown tool 'buy_now'"),
        ('<tool_call>{"name": "review_summary", "arguments": {}}</tool_call>', "missing required argument"),
        ('<tool_call>{"name": "review_summary", "arguments": [1]}</tool_call>', "must be a JSON object"),
        ('<tool_call>"just text"</tool_call>', "string 'name'"),
    ],
)
def test_parse_turns_bad_calls_into_invalid_tool_calls(text: str, error: str) -> None:
    reply = parse_tool_calls(text, TOOLS)
    assert reply.tool_calls == []
    assert len(reply.invalid_tool_calls) == 1
    assert error in (reply.invalid_tool_calls[0]["error"] or "")


@pytest.mark.parametrize(
    "text",
    [
        "We have 3 tents under $100.",
        "Prices are in {braces} sometimes.",
        '{"answer": 42}',
        "```python\nprint('hi')\n```",
        "",
    ],
)
def test_parse_leaves_prose_alone(text: str) -> None:
    reply = parse_tool_calls(text, TOOLS)
    assert reply.tool_calls == [] and reply.invalid_tool_calls == []
    assert reply.content == text.strip()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", None),
        ("  ", None),
        ("<tool", None),
        ("<tool_call>", True),
        ('{"', True),
        ("``", None),
        ("Hi", False),
    ],
)
def test_could_start_call(head: str, expected: bool | None) -> None:
    assert could_start_call(head) is expected


HISTORY = [
    SystemMessage("You are a shop assistant."),
    HumanMessage("tents?"),
    AIMessage("", tool_calls=[{"name": "search_products", "args": {"query": "tent"}, "id": "call_1"}]),
    ToolMessage('[{"id": "p1"}]', tool_call_id="call_1", name="search_products"),
]


def _jinja(template: str) -> Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], str]:
    compiled = jinja2.Environment().from_string(template)
    return lambda messages, tools: compiled.render(messages=messages, tools=tools)


def test_template_features_are_probed_by_rendering() -> None:
    plain = _jinja("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} (tools help){% endfor %}")
    assert TemplateFeatures.probe(plain) == TemplateFeatures(tools=False, tool_calls=False, tool_role=True)
    strict = _jinja(
        "{% for t in tools or [] %}{{ t.function.name }}{% endfor %}"
        "{% for m in messages %}{% if m.role == 'tool' %}{{ raise('no tool role') }}{% endif %}"
        "{% for c in m.tool_calls or [] %}{{ c.function.name }}{% endfor %}{{ m.content }}{% endfor %}"
    )
    assert TemplateFeatures.probe(strict) == TemplateFeatures(tools=True, tool_calls=True, tool_role=False)


def test_prepare_messages_for_a_template_with_tool_support() -> None:
    features = TemplateFeatures(tools=True, tool_calls=True, tool_role=True)
    messages, tools = prepare_messages(HISTORY, TOOLS, features)
    assert tools == TOOLS
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["tool_calls"][0]["function"] == {
        "name": "search_products",
        "arguments": {"query": "tent"},
    }
    assert messages[3]["content"] == '[{"id": "p1"}]'


def test_prepare_messages_folds_tools_into_text_for_other_templates() -> None:
    features = TemplateFeatures(tools=False, tool_calls=False, tool_role=False)
    messages, tools = prepare_messages(HISTORY, TOOLS, features)
    assert tools is None
    assert messages[0]["content"].startswith("You are a shop assistant.")
    assert '"name": "review_summary"' in messages[0]["content"]
    assert messages[2]["content"] == (
        '<tool_call>\n{"name": "search_products", "arguments": {"query": "tent"}}\n</tool_call>'
    )
    assert messages[3] == {"role": "user", "content": '<tool_response>\n[{"id": "p1"}]\n</tool_response>'}
    assert parse_tool_calls(messages[2]["content"], TOOLS).tool_calls[0]["args"] == {"query": "tent"}
