"""Token sampling for the llama.cpp backend: the grammar checks the chosen token, not the vocabulary.

llama-cpp-python's ``Llama.generate`` puts the grammar in the sampler chain, so before every
token the grammar is applied to all ~152,000 candidates of Qwen's vocabulary. On two cores
that costs ~37 ms a token: a JSON-constrained reply decoded at 12 tokens/s where the same
model writes free text at 22 (``shopbot bench model`` reports both).

:class:`TokenSampler` does what llama.cpp's own ``common_sampler_sample`` does: sample with
the chain (greedy, or top-k/top-p/min-p/temperature) without the grammar, then ask the
grammar about that one token; only when the grammar rejects it are all candidates filtered
and the chain applied again. A well-prompted model mostly writes what the grammar allows, so
most tokens cost one check. Greedy decoding picks exactly the token the filtered chain would
(the best allowed token is the best token when it is allowed); with a temperature, a rejected
draw is redrawn from the allowed tokens (as in llama.cpp).
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

TOP_K = 40
MIN_P = 0.05  # llama-cpp-python's defaults for the same chain


class TokenSampler:
    """The next token from a context's last logits, constrained by an optional GBNF grammar."""

    def __init__(
        self,
        lib: Any,
        vocab: Any,
        n_vocab: int,
        *,
        temperature: float,
        top_p: float,
        seed: int,
        grammar: str | None,
    ) -> None:
        self._lib = lib
        self._n_vocab = n_vocab
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        if temperature <= 0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        else:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(TOP_K))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(top_p, 1))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_min_p(MIN_P, 1))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(temperature))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed))
        self._chain = chain
        self._grammar = None
        if grammar is not None:
            self._grammar = lib.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
            if not self._grammar:
                self.close()
                raise ValueError("llama.cpp could not parse the grammar")
        self._one = (lib.llama_token_data * 1)()
        self._one_array = lib.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self._all: Any = None  # the full candidate array, built on the first rejection
        self.rejections = 0  # tokens the grammar refused (each cost a full filtering)

    def sample(self, ctx: Any) -> int:
        """The next token from the logits of ``ctx``'s last evaluated position."""
        lib = self._lib
        token = int(lib.llama_sampler_sample(self._chain, ctx, -1))
        if self._grammar is not None:
            if not self._allowed(token):
                self.rejections += 1
                token = self._resample(ctx)
            lib.llama_sampler_accept(self._grammar, token)
        return token

    def _allowed(self, token: int) -> bool:
        self._one[0].id = token
        self._one[0].logit = 0.0
        self._one[0].p = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        return not math.isinf(self._one[0].logit)

    def _resample(self, ctx: Any) -> int:
        lib = self._lib
        if self._all is None:
            self._all = np.zeros(
                self._n_vocab,
                dtype=np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True),
            )
            self._all_array = lib.llama_token_data_array(
                data=self._all.ctypes.data_as(lib.llama_token_data_p),
                size=self._n_vocab,
                selected=-1,
                sorted=False,
            )
        logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx, -1), shape=(self._n_vocab,))
        self._all["id"] = np.arange(self._n_vocab, dtype=np.intc)
        self._all["logit"] = logits
        self._all["p"] = 0.0
        self._all_array.data = self._all.ctypes.data_as(lib.llama_token_data_p)  # samplers may move it
        self._all_array.size = self._n_vocab
        self._all_array.selected = -1
        self._all_array.sorted = False
        lib.llama_sampler_apply(self._grammar, ctypes.byref(self._all_array))
        lib.llama_sampler_apply(self._chain, ctypes.byref(self._all_array))
        token = int(self._all_array.data[self._all_array.selected].id)
        lib.llama_sampler_accept(self._chain, token)
        return token

    def close(self) -> None:
        for sampler in (self._chain, self._grammar):
            if sampler:
                self._lib.llama_sampler_free(sampler)
        self._chain = self._grammar = None
