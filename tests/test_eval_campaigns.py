"""The campaigns section of ``shopbot eval reviews``: verdicts counted per language, and the
offer, price, limit and language checks it makes on delivered variants by itself."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.testing import ScriptedChatModel
from index.schema import Product
from tools.campaign import Campaign, parse_campaign
from tools.campaign_copy import TOOL_NAME
from ui.eval_campaigns import (
    eval_cases,
    expected_sale,
    limit_findings,
    offer_findings,
    run_campaigns,
    sample_table,
    summary_table,
)

BAG = Product(id="24-MB01", title="Joust Duffle Bag", price=59.0, currency="USD", description="Roomy.")
PAN = Product(
    id="1051001", title="Carat钻石煎锅28cm", price=159.0, currency="CNY", attributes={"材质": "100%铝"}
)
LINE = "20% off, Nov 1 to Nov 11: now $47.20 (was $59.00)."
ZH_LINE = "立减¥30.00，11月1日至11月11日，到手价¥129.00（原价¥159.00）。"


def make(**changes: Any) -> Campaign:
    data: dict[str, Any] = {
        "name": "Singles' Day",
        "start": "2027-11-01",
        "end": "2027-11-11",
        "channels": ["email", "push"],
        "offer": {"kind": "percent_off", "percent": 20},
        "products": {"ids": ["24-MB01"]},
        "call_to_action": "Shop now.",
    }
    return parse_campaign({**data, **changes}, "test")


ZH = make(
    name="双十一",
    lang="zh",
    channels=["wechat_moments"],
    offer={"kind": "amount_off", "amount": 30, "currency": "CNY"},
    call_to_action="立即抢购。",
)


def reply(model: ScriptedChatModel, **parts: Any) -> None:
    model.enqueue_tool_call(TOOL_NAME, {"variants": [parts]})


def test_verdicts_and_checks_are_counted_per_language(scripted_model: ScriptedChatModel) -> None:
    reply(scripted_model, subject="Your gym bag, for less", preheader="Room for it all.", body="Pack it all.")
    reply(scripted_model, title="Gym day", body="Only $47 today! Pack it all.")  # a wrong price
    reply(
        scripted_model, text="A great pan for every kitchen, light and even."
    )  # English, in a Chinese campaign
    rows = run_campaigns([(make(), [BAG]), (ZH, [PAN])], scripted_model)
    scripted_model.assert_complete()
    assert [row.verdict for row in rows] == ["ok", "repaired", "rejected"]
    email, push, moments = rows
    assert email.delivered and email.offer_wrong == () and email.limits_broken == () and email.language_right
    assert push.parts["body"] == f"Pack it all. {LINE}"  # the wrong price was removed before delivery
    assert "body: price $47 is not the campaign's: the sale price is $47.20" in push.problems
    assert push.offer_wrong == () and push.limits_broken == ()
    assert not moments.delivered and "not written in zh" in moments.problems
    lines = summary_table(rows).splitlines()
    assert lines[0].startswith("| lang | variants | ok | repaired | rejected | error | delivered |")
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [row[:7] for row in cells] == [
        ["en", "2", "1", "1", "0", "0", "2/2 (100%)"],
        ["zh", "1", "0", "0", "1", "0", "0/1 (0%)"],
        ["all", "3", "1", "1", "1", "0", "2/3 (67%)"],
    ]
    assert [row[7:10] for row in cells] == [["2/2 (100%)"] * 3, ["-"] * 3, ["2/2 (100%)"] * 3]
    samples = sample_table(rows)
    assert (
        samples.count("\n") == 4
        and "| Singles' Day | 24-MB01 Joust Duffle Bag | push |  | repaired |" in samples
    )
    assert "not written in zh" in samples


def test_a_failed_generation_is_an_error_row(scripted_model: ScriptedChatModel) -> None:
    scripted_model.enqueue_error(RuntimeError("the model is busy"))
    [row] = run_campaigns([(make(channels=["sms"]), [BAG])], scripted_model)
    assert row.verdict == "error" and not row.delivered and "the model is busy" in row.problems[0]
    en = [cell.strip() for cell in summary_table([row]).splitlines()[2].strip("|").split("|")]
    assert en[:10] == ["en", "1", "0", "0", "0", "1", "0/1 (0%)", "-", "-", "-"]


def test_the_sale_price_is_recomputed_with_decimal() -> None:
    assert expected_sale(59.0, "USD", make()) == Decimal("47.20")
    assert expected_sale(0.1 + 0.2, "USD", make(offer={"kind": "percent_off", "percent": 15})) == Decimal(
        "0.26"
    )
    assert expected_sale(159.0, "CNY", ZH) == Decimal("129.00")
    assert expected_sale(4720, "JPY", make(offer={"kind": "percent_off", "percent": 15})) == Decimal("4012")
    bogo = make(offer={"kind": "buy_n_get_m", "buy": 2, "get": 1})
    assert expected_sale(59.0, "USD", bogo) is None


OFFER_TEXTS = [  # (campaign, product, delivered text, what the check finds)
    (make(), BAG, f"Pack it all. {LINE} Shop now.", []),
    (make(), BAG, f"Only $47! {LINE}", ["money $47 is not the offer's"]),
    (make(), BAG, f"Was $59.00, now less. {LINE}", ["catalog price $59.00 stated twice"]),
    (make(), BAG, f"Save 30% today. {LINE}", ["percent 30% is not the offer's"]),
    (make(), BAG, "Pack it all. 20% off, Nov 1 to Nov 11.", ["sale price 47.20 not stated"]),
    (make(), BAG, "Now $47.20 (was $59.00), Nov 1 to Nov 11.", ["offer 20% not stated"]),
    (make(), BAG, "20% off, Nov 1: now $47.20 (was $59.00).", ["date Nov 11 not stated"]),
    (ZH, PAN, f"100%铝，受热均匀。{ZH_LINE}立即抢购。", []),  # a percent among the product's facts
    (ZH, PAN, f"只要¥120！{ZH_LINE}", ["money ¥120 is not the offer's"]),
    (ZH, PAN, f"8折！{ZH_LINE}", ["percent 8折 is not the offer's"]),
    (make(offer={"kind": "buy_n_get_m", "buy": 2, "get": 1}), BAG, "Buy 2, get 1 free, Nov 1 to Nov 11.", []),
    (make(offer={"kind": "buy_n_get_m", "buy": 2, "get": 1}), BAG, "Buy 3, get 1, Nov 1 to Nov 11.",
     ["offer buy 2 get 1 not stated"]),
    (make(lang="zh", offer={"kind": "free_shipping_over", "threshold": 99, "currency": "CNY"}), PAN,
     "满¥99.00包邮，11月1日至11月11日。", []),
    (make(lang="zh", offer={"kind": "free_shipping_over", "threshold": 99, "currency": "CNY"}), PAN,
     "满¥88.00包邮，11月1日至11月11日。", ["money ¥88.00 is not the offer's", "offer amount 99 not stated"]),
]  # fmt: skip


@pytest.mark.parametrize(("campaign", "product", "text", "found"), OFFER_TEXTS)
def test_offer_findings(campaign: Campaign, product: Product, text: str, found: list[str]) -> None:
    assert offer_findings(campaign, product, text) == found


def test_limits_are_recounted_as_each_channel_counts() -> None:
    assert limit_findings("sms", {"text": "a" * 160}) == []
    assert limit_findings("sms", {"text": "a" * 161}) == ["text 2 > 1 (sms)"]
    assert limit_findings("sms", {"text": "立" * 71}) == ["text 2 > 1 (sms)"]  # UCS-2: 70 a message
    assert limit_findings("push", {"title": "😀" * 26, "body": "ok"}) == ["title 52 > 50 (utf16)"]
    assert limit_findings("banner", {"headline": "Big day", "offer": ""}) == ["offer empty"]
    two = "- " + LINE + "\n- Roomy."
    assert limit_findings("listing", {"title": "Bag", "bullets": two}) == ["bullets has 2 items"]


def test_a_missing_chinese_catalog_is_skipped_with_a_note(tmp_path: Path) -> None:
    cases, notes = eval_cases(tmp_path)
    assert [campaign.lang for campaign, _ in cases] == ["en", "en", "en", "en"]
    assert [len(products) for _, products in cases] == [2, 2, 4, 2]
    assert len(notes) == 4 and all("is missing" in note and "skipped" in note for note in notes)
