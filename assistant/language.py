"""Which language a message is written in: Chinese (``"zh"``) or English (``"en"``).

Replies follow the user's language whatever the catalog's language. A message is Chinese
when Han text makes up at least a fifth of its words, counting two Han characters as one
word (so "要 Nike 的跑鞋" is Chinese and "I like 包子 a lot really" is not); a message without letters ("2", "?", "$60") keeps the previous
language. Deliberately only these two: they are the languages the prompts and templates cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect_language(text: str, previous: str = "en") -> str:
    """``"zh"`` or ``"en"``; ``previous`` when the text has no letters at all."""
    han = len(_HAN.findall(text)) / 2  # Chinese words are about two characters long
    latin = len(_LATIN_WORD.findall(text))
    if han == 0 and latin == 0:
        return previous
    return "zh" if han / (han + latin) >= 0.2 else "en"


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」")


def reply_language(text: str, previous: str, catalog_text: Iterable[str] = ()) -> str:
    """The language of the assistant's own words in a reply: product titles (``catalog_text``)
    and quoted review excerpts are the catalog's language, not the reply's, so they are left out."""
    own = _QUOTED.sub(" ", text)
    for fragment in sorted(catalog_text, key=len, reverse=True):
        if fragment:
            own = own.replace(fragment, " ")
    return detect_language(own, previous)
