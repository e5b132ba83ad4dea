"""Campaign batches: one row per product, channel and variant; errors; resuming; the cache; CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from assistant.models.errors import GenerationTimeoutError
from assistant.testing import ScriptedChatModel
from index.schema import Product
from tools.campaign import Campaign, parse_campaign
from tools.campaign_batch import CampaignBatchError, read_rows, write_campaign_batch, write_csv
from tools.campaign_copy import TOOL_NAME
from tools.text_cache import TextCache

PRODUCTS = [
    Product(id="B1", title="Campus Backpack", price=45.0, currency="USD"),
    Product(id="B2", title="Duffle Bag", price=59.0, currency="USD"),
]


def make(**changes: Any) -> Campaign:
    data: dict[str, Any] = {
        "name": "Back to School",
        "start": "2026-08-15",
        "end": "2026-09-15",
        "channels": ["push", "banner"],
        "offer": {"kind": "percent_off", "percent": 20},
        "products": {"category": "bags"},
        "audience": {"segments": ["students", "parents"]},
        "per_segment": True,
    }
    return parse_campaign({**data, **changes}, "test")


def answer(messages: list[Any], call: Any) -> Any:
    """A reply that fits whichever format the call asks for."""
    from langchain_core.messages import AIMessage

    parts = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: "Ready for class." for name in parts}
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c1"}]
    )


def test_one_row_per_product_channel_and_segment(tmp_path: Path) -> None:
    model = ScriptedChatModel(function=answer)
    out = tmp_path / "copy.jsonl"
    summary = write_campaign_batch(make(), PRODUCTS, model, out, progress=False)
    rows = list(read_rows(out))
    assert [(r["product_id"], r["channel"], r["segment"]) for r in rows] == [
        (product, channel, segment)
        for product in ("B1", "B2")
        for channel in ("push", "banner")
        for segment in ("students", "parents")
    ]
    assert {r["verdict"] for r in rows} == {"ok"} and len(model.calls) == 8
    assert rows[0]["parts"] == {
        "title": "Ready for class.",
        "body": "Ready for class. 20% off, Aug 15 to Sep 15: now $36.00 (was $45.00).",
    }
    assert (summary.written, summary.failed, summary.ok, summary.skipped) == (8, 0, 8, 0)
    assert summary.p50_seconds is not None and summary.p95_seconds is not None


def test_an_error_row_is_retried_on_resume_and_finished_rows_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "copy.jsonl"
    first = ScriptedChatModel(function=answer)
    first.enqueue(
        ValueError("offer went wrong"), GenerationTimeoutError("the generation took longer than 60 s")
    )
    campaign = make(per_segment=False)
    summary = write_campaign_batch(campaign, PRODUCTS, first, out, progress=False)
    rows = list(read_rows(out))
    assert [r["verdict"] for r in rows] == ["error", "error", "ok", "ok"]
    assert rows[1]["problems"] == ["the generation took longer than 60 s"] and rows[1]["parts"] == {}
    assert (summary.written, summary.failed) == (2, 2)

    again = ScriptedChatModel(function=answer)
    summary = write_campaign_batch(campaign, PRODUCTS, again, out, progress=False)
    assert (summary.written, summary.skipped, summary.failed) == (2, 2, 0) and len(again.calls) == 2
    rows = list(read_rows(out))
    assert [(r["product_id"], r["channel"], r["verdict"]) for r in rows] == [
        ("B2", "push", "ok"),
        ("B2", "banner", "ok"),
        ("B1", "push", "ok"),
        ("B1", "banner", "ok"),
    ]
    third = ScriptedChatModel()  # nothing left to do: no model call
    assert write_campaign_batch(campaign, PRODUCTS, third, out, progress=False).skipped == 4


def test_a_torn_last_line_is_dropped_and_redone(tmp_path: Path) -> None:
    out = tmp_path / "copy.jsonl"
    campaign = make(per_segment=False, channels=["push"])
    write_campaign_batch(campaign, PRODUCTS, ScriptedChatModel(function=answer), out, progress=False)
    text = out.read_text(encoding="utf-8")
    out.write_text(text[: len(text) - 25], encoding="utf-8")  # a kill in the middle of row two
    again = ScriptedChatModel(function=answer)
    summary = write_campaign_batch(campaign, PRODUCTS, again, out, progress=False)
    assert (summary.written, summary.skipped) == (1, 1)
    assert [r["product_id"] for r in read_rows(out)] == ["B1", "B2"]
    assert all(json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())


def test_a_file_of_other_terms_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "copy.jsonl"
    write_campaign_batch(
        make(channels=["push"]), PRODUCTS[:1], ScriptedChatModel(function=answer), out, progress=False
    )
    before = out.read_text(encoding="utf-8")
    with pytest.raises(CampaignBatchError, match="other terms"):
        write_campaign_batch(
            make(channels=["push"], offer={"kind": "percent_off", "percent": 30}),
            PRODUCTS,
            ScriptedChatModel(),
            out,
            progress=False,
        )
    assert out.read_text(encoding="utf-8") == before
    other = tmp_path / "notes.jsonl"
    other.write_text("hello\n", encoding="utf-8")
    with pytest.raises(CampaignBatchError, match="not a campaign file"):
        write_campaign_batch(make(), PRODUCTS, ScriptedChatModel(), other, progress=False)


def test_the_cache_spares_the_model_and_its_loading(tmp_path: Path) -> None:
    cache = TextCache(tmp_path / "texts.sqlite")
    campaign = make(per_segment=False, channels=["push"])
    loads: list[int] = []
    model = ScriptedChatModel(function=answer)

    def load() -> ScriptedChatModel:
        loads.append(1)
        return model

    write_campaign_batch(
        campaign, PRODUCTS, load, tmp_path / "a.jsonl", text_cache=cache, model_name="m", progress=False
    )
    summary = write_campaign_batch(
        campaign, PRODUCTS, load, tmp_path / "b.jsonl", text_cache=cache, model_name="m", progress=False
    )
    assert loads == [1] and len(model.calls) == 2
    assert (summary.written, summary.cached) == (2, 2)
    assert [r["cached"] for r in read_rows(tmp_path / "b.jsonl")] == [True, True]


def test_csv_view_has_a_column_per_part(tmp_path: Path) -> None:
    out = tmp_path / "copy.jsonl"
    write_campaign_batch(
        make(per_segment=False), PRODUCTS[:1], ScriptedChatModel(function=answer), out, progress=False
    )
    assert write_csv(out, tmp_path / "copy.csv") == 2
    with (tmp_path / "copy.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0])[-4:] == ["text_title", "text_body", "text_headline", "text_offer"]
    assert (
        rows[1]["channel"] == "banner"
        and rows[1]["text_offer"].startswith("20% off")
        and rows[1]["text_title"] == ""
    )
