"""ToolContext: everything a shopping tool may use, handed in (never a module global).

One context is built per assistant turn from long-lived resources (the catalog index, the
settings, an optional review analyzer, the model-written texts) and the session's memory (what was shown, what was
searched, remembered preferences). Tools read the catalog through it and record what they
showed into ``memory``; the agent persists ``memory`` with the conversation. Two assistants
in one process therefore never share state.

Deliberately not here: the tools themselves (:mod:`tools.shopping`), rendering of cards
(:mod:`tools.cards`) and any persistence (the agent's checkpointer stores ``memory``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from index.product_types import TypeRequest
from index.schema import Filters, Product, Review, SearchHit
from index.title_match import NamedProduct
from index.vocabulary import Vocabulary

if TYPE_CHECKING:
    from index.behaviour import Behaviour
    from tools.campaign_desk import CampaignDesk
    from tools.product_texts import ProductTexts
    from tools.sentiment import SentimentAnalyzer

Role = Literal["shopper", "merchant"]
ROLES: tuple[Role, ...] = ("shopper", "merchant")
MAX_FACTS = 200  # products remembered for grounding per session (most recent kept)


class Catalog(Protocol):
    """The part of :class:`index.catalog.CatalogIndex` the tools use."""

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[SearchHit]: ...

    def get(self, product_id: str) -> Product | None: ...

    def reviews(self, product_id: str) -> list[Review]: ...

    def categories(self, limit: int = 10) -> list[str]: ...

    def brands(self) -> list[str]: ...

    def named_products(self, text: str) -> list[NamedProduct]: ...

    def vocabulary(self) -> Vocabulary: ...

    def type_request(self, query: str) -> TypeRequest: ...

    def relevance_margins(self, query: str, products: list[Product]) -> list[float] | None: ...

    def __len__(self) -> int: ...


class ToolRefused(Exception):
    """A tool the current role may not use; the message is shown to the user as is."""


@dataclass
class SessionMemory:
    """What a conversation remembers between turns; plain JSON-able data.

    ``shown`` are the cards of the last result list (so "the second one" resolves, and a
    channel can show them again after a reload), ``facts``
    every product a tool returned in this session (id -> compact facts, for grounding),
    ``last_search`` the arguments of the last search (so "cheaper?" can re-run it), ``prefs``
    what the user told about themselves (sizes, budget, liked/disliked brands and colours).
    """

    shown: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_search: dict[str, Any] | None = None
    prefs: dict[str, Any] = field(default_factory=dict)
    clarifying: dict[str, Any] | None = None
    """Set when the last reply asked what the user is looking for: the limits they had
    already given ("something under $50"), so the next answer ("a backpack") completes them."""
    campaign: dict[str, Any] | None = None
    """A merchant's campaign in this conversation: ``{"draft": ...}`` while our question about
    it waits for an answer (:class:`assistant.campaign_request.CampaignDraft`), then
    ``{"name": ...}``, so "continue" writes more of its variants."""

    def remember(self, facts: list[dict[str, Any]]) -> None:
        for fact in facts:
            self.facts.pop(fact["id"], None)
            self.facts[fact["id"]] = fact
        while len(self.facts) > MAX_FACTS:
            self.facts.pop(next(iter(self.facts)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "shown": self.shown,
            "facts": self.facts,
            "last_search": self.last_search,
            "prefs": self.prefs,
            "clarifying": self.clarifying,
            "campaign": self.campaign,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SessionMemory:
        data = data or {}
        return cls(
            shown=list(data.get("shown") or []),
            facts=dict(data.get("facts") or {}),
            last_search=data.get("last_search"),
            prefs=dict(data.get("prefs") or {}),
            clarifying=data.get("clarifying"),
            campaign=data.get("campaign"),
        )


@dataclass
class ToolContext:
    """The typed dependencies of the shopping tools for one turn."""

    catalog: Catalog
    role: Role = "shopper"
    lang: str = "en"
    memory: SessionMemory = field(default_factory=SessionMemory)
    analyzer_factory: Callable[[], SentimentAnalyzer] | None = None
    """Builds the review sentiment analyzer on first use (None: star ratings only)."""
    texts: ProductTexts | None = None
    """Writes review summaries, description summaries and promo copy with the chat model (None:
    review excerpts and extracted descriptions only, no copy)."""
    currency_rates: dict[str, float] = field(default_factory=dict)
    """Currency -> value in a common unit, to convert a limit the shopper gave in another
    currency (:attr:`assistant.config.Settings.currency_rates`)."""
    relevance_gate: bool = True
    """Search shows only products of the requested type and audience that pass the relevance
    threshold, and says so when none does (False: the ranked list as retrieved, for baselines)."""
    behaviour: Behaviour | None = None
    """What shoppers viewed and bought, and the recommender learned from it (None: nothing
    recorded; "for you" then keeps to the catalog)."""
    shopper: str | None = None
    """Whose history "for you" reads: the session's shopper (a linked customer, or the session)."""
    shown_this_turn: list[dict[str, Any]] = field(default_factory=list)
    """Cards the tools produced in this turn, in order (the reply's product cards)."""
    campaigns: CampaignDesk | None = None
    """The merchant's saved campaigns and their copy (None: campaigns are not kept here)."""
    on_cards: Callable[[list[dict[str, Any]]], None] | None = None
    """Called with new cards the moment a tool shows them, so a channel renders them while
    the tool is still working (e.g. writing a description summary with the model)."""

    def show(self, cards: list[dict[str, Any]]) -> None:
        """Add ``cards`` to this turn's cards and hand them to :attr:`on_cards`; a product
        already shown in this turn is not shown again."""
        seen = {card["id"] for card in self.shown_this_turn}
        new = []
        for card in cards:
            if card["id"] not in seen:
                seen.add(card["id"])
                new.append(card)
        self.shown_this_turn.extend(new)
        if new and self.on_cards is not None:
            self.on_cards(new)

    def require_merchant(self, what: str) -> None:
        if self.role != "merchant":
            raise ToolRefused(
                "只有商家账号可以使用" + what + "。"
                if self.lang == "zh"
                else f"Sorry, {what} is available to merchant accounts only."
            )
