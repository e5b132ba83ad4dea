"""The assistant with the real default chat model (Qwen2.5-Coder 1.5B, llama.cpp) on the demo store.

Two requests the rules leave to the model, one English and one Chinese: the model must call a
search tool, the cards must come from the catalog and the final reply must be grounded and in
the user's language. Slow (tens of seconds on two cores); deselect with -m 'not real_model'.
"""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.config import load_settings
from assistant.grounding import numbers_in, search_limits, verify

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def qwen():
    from assistant.models.loader import load_chat_model

    # a generous deadline: on a busy two-core machine one turn can take a minute
    return load_chat_model(load_settings(chat_deadline_s=600.0), progress=False)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("I'm going hiking in the rain, what jacket should I get?", "en"), ("夏天跑步穿什么好？", "zh")],
)
def test_real_model_searches_and_answers_grounded(qwen, demo_index, text, lang):
    assistant = Assistant(qwen, demo_index)
    reply = assistant.reply(f"test:{lang}", text)
    print(reply.model_dump_json(indent=1))  # shown with -s or on failure
    assert reply.path == "model", reply.text
    assert reply.tool_calls and reply.tool_calls[0].name in ("search_products", "recommend"), reply.tool_calls
    assert reply.tool_calls[0].ok
    assert reply.products
    for card in reply.products:
        product = demo_index.get(card.id)
        assert product is not None and card.price == product.price
    assert reply.language == lang
    memory = assistant.memory(f"test:{lang}")
    stated = search_limits(memory["last_search"])  # limits the user gave (the agent drops others)
    assert all(any(n == s for n in numbers_in(text)) for s in stated), memory["last_search"]
    valid = lambda pid: demo_index.get(pid) is not None  # noqa: E731
    assert verify(reply.text, memory["facts"], user_numbers=stated, is_catalog_id=valid).ok, reply.text
    assert reply.timings["first_card"] < reply.timings["total"]


def test_warm_up_reads_the_prompt_start_once(qwen, demo_index):
    assistant = Assistant(qwen, demo_index)
    qwen.backend.reset()  # forget what earlier tests left in the context and the saved states
    first = assistant.warm_up()
    assert first > 500  # system prompts and tool schemas, English and Chinese
    assert assistant.warm_up() < first / 10  # both are kept: nothing much to read again


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_after_warm_up_a_first_summary_or_copy_reads_little_more_than_its_facts(qwen, demo_index, lang):
    from langchain_core.messages import HumanMessage

    from tools import description_summary, promo_copy, review_summary
    from tools.review_selection import ShownReview

    Assistant(qwen, demo_index).warm_up()
    reviews = [ShownReview(f"r{i}", f"x{i}", "Warm and well made.", 5.0, 1) for i in (1, 2)]
    for module, prompt in [
        (description_summary, [HumanMessage("<facts>\nChaz Kangeroo Hoodie\n</facts>")]),
        (review_summary, review_summary.build_messages(reviews, 2, lang, "Chaz Kangeroo Hoodie")[1:]),
        (promo_copy, [HumanMessage("Write one short slogan.\n<facts>\nChaz Kangeroo Hoodie\n</facts>")]),
    ]:
        start, tools = module.prompt_start(lang)
        if module is review_summary:
            tools = [review_summary.summary_tool(["r1", "r2"])]
        text = qwen.prompt([*start, *prompt], tools)
        shared = qwen.prompt(start, tools)  # the start ends in the system turn the warm-up read
        computed = qwen.backend.prefill(text, lambda: None)
        assert computed < qwen.backend.count_tokens(text) - qwen.backend.count_tokens(shared) * 0.7, module


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("write a push notification for all our backpacks: 20% off until Dec 24", "en"),
        ("所有背包8折，到12月24日，写一条推送通知", "zh"),
    ],
)
def test_a_campaign_in_chat_delivers_only_checked_copy(qwen, demo_index, tmp_path, text, lang):
    """The first variants of a merchant's campaign: each delivered one states the offer with
    the right sale price, keeps to the channel's limits and is in the campaign's language."""
    from decimal import Decimal

    from tools.campaign_terms import campaign_terms
    from tools.channel_formats import limit_problems, load_formats
    from tools.clauses import in_language

    assistant = Assistant(qwen, demo_index, campaigns_dir=tmp_path)
    reply = assistant.reply(f"test:campaign-{lang}", text, role="merchant")
    print(reply.text)  # shown with -s or on failure
    desk = assistant.merchant.campaigns
    assert desk is not None
    (campaign,), _ = desk.campaigns()
    assert campaign.lang == lang and campaign.offer.kind == "percent_off" and campaign.channels == ["push"]
    rows = desk.rows(campaign.name)
    assert len(rows) == 3
    for row in rows:
        product = demo_index.get(row["product_id"])
        assert product is not None and product.price is not None
        shown = row["title"] in reply.text and row["parts"].get("body", "") in reply.text
        if row["verdict"] not in ("ok", "repaired"):
            assert not row["parts"].get("body") or row["parts"]["body"] not in reply.text
            continue
        sale = (Decimal(str(product.price)) * Decimal("0.8")).quantize(Decimal("0.01"))
        assert (
            f"{sale}" in row["parts"]["body"]
            and campaign_terms(campaign, product).line in row["parts"]["body"]
        )
        assert limit_problems(load_formats()["push"], row["parts"]) == []
        assert in_language(" ".join(row["parts"].values()), lang)
        assert shown
