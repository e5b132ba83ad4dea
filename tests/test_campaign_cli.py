"""`shopbot campaign`: save, list, show, run (by file and by name, resumed), delete; clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from assistant.testing import ScriptedChatModel
from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.schema import Product
from tools.campaign_batch import read_rows
from tools.campaign_copy import TOOL_NAME

CAMPAIGN = """
name = "Back to School"
start = 2026-08-15
end = 2026-09-15
channels = ["sms", "push"]
call_to_action = "Shop now."
per_segment = true

[offer]
kind = "percent_off"
percent = 20

[audience]
segments = ["students", "parents"]

[products]
category = "bags"
max_price = 50
"""
TODAY = ("--today", "2026-08-01")


def answer(messages: list[Any], call: Any) -> AIMessage:
    parts = call.kwargs["argument_schemas"]["variants"]["items"]["properties"]
    written = {name: "Ready for class." for name in parts}
    return AIMessage(content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [written]}, "id": "c"}])


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedChatModel:
    """The command gets a scripted model from the loader and an empty data dir."""
    model = ScriptedChatModel(function=answer)
    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("assistant.models.loader.load_chat_model", lambda settings, **_: model)
    return model


@pytest.fixture
def index(tmp_path: Path):
    products = [
        Product(id="B1", title="Campus Backpack", category="Gear/Bags", price=45.0, currency="USD"),
        Product(id="B2", title="Duffle Bag", category="Gear/Bags", price=59.0, currency="USD"),
        Product(id="W1", title="Water Bottle", category="Gear/Fitness", price=12.0, currency="USD"),
    ]
    with CatalogIndex.build(products, tmp_path / "idx", embedder=HashingEmbedder()) as built:
        yield built


def shopbot(*argv: str) -> int:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return int(exit_info.value.code or 0)


def test_save_list_show_delete(
    cli: ScriptedChatModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    assert shopbot("campaign", "save", str(path), *TODAY) == 0
    assert "saved campaign 'Back to School'" in capsys.readouterr().out
    assert shopbot("campaign", "save", str(path), *TODAY) == 0
    assert "updated campaign 'Back to School'" in capsys.readouterr().out
    assert shopbot("campaign", "list") == 0
    assert "Back to School  2026-08-15 to 2026-09-15" in capsys.readouterr().out
    assert shopbot("campaign", "show", "back to school") == 0
    assert json.loads(capsys.readouterr().out)["offer"] == {"kind": "percent_off", "percent": "20"}
    assert shopbot("campaign", "delete", "Back to School") == 0
    assert shopbot("campaign", "show", "Back to School") == 1
    assert "no saved campaign 'Back to School'" in capsys.readouterr().err


def test_mistakes_are_one_line_naming_file_and_field(
    cli: ScriptedChatModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN.replace("percent = 20", "percent = 120"), encoding="utf-8")
    assert shopbot("campaign", "save", str(path), *TODAY) == 1
    err = capsys.readouterr().err
    assert err.strip() == "shopbot campaign: campaign.toml: offer.percent: must be between 1 and 95"
    path.write_text(CAMPAIGN, encoding="utf-8")
    assert shopbot("campaign", "save", str(path), "--today", "2026-09-16") == 1
    assert "campaign.toml: end: campaign 'Back to School' ended on 2026-09-15" in capsys.readouterr().err
    assert shopbot("campaign", "run", "nothing-like-it", "--out", str(tmp_path)) == 2


def test_run_a_file_then_a_saved_campaign_resumes(
    cli: ScriptedChatModel, index: CatalogIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    out = tmp_path / "out"
    common = ("--out", str(out), "--index", str(index.directory), *TODAY, "--json")
    assert shopbot("campaign", "run", str(path), *common) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["written"], summary["ok"], summary["failed"]) == (4, 4, 0)  # B1 x 2 channels x 2 segments
    rows = list(read_rows(Path(summary["out"])))
    assert {r["product_id"] for r in rows} == {"B1"} and Path(summary["csv"]).is_file()
    assert (
        rows[0]["parts"]["text"]
        == "Ready for class. 20% off, Aug 15 to Sep 15: now $36.00 (was $45.00). Shop now."
    )
    assert shopbot("campaign", "save", str(path), *TODAY) == 0
    capsys.readouterr()
    assert shopbot("campaign", "run", "Back to School", *common) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["written"], summary["skipped"]) == (0, 4) and len(cli.calls) == 4
    assert shopbot("campaign", "run", str(path), *common[:-3], "--today", "2026-10-01") == 1
    assert "ended on 2026-09-15" in capsys.readouterr().err


def test_a_campaign_matching_nothing_says_so(
    cli: ScriptedChatModel, index: CatalogIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "campaign.json"
    data = {"name": "Shoes", "start": "2026-08-15", "end": "2026-09-15", "channels": ["push"],
            "offer": {"kind": "buy_n_get_m", "buy": 2, "get": 1}, "products": {"category": "shoes"}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    assert (
        shopbot("campaign", "run", str(path), "--out", str(tmp_path), "--index", str(index.directory), *TODAY)
        == 1
    )
    assert "campaign.json: products: nothing in" in capsys.readouterr().err
