"""The product feed: rows from the index, stated availability only, atomic JSONL/CSV files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.feed import FIELDS, availability, feed_row, write_feed
from index.schema import Product


def test_row_has_the_feed_fields_from_the_product():
    product = Product(id="B1", title="Trail Pack", description="Light.\n  Waterproof.", category="Gear/Bags",
                      brand="Acme", price=59.0, currency="USD", url="https://shop/b1", image_url="https://shop/b1.jpg")  # fmt: skip
    assert feed_row(product) == {
        "id": "B1", "title": "Trail Pack", "description": "Light. Waterproof.", "price": "59.00 USD",
        "availability": "", "url": "https://shop/b1", "image": "https://shop/b1.jpg", "brand": "Acme",
        "category": "Gear > Bags",
    }  # fmt: skip
    assert tuple(feed_row(product)) == FIELDS
    assert feed_row(Product(id="B2", title="No price"))["price"] == ""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"availability": "In Stock"}, "in_stock"),
        ({"stock_status": "outofstock"}, "out_of_stock"),
        ({"Availability": "预售"}, "preorder"),
        ({"stock": "12"}, "in_stock"),
        ({"quantity": 0}, "out_of_stock"),
        ({"inventory": "n/a"}, None),  # not a number: nothing stated
        ({"availability": "ask us"}, None),  # a status we cannot read is not guessed
        ({"colour": "red"}, None),  # no stock field at all: never claimed in stock
        ({}, None),
    ],
)
def test_availability_is_only_what_the_catalog_states(fields, expected):
    assert availability(Product(id="x", title="x", extras=fields)) == expected
    assert availability(Product(id="x", title="x", attributes=fields)) == expected


def test_feed_of_the_demo_index_in_both_formats(demo_index, tmp_path):
    products = [demo_index.get(product_id) for product_id in demo_index.product_ids()]
    counts = write_feed(products, tmp_path / "feed.jsonl", "jsonl")
    rows = [json.loads(line) for line in (tmp_path / "feed.jsonl").read_text().splitlines()]
    assert counts == {
        "products": len(demo_index),
        "priced": sum(p.price is not None for p in products),
        "availability": 0,
    }
    assert [row["id"] for row in rows] == demo_index.product_ids()
    assert rows[0]["price"].endswith(" USD")
    write_feed(products, tmp_path / "feed.csv", "csv")
    with (tmp_path / "feed.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert table == rows
    assert not list(tmp_path.glob(".*partial"))


def test_a_failed_write_keeps_the_previous_feed(tmp_path):
    out = tmp_path / "feed.jsonl"
    write_feed([Product(id="A", title="Old")], out, "jsonl")

    def broken():
        yield Product(id="B", title="New")
        raise RuntimeError("index went away")

    with pytest.raises(RuntimeError):
        write_feed(broken(), out, "jsonl")
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["A"]
    assert not list(tmp_path.glob(".*partial"))


def test_export_command(demo_index, tmp_path):
    out = tmp_path / "feed.csv"
    shopbot = str(Path(sys.executable).with_name("shopbot"))
    done = subprocess.run([shopbot, "export", "feed", "--index", str(demo_index.directory), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env={"SHOPBOT_DATA_DIR": str(tmp_path), "PATH": ""})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{len(demo_index)} products (csv)" in done.stdout and "not stated for" in done.stdout
    assert out.read_text().startswith(",".join(FIELDS))
