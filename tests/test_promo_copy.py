"""Promo copy: facts in the prompt, the fact check (numbers, claims), repair and rejection."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.testing import ScriptedChatModel
from index.schema import Product
from tools.promo_copy import TOOL_NAME, check_copy, product_facts, repair, write_copy

BAG = Product(
    id="24-MB01",
    title="Joust Duffle Bag",
    description="The sporty Joust Duffle Bag can't be beat. Dual top handles, 600-denier polyester.",
    brand="Luma",
    price=34.0,
    currency="USD",
    attributes={"material": "Polyester|Nylon", "volume": "26 L", "eco_collection": "No", "sale": "Yes"},
)


def test_facts_hold_what_copy_may_use():
    facts = product_facts(BAG, ["roomy main compartment"])
    assert "price: 34 USD" in facts and "volume: 26 L" in facts and "review highlight: roomy" in facts
    assert "material: Polyester, Nylon" in facts and "sale: Yes" in facts
    assert "eco" not in facts  # a flag that is not set is nothing to sell
    flags = product_facts(dataclasses.replace(BAG, attributes={"lined": False, "pockets": 0}))
    assert "lined" not in flags and "pockets: 0" in flags


def test_check_flags_invented_numbers_and_claims_only():
    facts = product_facts(BAG)
    assert check_copy("A 26 L polyester duffle for $34.00.", facts) == []
    assert check_copy("600-denier fabric, dual handles.", facts) == []
    problems = check_copy("Now 20% off, with a 2-year warranty and free shipping!", facts)
    assert "number 20 is not in the facts" in problems and "number 2 is not in the facts" in problems
    assert (
        "claim 'warranty' is not in the facts" in problems
        and "claim 'free shipping' is not in the facts" in problems
    )
    assert check_copy("防水面料，全国包邮", "title: 背包") == [
        "claim '包邮' is not in the facts",
        "claim '防水' is not in the facts",
    ]


def test_repair_removes_only_the_unsupported_sentences():
    facts = product_facts(BAG)
    assert (
        repair("Roomy 26 L duffle. Waterproof too! Dual handles.", facts)
        == "Roomy 26 L duffle. Dual handles."
    )
    assert repair("- 26 L volume\n- 5-year warranty\n- Polyester", facts) == "- 26 L volume\n- Polyester"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Only $34.00 today. Waterproof too!", "Only $34.00 today."),  # a decimal point ends no sentence
        ("Version 2.5 of a classic. 600-denier polyester.", "600-denier polyester."),  # 2.5 is no fact
        ("结实耐用。防水面料！26 L 大容量", "结实耐用。26 L 大容量"),
    ],
)
def test_repair_splits_sentences_not_numbers(text: str, kept: str):
    assert repair(text, product_facts(BAG)) == kept


def test_write_copy_checks_each_variant(scripted_model: ScriptedChatModel):
    scripted_model.enqueue_tool_call(
        TOOL_NAME,
        {
            "variants": [
                "Meet the Joust Duffle Bag: 26 L of sporty polyester for $34.",
                "The Joust Duffle Bag. Certified organic and 50% off!",
                "Joust Duffle Bag, now with 3 pockets. Built for the gym.",
            ]
        },
    )
    variants = write_copy(BAG, scripted_model, format="short_description", tone="playful", n=3)
    assert [v.ok for v in variants] == [True, True, True]
    assert variants[0].problems == () and not variants[0].repaired
    assert variants[1].repaired and variants[1].text == "The Joust Duffle Bag."
    assert variants[2].text == "Built for the gym." and "number 3 is not in the facts" in variants[2].problems
    call = scripted_model.last_call
    assert call.tool_choice == TOOL_NAME
    bounds = call.kwargs["argument_schemas"]["variants"]
    assert bounds["minItems"] == bounds["maxItems"] == 3 and bounds["items"]["maxLength"] == 300
    request = str(call.messages[1].content)
    assert "playful" in request and request.index("playful") < request.index("<facts>")


def test_every_request_in_a_language_starts_with_the_same_prompt(scripted_model: ScriptedChatModel):
    for _ in range(2):
        scripted_model.enqueue_tool_call(TOOL_NAME, {"variants": ["Sporty and roomy."]})
    write_copy(BAG, scripted_model, format="slogan", tone="premium")
    write_copy(BAG, scripted_model, format="post", n=1, channel="Telegram")
    first, second = scripted_model.calls
    assert first.tools == second.tools and first.messages[0] == second.messages[0]
    assert first.kwargs["argument_schemas"] != second.kwargs["argument_schemas"]


def test_a_model_without_a_grammar_sees_the_bounds_in_the_tool():
    model = ScriptedChatModel(narrows_tool_calls=False)
    model.enqueue_tool_call(TOOL_NAME, {"variants": ["Sporty and roomy.", "Ready for the gym."]})
    variants = write_copy(BAG, model, format="slogan", n=2)
    schema = model.last_call.tools[0]["function"]["parameters"]["properties"]["variants"]
    assert schema["maxItems"] == 2 and schema["items"]["maxLength"] == 60
    assert "argument_schemas" not in model.last_call.kwargs and len(variants) == 2


def test_unrepairable_variant_is_rejected(scripted_model: ScriptedChatModel):
    scripted_model.enqueue_tool_call(TOOL_NAME, {"variants": ["全场5折，包邮！"]})
    [variant] = write_copy(BAG, scripted_model, format="slogan", lang="zh")
    assert not variant.ok and variant.text == "全场5折，包邮！" and variant.problems
    assert "Simplified Chinese" in str(scripted_model.last_call.messages[0].content)


def test_bad_arguments():
    model = ScriptedChatModel()
    with pytest.raises(ValueError):
        write_copy(BAG, model, format="poem")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        write_copy(BAG, model, n=0)


def test_copy_command_unknown_product(demo_index, capsys):
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["copy", "--index", str(demo_index.directory), "--product", "nope"])
    assert exit_.value.code == 1
    assert "no product 'nope'" in capsys.readouterr().err


@pytest.mark.real_model
def test_copy_command_with_the_small_model(demo_index, monkeypatch, capsys):
    import json

    from ui.cli import main

    monkeypatch.setenv("SHOPBOT_CHAT_MODEL", "smollm2-135m-instruct")
    monkeypatch.setenv("SHOPBOT_CHAT_N_THREADS", "1")
    with pytest.raises(SystemExit):
        main(["copy", "--index", str(demo_index.directory), "--product", "24-MB01", "-n", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["product_id"] == "24-MB01" and len(out["variants"]) == 2
    facts = product_facts(demo_index.get("24-MB01"))
    for variant in out["variants"]:
        assert variant["text"] and variant["ok"] == (
            not check_copy(variant["text"], facts) or variant["repaired"]
        )
        if variant["ok"]:
            assert check_copy(variant["text"], facts) == []


def test_chinese_copy_is_asked_for_in_chinese_and_copy_in_another_language_is_rejected(scripted_model):
    scripted_model.enqueue_tool_call(
        TOOL_NAME, {"variants": ["耐用的健身包，容量26 L。", "Joust Duffle Bag, 26 L"]}
    )
    good, english = write_copy(
        BAG, scripted_model, format="short_description", lang="zh", n=2, tone="premium"
    )
    assert good.ok and good.text == "耐用的健身包，容量26 L。"
    assert not english.ok and english.problems == ("not written in zh",)
    system, user = (str(m.content) for m in scripted_model.last_call.messages)
    assert "简体中文" in system and "语气高端" in user and user.endswith("请用简体中文写文案。")
