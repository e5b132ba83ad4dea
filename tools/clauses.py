"""Language guess and clause splitting for review text (Chinese and English).

A review such as "works okay but battery life is short" or "质量不错，就是物流太慢了" says
different things in different clauses; sentiment per clause is what lets the analyzer call a
review "mixed" and give each aspect the sentiment of the clause that mentions it.

Clauses end at sentence punctuation, at commas and semicolons, and before a contrast marker
(but, however, although, 但是, 不过, 就是 ...). Fragments too short to carry meaning on their own
("Unfortunately,", "而且，") are merged into the next clause. Each clause keeps its character
span in the original text and whether it opens with a contrast marker.

Deliberately not here: tokenization for models, language identification beyond Chinese vs.
English (text with a notable share of CJK characters is Chinese; everything else is treated as
English), sentiment.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]

_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z]")

EN_CONTRAST = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "yet",
    "unfortunately",
    "on the other hand",
    "apart from that",
    "other than that",
    "the only problem",
    "the only issue",
    "my only issue",
    "my only complaint",
    "only complaint",
)
ZH_CONTRAST = ("但是", "但", "不过", "就是", "可是", "然而", "只是", "虽然", "可惜", "唯一")

# A boundary is punctuation; a contrast marker starts a new clause without consuming text.
_EN_BOUNDARY = re.compile(r"[.!?;,:\n]+|\s[-–—]+\s|\(|\)")
_ZH_BOUNDARY = re.compile(r"[。！？；，,;!?：:\n\s~\uff5e…]+|\.{2,}")
_EN_MARKER = re.compile(
    r"\b(?:" + "|".join(re.escape(m) for m in sorted(EN_CONTRAST, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# A marker inside a word (不但, 就是说) splits it, but the too-short left part is merged back.
_ZH_MARKER = re.compile("|".join(re.escape(m) for m in sorted(ZH_CONTRAST, key=len, reverse=True)))
_MIN_EN_WORDS = 2
_MIN_ZH_CHARS = 2


@dataclass(frozen=True)
class Clause:
    """One clause: its text, its span ``[start, end)`` in the review and whether it opens a contrast."""

    text: str
    start: int
    end: int
    contrast: bool = False


# a sentence or a line: up to sentence punctuation followed by a space or the end (so "$47.20"
# and "v2.5" do not end one), Chinese sentence punctuation, or a newline (kept with its piece)
_SENTENCE_PIECE = re.compile(
    r"[^\n]*?(?:[.!?…]+[\"')\]\u201d\u2019]*(?=\s|$)|[。！？]+[\u201d\u2019）]*|\n|$)"
)


def sentence_pieces(text: str) -> list[str]:
    """``text`` as sentences and lines; joined, they give ``text`` back."""
    return [piece for piece in _SENTENCE_PIECE.findall(text) if piece]


def detect_language(text: str) -> Lang:
    """``"zh"`` when CJK characters make up at least a fifth of the letters, else ``"en"``."""
    cjk = len(_CJK.findall(text))
    letters = len(_LETTER.findall(text))
    return "zh" if cjk and cjk * 5 >= cjk + letters else "en"


def in_language(text: str, lang: str) -> bool:
    """Whether ``text`` reads as ``lang`` (a stricter test than :func:`detect_language`, for text a
    model was asked to write in one language): Chinese has CJK characters for at least a third of
    its words, counting ~4 Latin letters a word (product names and units in Latin letters are fine
    in Chinese); English has almost none. Text without letters passes."""
    cjk = len(_CJK.findall(text))
    words = cjk + len(_LETTER.findall(text)) / 4
    if words == 0:
        return True
    return cjk / words >= 0.34 if lang == "zh" else cjk / words <= 0.1


def split_clauses(text: str, lang: Lang | None = None) -> list[Clause]:
    """Clauses of ``text`` in order; an empty list for text with nothing but whitespace/punctuation."""
    lang = lang or detect_language(text)
    boundary = _ZH_BOUNDARY if lang == "zh" else _EN_BOUNDARY
    marker = _ZH_MARKER if lang == "zh" else _EN_MARKER
    pieces: list[Clause] = []
    position = 0
    for match in [*boundary.finditer(text), None]:
        end = match.start() if match else len(text)
        pieces.extend(_split_at_markers(text, position, end, marker))
        position = match.end() if match else len(text)
    return _merge_short(pieces, lang, text)


def _split_at_markers(text: str, start: int, end: int, marker: re.Pattern[str]) -> list[Clause]:
    cuts = [m.start() for m in marker.finditer(text, start, end)]
    bounds = [start, *[cut for cut in cuts if cut > start], end]
    clauses = []
    for index, (left, right) in enumerate(itertools.pairwise(bounds)):
        clause = _strip(text, left, right, contrast=index > 0 or bool(cuts and cuts[0] == start))
        if clause:
            clauses.append(clause)
    return clauses


def _strip(text: str, start: int, end: int, *, contrast: bool) -> Clause | None:
    piece = text[start:end]
    stripped = piece.strip(" \t\r\n\"'“”\u2018\u2019「」『』*#")
    if not stripped:
        return None
    offset = start + piece.index(stripped)
    return Clause(stripped, offset, offset + len(stripped), contrast)


def _is_short(clause: Clause, lang: Lang) -> bool:
    if lang == "zh":
        return len(_CJK.findall(clause.text)) + len(re.findall(r"\w+", clause.text)) < _MIN_ZH_CHARS + 1
    return len(re.findall(r"[\w']+", clause.text)) < _MIN_EN_WORDS


def _merge_short(clauses: list[Clause], lang: Lang, text: str) -> list[Clause]:
    """Join a too-short fragment to the clause after it (or before it, at the end)."""
    merged: list[Clause] = []
    pending: Clause | None = None
    for clause in clauses:
        if pending is not None:
            clause = Clause(text[pending.start : clause.end], pending.start, clause.end, pending.contrast)
            pending = None
        if _is_short(clause, lang):
            pending = clause
        else:
            merged.append(clause)
    if pending is not None:
        if merged:
            last = merged.pop()
            merged.append(Clause(text[last.start : pending.end], last.start, pending.end, last.contrast))
        else:
            merged.append(pending)
    return merged
