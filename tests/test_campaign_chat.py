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


@pytest.mark.parametrize(
    ("text", "lang", "offer"),
    [
        ("85折，所有瑜伽裤，写短信", "zh", {"kind": "percent_off", "percent": 15.0}),  # 8.5折, not 5折
        ("七五折，所有包包，写短信", "zh", {"kind": "percent_off", "percent": 25.0}),
        ("6.5折，所有夹克，写短信", "zh", {"kind": "percent_off", "percent": 35.0}),
        ("Half price on all shorts until Dec 15! Email our subscribers.", "en", {"kind": "percent_off", "percent": 50.0}),
        ("BOGO on water bottles, push notification", "en", {"kind": "buy_n_get_m", "buy": 1, "get": 1}),
        ("夹克第二件半价，到12月20日，写个朋友圈", "zh", None),  # the second item half price: not a campaign offer
        ("Buy one get one 50% off on tees, email", "en", None),
        ("满300减50，所有卫衣，写短信", "zh", None),
        ("立减20元，所有夹克，写封邮件", "zh", {"kind": "amount_off", "amount": 20.0, "currency": "CNY"}),
        ("短裤八八折，写短信", "zh", {"kind": "percent_off", "percent": 12.0}),
        ("20 percent off running shorts, newsletter", "en", {"kind": "percent_off", "percent": 20.0}),
        ("2 for 1 on hoodies, push", "en", {"kind": "buy_n_get_m", "buy": 1, "get": 1}),
        ("Buy 3 leggings, get 1 free, email", "en", {"kind": "buy_n_get_m", "buy": 3, "get": 1}),
        ("10% off one, 20% off two jackets, email", "en", None),  # tiered: not one offer
        ("全场免邮，发条朋友圈", "zh", {"kind": "free_shipping_over", "threshold": 0, "currency": "USD"}),
    ],
)  # fmt: skip
def test_offers_read_and_offers_refused(text: str, lang: str, offer: Any) -> None:
    assert asks_for_campaign(text)
    assert read_campaign(text, lang, TODAY, "USD").offer == offer


@pytest.mark.parametrize(
    ("text", "lang", "start", "end"),
    [
        ("30% off hoodies, Dec 10-20, homepage banner", "en", "2026-12-10", "2026-12-20"),
        ("Save 15% on jackets from the 5th to the 12th, email", "en", "2026-12-05", "2026-12-12"),
        ("25% off everything, ends Sunday. Social posts please.", "en", "2026-12-03", "2026-12-06"),
        ("包包清仓，立减15元，到月底，短信加邮件", "zh", "2026-12-03", "2026-12-31"),
        ("全场满199包邮，本周日结束，做个首页banner", "zh", "2026-12-03", "2026-12-06"),
        ("Plan a Mother's Day campaign: 15% off yoga pants, email", "en", "2027-05-02", "2027-05-09"),
        ("Black Friday email: 20% off bags", "en", "2027-11-19", "2027-11-26"),  # not "Friday" = Dec 4
        ("12月10日-20日，所有夹克9折，发推送", "zh", "2026-12-10", "2026-12-20"),
        ("Halloween sale: $15 off sweatshirts, Oct 25 through Halloween, EDM", "en", "2027-10-25", "2027-10-31"),
        ("Christmas email: 20% off all backpacks until Dec 24", "en", "2026-12-03", "2026-12-24"),  # not Dec 25
        ("hoodies starting Dec 10, for 3 days, 2 for 1, push", "en", "2026-12-10", "2026-12-12"),
        ("15% off till next Friday, write an email", "en", "2026-12-03", "2026-12-11"),  # said on a Thursday
        ("外套直降50美元，截至下周五，写短信", "zh", "2026-12-03", "2026-12-11"),
        ("Rain jackets are $20 off through the 15th, email", "en", "2026-12-03", "2026-12-15"),
        ("短裤八八折，12.20截止，发小红书", "zh", "2026-12-03", "2026-12-20"),
        ("托特包立减10元，到年底，发短信", "zh", "2026-12-03", "2026-12-31"),
    ],
)  # fmt: skip
def test_dates_said_many_ways(text: str, lang: str, start: str, end: str) -> None:
    draft = read_campaign(text, lang, TODAY, "USD")
    assert (draft.start, draft.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WeChat Moments and Xiaohongshu posts: 20% off jackets", ["xiaohongshu", "wechat_moments"]),
        ("write a post: 20% off jackets", ["social"]),
        ("手表8折，写SEO文案", ["seo"]),  # an English channel word inside Chinese text
        ("T恤8折，写商品详情页文案", ["listing"]),
    ],
)
def test_channels(text: str, expected: list[str]) -> None:
    assert read_campaign(text, "en", TODAY, "USD").channels == expected


def test_questions_about_campaigns_are_not_requests() -> None:
    assert not asks_for_campaign("How did last week's Cyber Monday email campaign perform?")
    assert asks_for_campaign("Can you write a Cyber Monday email for all bags, 20% off?")


@pytest.mark.parametrize(
    ("text", "lang", "titles"),
    [
        (
            "Mother's Day: 15% off all yoga pants, clearance, email",
            "en",
            {"Yoga Pant"},
        ),  # leftover words ignored
        ("所有夹克立减20元，12月10日到12月20日，写封邮件给会员", "zh", {"Jacket"}),
        ("瑜伽裤85折，到12月20日，发推送", "zh", {"Yoga Pant"}),  # the catalog's words: yoga pants
    ],
)
def test_the_product_words_among_the_rest(
    demo_index: CatalogIndex, text: str, lang: str, titles: set[str]
) -> None:
    from assistant.campaign_request import campaign_products

    draft = read_campaign(text, lang, TODAY, "USD")
    products, _ = campaign_products(draft, demo_index)
    assert products is not None and products["ids"]
    found = [demo_index.get(pid) for pid in products["ids"]]
    named = [f"{p.title} {p.category}" for p in found if p is not None]  # a jacket's category says so
    assert len(named) == len(found) and all(any(word in n for word in titles) for n in named), named


def test_a_price_limit_with_no_type_is_the_scope(demo_index: CatalogIndex) -> None:
    from assistant.campaign_request import campaign_products

    draft = read_campaign("50美元以下的商品全部9折，到12月15日，发邮件和推送", "zh", TODAY, "USD")
    assert campaign_products(draft, demo_index) == ({"min_price": 0, "max_price": 50.0}, "")


def test_a_lower_price_limit_alone_names_the_products(demo_index: CatalogIndex) -> None:
    from assistant.campaign_request import campaign_products

    draft = read_campaign("20% off the products over $50 until Dec 24, email", "en", TODAY, "USD")
    assert draft.missing == []
    assert campaign_products(draft, demo_index) == ({"min_price": 50.0}, "")
