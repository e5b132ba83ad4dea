"""`shopbot bench model`: chat model load time, memory, first token, tokens/s and tool routing,
with raw llama.cpp on the same GGUF file in the same run as the baseline.

Examples::

    shopbot bench model                                  # default model, all 52 routing requests
    shopbot bench model --model smollm2-135m-instruct --limit 8
    shopbot bench model --backend openai --model qwen2.5-7b-instruct   # a server (openai_base_url)

Prints a markdown report and writes it to ``--out``. The measurements are in
``assistant.models.bench``; this module only wires settings, model and report together.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import os
import shlex
import sys
import time
from pathlib import Path

DEFAULT_OUT = Path("docs/results/model_bench.md")
BENCH_DEADLINE_S = 1800.0  # a measurement waits for the model as long as it takes, unlike a chat


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help="registry name or GGUF/HF path (default: the chat_model setting); "
        "with --backend openai: the model name on the server",
    )
    parser.add_argument(
        "--backend",
        choices=["auto", "llama.cpp", "transformers", "openai"],
        help="chat model runtime (default: the chat_backend setting)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"markdown report (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--limit", type=int, help="routing requests to run, spread over the set (default: all)"
    )
    parser.add_argument("--routing-set", type=Path, help="routing set JSONL (default: the bundled one)")
    parser.add_argument(
        "--decode-tokens", type=int, default=64, help="tokens decoded for tokens/s (default: 64)"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=128, help="most tokens per routing reply (default: 128)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads for llama.cpp, chat model and raw baseline alike (default: the chat_n_threads "
        "setting, else all cores; on a machine busy with other work, fewer threads than cores is faster)",
    )
    parser.add_argument(
        "--tool-choice",
        choices=["required", "auto"],
        default="required",
        help="tool_choice of the routing requests: required (default; the agent's first step on a "
        "request) or auto (the model may answer in prose)",
    )
    parser.add_argument("--no-raw", action="store_true", help="skip the raw llama.cpp baseline")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.models.bench import (
        ModelBench,
        RawLlama,
        evenly_spaced,
        load_average,
        machine_summary,
        measure_speed,
        run_routing,
    )
    from assistant.models.bench_report import render, write_atomically
    from assistant.models.loader import choose_backend, load_chat_model, resolve_model_path
    from assistant.models.routing import load_routing_set
    from tools.shopping import tools_for

    if (
        args.decode_tokens < 2
        or args.max_tokens < 1
        or any(v is not None and v < 1 for v in (args.limit, args.threads))
    ):
        print(
            "shopbot bench model: --decode-tokens must be >= 2; --max-tokens, --limit and --threads >= 1",
            file=sys.stderr,
        )
        return 2
    openai = args.backend == "openai"
    settings = load_settings(
        chat_deadline_s=BENCH_DEADLINE_S,
        chat_n_threads=args.threads,
        chat_backend=args.backend,
        chat_model=None if openai else args.model,
        openai_model=args.model if openai else None,
    )
    tools = tools_for("merchant")
    cases = evenly_spaced(load_routing_set(args.routing_set, [tool.__name__ for tool in tools]), args.limit)

    if not openai:
        with contextlib.suppress(ImportError):  # time the model load, not the first import of the library
            importlib.import_module("llama_cpp")
    load_at_start = load_average()
    print(f"loading {args.model or settings.chat_model} ({settings.chat_backend}) ...", file=sys.stderr)
    start = time.perf_counter()
    model = load_chat_model(settings, backend=args.backend)
    load_s = time.perf_counter() - start
    backend = getattr(getattr(model, "backend", None), "name", None) or "openai"
    model_name = settings.chat_model if not openai else str(getattr(model, "model_name", args.model))
    raw_note, load_raw = "", None
    if args.no_raw:
        raw_note = "Raw llama.cpp baseline skipped (--no-raw)."
    elif openai:
        raw_note = "No raw llama.cpp baseline: the model runs on a server."
    else:
        path = resolve_model_path(settings.chat_model, settings.cache_dir)
        if choose_backend(settings.chat_backend, path) != "llama.cpp":
            raw_note = f"No raw llama.cpp baseline: {path.name} runs on transformers."
        else:
            threads = settings.chat_n_threads or os.cpu_count() or 1

            def load_raw() -> RawLlama:
                return RawLlama(path, n_ctx=settings.chat_n_ctx, n_threads=threads)

    print("measuring first token and decode speed (chat model and raw llama.cpp) ...", file=sys.stderr)
    wrapper, raw = measure_speed(model, tools, load_s, args.decode_tokens, load_raw)
    print(
        f"load {load_s:.1f} s, first token cold {wrapper.ttft_cold_s or 0:.2f} s / cached "
        f"{wrapper.ttft_cached_s or 0:.2f} s, decode {wrapper.decode_tps or 0:.1f} tokens/s",
        file=sys.stderr,
    )
    start = time.perf_counter()
    outcomes = run_routing(model, cases, tools, max_tokens=args.max_tokens, tool_choice=args.tool_choice)
    routing_s = time.perf_counter() - start
    if hasattr(model, "backend"):
        model.backend.close()

    bench = ModelBench(
        model=model_name,
        backend=backend,
        machine=machine_summary(),
        wrapper=wrapper,
        outcomes=outcomes,
        routing_s=routing_s,
        tool_choice=args.tool_choice,
        tools_bound=len(tools),
        raw=raw,
        raw_note=raw_note,
    )
    bench.load_averages = (load_at_start, load_average())
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = render(bench, _command(args), when)
    print(report, end="")
    write_atomically(args.out, report)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (options left at their defaults omitted)."""
    parts = ["shopbot", "bench", "model"]
    for option, value, default in (
        ("--model", args.model, None),
        ("--backend", args.backend, None),
        ("--limit", args.limit, None),
        ("--routing-set", args.routing_set, None),
        ("--decode-tokens", args.decode_tokens, 64),
        ("--max-tokens", args.max_tokens, 128),
        ("--threads", args.threads, None),
        ("--tool-choice", args.tool_choice, "required"),
    ):
        if value != default:
            parts += [option, str(value)]
    if args.no_raw:
        parts.append("--no-raw")
    if args.out != DEFAULT_OUT:
        parts += ["--out", str(args.out)]
    return shlex.join(parts)
