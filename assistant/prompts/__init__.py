"""System prompts as package data (``system_en.md``, ``system_zh.md``), read once."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def system_prompt(lang: str) -> str:
    """The system prompt in the user's language (English for anything but Chinese)."""
    name = "system_zh.md" if lang == "zh" else "system_en.md"
    return (resources.files(__package__) / name).read_text(encoding="utf-8").strip()
