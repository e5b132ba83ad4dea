"""The Merchant tab's Campaigns section over HTTP: list, save from the form, write copy, edit.

The endpoints are called with gradio_client against a server on 127.0.0.1 over the real
demo-store index; the chat model is scripted to answer every CampaignCopy call, and the
campaign desk's clock is fixed.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant import Assistant
from assistant.testing import ScriptedChatModel
from tools.campaign_copy import TOOL_NAME
from tools.campaign_desk import CampaignDesk
from ui.web_campaign_form import FORM
from ui.web_campaigns import UNAVAILABLE

KEY = "merchant-key-0123456789"
TODAY = date(2026, 8, 20)
FORM_DEFAULTS: dict[str, Any] = {
    "name": "Back to School", "offer_kind": "percent_off", "offer_value": "20", "buy": "", "get": "",
    "currency": "USD", "start": "2026-08-15", "end": "2026-09-15", "channels": ["push", "banner"],
    "lang": "en", "tone": "friendly", "category": "", "min_price": "", "max_price": "", "tag": "",
    "attributes": "", "ids": "24-MB01, 24-MB04", "description": "people heading back to campus",
    "segments": "students, parents", "per_segment": True, "call_to_action": "Shop now at luma.example",
}  # fmt: skip
VARIANTS = 2 * 2 * 2  # products x channels x segments


def answer(messages: list[Any], call: Any) -> Any:
    """A CampaignCopy reply that fits whichever format the call asks for."""
    from langchain_core.messages import AIMessage

    parts = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: "Ready for class." for name in parts}
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(function=answer)


@pytest.fixture
def assistant(model: ScriptedChatModel, demo_index, tmp_path: Path) -> Assistant:
    assistant = Assistant(model, demo_index)
    assistant.merchant.campaigns = CampaignDesk(
        demo_index, assistant.texts, tmp_path / "data", today=lambda: TODAY
    )
    return assistant


@pytest.fixture
def client(serve, assistant) -> Client:
    return Client(serve(assistant, [KEY]), verbose=False)


def form(**changes: Any) -> list[Any]:
    values = {**FORM_DEFAULTS, **changes}
    return [values[field] for field in FORM]


def save(client: Client, **changes: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return client.predict(KEY, *form(**changes), api_name="/campaign_save")


def write(client: Client, limit: int | None) -> list[Any]:
    return client.predict(KEY, "Back to School", limit, api_name="/campaign_write")


def variant_id(product_id: str, channel: str, segment: str | None) -> str:
    return json.dumps([product_id, channel, segment])


@pytest.mark.parametrize("key", ["", "wrong-key-0123456789", KEY[:-1]])
def test_a_wrong_key_is_refused_by_every_campaign_endpoint(client, assistant, model, key):
    save(client)  # with the right key, so that every endpoint has something to refuse
    write(client, 1)
    calls = [
        ((key,), "/campaign_list"),
        ((key, "Back to School"), "/campaign_pick"),
        ((key, *form(name="Other")), "/campaign_save"),
        ((key, "Back to School", 2), "/campaign_write"),
        ((key, "Back to School", "push"), "/campaign_copy"),
        ((key, "Back to School", variant_id("24-MB01", "push", "students")), "/campaign_variant"),
        ((key, "Back to School", variant_id("24-MB01", "push", "students"), "{}", ""), "/campaign_check"),
        ((key, "Back to School", True), "/campaign_delete"),
    ]
    for args, endpoint in calls:
        with pytest.raises(AppError, match="merchant API key is not valid"):
            client.predict(*args, api_name=endpoint)
    desk = assistant.merchant.campaigns
    assert [c.name for c in desk.campaigns()[0]] == ["Back to School"] and len(model.calls) == 1
    assert [row["edited"] for row in desk.rows("Back to School") if "edited" in row] == []


def test_a_campaign_saved_from_the_form_is_listed_and_fills_the_form_again(client):
    status, table, picker = save(client)
    assert status == "Saved campaign Back to School." and picker["value"] == "Back to School"
    assert table["headers"][:4] == ["campaign", "dates", "state", "offer"]
    assert table["data"] == [["Back to School", "2026-08-15 to 2026-09-15", "running", "20% off",
                              "push, banner", 2, f"0/{VARIANTS}", 0, 0]]  # fmt: skip
    listed, picker, problems = client.predict(KEY, api_name="/campaign_list")
    assert listed["data"] == table["data"] and picker["choices"] == [["Back to School", "Back to School"]]
    assert problems == ""
    picked = client.predict(KEY, "Back to School", api_name="/campaign_pick")
    values = dict(zip(FORM, picked, strict=False))
    assert values == FORM_DEFAULTS
    assert picked[len(FORM)].startswith(f"No copy written yet: {VARIANTS} variants to write")
    status, table, _ = client.predict(KEY, *picked[: len(FORM)], api_name="/campaign_save")  # unchanged
    assert status == "Updated campaign Back to School." and len(table["data"]) == 1

    status, table, _ = save(client, name="Free shipping week", offer_kind="free_shipping_over",
                            offer_value="49.50", ids="", category="bags", max_price="40", per_segment=False)  # fmt: skip
    assert [row[0] for row in table["data"]] == ["Back to School", "Free shipping week"]
    shipping = ["Free shipping on orders over $49.50", "push, banner", 8, "0/16"]  # 8 bags up to $40
    assert table["data"][1][3:7] == shipping
    picked = client.predict(KEY, "Free shipping week", api_name="/campaign_pick")
    assert picked[FORM.index("offer_value")] == "49.50" and picked[FORM.index("max_price")] == "40"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": "2026-08-01"}, "form: end: must be on or after the start date 2026-08-15"),
        ({"offer_value": "200"}, "form: offer.percent: must be between 1 and 95"),
        ({"offer_value": " "}, "form: offer.percent: field required"),
        ({"ids": "", "category": "no such category"}, "products: nothing in the catalog matches"),
        ({"ids": "24-MB01, nope"}, "products: the catalog has no product 'nope'"),
        ({"category": "bags"}, "form: products: give product ids or a filter, not both"),
        ({"start": "2026-07-01", "end": "2026-07-31"}, "end: campaign 'Back to School' ended on 2026-07-31"),
        ({"start": "15/08/2026"}, "form: start: "),
        ({"channels": []}, "form: channels: "),
        ({"attributes": "material"}, "form: products.attributes: write name=value, not 'material'"),
    ],
)
def test_a_bad_form_is_a_clear_error_and_saves_nothing(client, assistant, changes, message):
    with pytest.raises(AppError, match=message.replace("(", r"\(")):
        save(client, **changes)
    assert assistant.merchant.campaigns.campaigns() == ([], [])
    assert client.predict(KEY, api_name="/campaign_list")[0]["data"] == []


def test_copy_is_written_a_few_variants_per_click_and_resumes(client, assistant, model):
    save(client)
    progress, copies, channels, variants, _, campaigns = write(client, 5)
    assert progress == f"5 of {VARIANTS} variants written; 3 left — click Write copy to continue."
    assert len(copies["data"]) == 5 and len(model.calls) == 5 and campaigns["data"][0][6:] == ["5/8", 5, 0]
    first = copies["data"][0]
    assert first[:5] == ["Joust Duffle Bag (24-MB01)", "push", "students", "passed", ""]
    assert (
        first[5]
        == "title: Ready for class.\nbody: Ready for class. 20% off, Aug 15 to Sep 15: now $27.20 (was $34.00)."
    )
    assert channels["choices"] == [["All channels", ""], ["push", "push"], ["banner", "banner"]]
    assert len(variants["choices"]) == 5

    picked = client.predict(KEY, "Back to School", api_name="/campaign_pick")[: len(FORM)]
    client.predict(KEY, *picked, api_name="/campaign_save")  # saved again unchanged: the same terms
    progress, copies, *_ = write(client, 5)  # goes on where the first click stopped
    assert progress == f"All {VARIANTS} variants written." and len(model.calls) == VARIANTS
    assert [row[:3] for row in copies["data"]] == [
        [title, channel, segment]
        for title in ("Joust Duffle Bag (24-MB01)", "Strive Shoulder Pack (24-MB04)")
        for channel in ("push", "banner")
        for segment in ("students", "parents")
    ]
    assert {row[3] for row in copies["data"]} == {"passed"}
    banners = client.predict(KEY, "Back to School", "banner", api_name="/campaign_copy")
    assert len(banners["data"]) == 4 and {row[1] for row in banners["data"]} == {"banner"}
    assert write(client, 5)[0] == f"All {VARIANTS} variants written." and len(model.calls) == VARIANTS
    with pytest.raises(AppError, match="whole number from 1 to 500"):
        write(client, None)


def test_an_edited_variant_is_checked_again(client, assistant):
    save(client)
    write(client, 8)
    chosen = variant_id("24-MB01", "push", "parents")
    parts, verdict = client.predict(KEY, "Back to School", chosen, api_name="/campaign_variant")
    original = json.loads(parts)
    assert verdict == "passed" and original["title"] == "Ready for class."

    invented = json.dumps({"title": "Now 50% off!", "body": "Half price for everyone."})
    verdict, parts, copies, campaigns = client.predict(
        KEY, "Back to School", chosen, invented, "push", api_name="/campaign_check"
    )
    assert verdict.startswith("rejected: ") and "50" in verdict
    edited = next(row for row in copies["data"] if row[2] == "parents" and row[0].endswith("(24-MB01)"))
    assert edited[3] == "rejected (edited)" and {row[1] for row in copies["data"]} == {"push"}
    assert campaigns["data"][0][7:] == [7, 1]

    honest = json.dumps({"title": "Back to campus", "body": original["body"]})
    verdict, parts, copies, _ = client.predict(
        KEY, "Back to School", chosen, honest, "", api_name="/campaign_check"
    )
    assert verdict == "passed" and json.loads(parts)["title"] == "Back to campus"
    assert "now $27.20 (was $34.00)" in json.loads(parts)["body"]  # the offer line kept once
    assert json.loads(parts)["body"].count("$27.20") == 1 and len(copies["data"]) == VARIANTS
    row = next(r for r in assistant.merchant.campaigns.rows("Back to School") if r["segment"] == "parents")
    assert row["edited"] and row["verdict"] == "ok"

    for text, message in [("not json", "one JSON object"), ('{"subject": "Hi"}', "no part 'subject'")]:
        with pytest.raises(AppError, match=message):
            client.predict(KEY, "Back to School", chosen, text, "", api_name="/campaign_check")


def test_the_csv_and_jsonl_are_offered(client):
    save(client)
    assert client.predict(KEY, "Back to School", api_name="/campaign_pick")[len(FORM) + 4] is None
    files = write(client, 3)[4]
    assert [Path(path).suffix for path in files] == [".csv", ".jsonl"]
    with open(files[0], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert (
        len(rows) == 3 and rows[0]["product_id"] == "24-MB01" and rows[0]["text_title"] == "Ready for class."
    )
    assert len(Path(files[1]).read_text(encoding="utf-8").splitlines()) == 3


def test_a_campaign_is_deleted_only_once_confirmed_and_its_copy_is_kept_aside(client, assistant, tmp_path):
    save(client)
    save(client, name="Free shipping week", offer_kind="free_shipping_over", offer_value="49.50", ids="",
         category="bags", max_price="40", per_segment=False)  # fmt: skip
    write(client, 2)
    for confirmed in (False, None):
        with pytest.raises(AppError, match=r"Tick 'Yes, delete Back to School' first .*nothing was deleted"):
            client.predict(KEY, "Back to School", confirmed, api_name="/campaign_delete")
    desk = assistant.merchant.campaigns
    assert [c.name for c in desk.campaigns()[0]] == ["Back to School", "Free shipping week"]
    assert len(desk.rows("Back to School")) == 2

    picked = client.predict(KEY, "Back to School", api_name="/campaign_pick")
    assert picked[-1] == {"__type__": "update", "value": False, "label": "Yes, delete Back to School"}
    result = client.predict(KEY, "Back to School", True, api_name="/campaign_delete")
    status, table, picker = result[:3]
    assert status == "Deleted campaign Back to School. Its copy files were kept aside (renamed), not deleted."
    assert [row[0] for row in table["data"]] == ["Free shipping week"]
    assert picker["value"] is None and picker["choices"] == [["Free shipping week", "Free shipping week"]]
    values = dict(zip(FORM, result[3 : 3 + len(FORM)], strict=True))
    assert values["name"] == "" and values["ids"] == "" and values["offer_kind"] == "percent_off"
    progress, copies = result[3 + len(FORM) : 5 + len(FORM)]
    assert progress == "" and copies["data"] in ([], [[""] * 6])
    assert tuple(result[-3:-1]) == ("", "") and result[-1]["value"] is False
    assert [c.name for c in desk.campaigns()[0]] == ["Free shipping week"]
    kept = sorted(path.name for path in (tmp_path / "data" / "campaign_runs").glob("back-to-school-*"))
    assert len(kept) == 2 and all(name.count(".") == 2 for name in kept), kept  # <slug>.<terms>.csv
    listed = client.predict(KEY, api_name="/campaign_list")[0]
    assert [row[0] for row in listed["data"]] == ["Free shipping week"]
    with pytest.raises(AppError, match="Back to School"):  # gone: Gradio's picker refuses it first
        client.predict(KEY, "Back to School", True, api_name="/campaign_delete")
    with pytest.raises(AppError, match="Pick a saved campaign first"):
        client.predict(KEY, None, True, api_name="/campaign_delete")


def test_without_a_campaign_desk_the_tab_says_so(serve, model, demo_index):
    client = Client(serve(Assistant(model, demo_index), [KEY]), verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/merchant_copy" in endpoints and not [name for name in endpoints if name.startswith("/campaign")]
    assert "not available on this server" in UNAVAILABLE
