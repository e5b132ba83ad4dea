"""What a local inference backend provides to :class:`~assistant.models.chat_model.LocalChatModel`.

A backend owns one loaded model and turns a rendered prompt into text pieces. Two exist:
``llama_backend.LlamaCppBackend`` (GGUF on CPU, grammar-constrained decoding, prompt-prefix
KV reuse) and ``hf_backend.TransformersBackend`` (HF directories or GGUF via transformers,
CUDA + bfloat16 when available). The chat model does everything above tokens: messages,
tools, stop strings, tool-call parsing, scheduling.

Backends are not thread-safe; the chat model serialises calls through its scheduler. A
backend's ``generate`` checks ``check()`` once per token so a cancelled request (deadline)
stops within one token; it reports counts and timings by filling the ``GenerationStats``
it is given, also when the caller stops reading early.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings of one generation."""

    max_tokens: int = 512
    temperature: float = 0.0  # 0: greedy, deterministic
    top_p: float = 0.95
    seed: int | None = None
    json_schema: dict[str, Any] | None = None  # constrain output to this schema (if supported)


@dataclass
class GenerationStats:
    """Counts and timings of one generation, filled in by the backend as it runs."""

    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0  # prompt tokens whose KV state was reused, not recomputed
    completion_tokens: int = 0
    started_at: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    finished_at: float | None = None
    finish_reason: str = "stop"  # "stop" (end of turn or stop string) or "length" (max_tokens)

    def mark_token(self) -> None:
        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
        self.completion_tokens += 1
        self.finished_at = now

    @property
    def time_to_first_token_s(self) -> float | None:
        return None if self.first_token_at is None else self.first_token_at - self.started_at

    @property
    def tokens_per_s(self) -> float | None:
        """Decode speed after the first token."""
        if self.first_token_at is None or self.finished_at is None or self.completion_tokens < 2:
            return None
        elapsed = self.finished_at - self.first_token_at
        return (self.completion_tokens - 1) / elapsed if elapsed > 0 else None


class ChatBackend(Protocol):
    """One loaded model; see the module docstring."""

    name: str  # "llama.cpp" or "transformers"
    model_name: str
    chat_template: str  # the model's Jinja chat template source
    supports_json_schema: bool  # whether GenerationParams.json_schema is enforced

    def render(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None) -> str:
        """The prompt text for ``messages`` through the model's chat template, ready to generate."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def generate(
        self, prompt: str, params: GenerationParams, stats: GenerationStats, check: Callable[[], None]
    ) -> Generator[str, None, None]:
        """Text pieces of the continuation of ``prompt`` until end of turn or ``max_tokens``."""
        ...

    def prefill(self, prompt: str, check: Callable[[], None]) -> int:
        """Evaluate ``prompt`` so a later prompt starting with it reuses it; returns tokens computed."""
        ...

    def close(self) -> None: ...
