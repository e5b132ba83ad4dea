"""pytest plugin of shopbot (registered through the ``pytest11`` entry point in pyproject.toml).

Provides the ``scripted_model`` fixture: a fresh :class:`assistant.testing.ScriptedChatModel`
that fails the test at teardown if scripted turns were left unused. It holds fixtures only;
the scripted model itself lives in :mod:`assistant.testing` and needs no pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from assistant.testing import ScriptedChatModel


@pytest.fixture
def scripted_model() -> Iterator[ScriptedChatModel]:
    """A scripted chat model; queue its turns in the test, unused turns fail the test."""
    from assistant.testing import ScriptedChatModel

    model = ScriptedChatModel()
    yield model
    model.assert_complete()
