"""The assistant as a plain HTTP API (FastAPI), for a store's frontend or backend in any language.

::

    app = build_api(assistant, merchant_keys=settings.merchant_api_keys, cors_origins=[...])
    # uvicorn: `shopbot api`; or mounted in a store's FastAPI app next to the web chat

Routes (schema at ``/openapi.json``, browsable at ``/docs``, served offline):

- ``POST /v1/chat`` streams one turn as Server-Sent Events: ``session`` (the session id, first),
  then the events of :meth:`Assistant.stream` under their own names, ``tool``, ``cards``,
  ``text``, ``replace``, and last ``done`` with the whole reply. Cards come before text.
- ``GET /v1/search`` and ``GET /v1/products/{id}``: plain JSON (:class:`ToolResult`), never
  waiting for the chat model.
- ``GET /v1/tools`` and ``POST /v1/tools/{name}``: every tool the caller may use, as in MCP.
- ``/mcp``: the MCP server over streamable HTTP (:mod:`ui.mcp_server`), when ``mcp=True``.

A merchant authenticates with ``Authorization: Bearer <merchant key>``; without it the merchant
tools and the merchant role are refused (``403``), with a wrong key every route answers ``401``.
Every error is JSON (:func:`ui.http_guards.error`), never a traceback: malformed JSON and invalid
fields ``422``, an unknown product or tool ``404``, a body over the limit ``413``, too many
requests ``429`` with ``Retry-After``. CORS allows only the configured origins.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, SecretStr
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import Route

from assistant.reply import Action, Event
from assistant.tool_calls import ToolCallError, ToolResult
from tools.context import Role
from ui.http_guards import bearer_key, error, guards, merchant_role

if TYPE_CHECKING:
    from assistant import Assistant

log = logging.getLogger("shopbot.api")
CHANNEL = "api"
MAX_BODY_BYTES = 64 * 1024
RATE_LIMIT = "60/minute"
_ERROR_STATUS = {
    "unknown_tool": 404,
    "unknown_product": 404,
    "bad_arguments": 422,
    "refused": 403,
    "failed": 503,
}


class ChatRequest(BaseModel):
    """One message of a conversation."""

    message: str = Field(description="what the shopper (or merchant) wrote", max_length=20_000)
    session_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{8,128}$",
        description="the conversation to continue; keep it secret like a cookie. Omitted: a new "
        "conversation, whose id is the stream's first event",
    )
    role: Role = Field(default="shopper", description="merchant needs a merchant key")
    action: Action | None = Field(default=None, description="a button's request, done as given")


class ToolInfo(BaseModel):
    name: str
    description: str
    merchant_only: bool
    parameters: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    products: int


def build_api(
    assistant: Assistant,
    *,
    merchant_keys: Sequence[SecretStr | str] = (),
    cors_origins: Sequence[str] = (),
    rate_limit: str = RATE_LIMIT,
    max_body_bytes: int = MAX_BODY_BYTES,
    mcp: bool = True,
    host: str = "127.0.0.1",
) -> FastAPI:
    """The API over ``assistant``. ``host``: the address served on (a loopback one turns on the
    MCP endpoint's DNS-rebinding checks)."""
    keys = list(merchant_keys)
    endpoint = None
    if mcp:
        from ui.mcp_server import PATH, McpHttp

        endpoint = McpHttp(assistant, keys, host=host)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if endpoint is None:
            yield
            return
        async with endpoint.lifespan():
            yield

    app = FastAPI(
        title="shopbot",
        summary="The store's shopping assistant: chat, catalog search, products, tools.",
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        middleware=guards(
            merchant_keys=keys,
            rate_limit=rate_limit,
            max_body_bytes=max_body_bytes,
            cors_origins=cors_origins,
        ),
    )
    app.state.merchant_keys = keys
    _errors(app)
    _docs(app)
    if endpoint is not None:
        app.router.routes.append(Route(PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"]))

    @app.get("/v1/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(products=len(assistant.catalog))

    @app.post(
        "/v1/chat",
        tags=["chat"],
        response_class=EventSourceResponse,
        responses={
            200: {
                "content": {"text/event-stream": {}},
                "description": "session, tool, cards, text, replace, done events",
            }
        },
    )
    async def chat(body: ChatRequest, role: Caller) -> EventSourceResponse:
        """One turn, streamed as Server-Sent Events (the session id first, the reply last)."""
        if body.role == "merchant" and role != "merchant":
            raise HTTPException(403, "the merchant role needs a merchant key")
        session = body.session_id or secrets.token_urlsafe(16)
        return EventSourceResponse(_turn(assistant, session, body), ping=15)

    @app.get("/v1/search", response_model=ToolResult, tags=["catalog"])
    def search(
        q: Annotated[str, Query(min_length=1, max_length=500, description="what the shopper wants")],
        min_price: Annotated[float | None, Query(ge=0)] = None,
        max_price: Annotated[float | None, Query(ge=0)] = None,
        category: str | None = None,
        brand: str | None = None,
        min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
        color: str | None = None,
        lang: Literal["en", "zh"] | None = None,
    ) -> ToolResult:
        """Catalog search with the chat's relevance gate: only products of the requested type."""
        args = {
            "query": q,
            "min_price": min_price,
            "max_price": max_price,
            "category": category,
            "brand": brand,
            "min_rating": min_rating,
            "color": color,
        }
        return _call(assistant, "search_products", args, "shopper", lang=lang, use_model=False)

    @app.get("/v1/products/{product_id}", response_model=ToolResult, tags=["catalog"])
    def product(
        product_id: Annotated[str, PathParam(max_length=200)], lang: Literal["en", "zh"] | None = None
    ) -> ToolResult:
        """One product's card and details (description, options, category, review count)."""
        # exactly this id: the tool also tries the first word of "MJ01 Title" (a model's habit), not for URLs
        if assistant.catalog.get(product_id) is None:
            raise HTTPException(404, f"no product with id {product_id!r}")
        return _call(
            assistant,
            "get_product",
            {"product_id": product_id},
            "shopper",
            lang=lang or "en",
            use_model=False,
        )

    @app.get("/v1/tools", response_model=list[ToolInfo], tags=["tools"])
    def tools(role: Caller) -> list[ToolInfo]:
        """The tools this caller may use (merchant tools only with a merchant key)."""
        return [
            ToolInfo(
                name=spec.name,
                description=spec.description,
                merchant_only=spec.merchant_only,
                parameters=spec.args_model.model_json_schema(),
            )
            for spec in assistant.tools.specs(role)
        ]

    @app.post("/v1/tools/{name}", response_model=ToolResult, tags=["tools"])
    def call_tool(name: str, role: Caller, arguments: dict[str, Any] | None = None) -> ToolResult:
        """Call one tool with its arguments (a JSON object); the result is typed data."""
        return _call(assistant, name, arguments or {}, role)

    return app


def caller_role(request: Request) -> Role:
    """The caller's role from its bearer key: a wrong key is refused with ``401``."""
    role = merchant_role(bearer_key(request.scope), request.app.state.merchant_keys)
    if role is None:
        raise HTTPException(401, "the merchant key is not valid")
    return role


Caller = Annotated[Role, Depends(caller_role)]


def _call(
    assistant: Assistant,
    name: str,
    args: dict[str, Any],
    role: Role,
    *,
    lang: str | None = None,
    use_model: bool = True,
) -> ToolResult:
    try:
        return assistant.tools.call(name, args, role=role, lang=lang, use_model=use_model)
    except ToolCallError as failure:
        raise HTTPException(_ERROR_STATUS[failure.kind], str(failure)) from None


async def _turn(assistant: Assistant, session: str, body: ChatRequest) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(event="session", data=json.dumps({"session_id": session}))
    event: Event
    async for event in assistant.astream(f"{CHANNEL}:{session}", body.message, body.role, body.action):
        yield ServerSentEvent(event=event.type, data=event.model_dump_json())


def _errors(app: FastAPI) -> None:
    """Every error as the API's JSON error body."""
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        422: "invalid",
        429: "rate_limited",
        503: "unavailable",
    }

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, failure: HTTPException) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if failure.status_code == 401 else None
        code = codes.get(failure.status_code, "error")
        return error(failure.status_code, code, str(failure.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, failure: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(part) for part in item["loc"] if part != "body") or "body",
                "problem": item["msg"],
            }
            for item in failure.errors()
        ]
        malformed = any(
            item.get("type") == "json_invalid"
            or (tuple(item["loc"]) == ("body",) and item.get("type") != "missing")
            for item in failure.errors()
        )
        message = (
            "the body must be a JSON object (Content-Type: application/json)"
            if malformed
            else "some fields are not valid"
        )
        return error(422, "malformed_json" if malformed else "invalid", message, details=details)

    @app.exception_handler(Exception)
    async def failed(request: Request, failure: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error(500, "internal", "the request failed on the server; please try again")


def _docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` from the swagger-ui-bundle package: no CDN, works offline."""
    import swagger_ui_bundle

    app.mount(
        "/docs/static", StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), name="docs-static"
    )

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # mounted under a prefix
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title="shopbot API",
            swagger_js_url=f"{root}/docs/static/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/static/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/static/favicon-32x32.png",
        )
