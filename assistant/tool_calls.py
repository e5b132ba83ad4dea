"""``ToolDesk``: the assistant's tools as typed calls for other software (MCP, the HTTP API).

::

    desk = assistant.tools
    desk.specs("shopper")                          # [ToolSpec(name, description, args_model), ...]
    result = desk.call("search_products", {"query": "backpack", "max_price": 60})
    result.cards                                   # [ProductCard(...)], what a channel renders
    result.data                                    # the tool's own result: facts, notes, counts

A call runs the same tool functions as the agent (:mod:`tools.shopping`), with the same
argument schemas (:mod:`tools.registry`) and the same relevance gate, over a fresh session
memory: nothing is remembered between calls (a conversation is :meth:`Assistant.stream`'s
job). The reply's language is the one of the call's text arguments unless ``lang`` says.
What a caller can get wrong (an unknown tool or product, bad arguments) or may not do (a
merchant tool without a merchant's role) is a :class:`ToolCallError` with a message fit to show;
a failure on the server is logged and becomes a :class:`ToolCallError` of kind ``failed``.

Deliberately not here: who is a merchant (each entry point checks its own credentials) and
the transport (``ui/mcp_server.py``, ``ui/http_api.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from assistant.language import detect_language
from assistant.reply import ProductCard
from tools.context import Catalog, Role, SessionMemory, ToolContext, ToolRefused
from tools.registry import ToolFunction, args_model, call_tool, description
from tools.shopping import ToolError, UnknownProductError
from tools.toolsets import MERCHANT_CALLS, SHOPPER_CALLS

if TYPE_CHECKING:
    from index.behaviour import Behaviour
    from tools.campaign_desk import CampaignDesk
    from tools.product_texts import ProductTexts
    from tools.sentiment import SentimentAnalyzer

log = logging.getLogger("assistant.tools")
ErrorKind = Literal["unknown_tool", "unknown_product", "bad_arguments", "refused", "failed"]


class ToolResult(BaseModel):
    """What one tool call gives back: the product cards a channel would show, and the data."""

    tool: str
    language: str = "en"
    cards: list[ProductCard] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class ToolCallError(ValueError):
    """A call that could not be served; ``kind`` says whose mistake, the message says what."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ToolSpec:
    """One tool as other software sees it: its name, description and argument model."""

    name: str
    description: str
    args_model: type[BaseModel]
    merchant_only: bool
    function: ToolFunction


def _spec(tool: ToolFunction) -> ToolSpec:
    return ToolSpec(tool.__name__, description(tool), args_model(tool), tool not in SHOPPER_CALLS, tool)


class ToolDesk:
    """The shopping and merchant tools over one catalog, called one at a time."""

    def __init__(
        self,
        catalog: Catalog,
        texts: ProductTexts | None,
        *,
        analyzer_factory: Callable[[], SentimentAnalyzer] | None = None,
        currency_rates: dict[str, float] | None = None,
        behaviour: Behaviour | None = None,
        campaigns: CampaignDesk | None = None,
    ) -> None:
        """``texts`` writes review summaries and copy with the chat model (None: excerpts only,
        no copy); ``analyzer_factory`` loads the review sentiment analyzer on first use;
        ``behaviour`` answers the recommendation tools (None: they keep to the catalog);
        ``campaigns`` keeps the merchant's campaigns (None: ``run_campaign`` says so)."""
        self.catalog = catalog
        self.texts = texts
        self.analyzer_factory = analyzer_factory
        self.currency_rates = dict(currency_rates or {})
        self.behaviour = behaviour
        self.campaigns = campaigns

    def specs(self, role: Role) -> list[ToolSpec]:
        """The tools ``role`` may call, in the agent's order (merchant tools last)."""
        return [_spec(tool) for tool in (MERCHANT_CALLS if role == "merchant" else SHOPPER_CALLS)]

    def call(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        role: Role = "shopper",
        lang: str | None = None,
        use_model: bool = True,
        shopper: str | None = None,
    ) -> ToolResult:
        """Call the tool ``name`` with ``args`` as ``role``. ``use_model=False`` never waits for
        the chat model (descriptions as extracted, review excerpts instead of a written summary).
        ``shopper``: whose history "for you" reads (None: nobody's; popular products)."""
        tools = {tool.__name__: tool for tool in (MERCHANT_CALLS if role == "merchant" else SHOPPER_CALLS)}
        if name not in tools:
            refused = name in {tool.__name__ for tool in MERCHANT_CALLS}
            raise ToolCallError(
                "refused" if refused else "unknown_tool",
                f"{name} is available to merchants only"
                if refused
                else f"there is no tool {name!r}; available: {', '.join(tools)}",
            )
        args = dict(args or {})
        language = lang or detect_language(" ".join(str(v) for v in args.values() if isinstance(v, str)))
        ctx = ToolContext(
            catalog=self.catalog,
            role=role,
            lang=language,
            memory=SessionMemory(),
            analyzer_factory=self.analyzer_factory,
            texts=self.texts if use_model else None,
            currency_rates=self.currency_rates,
            behaviour=self.behaviour,
            shopper=shopper,
            campaigns=self.campaigns if use_model else None,
        )
        try:
            data = call_tool(tuple(tools.values()), name, args, ctx)
        except UnknownProductError as error:
            raise ToolCallError("unknown_product", str(error)) from None
        except ToolError as error:
            raise ToolCallError("bad_arguments", str(error)) from None
        except ToolRefused as error:
            raise ToolCallError("refused", str(error)) from None
        except Exception as error:
            log.warning("tool %s failed", name, exc_info=True)
            raise ToolCallError("failed", f"{name} failed on the server; please try again") from error
        return ToolResult(
            tool=name,
            language=language,
            cards=[ProductCard(**card) for card in ctx.shown_this_turn],
            data=data,
        )
