"""transformers backend: any Hugging Face causal LM directory, or a GGUF file de-quantized.

The natural runtime on a CUDA GPU (weights in bfloat16 there; float32 on CPU, which has no
fast bfloat16). Prompts go through the tokenizer's own ``apply_chat_template(tools=...)``.
Generation is a plain token loop over the model's forward pass with a ``DynamicCache``:
that gives per-token cancellation, time to first token, and prompt-prefix reuse (the cache
of the last sequence is cropped to the common prefix of the next prompt, as on llama.cpp).

It deliberately does not do grammar-constrained decoding (``supports_json_schema`` is
False): on this backend tool calls rely on prompt steering and the robust parser, and a
call that does not parse is reported as ``invalid_tool_calls``. Nor does it batch requests.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from assistant.models.backend import GenerationParams, GenerationStats
from assistant.models.errors import ModelError, ModelLoadError
from assistant.models.prefix_cache import common_prefix


class TransformersBackend:
    """One causal LM and its tokenizer; see the module docstring."""

    name = "transformers"
    supports_json_schema = False

    def __init__(self, model_path: Path, *, model_name: str | None = None, device: str | None = None) -> None:
        self.model_path = Path(model_path)
        self.model_name = model_name or self.model_path.name
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise ModelLoadError(
                f"cannot load {self.model_name} ({self.model_path}): the transformers backend needs torch and "
                f"transformers ({error}). Install them with: pip install torch transformers"
            ) from error
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        if self.model_path.is_file():
            source, extra = str(self.model_path.parent), {"gguf_file": self.model_path.name}
        else:
            source, extra = str(self.model_path), {}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **extra)
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra)
            self.model: Any = model.to(self.device)  # type: ignore[arg-type]
        except (ImportError, ValueError) as error:
            if isinstance(error, ImportError) or "pip install" in str(error):
                raise ModelLoadError(
                    f"cannot load {self.model_name} from {self.model_path} with transformers: {error} "
                    "(GGUF files need: pip install gguf accelerate)"
                ) from error
            raise self._unloadable(error) from error
        except (OSError, RuntimeError, KeyError) as error:
            raise self._unloadable(error) from error
        self.model.eval()
        self.chat_template: str = self.tokenizer.chat_template or ""
        if not self.chat_template:
            raise ModelLoadError(
                f"{self.model_name} ({self.model_path}) has no chat template in its tokenizer"
            )
        self._eos = self._eos_ids()
        # transformers 5 renamed the forward argument `past_key_values` to `cache`
        self._cache_arg = (
            "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        )
        self._tokens: list[int] = []  # what self._cache holds
        self._cache: Any = None

    def _unloadable(self, error: Exception) -> ModelLoadError:
        return ModelLoadError(
            f"cannot load {self.model_name} from {self.model_path} with transformers: {error}. "
            "Give a Hugging Face model directory (config.json, tokenizer, weights) or a GGUF file "
            "of an architecture transformers can de-quantize; or use the llama.cpp backend."
        )

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for value in (
            self.tokenizer.eos_token_id,
            getattr(self.model.generation_config, "eos_token_id", None),
        ):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list):
                ids.update(v for v in value if isinstance(v, int))
        end_of_turn = self.tokenizer.convert_tokens_to_ids("<|im_end|>")
        if isinstance(end_of_turn, int) and end_of_turn != self.tokenizer.unk_token_id:
            ids.add(end_of_turn)
        return ids

    # ---- prompts

    def render(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None) -> str:
        prompt = self.tokenizer.apply_chat_template(
            list(messages), tools=list(tools) if tools else None, tokenize=False, add_generation_prompt=True
        )
        return str(prompt)

    def tokenize(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    # ---- evaluation with prefix reuse

    def _forward(self, tokens: list[int]) -> Any:
        """Run ``tokens`` after what the cache holds; returns the logits of the last position."""
        torch = self._torch
        from transformers import DynamicCache

        if self._cache is None:
            self._cache = DynamicCache()
        ids = torch.tensor([tokens], device=self.device)
        with torch.inference_mode():  # the cache object is updated in place
            out = self.model(input_ids=ids, use_cache=True, **{self._cache_arg: self._cache})
        self._tokens.extend(tokens)
        return out.logits[0, -1]

    def _evaluate(self, tokens: list[int], check: Callable[[], None], chunk: int = 256) -> tuple[int, Any]:
        """Bring the cache to ``tokens``; returns (tokens reused, logits of the last one)."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and len(tokens) >= limit:
            raise ModelError(f"the prompt has {len(tokens)} tokens but {self.model_name} handles {limit}")
        reuse = min(common_prefix(self._tokens, tokens), len(tokens) - 1)
        if self._cache is not None and reuse < len(self._tokens):
            try:
                self._cache.crop(-(len(self._tokens) - reuse))
                self._tokens = self._tokens[:reuse]
            except (ValueError, RuntimeError, NotImplementedError):  # a cache kind that cannot crop
                self._cache, self._tokens, reuse = None, [], 0
        if reuse == 0:
            self._cache, self._tokens = None, []
        logits = None
        for start in range(reuse, len(tokens), chunk):
            check()
            logits = self._forward(tokens[start : start + chunk])
        return reuse, logits

    def prefill(self, prompt: str, check: Callable[[], None]) -> int:
        tokens = self.tokenize(prompt)
        reused, _ = self._evaluate(tokens, check)
        return len(tokens) - reused

    # ---- generation

    def _sample(self, logits: Any, params: GenerationParams, generator: Any) -> int:
        torch = self._torch
        if params.temperature <= 0:
            return int(torch.argmax(logits).item())
        probs = torch.softmax(logits.float() / params.temperature, dim=-1)
        if params.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < params.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
        return int(torch.multinomial(probs, 1, generator=generator).item())

    def generate(
        self, prompt: str, params: GenerationParams, stats: GenerationStats, check: Callable[[], None]
    ) -> Generator[str, None, None]:
        torch = self._torch
        tokens = self.tokenize(prompt)
        stats.prompt_tokens = len(tokens)
        stats.cached_prompt_tokens, logits = self._evaluate(tokens, check)
        generator = torch.Generator(device=self.device)
        if params.seed is not None:
            generator.manual_seed(params.seed)
        else:
            generator.seed()
        produced: list[int] = []
        start = shown = 0  # decode from `start`; text of produced[start:shown] was already yielded
        stats.finish_reason = "length"
        while stats.completion_tokens < params.max_tokens:
            check()
            token = self._sample(logits, params, generator)
            if token in self._eos:
                stats.finish_reason = "stop"
                break
            stats.mark_token()
            produced.append(token)
            before = self._decode(produced[start:shown])
            text = self._decode(produced[start:])
            if len(text) > len(before) and not text.endswith("\ufffd"):  # whole characters only
                yield text[len(before) :]
                start, shown = shown, len(produced)
            if stats.completion_tokens < params.max_tokens:
                logits = self._forward([token])

    def _decode(self, tokens: list[int]) -> str:
        return str(self.tokenizer.decode(tokens, skip_special_tokens=True)) if tokens else ""

    def close(self) -> None:
        self._cache, self._tokens = None, []
