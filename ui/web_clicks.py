"""Clicks on the web widget's product cards, recorded by the server, and the customer a page names.

A card's link does not point at the product page directly but at the click endpoint
(``/shopbot/click?...``), which records a ``click`` for the browser's session and redirects
to the product page: the server sees the click itself, no script in the page guesses it. The
link carries the session, the product and the target, signed with the browser secret (HMAC), so
nobody can record clicks for another session or turn the endpoint into an open redirect.

A store page names its logged-in customer with ``?customer=<signed token>`` in the widget's URL
(:func:`assistant.shoppers.sign_customer_token`); :func:`identify_from_request` links the
browser's session to that customer when the token is valid, and ignores it otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ui.cards import safe_url

if TYPE_CHECKING:
    from fastapi import APIRouter

    from assistant import Assistant

log = logging.getLogger(__name__)
CLICK_PATH = "/shopbot/click"
CUSTOMER_PARAM = "customer"


def _signature(secret: str, session: str, product_id: str, target: str) -> str:
    message = "\0".join((session, product_id, target)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def click_url(secret: str, session: str, product_id: str, target: str, path: str = CLICK_PATH) -> str:
    """The signed link of a card: records the click, then goes to ``target``."""
    query = {
        "s": session,
        "p": product_id,
        "u": target,
        "sig": _signature(secret, session, product_id, target),
    }
    return f"{path}?{urlencode(query)}"


def click_router(assistant: Assistant, secret: str) -> APIRouter:
    """``GET /shopbot/click``: record the click of a signed card link and redirect to its target
    (a link whose signature does not match records nothing and gets 400)."""
    from fastapi import APIRouter, Query
    from fastapi.responses import PlainTextResponse, RedirectResponse, Response

    router = APIRouter()

    @router.get(CLICK_PATH, include_in_schema=False)
    def click(
        s: str = Query(max_length=64), p: str = Query(max_length=256), u: str = Query(max_length=2048),
        sig: str = Query(max_length=64),
    ) -> Response:  # fmt: skip
        target = safe_url(u)
        if target is None or not hmac.compare_digest(sig, _signature(secret, s, p, u)):
            return PlainTextResponse("this link is not valid", status_code=400)
        try:
            assistant.shoppers.record(f"web:{s}", "click", [p])
        except Exception:  # the shopper still gets to the product page
            log.warning("click of web:%s on %s not recorded", s, p, exc_info=True)
        return RedirectResponse(target, status_code=303)

    return router


def identify_from_request(assistant: Assistant, session: str, request: Any) -> str | None:
    """Link ``web:<session>`` to the customer of the page's signed ``?customer=`` token, if valid."""
    params = getattr(request, "query_params", None) or {}
    token = params.get(CUSTOMER_PARAM) if hasattr(params, "get") else None
    if not token:
        return None
    return assistant.shoppers.identify(f"web:{session}", str(token))
