"""Recommendations in the conversation, end to end through the Assistant with the scripted
model, a real SQLite event store and a recommender trained with implicit on baskets of the demo
store: "gift ideas", clicks that change the next "for you", complements, the merchant's tables,
hard constraints, and "forget me"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.reply import Action
from index.behaviour import Behaviour
from index.event_store import EventStore
from index.events import Event


def _category(index, pid: str) -> str:
    return index.get(pid).category or ""


@pytest.fixture
def store_ids(demo_index) -> dict[str, str]:
    """Products of the demo store in the roles the baskets give them."""
    ids = sorted(demo_index.product_ids())
    first = ids[0]
    others = [pid for pid in ids if _category(demo_index, pid) != _category(demo_index, first)]
    same = [pid for pid in ids[1:] if _category(demo_index, pid) == _category(demo_index, first)]
    return {
        "seed": first,
        "partner": others[0],
        "substitute": same[0],
        "popular": others[1],
        "rest": others[2],
    }


@pytest.fixture
def behaviour(tmp_path: Path, store_ids: dict[str, str]) -> Behaviour:
    """Baskets: the seed is bought with its partner (another kind) and with a substitute (its
    own kind); one product is bought by everybody."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = []
    for n in range(60):
        shopper = f"customer:{n}"
        basket = [store_ids["popular"]]
        if n % 2 == 0:
            basket += [store_ids["seed"], store_ids["partner"]]
        if n % 3 == 0:
            basket += [store_ids["seed"], store_ids["substitute"]]
        if n % 5 == 0:
            basket.append(store_ids["rest"])
        for pid in dict.fromkeys(basket):
            events.append(Event(shopper, pid, "purchase", start + timedelta(days=n), 1.0, f"o{n}"))
    made = Behaviour(EventStore(tmp_path / "sessions.sqlite"), tmp_path / "recommender")
    made.store.add(events)
    made.train()
    return made


@pytest.fixture
def assistant(scripted_model, demo_index, tmp_path, behaviour) -> Assistant:
    return Assistant(
        scripted_model, demo_index, sessions_path=tmp_path / "sessions.sqlite", behaviour=behaviour
    )


def test_a_new_shopper_gets_popular_products_then_a_click_changes_for_you(
    assistant, behaviour, store_ids, demo_index, scripted_model
):
    first = assistant.reply("web:new", "gift ideas")
    assert first.path == "fast" and first.products
    assert first.products[0].id == store_ids["popular"]
    assert "orders" in first.products[0].why  # a fact: in how many orders it was bought
    # the shopper presses a product's button (Telegram) or its card link (web): a click
    assistant.reply("web:new", "details", action=Action(kind="details", product_ids=[store_ids["seed"]]))
    assert [e.kind for e in behaviour.history("web:new")][-2:] == ["click", "impression"]
    after = assistant.reply("web:new", "what else would I like?")
    shown = [card.id for card in after.products]
    assert store_ids["partner"] in shown[:2] and store_ids["seed"] not in shown
    partner = next(card for card in after.products if card.id == store_ids["partner"])
    assert demo_index.get(store_ids["seed"]).title in partner.why and "viewed" in partner.why
    assert scripted_model.calls == []


def test_goes_with_shows_complements_and_bought_together_shows_both(assistant, store_ids, demo_index):
    together = assistant.reply("web:a", f"what do people also buy with {store_ids['seed']}?")
    assert {store_ids["partner"], store_ids["substitute"]} <= {card.id for card in together.products}
    goes = assistant.reply("web:a", f"what goes with {store_ids['seed']}?")
    ids = [card.id for card in goes.products]
    assert ids and store_ids["partner"] in ids and store_ids["substitute"] not in ids
    assert "orders" in goes.products[0].why


def test_price_limits_are_hard_constraints(assistant, demo_index, store_ids):
    prices = sorted(demo_index.get(pid).price for pid in store_ids.values())
    limit = prices[1]  # the two cheapest of the products bought fit, the others do not
    reply = assistant.reply("web:b", f"gift ideas under ${limit:g}")
    assert reply.products and all(card.price is not None and card.price <= limit for card in reply.products)
    nothing = assistant.reply("web:new-b", "gift ideas under $1")
    assert nothing.products == [] and nothing.text.startswith("What kind of product")  # one question


def test_chinese_requests_get_chinese_reasons(assistant):
    reply = assistant.reply("web:zh", "推荐点我会喜欢的")
    assert reply.text.startswith("为您挑选") and reply.products
    assert "单" in reply.products[0].why


def test_merchant_tables_and_a_shopper_refused(assistant, store_ids, demo_index):
    table = assistant.reply("web:m", "which products are bought together?", role="merchant")
    assert table.text.splitlines()[2].startswith("| product |")
    assert demo_index.get(store_ids["seed"]).title in table.text
    refused = assistant.reply("web:s", "which products are bought together?")
    assert "merchant" in refused.text.lower() and "|" not in refused.text
    buyers = assistant.reply("web:m", f"who buys {store_ids['seed']}?", role="merchant")
    assert "| customer | orders | units |" in buyers.text and "| 0 |" in buyers.text


def test_forget_me_removes_the_history_and_the_conversation(assistant, behaviour, store_ids):
    assistant.reply("web:f", "details", action=Action(kind="details", product_ids=[store_ids["seed"]]))
    assert behaviour.history("web:f")
    reply = assistant.reply("web:f", "forget me")
    assert reply.text.startswith("Done") and behaviour.history("web:f") == []
    assert assistant.history("web:f") == []


def test_without_trained_history_the_answer_says_so(scripted_model, demo_index, tmp_path):
    empty = Behaviour(EventStore(tmp_path / "s.sqlite"), tmp_path / "none")
    assistant = Assistant(scripted_model, demo_index, sessions_path=tmp_path / "s.sqlite", behaviour=empty)
    reply = assistant.reply("web:c", f"what goes with {sorted(demo_index.product_ids())[0]}?")
    assert "no purchase history" in reply.text and reply.products == []
    suggested = assistant.reply("web:c", "gift ideas")  # no model: nothing popular to tell, so it asks
    assert suggested.products == [] and "looking for" in suggested.text
    # a click with no model yet: products like the one clicked, from the catalog
    clicked = sorted(demo_index.product_ids())[0]
    assistant.reply("web:c", "details", action=Action(kind="details", product_ids=[clicked]))
    liked = assistant.reply("web:c", "what else would I like?")
    assert liked.products and clicked not in [card.id for card in liked.products]
    assert demo_index.get(clicked).title in liked.products[0].why
