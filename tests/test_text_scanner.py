"""Stop strings and markers across token boundaries; the prefix-state LRU."""

from __future__ import annotations

import random

import pytest

from assistant.models.prefix_cache import PrefixStateCache, common_prefix
from assistant.models.text_scanner import TextScanner


def _split_randomly(text: str, rng: random.Random) -> list[str]:
    pieces, i = [], 0
    while i < len(text):
        size = rng.randint(1, 4)
        pieces.append(text[i : i + size])
        i += size
    return pieces


@pytest.mark.parametrize("seed", range(20))
def test_stop_string_cut_wherever_tokens_split(seed: int) -> None:
    text = "Two tents fit.\nUser: and boots?"
    scanner = TextScanner(stops=["\nUser:"])
    out = ""
    for piece in _split_randomly(text, random.Random(seed)):
        out += scanner.feed(piece)
        if scanner.stopped:
            break
    out += scanner.flush()
    assert out == "Two tents fit."
    assert scanner.stopped


@pytest.mark.parametrize("seed", range(20))
def test_marker_moves_the_rest_to_the_tail(seed: int) -> None:
    text = 'Searching now. <tool_call>\n{"name": "x", "arguments": {}}\n</tool_call> done'
    scanner = TextScanner(stops=["</tool_call>"], markers=["<tool_call>"])
    out = ""
    for piece in _split_randomly(text, random.Random(seed)):
        out += scanner.feed(piece)
        if scanner.stopped:
            break
    out += scanner.flush()
    assert out == "Searching now. "
    assert scanner.tail == '<tool_call>\n{"name": "x", "arguments": {}}\n'


def test_text_that_only_resembles_a_stop_is_released() -> None:
    scanner = TextScanner(stops=["</s>"])
    assert scanner.feed("a </") == "a "
    assert scanner.feed("b>") == "</b>"
    assert scanner.feed("<") == ""
    assert scanner.flush() == "<"
    assert not scanner.stopped


def test_prefix_cache_prefers_longest_shared_prefix_and_evicts_by_bytes() -> None:
    cache = PrefixStateCache(capacity_bytes=30)
    cache.put([1, 2, 3], b"a" * 10)
    cache.put([1, 2, 3, 4, 5], b"b" * 10)  # extends [1, 2, 3]: replaces it
    assert len(cache) == 1
    cache.put([1, 2], b"c" * 10)  # covered by a longer entry: not stored
    assert len(cache) == 1
    cache.put([3, 9, 9], b"d" * 10)
    saved, shared = cache.best([1, 2, 3, 4, 7])
    assert saved is not None and saved.tokens == (1, 2, 3, 4, 5) and shared == 4
    cache.put([7, 7], b"e" * 10)
    cache.put([8, 8], b"f" * 10)  # 40 bytes > 30: the least recently used entry goes
    assert cache.best([3, 9, 9]) == (None, 0)
    assert cache.size_bytes <= 30
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
