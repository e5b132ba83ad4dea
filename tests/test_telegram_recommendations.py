"""Recommendations on Telegram, end to end against the fake Bot API: a product button press is a
click that changes the next "for you", and /link with a code from the web chat makes the chat
the store customer (their purchases shape the suggestions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from recommend_shop import trained_behaviour
from test_telegram import CHAT, cards_of, make_bot, press, running, say

from assistant import Assistant
from assistant.shoppers import sign_customer_token
from index.events import Event
from ui.telegram_fake import FakeTelegram
from ui.telegram_render import parse_callback

KEY = SecretStr("a store key for signing customer ids, sixty-four characters long!")


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def shop(scripted_model, demo_index, tmp_path):
    behaviour, ids = trained_behaviour(tmp_path, sorted(demo_index.product_ids()))
    assistant = Assistant(scripted_model, demo_index, sessions_path=tmp_path / "sessions.sqlite",
                          behaviour=behaviour, customer_token_key=KEY)  # fmt: skip
    return assistant, behaviour, ids


def _shown(sent) -> list[str]:
    return [parse_callback(card.buttons()[0][1]).ids[0] for card in cards_of(sent)]


def test_a_button_press_changes_the_next_for_you(telegram, shop, tmp_path, demo_index, scripted_model):
    assistant, behaviour, ids = shop
    with running(make_bot(assistant, tmp_path), telegram):
        first = say(telegram, "gift ideas", count=2)
        assert _shown(first)[0] == ids["popular"]
        card = next(c for c in cards_of(first) if parse_callback(c.buttons()[0][1]).ids[0] == ids["seed"])
        details = dict((d[0], d) for _, d in card.buttons())["d"]
        press(telegram, card, details)
        assert "click" in [e.kind for e in behaviour.history(f"telegram:{CHAT}") if e.product == ids["seed"]]
        after = say(telegram, "what else would I like?", count=2)
        assert ids["partner"] in _shown(after)[:2] and ids["seed"] not in _shown(after)
        assert demo_index.get(ids["seed"]).title[:15] in after[-1].text
    assert scripted_model.calls == [] and telegram.rejected == []


def test_link_makes_the_chat_the_store_customer(telegram, shop, tmp_path):
    assistant, behaviour, ids = shop
    behaviour.store.add([Event("customer:carol", ids["seed"], "purchase", datetime(2024, 3, 1, tzinfo=UTC))])
    assert assistant.shoppers.identify("web:carol-browser", sign_customer_token("carol", KEY))
    code = assistant.shoppers.link_code("web:carol-browser")
    with running(make_bot(assistant, tmp_path), telegram):
        assert "not valid" in say(telegram, "/link WRONG999")[-1].text
        assert say(telegram, f"/link {code}")[-1].text.startswith("Done")
        after = say(telegram, "what else would I like?", count=2)
        assert ids["partner"] in _shown(after)[:2]  # carol bought the seed; its partner comes first
    assert assistant.shoppers.shopper_of(f"telegram:{CHAT}") == "customer:carol"
    assert telegram.rejected == []
