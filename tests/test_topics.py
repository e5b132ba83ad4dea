"""Clause splitting, language guess and aspect lexicons on hand-written Chinese and English text."""

from __future__ import annotations

import itertools
import json

import pytest

from tools.clauses import detect_language, split_clauses
from tools.sentiment_eval import handwritten_path
from tools.topics import ASPECTS, LEXICON, aspect_label, find_aspects


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("works okay but battery life is short", "en"),
        ("质量不错，就是物流太慢了", "zh"),
        ("这款iPhone 15的壳很好用", "zh"),
        ("Bought the 中文 version by mistake, returned it.", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "clauses", "contrast"),
    [
        ("works okay but battery life is short", ["works okay", "but battery life is short"], [False, True]),
        (
            "Great price, fast shipping. However, the strap broke!",
            ["Great price", "fast shipping", "However, the strap broke"],
            [False, False, True],
        ),
        ("Nice shoes, though.", ["Nice shoes, though"], [False]),
        ("质量不错，就是物流太慢了。", ["质量不错", "就是物流太慢了"], [False, True]),
        (
            "衣服很好看但是尺码偏小！客服态度很好",
            ["衣服很好看", "但是尺码偏小", "客服态度很好"],
            [False, True, False],
        ),
        ("不但质量好，而且价格便宜", ["不但质量好", "而且价格便宜"], [False, False]),
        ("好，很好", ["好，很好"], [False]),
    ],
)
def test_split_clauses(text: str, clauses: list[str], contrast: list[bool]) -> None:
    found = split_clauses(text)
    assert [clause.text for clause in found] == clauses
    assert [clause.contrast for clause in found] == contrast


def test_clause_spans_point_into_the_text() -> None:
    texts = [
        row["text"] for row in map(json.loads, handwritten_path().read_text(encoding="utf-8").splitlines())
    ]
    texts += ["  Love it!!  Hate the box...  ", "一般般吧。。。就这样\uff5e", "a, b, c, d but e"]
    for text in texts:
        clauses = split_clauses(text)
        assert clauses, text
        for clause in clauses:
            assert text[clause.start : clause.end] == clause.text
        starts = [clause.start for clause in clauses]
        assert starts == sorted(starts)
        assert all(a.end <= b.start for a, b in itertools.pairwise(clauses))


def test_nothing_to_split() -> None:
    assert split_clauses("  ...  !!") == []


@pytest.mark.parametrize(
    ("text", "lang", "aspects"),
    [
        ("The fabric is thin and the stitching came apart", "en", ["quality"]),
        ("Great value for money", "en", ["price"]),
        ("The package arrived two days late", "en", ["shipping"]),
        ("Customer service was rude and refused a refund", "en", ["service"]),
        ("Battery lasts all day and the sound is clear", "en", ["quality", "function"]),
        ("Runs small, order one size up", "en", ["size"]),
        ("Love the color and the design", "en", ["appearance"]),
        ("I bought it for my brother", "en", []),
        ("做工很精细，面料也舒服", "zh", ["quality", "function"]),
        ("性价比很高", "zh", ["price"]),
        ("物流太慢了", "zh", ["shipping"]),
        ("客服态度很好", "zh", ["service"]),
        ("续航不错，充电很快", "zh", ["function"]),
        ("尺码偏小，建议买大一号", "zh", ["size"]),
        ("颜色很好看", "zh", ["appearance"]),
        ("这是给我妈妈买的", "zh", []),
    ],
)
def test_find_aspects(text: str, lang: str, aspects: list[str]) -> None:
    assert [hit.aspect for hit in find_aspects(text, lang)] == aspects  # type: ignore[arg-type]


def test_english_terms_match_whole_words_with_endings() -> None:
    assert [hit.aspect for hit in find_aspects("It fits", "en")] == ["size"]
    assert [hit.aspect for hit in find_aspects("Looking sharp", "en")] == ["appearance"]
    assert find_aspects("a fitness tracker", "en") == []  # "fit" inside another word
    hit = find_aspects("SHIPPING WAS SLOW", "en")[0]
    assert (hit.aspect, hit.term) == ("shipping", "shipping")


def test_every_aspect_has_both_languages_and_labels() -> None:
    for aspect in ASPECTS:
        assert LEXICON[aspect]["en"] and LEXICON[aspect]["zh"]
        assert aspect_label(aspect, "en") and aspect_label(aspect, "zh")
    assert aspect_label("price", "zh") == "价格/性价比"
