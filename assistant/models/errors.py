"""Errors of the chat-model runtime, one hierarchy so callers can catch what they can handle.

::

    ModelError (RuntimeError)            anything the model runtime reports
    ├── ModelLoadError                   the model could not be loaded: the message names the
    │                                    model, the file and what to install or fix
    ├── ModelBusyError                   too many requests already wait for the model: answer
    │                                    "busy, try again" now instead of queueing
    └── GenerationTimeoutError           a request's deadline passed while it waited or while
                                         it generated; the generation was stopped

``ModelBusyError`` and ``GenerationTimeoutError`` are load conditions a channel reports to
its user as a short message; ``ModelLoadError`` is a setup problem shown once at start-up.
This module holds no logic: the scheduler (``scheduler.py``) and the backends raise these.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """Base class of every error the chat-model runtime raises on purpose."""


class ModelLoadError(ModelError):
    """A chat model failed to load; the message says which model, which file and what to do."""


class ModelBusyError(ModelError):
    """The generation queue is full; the caller should answer "busy, try again" right away."""


class GenerationTimeoutError(ModelError):
    """A generation did not finish (or start) before its deadline and was cancelled."""
