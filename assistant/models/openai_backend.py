"""The scale-out path: an OpenAI-compatible server as the chat model.

When one CPU is not enough, run the model on a server (vLLM or SGLang on a GPU, llama.cpp's
server, Ollama) and set ``chat_backend = "openai"`` with ``openai_base_url`` (and, if needed,
``openai_model`` and ``openai_api_key``); docs/openai-compatible.md gives each server's
command line. The chat model is langchain-openai's ``ChatOpenAI``: tool calls, streaming and
usage come from the server.

Before returning the model, :func:`connect` asks the server which models it serves
(``GET /models``), so a wrong URL or model name is a :class:`ModelLoadError` at start-up that
names the URL and the choices, not a failure in the middle of the first chat.

Two request details are adjusted for servers that follow the older OpenAI schema (llama.cpp's
Python server, older vLLM and Ollama): the reply limit is sent as ``max_tokens`` rather than
langchain-openai's ``max_completion_tokens`` (which they ignore), and an assistant turn that
only calls tools carries ``content: ""`` rather than ``null`` (which some reject).

It deliberately does not queue or time requests itself (the server schedules its own batch;
the HTTP timeout is the request deadline) and does not start servers.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from pydantic import SecretStr

from assistant.models.errors import ModelLoadError

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from assistant.config import Settings

NO_KEY = "not-needed"  # local servers ignore the key, but the OpenAI client insists on one


def openai_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model the settings describe, on an OpenAI-compatible server (checked to be up)."""
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return connect(
        settings.openai_base_url,
        model=settings.openai_model,
        api_key=api_key,
        temperature=settings.chat_temperature,
        max_tokens=settings.chat_max_tokens,
        seed=settings.chat_seed,
        timeout_s=settings.chat_deadline_s,
    )


def connect(
    base_url: str,
    *,
    model: str | None = None,
    api_key: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    timeout_s: float = 120.0,
    check: bool = True,
) -> BaseChatModel:
    """``ChatOpenAI`` on ``base_url``. With ``check``, the server must answer and serve ``model``
    (or, when ``model`` is None, exactly one model, which is then used)."""
    chat_class = _compatible_chat_openai()
    if check:
        model = _pick_model(model, served_models(base_url, api_key=api_key), base_url)
    elif model is None:
        raise ModelLoadError(f"set openai_model: the name of the model to request from {base_url}")
    return chat_class(
        base_url=base_url,
        api_key=SecretStr(api_key or NO_KEY),
        model=model,
        temperature=temperature,
        max_completion_tokens=max_tokens,  # sent as max_tokens, see CompatibleChatOpenAI
        seed=seed,
        timeout=timeout_s,
        max_retries=1,
        stream_usage=True,
    )


@functools.cache
def _compatible_chat_openai() -> type[ChatOpenAI]:
    """``ChatOpenAI`` with the two request adjustments of the module docstring."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as error:
        raise ModelLoadError(
            "chat_backend 'openai' needs langchain-openai: pip install 'shopbot[openai]' "
            "(or: pip install langchain-openai)"
        ) from error

    class CompatibleChatOpenAI(ChatOpenAI):
        def _get_request_payload(
            self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            for message in payload.get("messages", []):
                if message.get("role") == "assistant" and message.get("content") is None:
                    message["content"] = ""
            return payload

    return CompatibleChatOpenAI


def served_models(base_url: str, *, api_key: str | None = None, timeout_s: float = 10.0) -> list[str]:
    """Ids of the models an OpenAI-compatible server serves; :class:`ModelLoadError` if it does not answer."""
    import httpx

    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as error:
        raise ModelLoadError(
            f"no OpenAI-compatible server answers at {base_url} ({error.__class__.__name__}: {error}). "
            "Start one (see docs/openai-compatible.md) or set openai_base_url."
        ) from error
    if response.status_code in (401, 403):
        raise ModelLoadError(
            f"the server at {base_url} refused the API key (HTTP {response.status_code}); set openai_api_key"
        )
    if response.status_code != 200:
        raise ModelLoadError(
            f"{url} answered HTTP {response.status_code}; is {base_url} the server's OpenAI-compatible "
            "base URL (it usually ends in /v1)?"
        )
    try:
        return [str(entry["id"]) for entry in response.json()["data"]]
    except (ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(
            f"{url} did not answer with an OpenAI model list: {response.text[:200]!r}"
        ) from error


def _pick_model(wanted: str | None, served: list[str], base_url: str) -> str:
    if wanted is not None:
        if served and wanted not in served:
            raise ModelLoadError(
                f"the server at {base_url} does not serve {wanted!r}; it serves: {', '.join(served)}. "
                "Set openai_model to one of them."
            )
        return wanted
    if len(served) == 1:
        return served[0]
    listed = ", ".join(served) or "none"
    raise ModelLoadError(f"set openai_model: the server at {base_url} serves {len(served)} models ({listed})")
