"""`shopbot chat`: one-turn JSON, the interactive loop, and a missing index."""

from __future__ import annotations

import io
import json

import pytest

from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.ingest import load_products, load_reviews
from ui.cli import main
from ui.commands.chat import _width, cards_table


@pytest.fixture
def index_dir(tmp_path, demo_store, monkeypatch):
    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path / "data"))
    products = load_products(demo_store / "luma_products.jsonl").records
    reviews = load_reviews(demo_store / "luma_reviews.jsonl", {p.id for p in products}).records
    CatalogIndex.build(products, tmp_path / "idx", embedder=HashingEmbedder(), reviews=reviews).close()
    return tmp_path / "idx"


def run_cli(*argv):
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return exit_info.value.code


def test_one_turn_json_is_the_reply(index_dir, capsys):
    assert (
        run_cli(
            "chat",
            "--index",
            str(index_dir),
            "--session",
            "cli:t",
            "-m",
            "running shorts under $40",
            "--json",
        )
        == 0
    )
    reply = json.loads(capsys.readouterr().out)
    assert reply["language"] == "en" and reply["path"] == "fast"
    assert reply["tool_calls"] == [
        {
            "name": "search_products",
            "args": {"query": "running shorts", "max_price": 40.0},
            "ok": True,
            "error": None,
        }
    ]
    assert reply["products"] and all(card["price"] <= 40 for card in reply["products"])
    assert {"id", "title", "price", "currency", "rating", "image_url", "url", "why"} <= set(
        reply["products"][0]
    )
    # the session persists between invocations
    assert (
        run_cli("chat", "--index", str(index_dir), "--session", "cli:t", "-m", "the second one", "--json")
        == 0
    )
    second = json.loads(capsys.readouterr().out)
    assert second["tool_calls"][0]["args"] == {"product_id": reply["products"][1]["id"]}


def test_interactive_streams_cards_then_text(index_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("hoodie under $60\n第一个\n/quit\n"))
    assert run_cli("chat", "--index", str(index_dir), "--session", "cli:i") == 0
    out = capsys.readouterr().out
    assert out.index("[search_products(") < out.index("  #  id") < out.index("Here are")
    header = next(line for line in out.splitlines() if line.startswith("  #  id"))
    assert header.split() == ["#", "id", "title", "price", "rating", "why"]
    assert out.index("[get_product(") > out.index("Here are")


def test_missing_index_says_how_to_build_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path))
    assert run_cli("chat", "--index", str(tmp_path / "none"), "-m", "hi") == 1
    err = capsys.readouterr().err
    assert "no catalog index" in err and "shopbot index build" in err and "make run" in err
    assert "Traceback" not in err


def test_json_needs_a_message(index_dir, capsys):
    assert run_cli("chat", "--index", str(index_dir), "--json") == 2
    assert "--json needs --message" in capsys.readouterr().err


def test_cards_table_aligns_chinese_titles():
    from assistant.reply import ProductCard

    table = cards_table(
        [ProductCard(id="A1", title="防水背包", price=99.0, currency="CNY", rating=4.5, why="匹配：背包")]
    )
    header, row = table.splitlines()
    assert "99.00 CNY" in row and "4.5" in row
    # the "why" column starts at the same display column (CJK characters are two columns wide)
    assert _width(header[: header.index("why")]) == _width(row[: row.index("匹配")])
