"""The `shopbot` entry point: every command listed, registry status, clean errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ui.cli import COMMANDS, main


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ui", "--help"], capture_output=True, text=True, check=True
    )
    for path, _, _ in COMMANDS:
        assert f"    {path[0]} " in result.stdout or f"    {path[0]}\n" in result.stdout
    group = subprocess.run(
        [sys.executable, "-m", "ui", "bench", "--help"], capture_output=True, text=True, check=True
    )
    for path, _, _ in COMMANDS:
        if path[0] == "bench":
            assert path[1] in group.stdout


def test_models_lists_registry_with_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        main(["models"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "qwen2.5-coder-1.5b-instruct" in out and "smollm2-135m-instruct" in out
    assert "qwen2.5-coder-1.5b-instruct  chat      installed" in out
    with pytest.raises(SystemExit):
        main(["models", "prepare", "smollm2-135m-instruct"])
    assert "smollm2-135m-instruct: verified" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["models"])
    assert "smollm2-135m-instruct        chat      verified" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["models", "verify", "smollm2-135m-instruct"])
    assert exit_.value.code == 0
    assert "GGUF general.name: 'Smollm2 135M 8k Lc100K Mix1 Ep2'" in capsys.readouterr().out


def test_unknown_model_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["models", "prepare", "no-such-model"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "unknown model 'no-such-model'" in err and "Traceback" not in err


def test_models_verify_fails_when_the_gguf_names_another_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dataclasses

    from index import model_registry

    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path))
    spec = model_registry.REGISTRY["smollm2-135m-instruct"]
    monkeypatch.setitem(
        model_registry.REGISTRY, spec.name, dataclasses.replace(spec, gguf_name="Qwen2.5 1.5B Instruct")
    )
    with pytest.raises(SystemExit) as exit_:
        main(["models", "verify", "smollm2-135m-instruct"])
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "GGUF general.name: 'Smollm2 135M 8k Lc100K Mix1 Ep2'" in out
    assert "MISMATCH: the registry expects 'Qwen2.5 1.5B Instruct'" in out


@pytest.mark.parametrize("command", ["api", "mcp"])
def test_api_commands_say_which_extra_is_missing(command, monkeypatch, capsys):
    import argparse
    import importlib

    import ui.commands

    monkeypatch.setattr(ui.commands, "API_MODULES", ("mcp", "no_such_module_for_shopbot"))
    module = importlib.import_module(f"ui.commands.{command}")
    assert module.run(argparse.Namespace(index=None, host=None, port=None, no_mcp=False, http=False)) == 2
    assert "needs no_such_module_for_shopbot: pip install '.[api]'" in capsys.readouterr().err
