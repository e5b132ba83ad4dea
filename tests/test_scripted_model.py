"""ScriptedChatModel: scripted turns, recorded calls, the checks a real model would enforce."""

from __future__ import annotations

import asyncio
import threading
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from assistant.models.errors import ModelBusyError
from assistant.testing import ScriptedCall, ScriptedChatModel


def search_products(query: str, max_price: float | None = None) -> str:
    """Search the catalog.

    Args:
        query: what to look for
        max_price: highest price
    """
    return f"results for {query}"


def get_product(product_id: str) -> str:
    """One product's details.

    Args:
        product_id: the product's id
    """
    return f"product {product_id}"


def compare_products(product_ids: list[str]) -> str:
    """Compare products.

    Args:
        product_ids: the products' ids
    """
    return ",".join(product_ids)


def test_text_replies_come_in_order_and_every_call_is_recorded() -> None:
    model = ScriptedChatModel(["first", "second"])
    assert model.invoke("hello").content == "first"
    assert model.invoke([SystemMessage("be brief"), HumanMessage("again")]).content == "second"
    calls = model.calls
    assert [call.index for call in calls] == [0, 1]
    assert [m.content for m in calls[1].messages] == ["be brief", "again"]
    assert calls[1].response is not None and calls[1].response.content == "second"
    assert calls[0].tools == [] and not calls[0].streamed
    model.assert_complete()


def test_an_unexpected_call_fails_loudly() -> None:
    model = ScriptedChatModel(["only one"])
    model.invoke("first")
    with pytest.raises(AssertionError, match=r"unexpected call #2 .* last message: 'what now\?'"):
        model.invoke("what now?")


def test_unused_turns_fail_assert_complete() -> None:
    model = ScriptedChatModel().enqueue_text("used").enqueue_tool_call("get_product", {"product_id": "MH01"})
    model.invoke("hi")
    with pytest.raises(AssertionError, match=r"1 scripted turn\(s\) were never used .* get_product"):
        model.assert_complete()
    assert model.pending == 1


def test_tool_calls_reach_the_caller_with_ids_and_bound_tools_are_recorded() -> None:
    model = ScriptedChatModel().enqueue_tool_call("search_products", {"query": "hoodie", "max_price": 60})
    reply = model.bind_tools([search_products, get_product]).invoke("hoodies under 60")
    assert reply.tool_calls == [
        {
            "name": "search_products",
            "args": {"query": "hoodie", "max_price": 60},
            "id": "call_0_0",
            "type": "tool_call",
        }
    ]
    assert reply.response_metadata["finish_reason"] == "tool_calls"
    assert model.last_call.tool_names == ["search_products", "get_product"]
    assert model.last_call.tools[0]["function"]["parameters"]["required"] == ["query"]


def test_a_tool_result_history_is_passed_through() -> None:
    model = ScriptedChatModel().enqueue_tool_call("get_product", {"product_id": "MH01"}, id="c1")
    model.enqueue_text("It costs $52.")
    bound = model.bind_tools([get_product])
    first = bound.invoke([HumanMessage("price of MH01?")])
    history = [HumanMessage("price of MH01?"), first, ToolMessage("MH01: $52", tool_call_id="c1")]
    assert bound.invoke(history).content == "It costs $52."
    shown = model.last_call.messages
    assert isinstance(shown[-1], ToolMessage) and shown[-1].tool_call_id == "c1"
    assert isinstance(shown[1], AIMessage) and shown[1].tool_calls[0]["id"] == "c1"


def test_calls_to_tools_that_are_not_bound_are_rejected() -> None:
    model = ScriptedChatModel().enqueue_tool_call("delete_everything", {})
    with pytest.raises(AssertionError, match=r"'delete_everything', which is not among the bound tools"):
        model.bind_tools([get_product]).invoke("hi")
    model.enqueue_tool_call("get_product", {"product_id": "MH01"})
    with pytest.raises(AssertionError, match="no tools were bound in this call"):
        model.invoke("hi")


def test_tool_arguments_must_fit_the_schema() -> None:
    model = ScriptedChatModel().enqueue_tool_call("get_product", {"id": "MH01"})
    with pytest.raises(AssertionError, match=r"missing required: \['product_id'\], unknown: \['id'\]"):
        model.bind_tools([get_product]).invoke("hi")


def test_tool_arguments_must_keep_to_the_calls_argument_schemas() -> None:
    bounds = {"product_ids": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 4}}}
    model = ScriptedChatModel()
    bound = model.bind_tools([compare_products]).bind(argument_schemas=bounds)
    model.enqueue_tool_call("compare_products", {"product_ids": ["MH01", "MJ01"]})
    assert bound.invoke("compare").tool_calls[0]["args"] == {"product_ids": ["MH01", "MJ01"]}
    for ids in (["MH01", "MJ01", "WS07"], ["MH01-long"]):
        model.enqueue_tool_call("compare_products", {"product_ids": ids})
        with pytest.raises(
            AssertionError, match="outside the counts or lengths of the call's argument_schemas"
        ):
            bound.invoke("compare")


@pytest.mark.parametrize(
    ("tool_choice", "reply", "message"),
    [
        ("any", AIMessage("just text"), "has no tool call, but the model was called with tool_choice='any'"),
        ("required", AIMessage("just text"), "tool_choice='required'"),
        (
            "get_product",
            AIMessage("", tool_calls=[{"name": "search_products", "args": {"query": "x"}, "id": "1"}]),
            "tool_choice forced 'get_product'",
        ),
        (
            "none",
            AIMessage("", tool_calls=[{"name": "get_product", "args": {"product_id": "x"}, "id": "1"}]),
            "tool_choice='none'",
        ),
    ],
)
def test_tool_choice_is_enforced(tool_choice: str, reply: AIMessage, message: str) -> None:
    model = ScriptedChatModel([reply])
    with pytest.raises(AssertionError, match=message):
        model.bind_tools([search_products, get_product], tool_choice=tool_choice).invoke("hi")
    assert model.last_call.tool_choice == tool_choice


def test_unknown_tool_choice_is_refused_at_bind_time() -> None:
    with pytest.raises(ValueError, match="tool_choice 'get_prodcut'"):
        ScriptedChatModel().bind_tools([get_product], tool_choice="get_prodcut")


def test_parallel_tool_calls() -> None:
    model = ScriptedChatModel().enqueue_tool_calls(
        [("get_product", {"product_id": "MH01"}), ("get_product", {"product_id": "MH02"})], ids=["a", "b"]
    )
    reply = model.bind_tools([get_product]).invoke("compare")
    assert [(tc["id"], tc["args"]["product_id"]) for tc in reply.tool_calls] == [("a", "MH01"), ("b", "MH02")]


def test_a_function_answers_when_nothing_is_queued() -> None:
    def echo(messages: list[BaseMessage], call: ScriptedCall) -> str:
        return f"you said {messages[-1].content} (tools: {', '.join(call.tool_names) or 'none'})"

    model = ScriptedChatModel(function=echo).enqueue_text("queued first")
    assert model.invoke("a").content == "queued first"
    assert model.invoke("b").content == "you said b (tools: none)"
    assert model.bind_tools([get_product]).invoke("c").content == "you said c (tools: get_product)"
    model.assert_complete()


def test_a_queued_function_can_return_a_tool_call() -> None:
    def lookup(messages: list[BaseMessage], call: ScriptedCall) -> AIMessage:
        product_id = str(messages[-1].content).split()[-1]
        return AIMessage(
            "", tool_calls=[{"name": "get_product", "args": {"product_id": product_id}, "id": "x"}]
        )

    model = ScriptedChatModel([lookup])
    reply = model.bind_tools([get_product]).invoke("details of WJ06")
    assert reply.tool_calls[0]["args"] == {"product_id": "WJ06"}


def test_a_scripted_error_is_raised_and_the_call_recorded() -> None:
    model = ScriptedChatModel().enqueue_error(ModelBusyError("busy, try again")).enqueue_text("ok now")
    with pytest.raises(ModelBusyError, match="busy"):
        model.invoke("hi")
    assert model.invoke("retry").content == "ok now"
    assert len(model.calls) == 2


def test_streaming_yields_the_text_in_word_chunks() -> None:
    text = "The Chaz Kangeroo Hoodie  costs $52.\nIt is warm."
    model = ScriptedChatModel([text, text], words_per_chunk=2)
    chunks = list(model.stream("price?"))
    assert len(chunks) > 2
    assert "".join(str(chunk.content) for chunk in chunks) == text
    assert chunks[-1].usage_metadata is not None
    assert model.last_call.streamed
    single = list(ScriptedChatModel([text]).stream("x"))
    assert len(single) > len(chunks)


def test_streamed_tool_calls_aggregate_like_a_real_model() -> None:
    model = ScriptedChatModel().enqueue_tool_call("get_product", {"product_id": "MH01"}, text="Let me check.")
    chunks = list(model.bind_tools([get_product]).stream("MH01?"))
    merged = sum(chunks[1:], start=chunks[0])
    assert merged.content == "Let me check."
    assert merged.tool_calls == [
        {"name": "get_product", "args": {"product_id": "MH01"}, "id": "call_0_0", "type": "tool_call"}
    ]
    assert merged.usage_metadata is not None and merged.usage_metadata["output_tokens"] > 0


def test_streaming_callbacks_see_each_token() -> None:
    class Collect(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
            assert isinstance(token, str)
            self.tokens.append(token)

    handler = Collect()
    list(ScriptedChatModel(["one two three"]).stream("x", config={"callbacks": [handler]}))
    assert handler.tokens == ["one ", "two ", "three"]


def test_async_invoke_and_stream() -> None:
    async def main() -> tuple[str, str]:
        model = ScriptedChatModel(["async reply", "streamed async reply"])
        reply = await model.ainvoke("hi")
        parts = [str(chunk.content) async for chunk in model.astream("again")]
        model.assert_complete()
        return str(reply.content), "|".join(parts)

    assert asyncio.run(main()) == ("async reply", "streamed |async |reply")


def test_stop_sequences_cut_the_reply() -> None:
    model = ScriptedChatModel(["Answer: yes\nUser: more?"])
    assert model.invoke("q", stop=["\nUser:"]).content == "Answer: yes"
    assert model.last_call.stop == ["\nUser:"]


def test_usage_metadata_counts_words_and_cjk_characters() -> None:
    reply = ScriptedChatModel(["两件都很好"]).invoke("比较 MH01 和 MH02")
    assert reply.usage_metadata == {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10}
    given = AIMessage("x", usage_metadata={"input_tokens": 100, "output_tokens": 1, "total_tokens": 101})
    assert ScriptedChatModel([given]).invoke("y").usage_metadata == given.usage_metadata


def test_call_kwargs_are_recorded() -> None:
    model = ScriptedChatModel(["ok"])
    model.bind(temperature=0.2, max_tokens=30).invoke("hi")
    assert model.last_call.kwargs == {"temperature": 0.2, "max_tokens": 30}


def test_structured_output_goes_through_a_forced_tool_call() -> None:
    class Verdict(BaseModel):
        """Which product wins."""

        winner: str = Field(description="product id")
        reason: str

    model = ScriptedChatModel().enqueue_tool_call("Verdict", {"winner": "MH01", "reason": "cheaper"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verdict = model.with_structured_output(Verdict).invoke("which one?")
    assert verdict == Verdict(winner="MH01", reason="cheaper")
    assert model.last_call.tool_choice == "any"


def test_concurrent_callers_each_get_one_distinct_turn() -> None:
    model = ScriptedChatModel([f"reply {n}" for n in range(40)])
    replies: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait(10)
        for _ in range(5):
            content = str(model.invoke("hi").content)
            with lock:
                replies.append(content)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(replies) == sorted(f"reply {n}" for n in range(40))
    model.assert_complete()


def test_drives_a_langgraph_agent_loop() -> None:
    from langgraph.prebuilt import create_react_agent

    @tool
    def lookup(product_id: str) -> str:
        """Price of a product.

        Args:
            product_id: the product's id
        """
        return {"MH01": "$52"}.get(product_id, "unknown")

    model = (
        ScriptedChatModel()
        .enqueue_tool_call("lookup", {"product_id": "MH01"})
        .enqueue_text("MH01 costs $52.")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent is deprecated in favour of langchain.agents
        agent = create_react_agent(model, [lookup])
    result = agent.invoke({"messages": [HumanMessage("How much is MH01?")]})
    assert result["messages"][-1].content == "MH01 costs $52."
    tool_result = model.last_call.messages[-1]
    assert isinstance(tool_result, ToolMessage) and tool_result.content == "$52"
    model.assert_complete()


def test_the_pytest_fixture(scripted_model: ScriptedChatModel) -> None:
    scripted_model.enqueue_text("from the fixture")
    assert scripted_model.invoke("hi").content == "from the fixture"
