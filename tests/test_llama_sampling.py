"""TokenSampler: the grammar checks the sampled token; output is what llama.cpp's own chain gives.

Real SmolLM2-135M (cannot follow JSON instructions, so its favourite token is often refused:
both the check and the full filtering run) against ``llama_cpp.Llama.generate`` with the
grammar in its sampler chain, on the same context.
"""

from __future__ import annotations

import json
import re

import pytest

from assistant.models.backend import GenerationParams, GenerationStats
from assistant.models.llama_backend import LlamaCppBackend, _gbnf
from assistant.models.llama_sampling import TokenSampler
from index.model_registry import ensure

PROMPT = "<|im_start|>user\nDescribe a backpack for a hike.<|im_end|>\n<|im_start|>assistant\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "colour": {"type": "string", "enum": ["teal", "ochre", "crimson"]},
        "litres": {"type": "integer"},
        "note": {"type": "string", "maxLength": 40},
    },
    "required": ["colour", "litres", "note"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> LlamaCppBackend:
    path = ensure("smollm2-135m-instruct", tmp_path_factory.mktemp("cache"), progress=False)
    return LlamaCppBackend(path, model_name="smollm2", n_ctx=1024, n_threads=1, prefix_cache_mb=0)


def _ours(backend: LlamaCppBackend, schema: dict | None, temperature: float = 0.0, seed: int = 0) -> str:
    params = GenerationParams(max_tokens=60, temperature=temperature, seed=seed, json_schema=schema)
    return "".join(backend.generate(PROMPT, params, GenerationStats(), lambda: None))


def _llama_cpp_own(backend: LlamaCppBackend, schema: dict | None) -> str:
    lib = backend._lib
    grammar = lib.LlamaGrammar.from_string(_gbnf(json.dumps(schema)), verbose=False) if schema else None
    llm = backend.llm
    llm.reset()
    tokens = backend.tokenize(PROMPT)
    out: list[int] = []
    for token in llm.generate(tokens, temp=0.0, repeat_penalty=1.0, grammar=grammar):
        if lib.llama_vocab_is_eog(backend._vocab, token) or len(out) == 60:
            break
        out.append(token)
    llm.reset()
    return llm.detokenize(out).decode("utf-8", errors="replace")


@pytest.mark.real_model
@pytest.mark.parametrize("schema", [SCHEMA, None], ids=["json-schema", "free-text"])
def test_greedy_output_equals_llama_cpps_own_sampling(backend: LlamaCppBackend, schema: dict | None) -> None:
    assert _ours(backend, schema) == _llama_cpp_own(backend, schema)


@pytest.mark.real_model
def test_sampled_output_always_fits_the_grammar(backend: LlamaCppBackend) -> None:
    for seed in range(4):
        value = json.loads(_ours(backend, SCHEMA, temperature=1.0, seed=seed))
        assert value["colour"] in {"teal", "ochre", "crimson"}
        assert isinstance(value["litres"], int) and len(value["note"]) <= 40


@pytest.mark.real_model
def test_refused_tokens_are_counted_and_replaced(backend: LlamaCppBackend) -> None:
    lib = backend._lib
    grammar = 'root ::= "ochre" [0-9]'
    backend.prefill(PROMPT, lambda: None)
    sampler = TokenSampler(
        lib, backend._vocab, backend.llm.n_vocab(), temperature=0.0, top_p=1.0, seed=0, grammar=grammar
    )
    try:
        text = ""
        while not re.fullmatch(r"ochre[0-9]", text):
            token = sampler.sample(backend.llm.ctx)
            text += backend.llm.detokenize([token]).decode()
            backend.llm.eval([token])
        assert sampler.rejections >= 1  # SmolLM2 does not start a hiking answer with "ochre"
    finally:
        sampler.close()


def test_a_grammar_llama_cpp_cannot_parse_is_an_error(backend: LlamaCppBackend) -> None:
    with pytest.raises(ValueError, match="grammar"):
        TokenSampler(
            backend._lib,
            backend._vocab,
            backend.llm.n_vocab(),
            temperature=0.0,
            top_p=1.0,
            seed=0,
            grammar="root ::= (",
        )
