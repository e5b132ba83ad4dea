"""llama.cpp backend: a GGUF model on CPU (or GPU layers), grammar-constrained calls, KV reuse.

Prompt processing is the slow part on a CPU (Qwen2.5-Coder-1.5B reads ~45 tokens/s on 2 cores),
so this backend never re-reads what its context already holds:

- The live context keeps the tokens it last evaluated; a new prompt evaluates only the
  suffix after the longest common token prefix (the system prompt and tool schemas of the
  previous turn, usually the whole previous conversation).
- After each generation and prefill the KV state of the sequence is saved in a
  :class:`~assistant.models.prefix_cache.PrefixStateCache`; when chats interleave, the one
  sharing the longest prefix with the new prompt is restored first.
- The prompt suffix is evaluated in ``n_batch`` chunks, checking for cancellation between
  chunks; sampling then starts from the evaluated context without re-reading anything.

Every forward pass runs on one thread the backend owns, whichever thread asks for it.
llama.cpp computes with an OpenMP team per calling thread, and libgomp shortens its
spin-waits once its threads outnumber the cores: after the main thread had decoded (a warm-up),
decoding from a turn's worker thread took 52 ms/token on two cores instead of 40.

Prompts are rendered with the GGUF's own ``tokenizer.chat_template`` through the same Jinja
setup as transformers' ``apply_chat_template`` (llama-cpp-python's ``Jinja2ChatFormatter``).
A ``json_schema`` in the parameters is compiled to a GBNF grammar; :mod:`~assistant.models.llama_sampling`
enforces it on each sampled token.
It does not run several sequences in one batch: one generation at a time (the scheduler's job).
"""

from __future__ import annotations

import codecs
import ctypes
import functools
import json
import os
import random
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.models.backend import GenerationParams, GenerationStats
from assistant.models.errors import ModelError, ModelLoadError
from assistant.models.llama_sampling import TokenSampler
from assistant.models.prefix_cache import PrefixStateCache, common_prefix

CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
MIN_SAVED_TOKENS = 32  # shorter sequences are cheaper to re-read than to save and restore
# llama-cpp-python's converter lets a JSON string hold raw control characters (a newline in a
# social post), which JSON parsers refuse; llama.cpp's own converter excludes them.
_LOOSE_CHAR = r'char ::= [^"\\] |'
_JSON_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


@functools.lru_cache(maxsize=32)
def _gbnf(json_schema: str) -> str:
    """GBNF grammar for a JSON schema (the same tools are bound turn after turn: convert once)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(json_schema).replace(_LOOSE_CHAR, _JSON_CHAR)


class LlamaCppBackend:
    """One GGUF model in one llama.cpp context; see the module docstring."""

    name = "llama.cpp"
    supports_json_schema = True

    def __init__(
        self,
        model_path: Path,
        *,
        model_name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 256,
        n_gpu_layers: int = 0,
        prefix_cache_mb: int = 512,
        seed: int = 0,
    ) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as error:
            raise ModelLoadError(
                f"cannot load {model_name or model_path} ({model_path}): the llama.cpp backend needs "
                f"llama-cpp-python ({error}). Install it with: pip install llama-cpp-python"
            ) from error
        self._lib = llama_cpp
        self.model_path = Path(model_path)
        self.model_name = model_name or self.model_path.stem
        threads = n_threads or os.cpu_count() or 1
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=n_ctx,
                n_batch=n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=n_gpu_layers,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelLoadError(
                f"cannot load chat model {self.model_name!r} from {self.model_path}: {error}. "
                "Check that the file is a complete GGUF model (`shopbot models` verifies bundled ones) "
                "and that llama-cpp-python is recent enough for its architecture "
                "(pip install --upgrade llama-cpp-python)."
            ) from error
        self.n_ctx = self.llm.n_ctx()
        self.chat_template = self.llm.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE
        model = self.llm._model
        self._vocab = model.vocab
        self._formatter = Jinja2ChatFormatter(
            template=self.chat_template,
            eos_token=self._token_text(model.token_eos()),
            bos_token=self._token_text(model.token_bos()),
        )
        self._cache = PrefixStateCache(prefix_cache_mb << 20) if prefix_cache_mb > 0 else None
        self._compute = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-compute")

    def _token_text(self, token: int) -> str:
        return self.llm._model.token_get_text(token) if token >= 0 else ""

    # ---- prompts

    def render(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None) -> str:
        return self._formatter(messages=list(messages), tools=list(tools) if tools else None).prompt  # type: ignore[arg-type]

    def tokenize(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    # ---- evaluation with prefix reuse

    def _evaluate(self, tokens: list[int], check: Callable[[], None]) -> int:
        """Make the context hold exactly ``tokens`` with fresh logits; returns how many were reused."""
        if len(tokens) >= self.n_ctx:
            raise ModelError(
                f"the prompt has {len(tokens)} tokens but the context holds {self.n_ctx}; "
                "shorten the conversation or raise n_ctx"
            )
        llm = self.llm
        live = common_prefix(llm._input_ids.tolist(), tokens)
        if self._cache is not None:
            saved, shared = self._cache.best(tokens)
            if (
                saved is not None
                and shared > live + MIN_SAVED_TOKENS
                and self._restore(saved.tokens, saved.data)
            ):
                live = shared
        reuse = min(live, len(tokens) - 1)  # re-evaluate at least one token to get fresh logits
        if reuse == 0 or not llm._ctx.kv_cache_seq_rm(-1, reuse, -1):
            llm.reset()
            llm._ctx.kv_cache_clear()
            reuse = 0
        llm.n_tokens = reuse
        for start in range(reuse, len(tokens), llm.n_batch):
            check()
            self._eval(tokens[start : start + llm.n_batch])
        return reuse

    def _eval(self, tokens: list[int]) -> None:
        """``llm.eval`` on the backend's compute thread (see the module docstring)."""
        self._compute.submit(self.llm.eval, tokens).result()

    def _restore(self, tokens: tuple[int, ...], data: bytes) -> bool:
        llm = self.llm
        llm._ctx.kv_cache_clear()
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if self._lib.llama_state_seq_set_data(llm.ctx, buffer, len(data), 0) == 0:
            llm.reset()
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return True

    def _save(self) -> None:
        llm = self.llm
        if self._cache is None or llm.n_tokens < MIN_SAVED_TOKENS:
            return
        size = self._lib.llama_state_seq_get_size(llm.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = self._lib.llama_state_seq_get_data(llm.ctx, buffer, size, 0)
        if written:
            self._cache.put(llm._input_ids.tolist(), ctypes.string_at(buffer, written))

    def prefill(self, prompt: str, check: Callable[[], None]) -> int:
        tokens = self.tokenize(prompt)
        reused = self._evaluate(tokens, check)
        self._save()
        return len(tokens) - reused

    # ---- generation

    def generate(
        self, prompt: str, params: GenerationParams, stats: GenerationStats, check: Callable[[], None]
    ) -> Generator[str, None, None]:
        llm = self.llm
        tokens = self.tokenize(prompt)
        stats.prompt_tokens = len(tokens)
        stats.cached_prompt_tokens = self._evaluate(tokens, check)
        max_tokens = min(params.max_tokens, self.n_ctx - len(tokens))
        grammar = _gbnf(json.dumps(params.json_schema)) if params.json_schema is not None else None
        sampler = TokenSampler(
            self._lib,
            self._vocab,
            llm.n_vocab(),
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed if params.seed is not None else random.randrange(2**31),
            grammar=grammar,
        )
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            stats.finish_reason = "length"
            while True:
                check()
                token = sampler.sample(llm.ctx)
                if self._lib.llama_vocab_is_eog(self._vocab, token):
                    stats.finish_reason = "stop"
                    break
                stats.mark_token()
                piece = decoder.decode(llm.detokenize([token]))
                if piece:
                    yield piece
                if stats.completion_tokens >= max_tokens:
                    break
                self._eval([token])
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
        finally:
            sampler.close()
            self._save()

    def reset(self) -> None:
        """Forget the live context and the saved states: the next prompt is read from scratch."""
        self.llm.reset()
        self.llm._ctx.kv_cache_clear()
        if self._cache is not None:
            self._cache = PrefixStateCache(self._cache.capacity_bytes)

    def close(self) -> None:
        self._compute.shutdown()
        self.llm.close()
