"""The shop as an MCP server, for other agents: desktop assistants, a store's own agent.

Built on the official MCP Python SDK (``mcp``, :class:`mcp.server.MCPServer`): it speaks every
standard transport, ships the client the tests use, and derives the wire schemas from typed
Python functions, which is how our tools are already described (:mod:`tools.registry`).

- **Tools**: the shopper tools (search with filters, details, compare, recommendations, review
  summary, sentiment) with the same argument schemas and descriptions the chat model gets. A
  result is :class:`assistant.tool_calls.ToolResult` as structured content: the product cards
  the channels render (price, currency, rating, url) and the tool's data, never prose only.
- **Merchant tools** (promo copy, review analytics) exist only on the merchant server, which
  a client reaches with a merchant key (``merchant_api_keys``): over HTTP as
  ``Authorization: Bearer <key>``, over stdio as ``SHOPBOT_MERCHANT_KEY`` in the server's
  environment. Without a key they are not listed at all; a wrong key is refused.
- **Resources**: what the store sells, from the index's vocabulary (``shop://vocabulary``)
  and its categories (``shop://categories``).

:class:`McpHttp` is the streamable-HTTP endpoint as an ASGI route (``/mcp``), for ``shopbot mcp
--http`` and ``shopbot api``; :func:`build_mcp` one server for stdio.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, SecretStr
from starlette.types import Receive, Scope, Send

from assistant.tool_calls import ToolCallError, ToolDesk, ToolResult, ToolSpec
from tools.context import Role
from ui.http_guards import bearer_key, error, merchant_role

if TYPE_CHECKING:
    from assistant import Assistant

PATH = "/mcp"
INSTRUCTIONS = (
    "Tools of an online store's shopping assistant. Search the catalog, then use product ids "
    "from the results for details, comparisons, review summaries and sentiment. Prices, ratings "
    "and urls are the store's own; never state one that a result does not contain."
)


def build_mcp(assistant: Assistant, role: Role = "shopper") -> MCPServer:
    """An MCP server with the tools ``role`` may call and the store's vocabulary as resources."""
    server: MCPServer = MCPServer("shopbot", instructions=INSTRUCTIONS, log_level="WARNING")
    for spec in assistant.tools.specs(role):
        server.add_tool(_tool(assistant.tools, spec, role), name=spec.name, description=spec.description)

    @server.resource("shop://vocabulary", mime_type="application/json")
    def vocabulary() -> str:
        """What the store sells: product types with product counts, audiences, currencies, attribute values."""
        return json.dumps(assistant.catalog.vocabulary().to_dict(), ensure_ascii=False)

    @server.resource("shop://categories", mime_type="application/json")
    def categories() -> str:
        """The store's largest categories, as catalog paths."""
        return json.dumps(assistant.catalog.categories(limit=50), ensure_ascii=False)

    return server


def _tool(desk: ToolDesk, spec: ToolSpec, role: Role) -> Any:
    """An async function with ``spec``'s arguments as its signature (what the SDK reads to build
    the schema) that runs the tool in a worker thread: a search or a written summary never
    blocks the server's event loop."""

    async def call(**arguments: Any) -> ToolResult:
        try:
            return await anyio.to_thread.run_sync(lambda: desk.call(spec.name, arguments, role=role))
        except ToolCallError as error:
            raise ToolError(str(error)) from None

    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if field.is_required() else field.default,
            annotation=Annotated[field.annotation, Field(description=field.description)],
        )
        for name, field in spec.args_model.model_fields.items()
    ]
    call.__signature__ = inspect.Signature(parameters, return_annotation=ToolResult)  # type: ignore[attr-defined]
    call.__name__ = spec.name
    call.__doc__ = spec.description
    return call


class McpHttp:
    """The streamable-HTTP MCP endpoint: a request with a merchant's bearer key is served by the
    merchant server, one without a key by the shopper server, one with a wrong key gets a 401.

    Mount it as an ASGI route at :data:`PATH` and run :meth:`lifespan` with the host app's."""

    def __init__(
        self, assistant: Assistant, merchant_keys: Sequence[SecretStr | str], *, host: str = "127.0.0.1"
    ) -> None:
        self.merchant_keys = list(merchant_keys)
        roles: list[Role] = ["shopper", "merchant"] if self.merchant_keys else ["shopper"]
        self.servers = {role: build_mcp(assistant, role) for role in roles}
        # host: a loopback host turns on the SDK's DNS-rebinding protection (Host/Origin checks)
        self.apps = {
            role: server.streamable_http_app(streamable_http_path=PATH, host=host)
            for role, server in self.servers.items()
        }

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Runs every server's session manager while the host app runs."""
        async with AsyncExitStack() as stack:
            for server in self.servers.values():
                await stack.enter_async_context(server.session_manager.run())
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        role = merchant_role(bearer_key(scope), self.merchant_keys)
        if role is None or role not in self.apps:
            response = error(
                401, "unauthorized", "the merchant key is not valid", headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        await self.apps[role](scope, receive, send)
