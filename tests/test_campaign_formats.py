"""Channel formats: SMS segments (GSM-7 / UCS-2), the other countings, every format's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.channel_formats import FormatError, grammar_schema, limit_problems, load_formats
from tools.channel_length import measure, sms_count, units

SMS_CASES = [  # text, encoding, units, segments
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # extension characters count 2
    ("€" * 81, "GSM-7", 162, 2),
    ("[]{}" * 20, "GSM-7", 160, 1),
    ("a" + "€" * 80, "GSM-7", 161, 2),
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),  # the pair moves to part two
    ("£$¥èé@ÄÖÑÜß", "GSM-7", 11, 1),  # in the basic table
    ("“quoted”", "UCS-2", 8, 1),  # a curly quote is not GSM: the whole message is UCS-2
    ("中" * 70, "UCS-2", 70, 1),
    ("中" * 71, "UCS-2", 71, 2),
    ("中" * 134, "UCS-2", 134, 2),
    ("中" * 135, "UCS-2", 135, 3),
    ("😀" * 35, "UCS-2", 70, 1),  # an emoji is a surrogate pair
    ("😀" * 36, "UCS-2", 72, 2),
    ("a" * 66 + "😀", "UCS-2", 68, 1),
    ("a" * 69 + "😀", "UCS-2", 71, 2),
    ("Sale €5 off 😀", "UCS-2", 14, 1),  # € costs 1 in UCS-2
]


@pytest.mark.parametrize(("text", "encoding", "size", "segments"), SMS_CASES)
def test_sms_segments(text: str, encoding: str, size: int, segments: int) -> None:
    count = sms_count(text)
    assert (count.encoding, count.units, count.segments) == (encoding, size, segments)
    assert measure(text, "sms") == segments and units(text, "sms") == size


def test_a_pair_never_splits_across_parts() -> None:
    assert sms_count("a" * 152 + "€" + "a" * 152).segments == 3  # 152+2 > 153: the pair moves on
    assert sms_count("a" * 66 + "😀" + "a" * 66).segments == 3


@pytest.mark.parametrize(
    ("text", "chars", "utf16"), [("abc", 3, 3), ("中文", 2, 2), ("😀", 1, 2), ("e\u0301", 2, 2)]
)
def test_chars_and_utf16(text: str, chars: int, utf16: int) -> None:
    assert measure(text, "chars") == chars and measure(text, "utf16") == utf16


EXPECTED = {
    "listing", "seo", "social", "xiaohongshu", "wechat_moments", "email", "sms", "push", "banner",
}  # fmt: skip
LIMITS = [  # format, part, counting, max
    ("seo", "meta_description", "chars", 155),
    ("xiaohongshu", "title", "chars", 20),
    ("email", "subject", "chars", 60),
    ("sms", "text", "sms", 1),
    ("push", "title", "utf16", 50),
    ("push", "body", "utf16", 120),
]


def test_every_format_loads() -> None:
    formats = load_formats()
    assert set(formats) == EXPECTED
    for name, fmt in formats.items():
        assert fmt.name == name and fmt.terms in {p.name for p in fmt.parts}
        for lang in fmt.languages:
            assert fmt.instruction[lang]
            grammar_schema(fmt, lang, {})  # every part leaves room to write


@pytest.mark.parametrize(("name", "part", "counting", "limit"), LIMITS)
def test_the_limits_are_the_channels(name: str, part: str, counting: str, limit: int) -> None:
    found = load_formats()[name].part(part)
    assert (found.counting, found.max) == (counting, limit)


def _filled(fmt_name: str, size: int, char: str = "a") -> dict[str, str]:
    fmt = load_formats()[fmt_name]
    parts = {}
    for part in fmt.parts:
        if part.kind in ("lines", "tags"):
            items = [char * min(size, part.item_max or size)] * max(part.min_items, 1)
            parts[part.name] = part.join(items)
        else:
            parts[part.name] = char * size
    return parts


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_formats_limits_are_enforced(name: str) -> None:
    fmt = load_formats()[name]
    assert limit_problems(fmt, _filled(name, 5)) == []
    for part in fmt.parts:
        over = dict(_filled(name, 5))
        if part.kind == "lines" or part.kind == "tags":
            over[part.name] = part.join(["a" * ((part.item_max or 10) + 1)] * max(part.min_items, 1))
            assert any(p.startswith(f"{part.name}: an item is longer") for p in limit_problems(fmt, over))
            if part.max_items:
                over[part.name] = part.join(["a"] * (part.max_items + 1))
                assert any(f"{part.name}: {part.max_items + 1} items" in p for p in limit_problems(fmt, over))
        else:
            size = 161 if part.counting == "sms" else part.max + 1
            over[part.name] = "a" * size
            assert any(p.startswith(f"{part.name}: ") for p in limit_problems(fmt, over)), part.name
        over[part.name] = ""
        assert f"{part.name}: empty" in limit_problems(fmt, over)


def test_sms_limit_counts_the_encoding() -> None:
    sms = load_formats()["sms"]
    assert limit_problems(sms, {"text": "a" * 160}) == []
    assert limit_problems(sms, {"text": "a" * 150 + "€" * 6}) == ["text: 2 SMS segments, the limit is 1"]
    assert limit_problems(sms, {"text": "中" * 70}) == []
    assert limit_problems(sms, {"text": "中" * 71}) == ["text: 2 SMS segments, the limit is 1"]
    assert limit_problems(load_formats()["push"], {"title": "😀" * 26, "body": "ok"}) == [
        "title: 52 UTF-16 units, the limit is 50"
    ]


def test_the_grammar_caps_each_part_and_leaves_room_for_the_offer() -> None:
    formats = load_formats()
    sms = grammar_schema(formats["sms"], "en", {"text": 60})["properties"]["text"]
    assert sms["maxLength"] == 100
    assert grammar_schema(formats["sms"], "zh", {"text": 30})["properties"]["text"]["maxLength"] == 40
    listing = grammar_schema(formats["listing"], "en", {"bullets": 1})["properties"]
    assert listing["bullets"]["maxItems"] == 4 and listing["bullets"]["items"]["maxLength"] == 110
    assert listing["title"]["maxLength"] == 80
    assert "offer" not in grammar_schema(formats["banner"], "en", {})["properties"]
    with pytest.raises(ValueError, match=r"sms\.text"):
        grammar_schema(formats["sms"], "zh", {"text": 65})


def test_adding_a_format_is_one_entry_and_mistakes_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "formats.toml"
    path.write_text(
        '[formats.tweet]\nlabel = "Tweet"\nlanguages = ["en"]\nterms = "text"\n'
        'instruction = { en = "a tweet" }\n'
        'parts = [{ name = "text", kind = "text", counting = "utf16", max = 280 }]\n',
        encoding="utf-8",
    )
    assert load_formats(path)["tweet"].part("text").max == 280
    path.write_text(path.read_text().replace('terms = "text"', 'terms = "body"'), encoding="utf-8")
    with pytest.raises(FormatError, match=r"formats.toml: formats.tweet: terms: 'body' must name"):
        load_formats(path)
    path.write_text(path.read_text().replace("max = 280", "max = 0"), encoding="utf-8")
    with pytest.raises(FormatError, match=r"formats.tweet: parts.0.max: "):
        load_formats(path)
