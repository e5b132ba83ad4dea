"""Campaign copy: the shop's offer line in every variant, the model's text checked against the
product and the campaign, channel limits counted exactly, segments, Chinese, the cache."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.testing import ScriptedChatModel
from index.schema import Product
from tools.campaign import Campaign, parse_campaign
from tools.campaign_copy import TOOL_NAME, check_variant, write_campaign_copy
from tools.text_cache import TextCache

BAG = Product(
    id="24-MB01",
    title="Joust Duffle Bag",
    price=59.0,
    currency="USD",
    description="Dual top handles, 600-denier polyester.",
    attributes={"volume": "26 L"},
)
LINE = "20% off, Nov 1 to Nov 11: now $47.20 (was $59.00)."


def make(**changes: Any) -> Campaign:
    data: dict[str, Any] = {
        "name": "Singles' Day",
        "start": "2026-11-01",
        "end": "2026-11-11",
        "channels": ["email", "sms", "listing", "banner", "social"],
        "offer": {"kind": "percent_off", "percent": 20},
        "products": {"ids": ["24-MB01"]},
        "call_to_action": "Shop now.",
        "audience": {"description": "back to campus", "segments": ["students", "parents"]},
    }
    return parse_campaign({**data, **changes}, "test")


def reply(model: ScriptedChatModel, **parts: Any) -> None:
    model.enqueue_tool_call(TOOL_NAME, {"variants": [parts]})


EMAIL = {
    "subject": "Your gym bag, for less",
    "preheader": "26 L of room for all of it.",
    "body": "Pack it all.",
}


def test_correct_copy_passes_with_the_offer_line_and_call_to_action(
    scripted_model: ScriptedChatModel,
) -> None:
    reply(scripted_model, **EMAIL)
    variant = write_campaign_copy(make(), BAG, "email", scripted_model)
    assert variant.verdict == "ok" and variant.problems == () and variant.ok
    assert variant.parts == {
        "subject": "Your gym bag, for less",
        "preheader": "26 L of room for all of it.",
        "body": f"Pack it all. {LINE} Shop now.",
    }
    call = scripted_model.last_call
    assert call.tool_choice == TOOL_NAME
    schema = call.kwargs["argument_schemas"]["variants"]
    assert schema["minItems"] == schema["maxItems"] == 1
    caps = {name: prop["maxLength"] for name, prop in schema["items"]["properties"].items()}
    assert caps == {"subject": 60, "preheader": 100, "body": 600}  # llama.cpp's grammar takes ~1,000 at most
    request = str(call.messages[1].content)
    assert "for shoppers" in request and "About the audience: back to campus" in request
    assert request.index("Singles' Day") < request.index("<facts>") and "volume: 26 L" in request
    assert "59" not in request and "20%" not in request  # shown a price or the offer, a model repeats it


def test_a_date_in_the_merchants_call_to_action_is_theirs(scripted_model: ScriptedChatModel) -> None:
    reply(scripted_model, **EMAIL)
    variant = write_campaign_copy(make(call_to_action="Order by Nov 9."), BAG, "email", scripted_model)
    assert variant.verdict == "ok" and variant.parts["body"].endswith("Order by Nov 9.")
    reply(scripted_model, **{**EMAIL, "body": "Order by Nov 10."})  # a date of the model's own is not
    wrong = write_campaign_copy(make(call_to_action="Order by Nov 9."), BAG, "email", scripted_model)
    assert any("date Nov 10 is not the campaign's" in p for p in wrong.problems)


CUT = [  # the model's text, run into its cap; what is kept
    ("Roomy and light. Built for the gym", "Roomy and light."),
    ("Built for the gym, the road", "Built for the gym."),
    ("A light, raincoat that keeps you dry", "A light."),  # no clause ends on "raincoat that"
    ("A lightweight raincoat that, keeps", "A lightweight raincoat."),
    ("Builtforthegym", None),
]


@pytest.mark.parametrize(("start", "kept"), CUT)
def test_a_sentence_cut_by_the_cap_is_removed(start: str, kept: str | None) -> None:
    campaign = make(channels=["push"])
    cap = 120 - len(f" {LINE}")
    text = (start + " and more" * 20)[:cap]
    variant = check_variant(campaign, BAG, "push", {"title": "Gym day", "body": text})
    assert "body: cut off at the length limit; the unfinished sentence was removed" in variant.problems
    if kept is None:
        assert variant.verdict == "rejected"
    else:
        assert variant.verdict == "repaired" and variant.parts["body"] == f"{kept} {LINE}"
    whole = check_variant(campaign, BAG, "push", {"title": "Gym day", "body": text[: cap - 1] + "."})
    assert whole.verdict == "ok"
    edited = check_variant(campaign, BAG, "push", {"title": "Gym day", "body": text}, capped=False)
    assert edited.verdict == "ok"  # a merchant's edit was not cut by a grammar


WRONG = [  # body the model wrote, the problem found
    ("Now only $47! Pack it all.", "body: price $47 is not the campaign's: the sale price is $47.20"),
    ("Save 30% today. Pack it all.", "body: offer Save 30% is not the campaign's: 20% off"),
    ("Pack it all. Ends Nov 12.", "body: date Nov 12 is not the campaign's (Nov 1 – Nov 11)"),
    ("Free shipping too! Pack it all.", "body: claim 'free shipping' is not in the facts"),
    ("Pack it all. Buy 2, get 1 free.", "body: number 2 is not in the facts"),
]


@pytest.mark.parametrize(("body", "problem"), WRONG)
def test_other_offers_wrong_prices_and_dates_are_flagged_and_removed(
    scripted_model: ScriptedChatModel, body: str, problem: str
) -> None:
    reply(scripted_model, **{**EMAIL, "body": body})
    variant = write_campaign_copy(make(), BAG, "email", scripted_model)
    assert variant.verdict == "repaired" and problem in variant.problems
    assert variant.parts["body"] == f"Pack it all. {LINE} Shop now."


def test_a_variant_with_nothing_sound_left_is_rejected(scripted_model: ScriptedChatModel) -> None:
    reply(scripted_model, **{**EMAIL, "subject": "50% off everything!"})
    variant = write_campaign_copy(make(), BAG, "email", scripted_model)
    assert variant.verdict == "rejected" and not variant.ok
    assert "subject: offer 50% off is not the campaign's: 20% off" in variant.problems
    assert variant.parts["subject"] == "50% off everything!"  # the merchant sees what was wrong


def test_a_merchants_edit_is_checked_again() -> None:
    edited = check_variant(make(), BAG, "email", {**EMAIL, "body": "Only $47.20, the sale price."})
    assert edited.verdict == "ok"
    wrong = check_variant(make(), BAG, "email", {**EMAIL, "subject": "Only $47"})
    assert wrong.verdict == "rejected" and "subject: price $47 is not the campaign's" in wrong.problems[1]


def test_sms_counts_segments_and_trims_to_one(scripted_model: ScriptedChatModel) -> None:
    cap = 160 - len(f" {LINE} Shop now.")
    second = "Built for the gym [and the road] "  # GSM-7 extension characters count 2 septets
    text = f"Roomy 26 L duffle. {second}{'x' * (cap - 53)}."  # within the grammar's cap, over 160 septets
    reply(scripted_model, text=text)
    variant = write_campaign_copy(make(), BAG, "sms", scripted_model)
    bound = scripted_model.last_call.kwargs["argument_schemas"]["variants"]["items"]["properties"]["text"]
    assert bound["maxLength"] == cap == len(text)
    assert variant.verdict == "repaired" and variant.parts["text"] == f"Roomy 26 L duffle. {LINE} Shop now."
    assert "text: 2 SMS segments, the limit is 1" in variant.problems


def test_an_sms_with_a_character_outside_gsm7_is_counted_as_ucs2(scripted_model: ScriptedChatModel) -> None:
    reply(scripted_model, text="Roomy duffle. It\u2019s ready.")  # a curly apostrophe: 70 units per SMS
    variant = write_campaign_copy(make(), BAG, "sms", scripted_model)
    assert variant.verdict == "repaired" and variant.parts["text"] == f"Roomy duffle. {LINE} Shop now."


def test_lines_tags_and_terms_only_parts(scripted_model: ScriptedChatModel) -> None:
    reply(
        scripted_model, title="Joust Duffle Bag, 26 L", bullets=["Dual top handles", "- 600-denier polyester"]
    )
    listing = write_campaign_copy(make(), BAG, "listing", scripted_model)
    assert listing.parts["bullets"] == f"- {LINE}\n- Dual top handles\n- 600-denier polyester"
    assert listing.verdict == "ok"
    reply(scripted_model, headline="Pack more, pay less")
    banner = write_campaign_copy(make(), BAG, "banner", scripted_model)
    assert banner.parts == {"headline": "Pack more, pay less", "offer": LINE} and banner.verdict == "ok"
    reply(scripted_model, text="Gym day?", hashtags=["#gym bag", "SinglesDay", "sale50"])
    social = write_campaign_copy(make(), BAG, "social", scripted_model)
    assert social.parts["hashtags"] == "#gymbag #SinglesDay" and social.verdict == "repaired"
    assert "hashtags: number 50 is not in the facts" in social.problems


def test_a_bullet_cut_by_its_cap_is_shortened_to_its_last_clause() -> None:
    cut = (
        "Big enough for a ball and sneakers, with room to spare, it is ideal for athletes" + " and more" * 5
    )[:110]
    listing = check_variant(
        make(),
        BAG,
        "listing",
        {"title": "Joust Duffle Bag", "bullets": ["Dual top handles", cut, "Polyester"]},
    )
    assert listing.verdict == "repaired"
    assert (
        listing.parts["bullets"].splitlines()[2] == "- Big enough for a ball and sneakers, with room to spare"
    )
    assert listing.problems[0].startswith("bullets: an item was cut off at the length limit")


def test_one_variant_per_segment_from_the_same_facts(scripted_model: ScriptedChatModel) -> None:
    campaign = make(per_segment=True)
    for segment in campaign.segments:
        reply(scripted_model, **EMAIL)
        assert write_campaign_copy(campaign, BAG, "email", scripted_model, segment=segment).segment == segment
    first, second = (str(call.messages[1].content) for call in scripted_model.calls)
    assert "for students" in first and "for parents" in second
    assert first.split("<facts>")[1] == second.split("<facts>")[1]


def test_a_chinese_campaign_gets_chinese_lines_and_rejects_english(scripted_model: ScriptedChatModel) -> None:
    campaign = make(lang="zh", channels=["xiaohongshu", "sms"], call_to_action="立即抢购")
    bottle = Product(id="Z1", title="运动水壶", price=199.0, currency="CNY", lang="zh")
    reply(scripted_model, title="开学必备水壶", body="轻巧好带。", topics=["开学季", "运动", "好物分享"])
    note = write_campaign_copy(campaign, bottle, "xiaohongshu", scripted_model, segment="students")
    assert note.verdict == "ok"
    assert note.parts["body"] == "轻巧好带。8折，11月1日至11月11日，到手价¥159.20（原价¥199.00）。立即抢购"
    assert note.parts["topics"] == "#开学季 #运动 #好物分享"
    request = str(scripted_model.last_call.messages[1].content)
    assert "面向学生" in request and "用简体中文" in request and request.endswith("不要照抄英文事实。")
    assert "简体中文" in str(scripted_model.last_call.messages[0].content)
    reply(scripted_model, text="Light and easy to carry.")
    english = write_campaign_copy(campaign, bottle, "sms", scripted_model)
    assert english.verdict == "rejected" and english.problems[0] == "not written in zh"
    cap = scripted_model.last_call.kwargs["argument_schemas"]["variants"]["items"]["properties"]["text"]
    assert cap["maxLength"] == 70 - len("8折，11月1日至11月11日，到手价¥159.20（原价¥199.00）。立即抢购")


def test_the_same_inputs_are_not_written_twice(scripted_model: ScriptedChatModel) -> None:
    cache = TextCache(None)
    reply(scripted_model, **EMAIL)
    first = write_campaign_copy(make(), BAG, "email", scripted_model, cache=cache, model_name="m")
    again = write_campaign_copy(make(), BAG, "email", scripted_model, cache=cache, model_name="m")
    assert not first.cached and again.cached and again.parts == first.parts
    assert len(scripted_model.calls) == 1
    reply(scripted_model, **EMAIL)  # another segment is another request
    write_campaign_copy(make(), BAG, "email", scripted_model, cache=cache, model_name="m", segment="students")
    assert len(scripted_model.calls) == 2


def test_an_offer_that_cannot_apply_is_an_error_before_the_model() -> None:
    campaign = make(offer={"kind": "amount_off", "amount": 80, "currency": "USD"})
    with pytest.raises(ValueError, match="not less than the price"):
        write_campaign_copy(campaign, BAG, "email", ScriptedChatModel())
