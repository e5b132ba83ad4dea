"""The campaign-request scorer on a hand-made set (one right, one wrong per field) and the
data file's shape; no index, no model."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.schema import Product
from ui.eval_campaign_requests import (
    CHANNELS,
    DATA,
    FIELDS,
    Reading,
    RequestCase,
    baseline_reading,
    expected_asks,
    load_cases,
    of_type,
    score,
    segments_match,
)

PRODUCTS = {
    p.id: p
    for p in (
        Product("B1", "Fusion Backpack", category="Gear/Bags", categories=["Gear/Bags"]),
        Product("B2", "Joust Duffle Bag", category="Gear/Bags", categories=["Gear/Bags"]),
        Product("S1", "Juliana Short-Sleeve Tee", category="Women/Tops/Tees", categories=["Women/Tops/Tees"]),
        Product(
            "S2", "Apollo Running Short", category="Men/Bottoms/Shorts", categories=["Men/Bottoms/Shorts"]
        ),
    )
}
PERCENT_20 = {"kind": "percent_off", "percent": 20}
BACKPACKS = RequestCase(
    "20% off backpacks until Dec 24, email, for students", "en", True, PERCENT_20, "2026-12-24",
    ("email",), ("students",), "type:backpack",
)  # fmt: skip
NO_OFFER = RequestCase("Christmas post for all products", "en", True, None, "2026-12-25", (), (), "storewide")


def test_a_right_and_a_wrong_reading_of_every_field_are_counted() -> None:
    right = Reading(
        True, {"kind": "percent_off", "percent": 20.0}, "2026-12-24", ("email",), ("Students",),
        frozenset(), {"ids": ["B1"]},
    )  # fmt: skip
    wrong = Reading(
        True, {"kind": "percent_off", "percent": 25.0}, "2026-12-20", ("email", "sms"), (),
        frozenset({"dates"}), {"ids": ["B1", "B2"]},  # the duffle is no backpack
    )  # fmt: skip
    cases = [BACKPACKS, BACKPACKS]
    (s,) = score(cases, [right, wrong], PRODUCTS.get, "reader")
    assert s.campaigns == 2 and s.true_pos == 2 and s.false_neg == 0
    assert s.right == dict.fromkeys(FIELDS, 1)
    assert s.all_right == 1
    ((text, problems),) = s.wrong
    assert text == BACKPACKS.text
    assert [p.split(":")[0] for p in problems] == list(FIELDS)


def test_detection_counts_precision_and_recall_per_language() -> None:
    shopper = RequestCase("any Black Friday deals on backpacks?", "en", False)
    chinese = RequestCase("双十二全场8折", "zh", True, PERCENT_20, "2026-12-12", (), (), "storewide")
    readings = [
        Reading(True),  # a shopper's question read as a campaign: a false positive
        Reading(False, PERCENT_20, "2026-12-12", (), (), frozenset(), {"min_price": 0}),  # missed
    ]
    en, zh = score([shopper, chinese], readings, PRODUCTS.get, "reader")
    assert (en.lang, en.false_pos, en.campaigns, en.precision) == ("en", 1, 0, 0.0)
    assert (zh.lang, zh.false_neg, zh.recall) == ("zh", 1, 0.0)
    assert zh.right["offer"] == 1 and zh.all_right == 0  # every field right, but not detected
    assert zh.wrong[0][1] == ["detection: not read as a campaign request"]


def test_scopes_and_questions() -> None:
    asks_offer = Reading(True, None, "2026-12-25", (), (), frozenset({"offer"}), {"min_price": 0})
    under = Reading(True, None, "2026-12-25", (), (), frozenset({"offer"}), {"min_price": 0, "max_price": 50})
    (s,) = score([NO_OFFER, NO_OFFER], [asks_offer, under], PRODUCTS.get, "reader")
    assert s.right["scope"] == 1 and s.right["asks"] == 2
    assert expected_asks(NO_OFFER) == {"offer"}
    absent = RequestCase("rice cookers 10% off", "en", True, None, None, (), (), "absent:rice cookers")
    assert expected_asks(absent) == {"offer", "products", "dates"}
    nothing = Reading(True, None, None, (), (), frozenset({"offer", "products", "dates"}), None)
    (s,) = score([absent], [nothing], PRODUCTS.get, "reader")
    assert s.right["scope"] == 1 and s.all_right == 1


def test_type_and_segment_matching() -> None:
    assert of_type(PRODUCTS["S2"], "short") and not of_type(PRODUCTS["S1"], "short")
    assert of_type(PRODUCTS["B2"], "bag") and not of_type(PRODUCTS["B2"], "backpack")
    assert segments_match(["students"], ["college_students"])
    assert segments_match(["gym goers"], ["gym-goers"])
    assert not segments_match(["moms"], ["parents"]) and not segments_match([], ["students"])


def test_the_baseline_takes_the_first_percent_and_the_first_date() -> None:
    reading = baseline_reading("Hoodies 30% off, Dec 10-20, homepage banner", list(PRODUCTS.values()))
    assert reading.campaign and reading.offer == {"kind": "percent_off", "percent": 30.0}
    assert reading.end == "2026-12-10" and reading.channels == ("banner",)
    assert baseline_reading("全场八五折", []).offer is None  # no Chinese numerals
    assert baseline_reading("全场85折", []).offer == {"kind": "percent_off", "percent": 15.0}


def test_the_data_file_parses_and_every_line_has_its_fields() -> None:
    lines = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == 60
    assert sum(row["lang"] == "en" for row in lines) == 30
    for row in lines:
        assert {"text", "lang", "campaign"} <= row.keys()
        if row["campaign"]:
            assert {"offer", "end", "channels", "segments", "scope"} <= row.keys()
            assert set(row["channels"]) <= set(CHANNELS)
            if row["end"]:
                assert date.fromisoformat(row["end"]) >= date(2026, 12, 3)
    cases = load_cases()
    assert len(cases) == 60 and sum(not c.campaign for c in cases) >= 8


def test_a_line_without_its_fields_is_named(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"text": "20% off bags", "lang": "en", "campaign": true, "offer": null}\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"set.jsonl:1: a campaign needs end, channels, segments, scope"):
        load_cases(path)
