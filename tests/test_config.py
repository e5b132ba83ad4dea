"""Settings precedence (arguments > SHOPBOT_* env > config file > defaults) and `shopbot config`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.config import apply_environment, load_settings
from ui.cli import main


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SHOPBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)


def test_defaults_work_offline_and_point_at_the_demo_store(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.chat_model == "qwen2.5-coder-1.5b-instruct"
    assert settings.cache_dir == tmp_path / "xdg-cache" / "shopbot"
    assert settings.catalog.is_file() and settings.catalog.name == "luma_products.jsonl"
    assert settings.web_host == "127.0.0.1"


def test_precedence_argument_over_env_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shopbot.toml").write_text('chat_model = "from-file"\nweb_port = 9000\n')
    assert load_settings().chat_model == "from-file"
    monkeypatch.setenv("SHOPBOT_CHAT_MODEL", "from-env")
    settings = load_settings()
    assert (settings.chat_model, settings.web_port) == ("from-env", 9000)
    assert load_settings(chat_model="from-argument").chat_model == "from-argument"


def test_explicit_config_file_and_its_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("web_port = 8123\n")
    monkeypatch.setenv("SHOPBOT_CONFIG", str(config))
    assert load_settings().web_port == 8123
    config.write_text("no_such_setting = 1\n")
    with pytest.raises(ValueError, match="no_such_setting"):
        load_settings()
    monkeypatch.setenv("SHOPBOT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.toml"):
        load_settings()


def test_apply_environment_keeps_user_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")
    apply_environment()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "True"


def test_shopbot_config_prints_values_sources_and_docs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPBOT_WEB_PORT", "7000")
    with pytest.raises(SystemExit) as exit_:
        main(["config"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "web_port = 7000    [env SHOPBOT_WEB_PORT]" in out
    assert "Port of the web chat." in out
    assert "HF_HUB_OFFLINE = '1'" in out
    with pytest.raises(SystemExit):
        main(["config", "--json"])
    assert json.loads(capsys.readouterr().out)["web_port"] == 7000


def test_a_bad_setting_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPBOT_WEB_PORT", "not-a-port")
    with pytest.raises(SystemExit) as exit_:
        main(["config"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "web_port" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("merchant-key-0123456789", True),
        ("  merchant-key-0123456789 ", True),  # pasted with spaces
        ("other-key-0123456789ab", True),  # a plain str among the keys
        ("merchant-key-012345678", False),  # one character short
        ("MERCHANT-KEY-0123456789", False),  # case matters
        ("", False),
        (None, False),
    ],
)
def test_is_merchant_key(given, expected):
    from pydantic import SecretStr

    from assistant.config import is_merchant_key

    assert (
        is_merchant_key(given, [SecretStr("merchant-key-0123456789"), "other-key-0123456789ab"]) is expected
    )
    assert is_merchant_key(given, []) is False
