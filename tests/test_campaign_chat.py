"""Campaigns in the chat: a merchant's request read, one question for what is missing, the
campaign saved and written through the same desk as the web tab and the CLI.

Over the real demo-store index with the scripted chat model answering the CampaignCopy call;
the reader's rules are table-driven with counter-examples.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from assistant import Assistant
from assistant.campaign_request import asks_for_campaign, read_campaign
from assistant.testing import ScriptedChatModel
from index.catalog import CatalogIndex
from tools.campaign_copy import TOOL_NAME
from tools.campaign_desk import CampaignDesk

TODAY = date(2026, 12, 3)


def copy_answer(messages: list[Any], call: Any) -> AIMessage:
    """Sound copy for whichever channel the call asks for (no number, no offer of its own)."""
    schema = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written: dict[str, Any] = {}
    for name, spec in schema.items():
        if spec.get("type") == "array":
            written[name] = ["Roomy and comfortable", "Made for every day", "Easy to carry"][
                : spec.get("maxItems", 3)
            ]
        else:
            written[name] = "Ready for every day."
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


def chinese_answer(messages: list[Any], call: Any) -> AIMessage:
    schema = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: (["轻便耐用", "容量大", "日常百搭"] if spec.get("type") == "array" else "每天背着都舒服。")
               for name, spec in schema.items()}  # fmt: skip
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


def inventing_answer(messages: list[Any], call: Any) -> AIMessage:
    """Copy that states an offer of its own: the check must reject or repair it."""
    schema = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: (["Half price today"] if spec.get("type") == "array" else "Now 50% off with a free gift!")
               for name, spec in schema.items()}  # fmt: skip
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


def make_assistant(demo_index: CatalogIndex, tmp_path: Path, function: Any = copy_answer) -> Assistant:
    assistant = Assistant(ScriptedChatModel(function=function), demo_index, campaigns_dir=tmp_path)
    desk = CampaignDesk(demo_index, assistant.texts, tmp_path, today=lambda: TODAY)
    assistant.merchant.campaigns = desk
    assistant.tools.campaigns = desk
    return _with_desk(assistant, desk)


def _with_desk(assistant: Assistant, desk: CampaignDesk) -> Assistant:
    """The graph was built with the assistant's own desk: give it the one with a fixed clock."""
    from assistant.agent import build_graph

    assistant.graph = build_graph(
        assistant.texts.model, assistant.catalog, checkpointer=assistant.checkpointer,
        texts=assistant.texts, campaigns=desk,
    )  # fmt: skip
    return assistant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write a Singles' Day post for all our backpacks, 20% off until 11.11, for students", True),
        ("双十一给所有背包写一条小红书笔记，8折", True),
        ("Black Friday email for bags under $50, $10 off", True),
        ("write a campaign for jackets", True),
        ("any Black Friday deals on backpacks?", False),  # a shopper's question, no channel, no "write"
        ("is the duffle bag on sale?", False),
        ("write an Instagram caption for the Summit Watch", False),  # copy, no offer or sale
        ("waterproof backpack under $60", False),
    ],
)
def test_what_asks_for_a_campaign(text: str, expected: bool) -> None:
    assert asks_for_campaign(text) is expected


@pytest.mark.parametrize(
    ("text", "lang", "offer", "dates", "channels", "segments", "asked"),
    [
        ("write a Singles' Day post for all our backpacks, 20% off until 11.11, for students", "en",
         {"kind": "percent_off", "percent": 20.0}, ("2027-11-04", "2027-11-11"), ["social"], ["students"], "backpacks"),
        ("双十一给所有背包写一条小红书笔记，8折，面向学生", "zh",
         {"kind": "percent_off", "percent": 20.0}, ("2027-11-04", "2027-11-11"), ["xiaohongshu"], ["students"], "背包"),
        ("Black Friday email for bags under $50, $10 off", "en",
         {"kind": "amount_off", "amount": 10.0, "currency": "USD"}, ("2027-11-19", "2027-11-26"), ["email"], [], "bags"),
        ("写一条朋友圈文案：全场满99包邮，12月10日至12月20日", "zh",
         {"kind": "free_shipping_over", "threshold": 99.0, "currency": "USD"}, ("2026-12-10", "2026-12-20"),
         ["wechat_moments"], [], ""),
        ("Christmas SMS: buy 2 get 1 free on all water bottles, from Dec 10 to Dec 24", "en",
         {"kind": "buy_n_get_m", "buy": 2, "get": 1}, ("2026-12-10", "2026-12-24"), ["sms"], [], "water bottles"),
        ("打七五折，所有瑜伽裤，写短信，到12月31日", "zh",
         {"kind": "percent_off", "percent": 25.0}, ("2026-12-03", "2026-12-31"), ["sms"], [], "瑜伽裤"),
        ("write a campaign for jackets", "en", None, (None, None), [], [], "jackets"),
    ],
)  # fmt: skip
def test_reading_a_request(
    text: str,
    lang: str,
    offer: Any,
    dates: tuple[Any, Any],
    channels: list[str],
    segments: list[str],
    asked: str,
) -> None:
    draft = read_campaign(text, lang, TODAY, "USD")
    assert (draft.offer, (draft.start, draft.end), draft.channels, draft.segments, draft.asked) == (
        offer, dates, channels, segments, asked,
    )  # fmt: skip


def test_a_number_that_is_not_an_offer_is_not_read_as_one() -> None:
    draft = read_campaign(
        "write a post for our 40 litre backpacks, campaign until Dec 20", "en", TODAY, "USD"
    )
    assert draft.offer is None and draft.missing == ["offer"]


def test_a_merchant_runs_a_campaign_in_chat(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path)
    text = "write a Singles' Day post for all our bags, 20% off, for students"
    reply = assistant.reply("web:shop", text, role="merchant")
    saved = assistant.merchant.campaigns.get("Singles' Day 2027")  # type: ignore[union-attr]
    assert saved.offer.kind == "percent_off" and saved.channels == ["social"]
    assert saved.audience.segments == ["students"] and saved.per_segment
    assert 'Saved campaign "Singles\' Day 2027"' in reply.text
    assert "Nov 4, 2027 to Nov 11, 2027" in reply.text and "I chose the dates" in reply.text
    assert reply.text.count("passed the fact check") == 3 and "3 of" in reply.text
    # every variant states the offer with the right sale price of its product
    rows = assistant.merchant.campaigns.rows("Singles' Day 2027")  # type: ignore[union-attr]
    for row in rows:
        price = demo_index.get(row["product_id"]).price  # type: ignore[union-attr]
        assert f"now ${price * 0.8:.2f} (was ${price:.2f})" in row["parts"]["text"]
    total = int(re.search(r"3 of (\d+) variants", reply.text).group(1))  # type: ignore[union-attr]
    more = assistant.reply("web:shop", "continue", role="merchant")
    assert f"8 of {total} variants" in more.text and "Saved campaign" not in more.text


def test_one_question_when_the_offer_and_products_are_missing(
    demo_index: CatalogIndex, tmp_path: Path
) -> None:
    assistant = make_assistant(demo_index, tmp_path)
    question = assistant.reply("web:shop", "write a campaign email until Dec 20", role="merchant")
    assert (
        "the offer" in question.text
        and "which products" in question.text
        and "when it ends" not in question.text
    )
    assert assistant.merchant.campaigns.campaigns()[0] == []  # type: ignore[union-attr]
    answer = assistant.reply("web:shop", "15% off all backpacks", role="merchant")
    assert (
        "Saved campaign" in answer.text
        and "15% off" in answer.text
        and "Dec 3, 2026 to Dec 20, 2026" in answer.text
    )
    saved = assistant.merchant.campaigns.campaigns()[0][0]  # type: ignore[union-attr]
    assert saved.channels == ["email"] and saved.end == date(2026, 12, 20)


def test_a_product_type_the_store_lacks_is_said_plainly(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path)
    reply = assistant.reply("web:shop", "Black Friday post: 30% off all rice cookers", role="merchant")
    assert "nothing that matches" in reply.text and "rice cookers" in reply.text
    assert assistant.merchant.campaigns.campaigns()[0] == []  # type: ignore[union-attr]


def test_a_chinese_campaign_comes_out_in_chinese(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path, chinese_answer)
    reply = assistant.reply("web:shop", "双十一给所有背包写一条小红书笔记，8折，到11月11日", role="merchant")
    assert "已保存活动" in reply.text and "8折" in reply.text and "通过事实核查" in reply.text
    rows = assistant.merchant.campaigns.rows(assistant.merchant.campaigns.campaigns()[0][0].name)  # type: ignore[union-attr]
    assert rows and all(row["lang"] == "zh" and "到手价" in "".join(row["parts"].values()) for row in rows)


def test_invented_offers_are_never_shown_as_passing(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path, inventing_answer)
    reply = assistant.reply(
        "web:shop", "write a push notification, 20% off all backpacks until Dec 24", role="merchant"
    )
    assert reply.text.count("rejected, not for use") == 3 and "passed" not in reply.text
    assert "Now 50% off" not in reply.text  # the rejected text itself is never shown


def test_shoppers_cannot_run_campaigns(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path)
    reply = assistant.reply("web:u1", "write a Black Friday post for all bags, 20% off")
    assert "merchant accounts only" in reply.text
    assert assistant.merchant.campaigns.campaigns()[0] == []  # type: ignore[union-attr]


def test_past_dates_are_refused(demo_index: CatalogIndex, tmp_path: Path) -> None:
    assistant = make_assistant(demo_index, tmp_path)
    reply = assistant.reply(
        "web:shop", "write an email: 20% off all backpacks until 2026-11-30", role="merchant"
    )
    assert "could not be run" in reply.text and "ended on 2026-11-30" in reply.text
