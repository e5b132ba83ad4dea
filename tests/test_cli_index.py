"""`shopbot index build` and `shopbot search` as a user runs them (in-process, real files)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ui.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture()
def demo_index(demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "demo"
    code, stdout, _ = _run(
        capsys, "index", "build", str(demo_store / "luma_products.jsonl"),
        "--reviews", str(demo_store / "luma_reviews.jsonl"), "--out", str(out), "--embedder", "hashing-64",
    )  # fmt: skip
    assert code == 0
    assert "199 products, 348 reviews, 0 skipped rows, index flat" in stdout
    return out


def test_build_twice_is_up_to_date(
    demo_index: Path, demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "index",
        "build",
        str(demo_store / "luma_products.jsonl"),
        "--reviews",
        str(demo_store / "luma_reviews.jsonl"),
    ]
    code, stdout, _ = _run(capsys, *args, "--out", str(demo_index), "--embedder", "hashing-64")
    assert code == 0 and "up to date (199 products, 348 reviews)" in stdout
    code, stdout, _ = _run(capsys, *args, "--out", str(demo_index), "--embedder", "hashing-64", "--force")
    assert code == 0 and "199 products" in stdout and "up to date" not in stdout


def test_search_table_and_json(demo_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _run(
        capsys, "search", "jacket", "--index", str(demo_index), "-k", "3", "--max-price", "50"
    )
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].split()[:5] == ["#", "id", "price", "rating", "via"] and len(lines) == 4
    code, stdout, _ = _run(capsys, "search", "MH01", "--index", str(demo_index), "-k", "1")
    row = stdout.splitlines()[1]
    assert row.split()[1] == "MH01" and re.search(r" ID?L ", row)  # an id match, and by its words
    code, stdout, _ = _run(
        capsys,
        "search",
        "24-MB01",
        "--index",
        str(demo_index),
        "--json",
        "--category",
        "gear",
        "--min-rating",
        "2",
    )
    result = json.loads(stdout)
    assert result["query"] == "24-MB01" and result["results"][0]["id"] == "24-MB01"
    assert all(hit["rating"] >= 2 for hit in result["results"])


def test_batch_search_loads_once_and_applies_per_query_filters(
    demo_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "yoga pants"}\n\n{"query": "bag", "max_price": 35, "k": 2}\n')
    code, stdout, _ = _run(
        capsys, "search", "--index", str(demo_index), "--queries", str(queries), "--json", "-k", "4"
    )
    assert code == 0
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["query"] for line in lines] == ["yoga pants", "bag"]
    assert len(lines[0]["results"]) == 4 and len(lines[1]["results"]) == 2
    assert set(lines[1]["results"][0]) == {"id", "score"}


def test_bad_rows_are_reported_and_strict_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "products.csv"
    catalog.write_text("sku,name,cost\nA-1,Kettle,₹1,099\nA-2,Teapot,abc\nA-3,,5\n")
    args = ["index", "build", str(catalog), "--out", str(tmp_path / "i"), "--embedder", "hashing-32"]
    code, stdout, stderr = _run(capsys, *args, "--map", "id=sku,title=name,price=cost")
    assert code == 0 and "1 products, 0 reviews, 2 skipped rows" in stdout
    assert "skipped products.csv:3: price: 'abc' is not a number" in stderr
    assert "skipped products.csv:4: title: empty" in stderr
    code, _, stderr = _run(capsys, *args, "--map", "id=sku,title=name,price=cost", "--strict", "--force")
    assert code == 1 and "products.csv:3: price: 'abc' is not a number (--strict: build stopped)" in stderr
    code, _, stderr = _run(capsys, *args, "--map", "title=product_name")
    assert code == 1 and "--map names column(s) ['product_name'] not in the file" in stderr


def test_search_errors_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = _run(capsys, "search", "x", "--index", str(tmp_path))
    assert code == 1 and "no catalog index here" in stderr and "Traceback" not in stderr
    code, _, stderr = _run(capsys, "search", "--index", str(tmp_path))
    assert code == 2 and "give a QUERY or --queries" in stderr


def test_bad_queries_file(demo_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "bag"}\n{"query": "x", "colour": "red"}\n')
    code, _, stderr = _run(capsys, "search", "--index", str(demo_index), "--queries", str(queries), "--json")
    assert code == 1 and "q.jsonl:2: colour: unknown key" in stderr
