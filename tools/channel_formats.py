"""Channel formats for campaign copy, read from ``tools/data/channel_formats.toml``.

A :class:`ChannelFormat` is data: its parts, each with a kind (prose, lines, tags, or the
offer line alone), how its channel counts length (:mod:`tools.channel_length`) and its
limit; the languages it is written in; which part carries the campaign's offer line and
which its call to action. :func:`load_formats` reads and validates the file (an error names
the file, the format and the field); :func:`grammar_schema` is what the model may write for
one format (lengths capped, room left for the offer line); :func:`limit_problems` counts a
written variant exactly as each channel does. Adding a format is one table in the TOML file.

Deliberately not here: the offer line's wording, the model call, the fact check.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.channel_length import Counting, measure, sms_capacity

Lang = Literal["en", "zh"]
FORMATS_FILE = Path(__file__).with_name("data") / "channel_formats.toml"
# llama.cpp's grammar parser refuses a string of more than ~1,000 characters (nested optional
# rules); longer parts (an email body, an SEO description) get at most this from the model
GRAMMAR_MAX_CHARS = 600


class FormatError(ValueError):
    """The channel formats file is not valid; the message names the file and the field."""


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["text", "lines", "tags", "terms"]
    counting: Counting = "chars"
    max: int = Field(gt=0)
    min_items: int = Field(default=1, ge=0)
    max_items: int | None = Field(default=None, gt=0)
    item_max: int | None = Field(default=None, gt=0)
    prefix: str = ""
    hint: dict[Lang, str] = Field(default_factory=dict)

    def join(self, items: list[str]) -> str:
        """Items of a lines or tags part as the channel shows them."""
        marked = [f"{self.prefix}{item}" for item in items]
        return "\n".join(marked) if self.kind == "lines" else " ".join(marked)

    def split(self, text: str) -> list[str]:
        """The items of a rendered lines or tags part, without their prefix."""
        pieces = text.splitlines() if self.kind == "lines" else text.split()
        return [p.removeprefix(self.prefix).strip() for p in pieces if p.strip()]

    def budget(self, lang: Lang) -> int:
        """The part's limit in units (septets / UCS-2 units for an SMS in ``lang``)."""
        if self.counting == "sms":
            return sms_capacity(self.max, "UCS-2" if lang == "zh" else "GSM-7")
        return self.max


class ChannelFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    languages: list[Lang] = Field(min_length=1)
    instruction: dict[Lang, str]
    terms: str
    cta: str | None = None
    parts: list[Part] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ChannelFormat:
        names = [part.name for part in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"parts: names must be unique, not {names}")
        for field, value in (("terms", self.terms), ("cta", self.cta)):
            if value is not None and (value not in names or self.part(value).kind == "tags"):
                raise ValueError(f"{field}: {value!r} must name a text, lines or terms part")
        if missing := [lang for lang in self.languages if lang not in self.instruction]:
            raise ValueError(f"instruction: no text for {', '.join(missing)}")
        return self

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)

    @property
    def written(self) -> list[Part]:
        """The parts the model writes (all but a terms-only part)."""
        return [part for part in self.parts if part.kind != "terms"]


def load_formats(path: Path | None = None) -> dict[str, ChannelFormat]:
    """Every format in ``path`` (default: the bundled file, read once), by name;
    :class:`FormatError` names what is wrong."""
    return dict(_bundled() if path is None else _load(path))


@cache
def _bundled() -> tuple[tuple[str, ChannelFormat], ...]:
    return _load(FORMATS_FILE)


def _load(path: Path) -> tuple[tuple[str, ChannelFormat], ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise FormatError(f"{path.name}: {error}") from error
    formats = []
    for name, entry in data.get("formats", {}).items():
        try:
            formats.append((name, ChannelFormat.model_validate({**entry, "name": name})))
        except ValidationError as error:
            raise FormatError(f"{path.name}: formats.{name}: {validation_text(error)}") from error
    if not formats:
        raise FormatError(f"{path.name}: no [formats.NAME] tables")
    return tuple(formats)


def validation_text(error: ValidationError, skip: tuple[str, ...] = ()) -> str:
    """The first problem of a pydantic error as ``field.sub: message`` (``skip``: names of
    union members pydantic puts in the path, e.g. an offer's kind)."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if p not in skip)
    message = str(first["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    return f"{where}: {message}" if where else message


def grammar_schema(fmt: ChannelFormat, lang: Lang, reserved: dict[str, int]) -> dict[str, Any]:
    """The JSON schema of one variant the model writes: one property per written part, capped.

    ``reserved`` is, per part, the units the offer line and call to action will take there
    (lines: the number of items they take). A text part's cap is in characters: every
    character is at least one unit, so text within the cap can only overflow through
    characters counted double, which :func:`limit_problems` catches."""
    properties: dict[str, Any] = {}
    for part in fmt.written:
        if part.kind == "text":
            cap = part.budget(lang) - reserved.get(part.name, 0)
            if cap < 10:
                raise ValueError(f"{fmt.name}.{part.name}: the offer line leaves {cap} units to write")
            properties[part.name] = {
                "type": "string",
                "minLength": 1,
                "maxLength": min(cap, GRAMMAR_MAX_CHARS),
            }
        else:
            taken = reserved.get(part.name, 0)
            item: dict[str, Any] = {"type": "string", "minLength": 1}
            if part.item_max:
                item["maxLength"] = part.item_max
            schema: dict[str, Any] = {
                "type": "array",
                "items": item,
                "minItems": max(part.min_items - taken, 1),
            }
            if part.max_items:
                schema["maxItems"] = max(part.max_items - taken, 1)
            properties[part.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def limit_problems(fmt: ChannelFormat, parts: dict[str, str]) -> list[str]:
    """Each part of a rendered variant against its channel's limits, counted as it counts."""
    problems = []
    for part in fmt.parts:
        text = parts.get(part.name, "")
        if not text.strip():
            problems.append(f"{part.name}: empty")
            continue
        size = measure(text, part.counting)
        if size > part.max:
            unit = {"chars": "characters", "utf16": "UTF-16 units", "sms": "SMS segments"}[part.counting]
            problems.append(f"{part.name}: {size} {unit}, the limit is {part.max}")
        if part.kind in ("lines", "tags"):
            items = part.split(text)
            if len(items) < part.min_items or (part.max_items and len(items) > part.max_items):
                problems.append(
                    f"{part.name}: {len(items)} items, allowed {part.min_items}-{part.max_items or 'any'}"
                )
            if part.item_max and (long := [i for i in items if len(i) > part.item_max]):
                problems.append(f"{part.name}: an item is longer than {part.item_max}: {long[0][:40]!r}")
    return problems
