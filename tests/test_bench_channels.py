"""`shopbot bench channels` on a small load: every channel answers every turn, and the report is written."""

from __future__ import annotations

import argparse

from ui.commands import bench_channels


def test_small_bench_loses_nothing(tmp_path, capsys):
    out = tmp_path / "channels.md"
    args = argparse.Namespace(users=2, turns=2, timeout=60.0, think=0.0, out=out, channels="web,telegram,api")
    assert bench_channels.run(args) == 0
    report = out.read_text(encoding="utf-8")
    rows = [line for line in report.splitlines() if line.startswith("| ") and "channel" not in line]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [
        "assistant alone (baseline)",
        "web (Gradio)",
        "Telegram (PTB, AIORateLimiter)",
        "Telegram (PTB, no global limiter)",
        "HTTP API (SSE, uvicorn)",
    ]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:5] == ["2", "4", "0", "0"], row  # users, turns, errors, lost
    assert "<!-- BEGIN generated: channels-2-users -->" in report
    assert "| web (Gradio) |" in capsys.readouterr().out


def test_paced_users_pause_before_each_message_and_get_their_own_section(tmp_path, monkeypatch):
    pauses: list[float] = []
    with monkeypatch.context() as patch:  # time.sleep is global: patched only around these calls
        patch.setattr(bench_channels.time, "sleep", pauses.append)
        load = bench_channels.Load(users=2, messages=["hi", "cheaper?"], think=4.0)
        assert list(load.turns(0)) == [(0, "hi"), (1, "cheaper?")]
        assert len(pauses) == 2 and all(2.0 <= p <= 6.0 for p in pauses) and pauses[0] != pauses[1]
        assert list(load.turns(0)) and pauses[2:] == pauses[:2]  # seeded per user: the same run twice
        list(bench_channels.Load(users=1, messages=["hi"]).turns(0))
    assert len(pauses) == 4  # no think time, no pause
    out = tmp_path / "channels.md"
    args = argparse.Namespace(users=1, turns=1, timeout=60.0, think=0.01, out=out, channels="api")
    assert bench_channels.run(args) == 0
    report = out.read_text(encoding="utf-8")
    assert "<!-- BEGIN generated: channels-1-users-think-0.01s-api -->" in report
    assert "HTTP API" in report and "web (Gradio)" not in report


def test_unknown_channels_are_refused(capsys):
    args = argparse.Namespace(users=1, turns=1, timeout=60.0, think=0.0, out=None, channels="web,fax")
    assert bench_channels.run(args) == 2
    assert "--channels takes some of web, telegram, api" in capsys.readouterr().err
