"""Who a session's shopper is, across channels, and what they do with products.

A session (``web:abc``, ``telegram:42``) is its own shopper until it is linked to a store
customer (``customer:12583``):

- the store's page passes the logged-in customer to the web widget as a **signed token**, a JWT
  (HS256 with :attr:`~assistant.config.Settings.customer_token_key`; ``sub`` the customer id,
  ``exp`` required). A token that is unsigned, forged, expired or signed with another key links
  nothing: the session stays anonymous and sees no one's history;
- a Telegram user types a **one-time code** that a linked web session asked for
  (:meth:`Shoppers.link_code`, then ``/link CODE``).

Then the customer's history and the session's clicks are one. :meth:`Shoppers.forget` removes
the shopper's events, links and codes (the shopper's "forget me").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import jwt
from pydantic import SecretStr

from assistant.sessions import parse_session_id
from index.behaviour import Behaviour
from index.event_store import customer_key
from index.events import EventKind

log = logging.getLogger(__name__)
_ALGORITHM = "HS256"


def sign_customer_token(customer_id: str, key: SecretStr | str, ttl: timedelta = timedelta(hours=12)) -> str:
    """The token a store's server gives its page for ``customer_id`` (any JWT library makes the same)."""
    secret = key.get_secret_value() if isinstance(key, SecretStr) else key
    now = datetime.now(UTC)
    return jwt.encode({"sub": str(customer_id), "iat": now, "exp": now + ttl}, secret, algorithm=_ALGORITHM)


def verify_customer_token(token: str, key: SecretStr | None) -> str | None:
    """The customer id of a valid token; None for anything else (no key set, bad signature,
    another algorithm, expired, no subject)."""
    if key is None or not token:
        return None
    try:
        claims = jwt.decode(token, key.get_secret_value(), algorithms=[_ALGORITHM],
                            options={"require": ["exp", "sub"]})  # fmt: skip
    except jwt.PyJWTError as error:
        log.info("customer token refused: %s", error)
        return None
    subject = str(claims.get("sub") or "").strip()
    return subject if 0 < len(subject) <= 128 else None


class Shoppers:
    """Identity and live behaviour for the channels; without a :class:`Behaviour` nothing is kept."""

    def __init__(self, behaviour: Behaviour | None, token_key: SecretStr | None = None) -> None:
        self.behaviour = behaviour
        self.token_key = token_key

    def shopper_of(self, session_id: str) -> str:
        """The customer a session is linked to, else the session itself."""
        parse_session_id(session_id)
        return self.behaviour.store.resolve(session_id) if self.behaviour else session_id

    def identify(self, session_id: str, token: str) -> str | None:
        """Link the session to the customer a valid signed token names; returns the shopper key,
        or None (and links nothing) when the token is not valid."""
        customer = verify_customer_token(token, self.token_key)
        if customer is None or self.behaviour is None:
            return None
        parse_session_id(session_id)
        shopper = customer_key(customer)
        self.behaviour.store.link(session_id, shopper)
        return shopper

    def record(self, session_id: str, kind: EventKind, product_ids: list[str]) -> int:
        """Store that the session's shopper did ``kind`` (view, click, cart, purchase) with each product."""
        if self.behaviour is None or not product_ids:
            return 0
        return self.behaviour.record(self.shopper_of(session_id), kind, product_ids, session=session_id)

    def link_code(self, session_id: str) -> str | None:
        """A one-time code that links another channel to this session's customer (None: the
        session is no customer's, so there is nothing to link to)."""
        shopper = self.shopper_of(session_id)
        if self.behaviour is None or not shopper.startswith("customer:"):
            return None
        return self.behaviour.store.issue_code(shopper)

    def redeem(self, session_id: str, code: str) -> bool:
        """Link this session to the customer of ``code``; False for an unknown, spent or expired code."""
        parse_session_id(session_id)
        return self.behaviour is not None and self.behaviour.store.redeem(code, session_id) is not None

    def forget(self, session_id: str) -> int:
        """Remove the shopper's events (and their linked sessions' and codes); returns how many."""
        if self.behaviour is None:
            return 0
        shopper = self.shopper_of(session_id)
        removed = self.behaviour.store.purge(shopper)
        if shopper != session_id:
            removed += self.behaviour.store.purge(session_id)
        return removed
