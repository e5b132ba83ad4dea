"""Chat models: the local runtime (llama.cpp, transformers) and the OpenAI-compatible path.

::

    from assistant.models import load_chat_model
    model = load_chat_model(load_settings())          # LocalChatModel or ChatOpenAI
    reply = model.bind_tools([search_products]).invoke(messages)

Public surface: :class:`LocalChatModel` (LangChain ``BaseChatModel`` with tool calling),
:func:`load_chat_model` / :func:`load_backend`, :class:`GenerationScheduler`, and the error
hierarchy drawn in ``errors.py``. Backends import their heavy libraries only when loaded.
"""

from assistant.models.backend import ChatBackend, GenerationParams, GenerationStats
from assistant.models.chat_model import LocalChatModel
from assistant.models.errors import GenerationTimeoutError, ModelBusyError, ModelError, ModelLoadError
from assistant.models.loader import load_backend, load_chat_model
from assistant.models.openai_backend import openai_chat_model
from assistant.models.scheduler import GenerationScheduler

__all__ = [
    "ChatBackend",
    "GenerationParams",
    "GenerationScheduler",
    "GenerationStats",
    "GenerationTimeoutError",
    "LocalChatModel",
    "ModelBusyError",
    "ModelError",
    "ModelLoadError",
    "load_backend",
    "load_chat_model",
    "openai_chat_model",
]
