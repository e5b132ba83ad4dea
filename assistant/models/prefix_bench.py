"""Time to first token with and without prompt-prefix reuse, on llama.cpp, in one run.

``python -m assistant.models.prefix_bench [--model NAME] [--out FILE]`` loads the model once
and times short user messages behind the assistant's real system prompt and tool schemas:

- **cold**: the context is emptied first (what every turn would cost without the cache);
- **cached prefix**: the system prompt and schemas are still in the live context;
- **warmed at start-up**: :meth:`LocalChatModel.warm_up` evaluated the prefix beforehand;
- **interleaved chats**: the 3rd turn of a chat read cold; then another chat uses the model;
  then the chat's 4th turn, whose history comes back from the saved KV state.

It prints a markdown table and writes it to ``--out``. ``shopbot bench model`` covers load,
decode speed, routing and raw llama.cpp; this measures only what the prefix cache changes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.models.chat_model import LocalChatModel
from assistant.models.llama_backend import LlamaCppBackend

SHORT_MESSAGES = ("Do you have rain jackets?", "有没有防水的登山鞋？", "Any yoga mats?", "I need a warm hat.")
CHAT = (
    ("Any tents for two people?", "Yes: the Trail 2P tent ($89) and the Dome 2 tent ($129)."),
    ("Which one is lighter?", "The Trail 2P, at 1.9 kg; the Dome 2 weighs 2.6 kg."),
)


def _first_token(
    model: LocalChatModel, tools: Sequence[object], messages: list[BaseMessage]
) -> tuple[float, int, int]:
    reply = model.bind_tools(tools).invoke(messages, max_tokens=1)
    usage = reply.usage_metadata or {"input_tokens": 0}
    meta = reply.response_metadata
    return float(meta["time_to_first_token_s"]), int(usage["input_tokens"]), int(meta["prompt_tokens_cached"])


def measure(model_ref: str) -> list[tuple[str, int, int, float]]:
    """Rows of (case, prompt tokens, tokens reused, seconds to first token)."""
    from assistant.config import load_settings
    from assistant.models.loader import resolve_model_path
    from assistant.prompts import system_prompt
    from tools.registry import schemas
    from tools.shopping import tools_for

    settings = load_settings()
    path = resolve_model_path(model_ref, settings.cache_dir)
    backend = LlamaCppBackend(
        path, model_name=model_ref, n_ctx=settings.chat_n_ctx, n_threads=settings.chat_n_threads
    )
    model = LocalChatModel(backend=backend, deadline_s=3600)  # a busy machine must not cut the cold runs
    tools = schemas(tools_for("shopper"))
    system = SystemMessage(system_prompt("en"))
    rows: list[tuple[str, int, int, float]] = []

    def row(case: str, result: tuple[float, int, int]) -> None:
        seconds, prompt, reused = result
        rows.append((case, prompt, reused, seconds))
        print(f"  {case}: {seconds:.2f} s ({reused}/{prompt} prompt tokens reused)", flush=True)

    backend.reset()
    row(
        "cold: system prompt + tool schemas + short message",
        _first_token(model, tools, [system, HumanMessage(SHORT_MESSAGES[0])]),
    )
    cached = [_first_token(model, tools, [system, HumanMessage(text)]) for text in SHORT_MESSAGES[1:]]
    median = statistics.median(seconds for seconds, _, _ in cached)
    row(f"cached prefix: short message (median of {len(cached)})", (median, cached[0][1], cached[0][2]))
    backend.reset()
    model.warm_up([system], tools)
    row(
        "warmed at start-up, first short message",
        _first_token(model, tools, [system, HumanMessage(SHORT_MESSAGES[3])]),
    )

    history: list[BaseMessage] = [system]
    for question, answer in CHAT:
        history += [HumanMessage(question), AIMessage(answer)]
    turn_3 = [*history, HumanMessage("Is it waterproof?")]
    backend.reset()
    row("3rd turn of a chat, cold", _first_token(model, tools, turn_3))
    other_chat = [SystemMessage("You translate English to French."), HumanMessage("Good morning")]
    model.invoke(other_chat, max_tokens=1)  # takes over the live context
    turn_4 = [*turn_3, AIMessage("Yes, it has taped seams."), HumanMessage("Does it come in green?")]
    row("4th turn after another chat ran (its state restored)", _first_token(model, tools, turn_4))
    backend.close()
    return rows


def render(model_ref: str, threads: int, rows: list[tuple[str, int, int, float]]) -> str:
    lines = [
        f"# Prompt-prefix cache: time to first token ({model_ref}, llama.cpp)",
        "",
        f"{dt.date.today().isoformat()}: {os.cpu_count()} CPU cores, {threads} llama.cpp thread(s), "
        f"load average {os.getloadavg()[0]:.1f} at the end (above the core count, other jobs shared the "
        "CPU: absolute times are inflated, the cold/cached ratio is what to read). "
        f"Command: `{_command()}`.",
        "",
        "| case | prompt tokens | reused from cache | time to first token (s) |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {case} | {prompt} | {reused} | {seconds:.2f} |" for case, prompt, reused, seconds in rows]
    return "\n".join(lines) + "\n"


def _command() -> str:
    threads = os.environ.get("SHOPBOT_CHAT_N_THREADS")
    return (
        "" if threads is None else f"SHOPBOT_CHAT_N_THREADS={threads} "
    ) + "python -m assistant.models.prefix_bench"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct", help="registry name or GGUF path")
    parser.add_argument("--out", type=Path, default=Path("docs/results/prefix_cache.md"))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from assistant.config import load_settings

    threads = load_settings().chat_n_threads or os.cpu_count() or 1
    report = render(args.model, threads, measure(args.model))
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".partial")
    partial.write_text(report, encoding="utf-8")
    os.replace(partial, args.out)
    print(f"written to {args.out} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
