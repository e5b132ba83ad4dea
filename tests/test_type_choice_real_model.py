"""The type choice (tools.type_choice) with the real default chat model: a Chinese word the
catalog never uses, offered the store's types that share its head character. Slow (seconds per
call on two cores); deselect with -m 'not real_model'."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from tools.type_choice import choose_types

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def qwen():
    from assistant.models.loader import load_chat_model

    return load_chat_model(load_settings(chat_deadline_s=600.0), progress=False)


@pytest.mark.parametrize(
    ("asked", "kinds", "named"),
    [
        ("行李箱", ["登机箱", "拉杆箱"], {"登机箱", "拉杆箱"}),  # luggage: both are suitcases
        ("时钟", ["挂钟", "木钟", "电子钟"], {"挂钟", "木钟", "电子钟"}),
    ],
)
def test_the_real_model_names_the_types_a_word_means(qwen, asked, kinds, named):
    chosen = choose_types(qwen, asked, kinds, "zh")
    assert chosen and set(chosen) <= named, chosen
