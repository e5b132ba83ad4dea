"""Lengths the way each channel counts them: characters, UTF-16 code units, SMS segments.

- ``chars``: Unicode code points (what most shop back ends and ``len`` count).
- ``utf16``: UTF-16 code units, as JavaScript, iOS and Android count (an emoji is 2).
- ``sms``: segments of one text message. Text whose every character is in the GSM 03.38
  alphabet is sent as GSM-7: 160 septets in a single message, 153 per part of a multi-part
  one, and the extension characters (``€ [ ] { } \\ ^ ~ |`` and form feed) take 2 septets
  each. Any other character (Chinese, an emoji, a curly quote) sends the whole message as
  UCS-2: 70 UTF-16 code units single, 67 per part. A part never splits an escape pair or a
  surrogate pair, so segments are counted by filling parts character by character.

Deliberately not here: which channel counts how (that is ``tools/data/channel_formats.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Counting = Literal["chars", "utf16", "sms"]
COUNTINGS: tuple[Counting, ...] = ("chars", "utf16", "sms")

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
SINGLE = {"GSM-7": 160, "UCS-2": 70}  # units in a message of one segment
PART = {"GSM-7": 153, "UCS-2": 67}  # units per segment of a multi-part message


@dataclass(frozen=True)
class SmsCount:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def _unit_costs(text: str) -> tuple[Literal["GSM-7", "UCS-2"], list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if c in GSM_EXTENSION else 1 for c in text]
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_count(text: str) -> SmsCount:
    """The encoding, units and segments of ``text`` sent as one SMS; see the module docstring."""
    encoding, costs = _unit_costs(text)
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return SmsCount(encoding, units, 1 if units else 0)
    segments, filled = 1, 0
    for cost in costs:
        if filled + cost > PART[encoding]:
            segments, filled = segments + 1, 0
        filled += cost
    return SmsCount(encoding, units, segments)


def sms_capacity(segments: int, encoding: Literal["GSM-7", "UCS-2"]) -> int:
    """The most units ``segments`` segments hold in ``encoding``."""
    return SINGLE[encoding] if segments == 1 else PART[encoding] * segments


def measure(text: str, counting: Counting) -> int:
    """``text``'s length as ``counting`` counts: code points, UTF-16 units or SMS segments."""
    if counting == "chars":
        return len(text)
    if counting == "utf16":
        return utf16_units(text)
    if counting == "sms":
        return sms_count(text).segments
    raise ValueError(f"counting must be one of {', '.join(COUNTINGS)}, not {counting!r}")


def units(text: str, counting: Counting) -> int:
    """What ``text`` takes of a budget counted as ``counting`` (SMS: septets or UCS-2 units)."""
    return sms_count(text).units if counting == "sms" else measure(text, counting)
