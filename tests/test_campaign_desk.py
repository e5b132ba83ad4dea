"""CampaignDesk: saving (refused when past or matching nothing), runs a few variants at a time
that resume, edits checked again, copy set aside when the terms change.

Over the real demo-store index with the scripted chat model answering the CampaignCopy call.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from assistant.testing import ScriptedChatModel
from index.catalog import CatalogIndex
from tools.campaign import CampaignError, parse_campaign
from tools.campaign_copy import TOOL_NAME
from tools.campaign_desk import CampaignDesk
from tools.product_texts import ProductTexts

TODAY = date(2026, 12, 3)
DUFFLE = "24-MB01"  # Joust Duffle Bag, $34


def answer(messages: list[Any], call: Any) -> AIMessage:
    schema = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: (["Roomy", "Light", "Tough"] if spec.get("type") == "array" else "Ready for the gym.")
               for name, spec in schema.items()}  # fmt: skip
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


def campaign(**changes: Any) -> Any:
    data: dict[str, Any] = {
        "name": "Winter Bags",
        "offer": {"kind": "percent_off", "percent": 20},
        "start": "2026-12-01",
        "end": "2026-12-24",
        "channels": ["push", "email"],
        "products": {"ids": [DUFFLE, "24-MB04"]},
    }
    return parse_campaign({**data, **changes}, "test")


@pytest.fixture
def desk(demo_index: CatalogIndex, tmp_path: Path) -> CampaignDesk:
    texts = ProductTexts(demo_index, ScriptedChatModel(function=answer))
    return CampaignDesk(demo_index, texts, tmp_path, today=lambda: TODAY)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"end": "2026-12-02", "start": "2026-11-20"}, "ended on 2026-12-02"),
        ({"products": {"ids": ["NOPE"]}}, "the catalog has no product 'NOPE'"),
        ({"products": {"category": "rice cookers"}}, "nothing in the catalog matches"),
    ],
)
def test_saving_refuses_what_cannot_run(desk: CampaignDesk, changes: dict[str, Any], error: str) -> None:
    with pytest.raises(CampaignError, match=error):
        desk.save(campaign(**changes))
    assert desk.campaigns() == ([], [])


def test_a_current_campaign_is_saved_and_replaced_by_name(desk: CampaignDesk) -> None:
    assert desk.save(campaign()) is False
    assert desk.save(campaign(call_to_action="Shop now")) is True
    assert desk.get("winter bags").call_to_action == "Shop now"
    assert desk.state(desk.get("Winter Bags")) == "running"


def test_a_run_writes_a_few_variants_and_the_next_goes_on(desk: CampaignDesk) -> None:
    desk.save(campaign())
    first = desk.run("Winter Bags", limit=3)
    assert (first.summary.written, first.done, first.variants, first.remaining) == (3, 3, 4, 1)
    second = desk.run("Winter Bags", limit=3)
    assert (second.summary.written, second.summary.skipped, second.remaining) == (1, 3, 0)
    rows = desk.rows("Winter Bags")
    assert [(r["product_id"], r["channel"]) for r in rows] == [
        (DUFFLE, "push"), (DUFFLE, "email"), ("24-MB04", "push"), ("24-MB04", "email"),
    ]  # fmt: skip
    assert all("now $27.20 (was $34.00)" in "".join(r["parts"].values()) for r in rows[:2])
    with first.csv.open(encoding="utf-8", newline="") as file:
        assert len(list(csv.DictReader(file))) == 4


@pytest.mark.parametrize(
    ("body", "verdict", "problem"),
    [
        ("Built for winter trips. 20% off, Dec 1 to Dec 24: now $27.20 (was $34.00).", "ok", None),
        ("Built for winter trips.", "ok", None),  # the offer line is added back
        ("Now 50% off, this week only!", "rejected", "offer 50% off is not the campaign's"),
        ("Yours for $20 until Dec 31.", "rejected", "price $20 is not the campaign's"),
    ],
)
def test_an_edited_variant_is_checked_again(
    desk: CampaignDesk, body: str, verdict: str, problem: str | None
) -> None:
    desk.save(campaign(channels=["push"]))
    desk.run("Winter Bags", limit=1)
    row = desk.edit("Winter Bags", DUFFLE, "push", None, {"title": "Winter Bags", "body": body})
    assert row["verdict"] == verdict and row["edited"] is True
    assert problem is None or any(problem in p for p in row["problems"])
    if verdict == "ok":  # the offer line is stated once, whether the merchant kept it or not
        assert row["parts"]["body"].count("now $27.20 (was $34.00)") == 1
    assert desk.rows("Winter Bags")[0]["verdict"] == verdict


def test_editing_what_was_not_written_is_an_error(desk: CampaignDesk) -> None:
    desk.save(campaign())
    with pytest.raises(CampaignError, match="no push variant"):
        desk.edit("Winter Bags", DUFFLE, "push", None, {"body": "Hello."})
    with pytest.raises(CampaignError, match="no saved campaign"):
        desk.edit("Summer", DUFFLE, "push", None, {"body": "Hello."})


def test_new_terms_set_the_old_copy_aside(desk: CampaignDesk, tmp_path: Path) -> None:
    desk.save(campaign())
    desk.run("Winter Bags", limit=2)
    desk.save(campaign(offer={"kind": "percent_off", "percent": 30}))
    assert desk.rows("Winter Bags") == []
    kept = sorted(p.name for p in (tmp_path / "campaign_runs").iterdir() if not p.name.startswith("."))
    assert len(kept) == 2 and all(name.startswith("winter-bags-") and name.count(".") == 2 for name in kept)
    rerun = desk.run("Winter Bags", limit=1)
    assert rerun.summary.written == 1 and "30% off" in "".join(desk.rows("Winter Bags")[0]["parts"].values())


def test_deleting_keeps_the_copy_aside(desk: CampaignDesk, tmp_path: Path) -> None:
    desk.save(campaign())
    desk.run("Winter Bags", limit=1)
    desk.delete("Winter Bags")
    assert desk.campaigns() == ([], [])
    assert len(list((tmp_path / "campaign_runs").glob("*.jsonl"))) == 1
    desk.save(campaign())
    assert desk.rows("Winter Bags") == []


def test_an_offer_that_fits_no_product_is_refused(desk: CampaignDesk) -> None:
    with pytest.raises(CampaignError, match="cannot apply to any of the products"):
        desk.save(campaign(offer={"kind": "amount_off", "amount": 100, "currency": "USD"}))


def test_setting_aside_the_same_terms_twice_keeps_both(desk: CampaignDesk, tmp_path: Path) -> None:
    for percent in (20, 30, 20, 30):
        desk.save(campaign(offer={"kind": "percent_off", "percent": percent}))
        desk.run("Winter Bags", limit=1)
    assert len(list((tmp_path / "campaign_runs").glob("*.jsonl"))) == 4  # three set aside, one current
