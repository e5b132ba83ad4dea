"""Promo copy batches: the CSV file, failures, resuming (torn lines included) and `shopbot copy --products/--all`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from assistant.models.errors import GenerationTimeoutError
from assistant.testing import ScriptedCall, ScriptedChatModel
from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.schema import Product
from tools.copy_batch import COLUMNS, CopyBatchError, write_copy_batch
from tools.promo_copy import TOOL_NAME

PRODUCTS = [
    Product(id="A1", title="Joust Duffle Bag", price=34.0, currency="USD", attributes={"volume": "26 L"}),
    Product(id="A2", title="Sprite Yoga Mat", price=20.0, currency="USD", description="Non-slip, 6 mm."),
    Product(id="A3", title="运动水壶", price=59.0, currency="CNY", lang="zh"),
]


@pytest.fixture
def index(tmp_path: Path):
    with CatalogIndex.build(PRODUCTS, tmp_path / "idx", embedder=HashingEmbedder()) as built:
        yield built


def reply(model: ScriptedChatModel, *variants: str) -> None:
    model.enqueue_tool_call(TOOL_NAME, {"variants": list(variants)})


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def shown_titles(model: ScriptedChatModel) -> list[str]:
    """The product title each model call was shown, in call order."""
    return [str(call.messages[1].content).split("title: ")[1].split("\n")[0] for call in model.calls]


def test_one_row_per_variant_with_the_fact_check(tmp_path, scripted_model):
    reply(scripted_model, '- 26 L duffle\n- Only $34, "sporty"', "- 26 L\n- 2-year warranty")
    reply(scripted_model, "- Non-slip mat", "- 50% off today")
    out = tmp_path / "copy.csv"
    summary = write_copy_batch(PRODUCTS[:2], scripted_model, out, format="bullets", tone="premium", n=2)
    with out.open(encoding="utf-8", newline="") as file:
        assert next(csv.reader(file)) == list(COLUMNS)
    rows = read_rows(out)
    assert [(r["product_id"], r["variant"], r["status"]) for r in rows] == [
        ("A1", "1", "ok"),
        ("A1", "2", "repaired"),
        ("A2", "1", "ok"),
        ("A2", "2", "rejected"),
    ]
    assert rows[0]["text"] == '- 26 L duffle\n- Only $34, "sporty"' and rows[0]["problems"] == ""
    assert rows[1]["text"] == "- 26 L" and rows[1]["problems"] == (
        "number 2 is not in the facts; claim 'warranty' is not in the facts"
    )
    assert {(r["title"], r["format"], r["tone"], r["lang"]) for r in rows[:2]} == {
        ("Joust Duffle Bag", "bullets", "premium", "en")
    }
    assert all(float(r["seconds"]) >= 0 for r in rows)
    assert (summary.done, summary.skipped, summary.failed, summary.passed) == (2, 0, 0, 2)
    assert (summary.variants_ok, summary.variants) == (3, 4)
    assert summary.p50_seconds is not None and summary.p95_seconds is not None
    assert summary.p50_seconds <= summary.p95_seconds


def test_a_failing_product_gets_an_error_row_and_the_batch_goes_on(tmp_path, scripted_model):
    scripted_model.enqueue(GenerationTimeoutError("the generation took longer than 60 s"))
    scripted_model.enqueue(ValueError(f"the model did not call {TOOL_NAME} with variants"))
    reply(scripted_model, "水壶，59 元。")
    out = tmp_path / "copy.csv"
    summary = write_copy_batch(PRODUCTS, scripted_model, out, lang="zh", progress=False)
    rows = read_rows(out)
    assert [(r["product_id"], r["status"], r["variant"], r["text"]) for r in rows] == [
        ("A1", "error", "", ""),
        ("A2", "error", "", ""),
        ("A3", "ok", "1", "水壶，59 元。"),
    ]
    assert rows[0]["problems"] == "the generation took longer than 60 s"
    assert rows[1]["problems"].startswith(f"the model did not call {TOOL_NAME}")
    assert (summary.done, summary.failed, summary.passed, summary.variants_ok, summary.variants) == (
        1,
        2,
        1,
        1,
        1,
    )


def test_resume_skips_done_products_and_retries_failed_ones(tmp_path):
    out = tmp_path / "copy.csv"
    first = ScriptedChatModel()
    reply(first, "Joust Duffle Bag, 26 L.")
    first.enqueue(GenerationTimeoutError("timed out"))
    reply(first, "Sports water bottle.")
    write_copy_batch(PRODUCTS, first, out, progress=False)
    first.assert_complete()

    again = ScriptedChatModel()
    reply(again, "Sprite Yoga Mat, non-slip.")
    summary = write_copy_batch([*PRODUCTS, PRODUCTS[1]], again, out, progress=False)  # A2 listed twice
    again.assert_complete()
    assert shown_titles(again) == ["Sprite Yoga Mat"]
    assert (summary.done, summary.skipped, summary.failed) == (1, 3, 0)
    assert [(r["product_id"], r["status"], r["text"]) for r in read_rows(out)] == [
        ("A1", "ok", "Joust Duffle Bag, 26 L."),
        ("A3", "ok", "Sports water bottle."),
        ("A2", "ok", "Sprite Yoga Mat, non-slip."),
    ]

    other_tone = ScriptedChatModel()
    reply(other_tone, "The Joust Duffle Bag.")
    summary = write_copy_batch(PRODUCTS[:1], other_tone, out, tone="premium", progress=False)
    other_tone.assert_complete()
    assert summary.done == 1 and [r["tone"] for r in read_rows(out)] == ["friendly"] * 3 + ["premium"]


def test_a_model_is_loaded_only_when_a_product_needs_it(tmp_path, scripted_model):
    out = tmp_path / "copy.csv"
    reply(scripted_model, "Joust Duffle Bag.")
    loads: list[int] = []

    def load() -> ScriptedChatModel:
        loads.append(1)
        return scripted_model

    write_copy_batch(PRODUCTS[:1], load, out, progress=False)
    assert loads == [1]
    assert write_copy_batch(PRODUCTS[:1], load, out, progress=False).skipped == 1 and loads == [1]


def answer_with_the_title(messages, call: ScriptedCall) -> AIMessage:
    title = str(messages[1].content).split("title: ")[1].split("\n")[0]
    text = f'- {title}, "quoted", with commas\n- second line'
    return AIMessage(
        content="", tool_calls=[{"name": TOOL_NAME, "args": {"variants": [text, text]}, "id": "c1"}]
    )


def test_a_torn_tail_is_dropped_with_its_product_at_every_cut(tmp_path):
    """Wherever in the last product's rows a kill stops the write, resuming leaves whole rows
    only, each product once, and writes that product again. (A product's rows are written in
    one piece, so a kill does not stop exactly between two of them; that cut is not tried.)"""
    out = tmp_path / "copy.csv"
    write_copy_batch(PRODUCTS, ScriptedChatModel(function=answer_with_the_title), out, n=2, progress=False)
    whole = out.read_bytes()
    expected = [{**row, "seconds": ""} for row in read_rows(out)]
    last_product_starts = whole.index(b"\r\nA3,") + 2
    cuts = [c for c in range(last_product_starts + 1, len(whole)) if not whole[:c].endswith(b"\r\n")]
    for cut in [last_product_starts, *cuts]:
        out.write_bytes(whole[:cut])
        model = ScriptedChatModel(function=answer_with_the_title)
        summary = write_copy_batch(PRODUCTS, model, out, n=2, progress=False)
        assert [{**row, "seconds": ""} for row in read_rows(out)] == expected, cut
        if cut < last_product_starts + len("A3,"):  # "A" could start A2's third variant: A2 is redone
            assert shown_titles(model)[-1] == "运动水壶" and summary.done in (1, 2), cut
        else:
            assert shown_titles(model) == ["运动水壶"] and (summary.skipped, summary.done) == (2, 1), cut


def test_a_file_with_other_columns_is_refused(tmp_path, scripted_model):
    out = tmp_path / "products.csv"
    out.write_text("id,name\nA1,Joust\n", encoding="utf-8")
    with pytest.raises(CopyBatchError, match=r"products\.csv is not a copy batch file"):
        write_copy_batch(PRODUCTS, scripted_model, out, progress=False)
    assert out.read_text(encoding="utf-8") == "id,name\nA1,Joust\n"


def test_product_ids_lists_the_catalog_in_the_order_added(index):
    assert index.product_ids() == ["A1", "A2", "A3"]
    index.update([{"id": "A1", "title": "Joust Duffle Bag", "price": 30.0}])
    index.delete(["A2"])
    assert index.product_ids() == ["A3", "A1"]


# -- the command --------------------------------------------------------------------------------


@pytest.fixture
def cli_model(scripted_model, monkeypatch, tmp_path):
    """`shopbot copy` gets the scripted model from the loader."""
    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("assistant.models.loader.load_chat_model", lambda settings, **_: scripted_model)
    return scripted_model


def run_cli(*argv: str) -> int:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return int(exit_info.value.code or 0)


def test_products_file_then_all(index, cli_model, tmp_path, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("# spring promo\nA1\n\nNOPE\n  A3  \n", encoding="utf-8")
    out = tmp_path / "copy.csv"
    reply(cli_model, "- Joust Duffle Bag\n- 26 L")
    reply(cli_model, "- Sports water bottle")
    common = ("copy", "--index", str(index.directory), "--out", str(out), "--format", "bullets")
    assert run_cli(*common, "--products", str(ids), "--json") == 0
    captured = capsys.readouterr()
    assert f"{ids}:4: no product 'NOPE'" in captured.err
    summary = json.loads(captured.out)
    assert summary["out"] == str(out)
    assert (summary["done"], summary["skipped"], summary["failed"], summary["passed"]) == (2, 0, 1, 2)
    assert [(r["product_id"], r["format"]) for r in read_rows(out)] == [("A1", "bullets"), ("A3", "bullets")]

    reply(cli_model, "- Sprite Yoga Mat")
    assert run_cli(*common, "--all") == 0
    assert shown_titles(cli_model)[-1] == "Sprite Yoga Mat" and len(cli_model.calls) == 3
    assert "products: 1 written (1 with copy that passed the fact check), 2 already there" in (
        capsys.readouterr().out
    )
    assert [r["product_id"] for r in read_rows(out)] == ["A1", "A3", "A2"]


def test_all_failed_exits_1(index, cli_model, tmp_path, capsys):
    for _ in PRODUCTS:
        cli_model.enqueue(GenerationTimeoutError("timed out"))
    out = tmp_path / "copy.csv"
    assert run_cli("copy", "--index", str(index.directory), "--all", "--out", str(out), "--json") == 1
    assert json.loads(capsys.readouterr().out)["failed"] == 3
    assert [r["status"] for r in read_rows(out)] == ["error"] * 3


def test_usage_errors_exit_2(index, cli_model, tmp_path, capsys):
    directory = str(index.directory)
    assert run_cli("copy", "--index", directory, "--product", "A1", "--out", str(tmp_path / "c.csv")) == 2
    assert "--out FILE.csv goes with --products or --all" in capsys.readouterr().err
    assert run_cli("copy", "--index", directory, "--all") == 2
    assert "--out FILE.csv goes with --products or --all" in capsys.readouterr().err
    missing, foreign = tmp_path / "missing.txt", tmp_path / "foreign.csv"
    assert run_cli("copy", "--index", directory, "--products", str(missing), "--out", str(foreign)) == 2
    assert f"cannot read the id list {missing}" in capsys.readouterr().err
    foreign.write_text("sku,price\n", encoding="utf-8")
    assert run_cli("copy", "--index", directory, "--all", "--out", str(foreign)) == 2
    assert "not a copy batch file" in capsys.readouterr().err
    assert run_cli("copy", "--index", directory, "--product", "A1", "--all") == 2  # argparse
