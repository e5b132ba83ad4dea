"""Saved KV states keyed by the tokens they cover, so several chats share one model's cache.

A llama.cpp context holds the KV state of one token sequence. When chats interleave, the
sequence in the context belongs to whichever chat ran last; the next chat would have to
re-read its whole history (45 tokens/s on 2 cores). This LRU keeps the state of recent
sequences as bytes; before a generation the backend restores the entry that shares the
longest token prefix with the new prompt if it beats what is already in the context.

An entry whose tokens are a prefix of a newer entry's is dropped when the newer one is
stored: the newer one serves every prompt the older one could. Capacity is in bytes
(Qwen2.5-Coder-1.5B: ~28 KiB per token). This module knows nothing of llama.cpp: states are
opaque bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SavedState:
    tokens: tuple[int, ...]
    data: bytes


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixStateCache:
    """LRU of :class:`SavedState` bounded by total bytes."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._entries: OrderedDict[tuple[int, ...], SavedState] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return sum(len(entry.data) for entry in self._entries.values())

    def best(self, tokens: Sequence[int]) -> tuple[SavedState | None, int]:
        """The entry sharing the longest prefix with ``tokens``, and that prefix's length."""
        best: SavedState | None = None
        best_len = 0
        for entry in self._entries.values():
            shared = common_prefix(entry.tokens, tokens)
            if shared > best_len:
                best, best_len = entry, shared
        if best is not None:
            self._entries.move_to_end(best.tokens)
        return best, best_len

    def put(self, tokens: Sequence[int], data: bytes) -> None:
        key = tuple(tokens)
        if len(data) > self.capacity_bytes:
            return
        if any(len(other) > len(key) and other[: len(key)] == key for other in self._entries):
            return  # a longer stored sequence already covers this one
        for other in list(self._entries):
            if len(other) <= len(key) and key[: len(other)] == other:
                del self._entries[other]
        self._entries[key] = SavedState(key, data)
        while self.size_bytes > self.capacity_bytes:
            self._entries.popitem(last=False)
