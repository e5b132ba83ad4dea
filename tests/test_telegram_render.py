"""Telegram rendering over many inputs: splitting, escaping, cards, callback data.

Every part and card is checked with the fake Bot API's own HTML parser (what Telegram accepts).
"""

from __future__ import annotations

import random

from assistant.reply import ProductCard
from ui.cards import SUMMARY_CHARS
from ui.telegram_fake import parse_html, utf16_len
from ui.telegram_render import callback_data, card_html, escape, parse_callback, split_text


def test_split_text_keeps_every_character_within_the_limit():
    rng = random.Random(7)
    alphabet = ["a", "b", " ", "\n", "&", "<", ">", "é", "价", "😀", "\n\n", "_*[]"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3000)))
        limit = rng.choice([50, 100, 4096])
        parts = split_text(text, limit)
        assert all(0 < utf16_len(part) <= limit for part in parts)
        assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
        for part in parts:
            assert parse_html(escape(part)) == part  # each part stays valid HTML on its own


def test_split_prefers_paragraphs_then_lines_then_words():
    text = "A" * 60 + "\n\n" + "B" * 30 + "\n" + "C" * 30
    assert split_text(text, 100) == ["A" * 60, "B" * 30 + "\n" + "C" * 30]
    assert split_text("word " * 30, 50)[0] == ("word " * 10).strip()


def test_card_html_is_valid_and_within_a_caption():
    rng = random.Random(3)
    nasty = ["<", ">", "&", '"', "_", "*", "[", "]", "</b>", "&amp;", "x", " ", "价"]
    for _ in range(200):
        title = "".join(rng.choice(nasty) for _ in range(rng.randint(1, 400)))
        card = ProductCard(
            id="X1",
            title=title,
            price=9.5,
            currency="CNY",
            rating=3.0,
            why=title,
            summary="\n".join([title, "😀" * rng.randint(0, 300), title]),
            url="https://a.example/?q=<&>",
        )
        markup = card_html(card)
        visible = parse_html(markup)
        assert utf16_len(visible) <= 1024 and visible.startswith(title[:10])
        assert "¥9.50" in visible


def test_card_summary_is_escaped_under_the_title_and_kept_short():
    card = ProductCard(id="X1", title="Joust Duffle Bag", price=34.0, currency="USD",
                       summary="A <b>sporty</b> duffle & more.\n双提手，防水外层。")  # fmt: skip
    assert parse_html(card_html(card)).splitlines()[:4] == [
        "Joust Duffle Bag",
        "A <b>sporty</b> duffle & more.",
        "双提手，防水外层。",
        "$34.00",
    ]
    assert "&lt;b&gt;sporty&lt;/b&gt; duffle &amp; more." in card_html(card)
    long = card.model_copy(update={"summary": "word " * 100})
    shown = parse_html(card_html(long)).splitlines()[1]
    assert len(shown) <= SUMMARY_CHARS and shown.endswith("word…")
    assert parse_html(card_html(card.model_copy(update={"summary": ""}))).splitlines()[1] == "$34.00"


def test_callback_data_round_trip_and_limit():
    assert parse_callback(callback_data("c", ["MH01", "MH02"])).ids == ("MH01", "MH02")
    assert parse_callback(callback_data("r", ["24-MB01"])).action == "r"
    assert callback_data("r", ["x" * 70]) is None
    for bad in (None, "", "x|1", "c|1", "r|", "r|1|2", "lang|en"):
        assert parse_callback(bad) is None
