"""`shopbot bench channels` on a small load: every channel answers every turn, and the report is written."""

from __future__ import annotations

import argparse

from ui.commands import bench_channels


def test_small_bench_loses_nothing(tmp_path, capsys):
    out = tmp_path / "channels.md"
    args = argparse.Namespace(users=2, turns=2, timeout=60.0, out=out)
    assert bench_channels.run(args) == 0
    report = out.read_text(encoding="utf-8")
    rows = [line for line in report.splitlines() if line.startswith("| ") and "channel" not in line]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [
        "assistant alone (baseline)",
        "web (Gradio)",
        "Telegram (PTB, AIORateLimiter)",
        "Telegram (PTB, no global limiter)",
    ]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:5] == ["2", "4", "0", "0"], row  # users, turns, errors, lost
    assert "<!-- BEGIN generated: channels-2-users -->" in report
    assert "| web (Gradio) |" in capsys.readouterr().out
