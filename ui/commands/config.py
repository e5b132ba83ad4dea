"""`shopbot config`: print the effective settings, each with its source and meaning."""

from __future__ import annotations

import argparse
import json
import os

from assistant.config import PROCESS_ENVIRONMENT, Settings, find_config_file, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the settings as JSON")


def _source(name: str) -> str:
    env = f"SHOPBOT_{name.upper()}"
    if env in os.environ:
        return f"env {env}"
    config_file = find_config_file()
    if config_file is not None:
        import tomllib

        if name in tomllib.loads(config_file.read_text()):
            return f"file {config_file}"
    return "default"


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    values = settings.model_dump(mode="json")
    if args.json:
        print(json.dumps(values, indent=2, ensure_ascii=False))
        return 0
    config_file = find_config_file()
    print(f"config file: {config_file or 'none (see `SHOPBOT_CONFIG`, ./shopbot.toml)'}")
    for name, field in Settings.model_fields.items():
        print(f"{name} = {values[name]!r}    [{_source(name)}]")
        print(f"    {field.description}")
    print("environment:")
    for key in PROCESS_ENVIRONMENT:
        print(f"{key} = {os.environ.get(key)!r}")
    return 0
