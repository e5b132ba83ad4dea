"""What a generation becomes in LangChain terms: prose chunks, then one closing chunk or message.

:meth:`LocalChatModel._run <assistant.models.chat_model.LocalChatModel>` yields prose pieces
(``str``) and finally one ``(ParsedReply, GenerationStats)``. Streaming turns each into an
``AIMessageChunk`` (the last one carries the tool calls as ``tool_call_chunks``, usage and
timings, with ``chunk_position="last"`` so LangChain aggregates them into ``tool_calls``);
``invoke`` folds them into one ``AIMessage`` whose ``invalid_tool_calls`` keep the parser's
reasons. No generation logic lives here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from assistant.models.backend import GenerationStats
from assistant.models.tool_calls import ParsedReply

Item = str | tuple[ParsedReply, GenerationStats]


def usage(stats: GenerationStats) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=stats.prompt_tokens,
        output_tokens=stats.completion_tokens,
        total_tokens=stats.prompt_tokens + stats.completion_tokens,
    )


def response_metadata(stats: GenerationStats, model_name: str, backend: str) -> dict[str, Any]:
    return {
        "model_name": model_name,
        "backend": backend,
        "finish_reason": stats.finish_reason,
        "time_to_first_token_s": stats.time_to_first_token_s,
        "prompt_tokens_cached": stats.cached_prompt_tokens,
        "tokens_per_s": stats.tokens_per_s,
    }


def to_chunk(item: Item, model_name: str, backend: str) -> ChatGenerationChunk:
    if isinstance(item, str):
        return ChatGenerationChunk(message=AIMessageChunk(content=item))
    reply, stats = item
    calls: list[tuple[str | None, str | None, str | None]] = [
        (call["name"], json.dumps(call["args"], ensure_ascii=False), call["id"]) for call in reply.tool_calls
    ]
    calls += [(bad["name"], bad["args"], bad["id"]) for bad in reply.invalid_tool_calls]
    message = AIMessageChunk(
        content=reply.content,
        tool_call_chunks=[
            tool_call_chunk(name=name, args=args, id=call_id, index=i)
            for i, (name, args, call_id) in enumerate(calls)
        ],
        usage_metadata=usage(stats),
        response_metadata=response_metadata(stats, model_name, backend),
        chunk_position="last",
    )
    return ChatGenerationChunk(message=message)


def final_message(items: Iterator[Item], model_name: str, backend: str) -> AIMessage:
    prose = []
    for item in items:
        if isinstance(item, str):
            prose.append(item)
            continue
        reply, stats = item
        return AIMessage(
            content=("".join(prose) + reply.content).strip(),
            tool_calls=reply.tool_calls,
            invalid_tool_calls=reply.invalid_tool_calls,
            usage_metadata=usage(stats),
            response_metadata=response_metadata(stats, model_name, backend),
        )
    raise RuntimeError("generation ended without a result")  # _run always ends with one
