"""What stands in front of the HTTP API: body size, rate limits, and JSON errors.

- :class:`BodyLimit` reads a request body up to the limit before any route sees it; a larger
  one (declared or streamed) is answered ``413`` and never reaches the app.
- :func:`merchant_role` tells a merchant's bearer key from no key and from a wrong one.
- :class:`RateLimit` counts requests per merchant key, or per client address without one, in a
  moving window (the ``limits`` library, the engine behind slowapi and Flask-Limiter; in
  memory, so per process). Over the limit: ``429`` with ``Retry-After`` in seconds.
- :func:`error` is the one error body of the API: ``{"error": {"code", "message"}}``, plus
  ``details`` for invalid fields. No route ever answers with a traceback.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from typing import Any, Literal

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import SecretStr
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import is_merchant_key


def error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """The API's error response."""
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


def guards(
    *,
    merchant_keys: Sequence[SecretStr | str],
    rate_limit: str,
    max_body_bytes: int,
    cors_origins: Sequence[str] = (),
) -> list[Middleware]:
    """The middleware of every HTTP entry point, outermost first: CORS (only ``cors_origins``),
    the rate limit, the body limit."""
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
        ),
        Middleware(RateLimit, limit=rate_limit, merchant_keys=merchant_keys),
        Middleware(BodyLimit, max_bytes=max_body_bytes),
    ]


def bearer_key(scope: Scope) -> str | None:
    """The request's ``Authorization`` value: the key of ``Bearer <key>``, any other value as
    is (so that it is refused, not ignored), None without the header."""
    header = dict(scope.get("headers") or []).get(b"authorization")
    if header is None:
        return None
    scheme, _, key = header.decode("latin-1").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else header.decode("latin-1")


def merchant_role(
    key: str | None, merchant_keys: Sequence[SecretStr | str]
) -> Literal["shopper", "merchant"] | None:
    """``"merchant"`` for one of the merchant keys, ``"shopper"`` for no key, None for a wrong one."""
    if key is None:
        return "shopper"
    return "merchant" if is_merchant_key(key, merchant_keys) else None


class BodyLimit:
    """ASGI middleware: request bodies of at most ``max_bytes`` (``413`` otherwise)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        too_large = error(413, "too_large", f"the request body is over {self.max_bytes} bytes")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # then the real channel: a disconnect still reaches a stream

        await self.app(scope, replay, send)


class RateLimit:
    """ASGI middleware: at most ``limit`` (e.g. ``"60/minute"``) requests per caller on paths
    under ``prefixes``; the caller is its merchant key if it sends a valid one, else its
    address (random keys do not buy fresh allowances)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: str,
        merchant_keys: Sequence[SecretStr | str] = (),
        prefixes: tuple[str, ...] = ("/v1", "/mcp"),
    ) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.merchant_keys = list(merchant_keys)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        caller = self.caller(scope)
        if not self.limiter.hit(self.item, caller):
            stats = self.limiter.get_window_stats(self.item, caller)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            response = error(
                429,
                "rate_limited",
                f"too many requests; limit {self.item}",
                headers={"Retry-After": str(retry)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def caller(self, scope: Scope) -> str:
        """``key:<hash>`` for a merchant key (never the key itself), else ``ip:<address>``."""
        key = bearer_key(scope)
        if key is not None and merchant_role(key, self.merchant_keys) == "merchant":
            return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"
