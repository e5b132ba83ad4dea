"""``load_chat_model(settings)``: the chat model the settings ask for, loaded once.

Backend choice (``chat_backend``):

- ``"auto"``: transformers when torch sees a CUDA GPU, llama.cpp otherwise; a Hugging Face
  model directory always goes to transformers (llama.cpp reads only GGUF files).
- ``"llama.cpp"`` / ``"transformers"``: that one, for a registry name or a path.
- ``"openai"``: an OpenAI-compatible server (``openai_backend.openai_chat_model``).

Every failure to load is a :class:`ModelLoadError` whose message names the model, the file
and what to install or change; the CLI shows it without a traceback. This module loads, it
does not cache: the caller keeps the returned model and passes it on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.models.errors import ModelLoadError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.config import Settings
    from assistant.models.backend import ChatBackend

LocalBackend = Literal["llama.cpp", "transformers"]


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_model_path(ref: str, cache_dir: Path, *, progress: bool = True) -> Path:
    """A loadable path for a registry name or a user's path; errors say what to install."""
    from index.model_registry import ModelChecksumError, ModelNotInstalledError, resolve

    try:
        return resolve(ref, cache_dir, progress=progress)
    except (ModelNotInstalledError, ModelChecksumError, FileNotFoundError) as error:
        raise ModelLoadError(f"chat model {ref!r}: {error}") from error


def choose_backend(requested: str, path: Path) -> LocalBackend:
    if requested == "transformers" or (requested == "auto" and (path.is_dir() or cuda_available())):
        return "transformers"
    if requested not in ("auto", "llama.cpp"):
        raise ModelLoadError(
            f"unknown chat backend {requested!r}; use auto, llama.cpp, transformers or openai"
        )
    if path.is_dir():
        raise ModelLoadError(
            f"the llama.cpp backend needs a GGUF file, but {path} is a directory; "
            "set chat_backend = 'transformers' for Hugging Face model directories"
        )
    return "llama.cpp"


def load_backend(settings: Settings, *, backend: str | None = None, progress: bool = True) -> ChatBackend:
    """The local backend for ``settings.chat_model`` (``backend`` overrides ``settings.chat_backend``)."""
    from index.model_registry import get_spec, registered

    path = resolve_model_path(settings.chat_model, settings.cache_dir, progress=progress)
    name = get_spec(settings.chat_model).name if registered(settings.chat_model) else path.name
    if choose_backend(backend or settings.chat_backend, path) == "transformers":
        from assistant.models.hf_backend import TransformersBackend

        return TransformersBackend(path, model_name=name)
    from assistant.models.llama_backend import LlamaCppBackend

    return LlamaCppBackend(
        path,
        model_name=name,
        n_ctx=settings.chat_n_ctx,
        n_threads=settings.chat_n_threads,
        n_gpu_layers=settings.chat_n_gpu_layers,
        prefix_cache_mb=settings.chat_prefix_cache_mb,
        seed=settings.chat_seed or 0,
    )


def load_chat_model(
    settings: Settings, *, backend: str | None = None, progress: bool = True
) -> BaseChatModel:
    """The chat model ``settings`` describe: a :class:`LocalChatModel` or, for "openai", ``ChatOpenAI``."""
    chosen = backend or settings.chat_backend
    if chosen == "openai":
        from assistant.models.openai_backend import openai_chat_model

        return openai_chat_model(settings)
    from assistant.models.chat_model import LocalChatModel
    from assistant.models.scheduler import GenerationScheduler

    loaded = load_backend(settings, backend=chosen, progress=progress)
    return LocalChatModel(
        backend=loaded,
        scheduler=GenerationScheduler(
            max_waiting=settings.chat_queue_size, deadline_s=settings.chat_deadline_s
        ),
        model_name=loaded.model_name,
        max_tokens=settings.chat_max_tokens,
        temperature=settings.chat_temperature,
        seed=settings.chat_seed,
    )
