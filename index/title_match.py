"""Which catalog products a message names by title: "the Crown Summit Backpack", "Impulse Duffle",
"the Fusion", "Crown Sumit backpak", "给 Aim Analog Watch 写卖点", "蚕丝被".

A title is a run of words; a message names it when its words cover at least half of the
title's weight. Words weigh their inverse document frequency over the catalog's titles, so
"Backpack" or "Hoodie" (many products) count little and "Crown" or "Wayfarer" (one or two)
count much. A match needs at least one distinctive word spelt right (so "men's hoodies" or
"yoga pants" name no product), or the whole title word for word; a partial match whose words
two titles share ("running shorts" of five Running Shorts) names none; and the matched words must
sit close together in the message. Typos are forgiven on longer words (rapidfuzz ratio)
beside such a word. Chinese is split into words with jieba.

:meth:`TitleMatcher.find` returns :class:`NamedProduct` values with a confidence in 0..1, in
the order the message names them, one per stretch of the message (the surest where they
overlap). It reads titles only; what a match means for the turn (reviews of it, a
comparison) is the intent layer's business.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from index.vocabulary import segment

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+", re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MIN_CONFIDENCE = 0.5  # share of a title's weight (IDF of its words) the message must cover
_TYPO_MIN_LENGTH = 5  # shorter words must be spelled right
_TYPO_SCORE = 85.0
_MAX_GAP = 2  # words of the message allowed between two matched title words
# Words of any sentence: never enough to name a product, however rare in the titles.
_FUNCTION_WORDS = frozenset((
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "get",
    "has", "have", "her", "his", "how", "i", "in", "is", "it", "its", "me", "my", "new", "no", "not",
    "of", "on", "one", "or", "our", "set", "so", "that", "the", "their", "this", "to", "two", "up",
    "us", "we", "what", "which", "with", "you", "your",
    "的", "了", "和", "与", "是", "我", "你", "一个", "这个", "那个", "款", "个",
))  # fmt: skip


@dataclass(frozen=True)
class NamedProduct:
    """A product the message names: where (character span) and how sure (0..1)."""

    product_id: str
    title: str
    start: int
    end: int
    confidence: float


def _normal(word: str) -> str:
    word = word.lower().replace("'s", "")
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not _CJK.match(word):
        word = word[:-1]
    return word


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) of each word; Chinese runs are split by jieba."""
    out: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(text):
        piece = match.group(0)
        if _CJK.match(piece):
            position = match.start()
            for word in segment(piece):
                out.append((word, position, position + len(word)))
                position += len(word)
        else:
            out.append((_normal(piece), match.start(), match.end()))
    return out


class TitleMatcher:
    """Titles of one catalog, indexed by word; :meth:`find` reads a message against them."""

    def __init__(self, titles: Iterable[tuple[str, str]]) -> None:
        # Products that share a title (a ball in three colours) are one name: the first id answers.
        self._titles: dict[str, str] = {}
        self._words: dict[str, list[str]] = {}
        seen: set[tuple[str, ...]] = set()
        # whole titles of two words or more, word by word: named in full even when no word is rare
        self._whole: dict[tuple[str, ...], str] = {}
        self._longest_whole = 0
        postings: defaultdict[str, set[str]] = defaultdict(set)
        for product_id, title in sorted(titles):
            sequence = tuple(word for word, _, _ in _tokens(title))
            words = list(dict.fromkeys(sequence))
            if not words or tuple(words) in seen:
                continue
            seen.add(tuple(words))
            if len(sequence) >= 2:
                self._whole.setdefault(sequence, product_id)
                self._longest_whole = max(self._longest_whole, len(sequence))
            self._titles[product_id] = title
            self._words[product_id] = words
            for word in words:
                postings[word].add(product_id)
        count = max(len(self._titles), 1)
        self._postings = {word: sorted(ids) for word, ids in postings.items()}
        self._idf = {word: math.log(1 + count / len(ids)) for word, ids in postings.items()}
        # distinctive: in at most one title in twenty (a handful in a small catalog)
        limit = max(3, count // 20)
        self._distinctive = {word for word, ids in postings.items() if len(ids) <= limit and _name_like(word)}
        self._long_words = [word for word in self._postings if len(word) >= _TYPO_MIN_LENGTH]

    def find(self, text: str) -> list[NamedProduct]:
        """Products the message names, in the order it names them; where candidates overlap
        in the message, the surest wins."""
        tokens = _tokens(text)
        # for each message word, the catalog words it can stand for
        readings: list[set[str]] = [self._readings(word) for word, _, _ in tokens]
        # titles with a distinctive word the message may stand for, in the order the message reaches them
        hits = dict.fromkeys(
            product_id
            for words in readings
            for word in words
            if word in self._distinctive
            for product_id in self._postings[word]
        )
        candidates: list[tuple[float, int, NamedProduct]] = []
        for first in range(len(tokens)):
            for last in range(first + 2, min(first + self._longest_whole, len(tokens)) + 1):
                whole = self._whole.get(tuple(word for word, _, _ in tokens[first:last]))
                if whole is not None:
                    named = NamedProduct(
                        whole, self._titles[whole], tokens[first][1], tokens[last - 1][2], 1.0
                    )
                    candidates.append((1.0, last - first, named))
        for product_id in hits:
            matched = self._matched_positions(product_id, readings)
            if not matched:
                continue
            title_words = self._words[product_id]
            total = sum(self._idf[word] for word in title_words)
            covered = sum(self._idf[word] for word in matched)
            confidence = covered / total
            # a misspelt word counts only beside a rare word spelt right ("slogan" is not "Logan")
            spelt_right = [word for word, position in matched.items() if tokens[position][0] == word]
            if confidence < MIN_CONFIDENCE or not any(word in self._distinctive for word in spelt_right):
                continue
            if confidence < 1.0 and self._shared_by_several(matched):  # "running shorts": a kind, no name
                continue
            positions = sorted(matched.values())
            start, end = tokens[positions[0]][1], tokens[positions[-1]][2]
            named = NamedProduct(product_id, self._titles[product_id], start, end, round(confidence, 3))
            candidates.append((confidence, len(matched), named))
        candidates.sort(key=lambda item: (-item[0], -item[1], item[2].start))
        chosen: list[NamedProduct] = []
        for _, _, named in candidates:
            if all(named.end <= other.start or named.start >= other.end for other in chosen):
                chosen.append(named)
        return sorted(chosen, key=lambda named: named.start)

    def _shared_by_several(self, words: Iterable[str]) -> bool:
        """Whether two titles or more have all these words (then they name a kind of product)."""
        common: set[str] | None = None
        for word in words:
            ids = set(self._postings.get(word, ()))
            common = ids if common is None else common & ids
        return common is not None and len(common) >= 2

    def _readings(self, word: str) -> set[str]:
        if word in self._postings:
            return {word}
        if len(word) < _TYPO_MIN_LENGTH or _CJK.match(word):
            return set()
        from rapidfuzz import fuzz, process

        found = process.extract(word, self._long_words, scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE, limit=3)
        return {candidate for candidate, _, _ in found}

    def _matched_positions(self, product_id: str, readings: list[set[str]]) -> dict[str, int]:
        """Title word -> message position, for the tightest run of matched words that holds a
        distinctive one; empty when there is none."""
        title_words = set(self._words[product_id])
        positions = [
            (index, words & title_words) for index, words in enumerate(readings) if words & title_words
        ]
        best: dict[str, int] = {}
        run: dict[str, int] = {}
        last = -10
        for index, words in positions:
            if index - last > _MAX_GAP + 1:
                run = {}
            for word in words:
                run[word] = index  # a repeated word counts where it is nearest the rest
            last = index
            if any(word in self._distinctive for word in run) and _better(run, best, self._idf):
                best = dict(run)
        return best


def _name_like(word: str) -> bool:
    """Whether a rare word can name a product: not a number, a single Chinese character, a
    two-letter word or a function word."""
    if word.isdigit() or word in _FUNCTION_WORDS:
        return False
    return len(word) >= (2 if _CJK.match(word) else 3)


def _better(run: dict[str, int], best: dict[str, int], idf: dict[str, float]) -> bool:
    """More title weight covered, or as much in a tighter stretch of the message."""
    weight, best_weight = sum(idf[word] for word in run), sum(idf[word] for word in best)
    if not best or weight > best_weight + 1e-9:
        return True
    span = max(run.values()) - min(run.values())
    return abs(weight - best_weight) <= 1e-9 and span < max(best.values()) - min(best.values())
