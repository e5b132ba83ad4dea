"""Who the shopper is: signed customer tokens (verified, never trusted blindly), link codes
from the web to Telegram, live events, and "forget me"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from assistant.shoppers import Shoppers, sign_customer_token, verify_customer_token
from index.behaviour import Behaviour
from index.event_store import EventStore
from index.events import Event

KEY = SecretStr("k" * 64)


def _shoppers(tmp_path: Path) -> Shoppers:
    return Shoppers(Behaviour(EventStore(tmp_path / "sessions.sqlite"), tmp_path / "recommender"), KEY)


def _claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"sub": "12583", "iat": now, "exp": now + timedelta(hours=1), **changes}


@pytest.mark.parametrize(
    ("token", "customer"),
    [
        (sign_customer_token("12583", KEY), "12583"),
        (jwt.encode(_claims(), KEY.get_secret_value(), algorithm="HS256"), "12583"),  # any JWT library's
        (jwt.encode(_claims(), "another key, of the same length as the store key: sixty-four....", algorithm="HS256"), None),
        (jwt.encode(_claims(), KEY.get_secret_value(), algorithm="HS512"), None),  # not the agreed algorithm
        (jwt.encode(_claims(), None, algorithm="none"), None),  # unsigned
        (jwt.encode(_claims(exp=datetime.now(UTC) - timedelta(seconds=5)), KEY.get_secret_value()), None),
        (jwt.encode({"sub": "12583"}, KEY.get_secret_value()), None),  # no expiry: refused
        (jwt.encode(_claims(sub=""), KEY.get_secret_value()), None),
        (sign_customer_token("12583", KEY)[:-3] + "abc", None),  # forged signature
        (sign_customer_token("12583", KEY).replace(".", "", 1), None),
        ("12583", None),  # a bare id
        ("", None),
    ],
)  # fmt: skip
def test_only_a_token_signed_with_the_stores_key_names_a_customer(token: str, customer: str | None) -> None:
    assert verify_customer_token(token, KEY) == customer


def test_without_a_key_no_token_is_trusted() -> None:
    assert verify_customer_token(sign_customer_token("1", KEY), None) is None


def test_a_forged_customer_id_gets_no_ones_history(tmp_path: Path) -> None:
    shoppers = _shoppers(tmp_path)
    assert shoppers.behaviour is not None
    shoppers.behaviour.store.add([Event("customer:12583", "bought-it", "purchase", datetime.now(UTC))])
    forged = jwt.encode(
        _claims(), "not the store key, but just as long as it is: sixty-four chars..", algorithm="HS256"
    )
    assert shoppers.identify("web:a", forged) is None
    assert shoppers.shopper_of("web:a") == "web:a"
    assert shoppers.behaviour.history(shoppers.shopper_of("web:a")) == []
    assert shoppers.identify("web:b", sign_customer_token("12583", KEY)) == "customer:12583"
    assert [e.product for e in shoppers.behaviour.history(shoppers.shopper_of("web:b"))] == ["bought-it"]


def test_a_code_from_the_web_links_telegram_to_the_same_customer(tmp_path: Path) -> None:
    shoppers = _shoppers(tmp_path)
    assert shoppers.link_code("web:anonymous") is None  # an anonymous session has nothing to link
    shoppers.identify("web:b", sign_customer_token("77", KEY))
    code = shoppers.link_code("web:b")
    assert code is not None
    assert not shoppers.redeem("telegram:42", "WRONG123")
    assert shoppers.redeem("telegram:42", code)
    assert shoppers.shopper_of("telegram:42") == "customer:77"
    shoppers.record("telegram:42", "click", ["p1"])  # a button press in Telegram
    shoppers.record("web:b", "click", ["p2"])  # a card click on the web
    assert shoppers.behaviour is not None
    assert [e.product for e in shoppers.behaviour.history("customer:77")] == ["p1", "p2"]
    assert shoppers.forget("telegram:42") == 2
    assert shoppers.behaviour.history("customer:77") == []


def test_without_behaviour_nothing_is_kept(tmp_path: Path) -> None:
    shoppers = Shoppers(None, KEY)
    assert shoppers.record("web:a", "click", ["p"]) == 0
    assert shoppers.identify("web:a", sign_customer_token("1", KEY)) is None
    assert shoppers.shopper_of("web:a") == "web:a" and shoppers.forget("web:a") == 0
