"""`shopbot bench ingest` on a small CSV with hashing embedders: the slice of the catalog, the
interleaved runs in fresh processes, the table and the report section."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from index.ingest_bench import count_rows, head_of_csv, measure
from ui.cli import main


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "text"])
        for n in range(30):
            writer.writerow([f"p{n}", f"product {n}", f"line one\nline two of {n}"])  # quoted newline
    return path


def test_head_of_csv_keeps_whole_rows(catalog: Path, tmp_path: Path) -> None:
    target = tmp_path / "head.csv"
    limit = csv.field_size_limit()
    assert head_of_csv(catalog, 5, target) == 5
    assert count_rows(target) == 5 and count_rows(catalog) == 30
    assert csv.field_size_limit() == limit  # global: the catalog reader's bad-row policy relies on it
    with target.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["sku", "name", "text"] and rows[5][2] == "line one\nline two of 4"


def test_measure_interleaves_engines_and_sizes(catalog: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    summaries = measure(
        catalog, [10, 20], ["hashing-16", "hashing-32"], mapping={"id": "sku", "title": "name"}, currency=None,
        cache_dir=tmp_path / "cache", threads=1, repeats=2, on_run=lambda run, _: seen.append((run.embedder, run.size)),
    )  # fmt: skip
    assert seen == [("hashing-16", 10), ("hashing-32", 10)] * 2 + [("hashing-16", 20), ("hashing-32", 20)] * 2
    for summary in summaries:
        assert len(summary.runs) == 2
        run = summary.runs[0]
        assert run.products == summary.size and run.embedded == summary.size
        assert run.build_s > 0 and run.products_per_s > 0 and run.peak_rss_mb > 10


def test_the_command_writes_its_section(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    out = tmp_path / "ingest.md"
    out.write_text("# Ingest\n\nhand-written notes stay\n")
    argv = ["bench", "ingest", "--catalog", str(catalog), "--map", "id=sku,title=name", "--sizes", "8,500"]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--embedders", "hashing-16", "--out", str(out)])
    assert exit_info.value.code == 0
    table = capsys.readouterr().out
    assert "| 8 | hashing-16 | 8 |" in table and "| 30 | hashing-16 | 30 |" in table  # 500 capped at 30 rows
    text = out.read_text()
    assert (
        "hand-written notes stay" in text and "<!-- BEGIN generated: bench-ingest-products-8-30 -->" in text
    )


def test_bad_arguments_are_refused(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "bench",
                "ingest",
                "--catalog",
                str(catalog.with_name("missing.csv")),
                "--embedders",
                "hashing-16",
            ]
        )
    assert exit_info.value.code == 2
    assert "no catalog at" in capsys.readouterr().err
