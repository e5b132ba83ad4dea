"""Stop strings and tool-call markers over streamed text pieces.

Tokens do not align with stop strings ("</tool_call>" may arrive as "</", "tool", "_call>"),
so :class:`TextScanner` holds back any tail that could still become a stop string or a
marker, releases text as soon as it cannot, and reports the stop when one completes.

- A **stop string** ends the generation; neither it nor anything after it is emitted.
- A **marker** (``<tool_call>`` when tools are bound) ends the streamed prose: the marker
  and everything after it are kept aside as the ``tail`` for the tool-call parser.

It does not decode bytes (backends yield whole characters) or know about tokens.
"""

from __future__ import annotations

from collections.abc import Sequence


class TextScanner:
    def __init__(self, stops: Sequence[str] = (), markers: Sequence[str] = ()) -> None:
        self.stops = [s for s in stops if s]
        self.markers = [m for m in markers if m]
        self.stopped = False
        self.marked = False  # a marker was seen (or capture() called): text goes to the tail
        self.tail = ""  # text from the first marker on (not emitted)
        self._pending = ""  # text not emitted yet because it may start a stop or marker

    def capture(self, text: str) -> None:
        """Keep ``text`` and everything fed after it as the tail, as if a marker had been seen."""
        self.marked = True
        self.tail, self.stopped = _cut_at_stop(self._pending + text, self.stops)
        self._pending = ""

    def feed(self, piece: str) -> str:
        """Text that is safe to emit now; sets ``stopped`` once a stop string completes."""
        if self.stopped:
            return ""
        if self.marked:
            self.tail += piece
            self.tail, self.stopped = _cut_at_stop(self.tail, self.stops)
            return ""
        text = self._pending + piece
        stop_at = _first(text, self.stops)
        mark_at = _first(text, self.markers)
        if stop_at is not None and (mark_at is None or stop_at <= mark_at):
            self.stopped = True
            self._pending = ""
            return text[:stop_at]
        if mark_at is not None:
            self._pending = ""
            self.capture(text[mark_at:])
            return text[:mark_at]
        keep = _partial_suffix(text, [*self.stops, *self.markers])
        self._pending = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        """Held-back prose at the end of the generation (not the tail)."""
        text, self._pending = self._pending, ""
        return text


def _first(text: str, needles: Sequence[str]) -> int | None:
    positions = [i for i in (text.find(n) for n in needles) if i >= 0]
    return min(positions) if positions else None


def _cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    at = _first(text, stops)
    return (text, False) if at is None else (text[:at], True)


def _partial_suffix(text: str, needles: Sequence[str]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of a needle."""
    best = 0
    for needle in needles:
        for size in range(min(len(needle) - 1, len(text)), best, -1):
            if text.endswith(needle[:size]):
                best = size
                break
    return best
