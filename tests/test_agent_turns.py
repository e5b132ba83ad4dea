"""The agent loop end to end with the scripted model and a real demo-store index."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from assistant import Assistant
from assistant.models.errors import GenerationTimeoutError, ModelBusyError
from assistant.reply import Action, CardsEvent, Done, TextChunk, TextReplaced, ToolEvent


@pytest.fixture
def assistant(scripted_model, demo_index):
    return Assistant(scripted_model, demo_index)


@pytest.fixture
def prose(scripted_model, demo_index):
    """The model writes the reply after every tool (the grounding check's subject)."""
    return Assistant(scripted_model, demo_index, templated_replies=False)


def test_model_search_turn_streams_cards_before_prose(prose, scripted_model, demo_index):
    scripted_model.enqueue_tool_call("search_products", {"query": "yoga hoodie"})
    scripted_model.enqueue(lambda messages, call: _first_result_sentence(messages))
    events = list(prose.stream("web:u1", "is there a warm hoodie for yoga?"))
    kinds = [type(event) for event in events]
    assert kinds.index(ToolEvent) < kinds.index(CardsEvent) < kinds.index(TextChunk)
    assert TextReplaced not in kinds
    reply = events[-1].reply
    assert isinstance(events[-1], Done)
    assert [(c.name, c.args) for c in reply.tool_calls] == [("search_products", {"query": "yoga hoodie"})]
    assert reply.path == "model" and reply.grounding.checked and not reply.grounding.repaired
    assert reply.products and reply.products[0].title in reply.text
    assert reply.timings["first_card"] <= reply.timings["total"]
    # the model was offered the shopper's tools only, and saw a compact observation
    assert "write_promo_copy" not in scripted_model.calls[0].tool_names
    observation = scripted_model.calls[1].messages[-1]
    assert isinstance(observation, ToolMessage) and "description" not in observation.content
    first = demo_index.get(reply.products[0].id)
    assert f"{first.price:.1f}" in observation.content or f"{first.price:g}" in observation.content


def _first_result_sentence(messages):
    import json

    first = json.loads(messages[-1].content)["results"][0]
    return f"The {first['title']} costs ${first['price']:.2f}."


def test_invented_price_is_repaired(prose, scripted_model, demo_index):
    scripted_model.enqueue_tool_call("search_products", {"query": "hoodie"})
    scripted_model.enqueue_text("The Chaz Kangeroo Hoodie costs $19.99 and is rated 5 stars!")
    events = list(prose.stream("web:u1", "is a hoodie good for winter?"))
    reply = events[-1].reply
    assert any(isinstance(e, TextReplaced) for e in events)
    assert reply.grounding.repaired
    assert any("$19.99" in issue for issue in reply.grounding.issues)
    assert "$19.99" not in reply.text
    for card in reply.products[:3]:
        assert card.title in reply.text and f"${card.price:,.2f}" in reply.text
    # the conversation keeps the repaired text, not the invented one
    assert "$19.99" not in prose.history("web:u1")[-1][1]


def test_invented_product_is_repaired(prose, scripted_model):
    scripted_model.enqueue_tool_call("search_products", {"query": "rain jacket"})
    scripted_model.enqueue_text("I recommend the **Stormbreaker Pro Shell**, our best jacket.")
    reply = prose.reply("web:u1", "what jacket keeps me dry in rain?")
    assert reply.grounding.repaired
    assert "Stormbreaker" not in reply.text


def test_reply_in_the_wrong_language_is_repaired(prose, scripted_model):
    scripted_model.enqueue_tool_call("search_products", {"query": "背包 backpack"})
    scripted_model.enqueue_text("Here are some backpacks.")
    reply = prose.reply("web:u1", "有适合上学用的背包吗？")
    assert reply.language == "zh"
    assert reply.grounding.repaired and "为您找到" in reply.text
    assert "中文" in scripted_model.calls[0].messages[0].content  # the Chinese system prompt


def test_tool_error_is_an_observation_the_model_recovers_from(assistant, scripted_model):
    scripted_model.narrows_tool_calls = (
        False  # without a grammar a model can name a product that is not there
    )
    scripted_model.enqueue_tool_call("get_product", {"product_id": "NOPE"})
    scripted_model.enqueue_tool_call("get_product", {"product_id": "MH01"})
    scripted_model.enqueue_text("The Chaz Kangeroo Hoodie costs $52.00.")
    reply = assistant.reply("web:u1", "how much is the chaz hoodie?")
    error = scripted_model.calls[1].messages[-1]
    assert isinstance(error, ToolMessage) and "no product with id 'NOPE'" in error.content
    assert [c.ok for c in reply.tool_calls] == [False, True]
    assert reply.text == "The Chaz Kangeroo Hoodie costs $52.00." and not reply.grounding.repaired


def test_repeated_tool_failures_end_the_turn_gracefully(assistant, scripted_model):
    scripted_model.narrows_tool_calls = False
    scripted_model.enqueue_tool_call("get_product", {"product_id": "NOPE"})
    scripted_model.enqueue_tool_call("compare_products", {"product_ids": ["X"]})
    reply = assistant.reply("web:u1", "tell me about product nope")
    assert reply.path == "error"
    assert "couldn't look that up" in reply.text
    assert len(scripted_model.calls) == 2  # no third model call
    assert all(not c.ok for c in reply.tool_calls)


def test_steps_are_bounded(scripted_model, demo_index):
    assistant = Assistant(scripted_model, demo_index, max_steps=2, templated_replies=False)
    scripted_model.enqueue_tool_call("search_products", {"query": "bag"})
    scripted_model.enqueue_tool_call("search_products", {"query": "tote"})
    reply = assistant.reply("web:u1", "what is good for the gym?")
    assert len(scripted_model.calls) == 2
    assert "too many steps" in reply.text
    assert reply.products  # what was found is still shown


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ModelBusyError("queue full"), "try again in a moment"),
        (GenerationTimeoutError("deadline"), "took too long"),
        (RuntimeError("llama exploded"), "something went wrong"),
    ],
)
def test_model_failures_become_polite_replies(assistant, scripted_model, error, expected):
    scripted_model.enqueue_error(error)
    reply = assistant.reply("web:u1", "what's good for a marathon?")
    assert reply.path == "error" and expected in reply.text
    assert "Traceback" not in reply.text and "llama exploded" not in reply.text
    # the session still works afterwards
    scripted_model.enqueue_tool_call("search_products", {"query": "running"})
    after = assistant.reply("web:u1", "what's good for running?")
    assert after.path == "model" and after.text.startswith("Here are") and after.products


def test_obvious_search_skips_the_model(assistant, scripted_model, demo_index):
    reply = assistant.reply("web:u1", "waterproof hiking backpack under $60")
    assert scripted_model.calls == []
    assert reply.path == "fast"
    assert [(c.name, c.args) for c in reply.tool_calls] == [
        ("search_products", {"query": "waterproof hiking backpack", "max_price": 60.0})
    ]
    assert reply.products and all(card.price <= 60 for card in reply.products)
    assert "under $60" in reply.text


def test_chinese_price_limit_and_reply(assistant, scripted_model):
    reply = assistant.reply("telegram:7", "100美元以下的背包")
    assert scripted_model.calls == []
    assert reply.language == "zh" and reply.text.startswith("为您找到")
    assert reply.tool_calls[0].args["max_price"] == 100.0
    assert reply.products and all(card.price <= 100 and "Bag" in card.category for card in reply.products)


def test_a_limit_in_another_currency_is_not_relabelled(assistant, scripted_model):
    """¥100 on a USD store is neither $100 nor silently dropped: the reply says what it did."""
    reply = assistant.reply("telegram:7", "100元以下的背包")
    assert scripted_model.calls == [] and "max_price" not in reply.tool_calls[0].args
    assert reply.text.startswith("本店以USD标价，所以没有按¥100的预算筛选。")
    assert reply.products and "$100" not in reply.text


def test_a_limit_in_another_currency_is_converted_at_a_configured_rate(scripted_model, demo_index):
    assistant = Assistant(scripted_model, demo_index, currency_rates={"USD": 1.0, "CNY": 0.14})
    reply = assistant.reply("telegram:7", "300元以下的背包")
    assert reply.tool_calls[0].args["max_price"] == 42.0  # 300 x 0.14
    assert reply.text.startswith("按本店设置的汇率，¥300约为$42，已按此筛选。")
    assert reply.products and all(card.price <= 42 for card in reply.products if not card.alternative)
    only_one = Assistant(scripted_model, demo_index, currency_rates={"USD": 1.0})  # no rate for CNY: ask
    assert "max_price" not in only_one.reply("telegram:8", "300元以下的背包").tool_calls[0].args


def test_a_button_action_is_done_as_given_not_read_back_from_its_text(assistant, scripted_model, demo_index):
    """A channel's button passes its request as data; the text is only what the history shows."""
    product_id = demo_index.search("backpack", k=1)[0].id
    reply = assistant.reply(
        "telegram:9", "Tell me more about it", action=Action(kind="similar", product_ids=[product_id])
    )
    assert [(c.name, c.args.get("product_id")) for c in reply.tool_calls] == [("recommend", product_id)]
    assert scripted_model.calls == []
    assert assistant.history("telegram:9")[0] == ("user", "Tell me more about it")
    with pytest.raises(ValueError):
        Action(kind="promo", product_ids=[product_id])  # only what buttons ask


def test_follow_ups_resolve_against_what_was_shown(assistant, scripted_model):
    first = assistant.reply("web:u1", "jacket under $80")
    shown = [card.id for card in first.products]
    cheaper = assistant.reply("web:u1", "cheaper?")
    assert cheaper.tool_calls[0].name == "search_products"
    assert cheaper.tool_calls[0].args["max_price"] < min(card.price for card in first.products)
    assert cheaper.tool_calls[0].args["query"] == "jacket"
    now_shown = [card.id for card in cheaper.products]
    compare = assistant.reply("web:u1", "compare the first two")
    assert compare.tool_calls[0].name == "compare_products"
    assert compare.tool_calls[0].args == {"product_ids": now_shown[:2]}
    scripted_model.enqueue_tool_call("DescriptionSummary", {"lines": ["一款日常穿着的夹克。"]})
    second = assistant.reply("web:u1", "第二个")
    assert second.tool_calls[0].args == {"product_id": now_shown[1]} and second.language == "zh"
    assert "一款日常穿着的夹克。" in second.text  # the English description, summarized in Chinese
    scripted_model.enqueue_tool_call("SummaryDraft", {"verdict": "Reviewers like it.", "pros": [], "cons": [],
                                                      "disagreements": []})  # fmt: skip
    reviews = assistant.reply("web:u1", "what do reviews say about the first one?")
    assert reviews.tool_calls[0].name == "summarize_reviews"
    assert reviews.tool_calls[0].args == {"product_id": now_shown[0]}
    assert [call.tool_names for call in scripted_model.calls] == [["DescriptionSummary"], ["SummaryDraft"]]
    assert shown


def test_model_sees_what_was_shown(assistant, scripted_model):
    shown = assistant.reply("web:u1", "hoodie under $60").products
    scripted_model.enqueue_tool_call("get_product", {"product_id": shown[0].id})
    scripted_model.enqueue_text(f"The {shown[0].title} is machine washable.")
    reply = assistant.reply("web:u1", "is it machine washable?")
    assert reply.text == f"The {shown[0].title} is machine washable."
    # the call may name the products this session knows, and no others
    assert scripted_model.calls[0].kwargs["argument_values"]["product_id"] == [card.id for card in shown]
    prompt = scripted_model.calls[0].messages
    assert "[shown: 1." in prompt[-1].content
    assert prompt[-1].content.endswith("is it machine washable?")
    # earlier turns reach the model as plain text only (no old tool results)
    assert not any(isinstance(m, ToolMessage) for m in prompt)
    assert any(isinstance(m, AIMessage) and "Here are" in m.content for m in prompt)


def test_shopper_asking_for_merchant_tools_is_refused(assistant, scripted_model):
    assistant.reply("web:u1", "hoodie under $60")
    reply = assistant.reply("web:u1", "write promo copy for the first one")
    assert "merchant accounts only" in reply.text and scripted_model.calls == []
    assert "merchant accounts only" in assistant.reply("web:u1", "show review analytics across products").text


def test_merchant_gets_merchant_tools(assistant, scripted_model):
    shown = assistant.reply("web:shop", "hoodie under $60", role="merchant").products
    scripted_model.enqueue_tool_call(
        "PromoCopy", {"variants": [f"Meet the {shown[0].title}: made for cool days."]}
    )
    reply = assistant.reply("web:shop", "write promo copy for the first one", role="merchant")
    assert reply.tool_calls[0].name == "write_promo_copy"
    assert reply.tool_calls[0].args == {
        "product_ids": [shown[0].id],
        "format": "short_description",
        "tone": "friendly",
    }
    assert reply.text == f"{shown[0].title}:\nMeet the {shown[0].title}: made for cool days."
    analytics = assistant.reply("web:shop", "review analytics across products", role="merchant")
    assert analytics.tool_calls[0].name == "review_analytics" and "% negative" in analytics.text
    scripted_model.enqueue_tool_call("review_analytics", {})
    doing = assistant.reply("web:shop", "how are my products doing?", role="merchant")
    assert doing.text == analytics.text  # the model picked the tool; the template wrote the reply
    assert "write_promo_copy" in scripted_model.calls[1].tool_names


def test_preferences_are_remembered_used_and_forgotten(assistant, scripted_model):
    assert "Noted" in assistant.reply("web:u1", "my size is M").text
    assistant.reply("web:u1", "I like orange")
    remembered = assistant.reply("web:u1", "what do you remember?").text
    assert "M" in remembered and "Orange" in remembered
    search = assistant.reply("web:u1", "show me hoodies")
    assert "comes in Orange" in search.products[0].why
    assert "available in your size M" in search.products[0].why
    assistant.reply("web:u1", "forget my size")
    assert "sizes" not in assistant.memory("web:u1")["prefs"]
    assert assistant.memory("web:u1")["prefs"]["colors"] == ["Orange"]
    assert scripted_model.calls == []


def test_reset_forgets_the_session(assistant, scripted_model):
    assistant.reply("web:u1", "my size is M")
    assert "cleared" in assistant.reply("web:u1", "/reset").text
    assert assistant.history("web:u1") == []
    assert assistant.memory("web:u1") == {}


def test_async_stream_yields_the_same_events(assistant, scripted_model):
    async def collect():
        return [event async for event in assistant.astream("web:async", "yoga mat under $50")]

    events = asyncio.run(collect())
    assert isinstance(events[-1], Done)
    assert any(isinstance(e, CardsEvent) for e in events)
    assert events[-1].reply.products


def test_bad_session_and_role_are_rejected(assistant):
    with pytest.raises(ValueError, match="<channel>:<user>"):
        assistant.reply("no-colon", "hi")
    with pytest.raises(ValueError, match="role must be one of"):
        assistant.reply("web:u1", "hi", role="admin")


def test_first_model_step_must_call_a_tool(scripted_model, demo_index):
    scripted_model.enqueue_tool_call("get_product", {"product_id": "MS01"})
    scripted_model.enqueue_text("Here you go.")
    Assistant(scripted_model, demo_index).reply("web:u1", "is MS01 what I should wear for a summer run?")
    assert [call.tool_choice for call in scripted_model.calls] == ["required", None]


def test_tool_first_can_be_turned_off(scripted_model, demo_index):
    scripted_model.enqueue_text("Do you run on roads or trails?")
    reply = Assistant(scripted_model, demo_index, tool_first=False).reply(
        "web:u1", "what should I wear for a run?"
    )
    assert reply.text == "Do you run on roads or trails?" and reply.tool_calls == []
    assert scripted_model.calls[0].tool_choice is None


def test_promo_copy_format_and_tone_come_from_the_request_and_facts_are_checked(assistant, scripted_model):
    shown = assistant.reply("web:shop", "hoodie under $60", role="merchant").products
    scripted_model.enqueue_tool_call(
        "PromoCopy", {"variants": ["Now 50% off!", "Quiet luxury for cool days."]}
    )
    reply = assistant.reply("web:shop", "give me 2 premium slogans for the second one", role="merchant")
    call = scripted_model.last_call
    assert call.tool_choice == "PromoCopy" and "premium" in str(call.messages[1].content)
    assert reply.tool_calls[0].args["format"] == "slogan" and reply.tool_calls[0].args["tone"] == "premium"
    assert shown[1].title in reply.text and "Quiet luxury" in reply.text and "50%" not in reply.text
    scripted_model.enqueue_tool_call("PromoCopy", {"variants": ["全场包邮！"]})
    zh = assistant.reply("web:shop", "给第一个写一条标语", role="merchant")
    assert zh.tool_calls[0].args["format"] == "slogan" and "Simplified Chinese" in str(
        scripted_model.last_call.messages[0].content
    )
    assert (
        zh.text == f"【{shown[0].title}】\n草稿里有商品信息无法证实的内容，已全部舍弃。可以换一种格式再试。"
    )


def test_review_summary_is_written_once_and_cited(assistant, scripted_model, demo_index):
    reviewed = next(
        p for p in demo_index.search("bag", k=20) if len(demo_index.reviews(p.product.id)) >= 2
    ).product
    scripted_model.enqueue_tool_call(
        "SummaryDraft",
        {"verdict": "Reviewers like it.", "pros": [{"text": "Roomy and sturdy bag", "reviews": ["r1"]}],
         "cons": [], "disagreements": []},
    )  # fmt: skip
    first = assistant.reply("web:u1", f"what do reviews say about {reviewed.id}?")
    assert first.tool_calls[0].name == "summarize_reviews"
    assert "Reviewers like it." in first.text and "[r1]" in first.text
    again = assistant.reply("web:u2", f"what do reviews say about {reviewed.id}?")
    assert again.text == first.text and len(scripted_model.calls) == 1  # the cache answered


def test_failed_review_summary_falls_back_to_excerpts(assistant, scripted_model, demo_index):
    reviewed = next(p for p in demo_index.search("bag", k=20) if demo_index.reviews(p.product.id)).product
    scripted_model.enqueue(ModelBusyError("busy"))
    reply = assistant.reply("web:u1", f"what do reviews say about {reviewed.id}?")
    assert reply.tool_calls[0].ok and "“" in reply.text and "review" in reply.text


def test_vague_request_gets_one_question_and_the_answer_completes_it(assistant, scripted_model, demo_index):
    question = assistant.reply("web:u1", "I need a gift for my mom under $50")
    assert question.path == "fast" and not question.tool_calls and not question.products
    assert question.text.startswith("What kind of product are you looking for (under 50)?")
    assert all(category in question.text for category in demo_index.categories(6))
    answer = assistant.reply("web:u1", "a hoodie")
    search = answer.tool_calls[0]
    assert (
        search.name == "search_products"
        and search.args["query"] == "hoodie"
        and search.args["max_price"] == 50
    )
    assert answer.products and all(card.price <= 50 for card in answer.products)
    assert scripted_model.calls == []
    zh = assistant.reply("web:u3", "推荐点东西")
    assert zh.text.startswith("您想找哪类商品？我们有：") and zh.language == "zh"


def test_at_most_one_clarifying_question_in_a_row(assistant, scripted_model):
    assert "What kind of product" in assistant.reply("web:u1", "show me something nice").text
    scripted_model.enqueue_tool_call("search_products", {"query": "popular gift"})
    second = assistant.reply("web:u1", "anything good")  # still vague: no second question, the model searches
    assert second.path == "model" and second.products and "What kind of product" not in second.text
    assert "What kind of product" in assistant.reply("web:u1", "I want to buy a gift").text  # a new request


def test_search_picked_by_the_model_is_rendered_without_a_second_call(assistant, scripted_model):
    scripted_model.enqueue_tool_call("search_products", {"query": "yoga hoodie", "max_price": "60"})
    events = list(assistant.stream("web:u1", "is there a warm hoodie for yoga, around 60 dollars?"))
    reply = events[-1].reply
    kinds = [type(event) for event in events]
    assert kinds.index(CardsEvent) < kinds.index(TextReplaced)
    assert len(scripted_model.calls) == 1 and reply.path == "model"
    count = "1 option" if len(reply.products) == 1 else f"{len(reply.products)} options"
    assert reply.text.startswith(
        ("Here is " if len(reply.products) == 1 else "Here are ") + f"{count} under $60:"
    )
    assert all(card.price <= 60 for card in reply.products) and reply.products[0].title in reply.text
    # a question about one product is still answered by the model, from the product's facts
    scripted_model.enqueue_tool_call("get_product", {"product_id": reply.products[0].id})
    scripted_model.enqueue_text(f"Yes, the {reply.products[0].title} is good for yoga.")
    detail = assistant.reply("web:u1", "is the first one ok for hot yoga?")
    assert (
        detail.text == f"Yes, the {reply.products[0].title} is good for yoga."
        and len(scripted_model.calls) == 3
    )


def test_filters_the_words_do_not_support_are_left_out_of_the_call(assistant, scripted_model):
    scripted_model.enqueue_tool_call("search_products", {"query": "rain jacket"})
    reply = assistant.reply("web:u1", "I'm going hiking in the rain, what jacket should I get?")
    omitted = scripted_model.last_call.kwargs["omit_arguments"]
    assert omitted == {
        "search_products": ["min_price", "max_price", "color", "brand", "min_rating", "category"],
        "recommend": ["max_price"],
    }
    assert reply.tool_calls[0].args == {"query": "rain jacket"} and "under" not in reply.text
    scripted_model.enqueue_tool_call(
        "search_products", {"query": "rain jacket", "max_price": 40, "color": "Black"}
    )
    budget = assistant.reply("web:u1", "which black jacket would you pick for rain? I can spend 40 dollars")
    assert scripted_model.last_call.kwargs["omit_arguments"]["search_products"] == [
        "brand",
        "min_rating",
        "category",
    ]
    assert budget.tool_calls[0].args["max_price"] == 40
    assert all(
        card.price <= 40 for card in budget.products if not card.alternative
    )  # others: "the cheapest is"


def test_a_model_without_a_grammar_has_unsupported_filters_dropped(assistant, scripted_model):
    scripted_model.narrows_tool_calls = False  # e.g. a server behind the OpenAI-compatible backend
    padded = {"query": "rain jacket", "max_price": 100, "brand": "Nike", "min_rating": 4}
    scripted_model.enqueue_tool_call("search_products", padded)
    reply = assistant.reply("web:u1", "I'm going hiking in the rain, what jacket should I get?")
    assert "omit_arguments" not in scripted_model.last_call.kwargs
    assert reply.tool_calls[0].args == {"query": "rain jacket"} and "under" not in reply.text
    scripted_model.enqueue_tool_call("search_products", {"query": "rain jacket", "max_price": 1000})
    budget = assistant.reply("web:u1", "which jacket would you pick for rain? I can spend 40 dollars")
    assert budget.tool_calls[0].args == {"query": "rain jacket"}  # numbers were stated, not this one


def test_copy_in_another_language_than_the_merchants(assistant, scripted_model):
    shown = assistant.reply("web:shop", "hoodie under $60", role="merchant").products
    scripted_model.enqueue_tool_call("PromoCopy", {"variants": ["温暖的连帽衫。"]})
    reply = assistant.reply("web:shop", "用英文给第一个写一段促销文案", role="merchant")
    assert reply.tool_calls[0].args["language"] == "en"
    assert "in English" in str(scripted_model.last_call.messages[1].content)
    assert reply.text.startswith(f"【{shown[0].title}】") and "草稿" in reply.text  # Chinese copy rejected


def test_the_product_a_question_points_at_is_shown_before_the_model_answers(prose, scripted_model):
    shown = prose.reply("web:u1", "hoodie under $60").products
    second = shown[1]
    scripted_model.enqueue_tool_call("get_product", {"product_id": second.id})
    scripted_model.enqueue_text(f"Yes, the {second.title} is warm.")
    events = list(prose.stream("web:u1", "is the second one warm enough for winter?"))
    kinds = [type(event) for event in events]
    assert kinds.index(CardsEvent) < kinds.index(ToolEvent)  # before the model picked a tool
    first_cards = next(e for e in events if isinstance(e, CardsEvent)).products
    assert [card.id for card in first_cards] == [second.id]
    reply = events[-1].reply
    assert [card.id for card in reply.products] == [second.id]  # get_product did not show it twice
    assert sum(isinstance(e, CardsEvent) for e in events) == 1
    assert reply.timings["first_card"] < reply.timings["total"]


def test_products_named_in_a_first_message_reach_their_tools(assistant, scripted_model):
    """A title typed in a fresh conversation is a reference, whatever was (not) shown before."""
    compare = assistant.reply("web:u1", "compare the Joust Duffle Bag and the Impulse Duffle")
    assert [(c.name, c.args) for c in compare.tool_calls] == [
        ("compare_products", {"product_ids": ["24-MB01", "24-UB02"]})
    ]
    details = assistant.reply("web:u2", "details of the Wayfarer Messenger Bag")
    assert [(c.name, c.args) for c in details.tool_calls] == [("get_product", {"product_id": "24-MB05"})]
    assert "Wayfarer Messenger Bag" in details.text
    summary = {"verdict": "Sturdy and roomy.", "pros": [], "cons": [], "disagreements": []}
    scripted_model.enqueue_tool_call("SummaryDraft", summary)
    reviews = assistant.reply("web:u3", "What do people say about the Crown Summit Backpack?")
    assert [(c.name, c.args) for c in reviews.tool_calls] == [
        ("summarize_reviews", {"product_id": "24-MB03"})
    ]
    assert reviews.path == "fast" and "Sturdy and roomy." in reviews.text
    search = assistant.reply("web:u4", "Crown backpack under $50")  # a title word in a search stays a search
    assert search.tool_calls[0].name == "search_products"
