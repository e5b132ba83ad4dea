"""What the assistant gives back: a :class:`Reply` for a whole turn, and stream events.

Channels render these without parsing prose: product cards are structured, tool calls are
listed with their arguments, timings say where the turn's time went. Streaming yields, in
order, :class:`ToolEvent` (a tool was called), :class:`CardsEvent` (cards, as soon as a search
returns, before any prose), :class:`TextChunk` (pieces of the reply), :class:`TextReplaced`
(the grounding check repaired the streamed text: show this text instead) and finally
:class:`Done` with the complete :class:`Reply`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ProductCard(BaseModel):
    id: str
    title: str
    price: float | None = None
    currency: str | None = None
    rating: float | None = None
    image_url: str | None = None
    url: str | None = None
    category: str = ""
    """The last segment of the catalog's category path (``Bags``); a card without an image shows its initial."""
    why: str = ""
    summary: str = ""
    """1-3 lines about the product, in the shopper's language when one was written, else the catalog's."""
    alternative: bool = False
    """Shown as the closest thing the store has, under a heading saying it is not what was asked."""


class Action(BaseModel):
    """What a channel's button asks, as data rather than a sentence for the rules to read back:
    the reviews, similar products or details of a product, or a comparison of products."""

    kind: Literal["reviews", "similar", "details", "compare"]
    product_ids: list[str] = Field(min_length=1, max_length=4)


class ToolCallRecord(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    error: str | None = None


class Grounding(BaseModel):
    """Outcome of the grounding check: ``issues`` found in the model's text, ``repaired`` if it
    was replaced by a reply rendered from the facts."""

    checked: bool = False
    issues: list[str] = Field(default_factory=list)
    repaired: bool = False


class Reply(BaseModel):
    text: str
    products: list[ProductCard] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    language: str = "en"
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds: ``total``, ``first_card`` (when cards were shown), ``model`` (in model calls)."""
    grounding: Grounding = Field(default_factory=Grounding)
    path: Literal["guard", "fast", "model", "error"] = "model"
    """How the turn was answered: a guard, a deterministic step, the model, or an error reply."""
    notices: list[str] = Field(default_factory=list)


class ToolEvent(BaseModel):
    type: Literal["tool"] = "tool"
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class CardsEvent(BaseModel):
    type: Literal["cards"] = "cards"
    products: list[ProductCard]


class TextChunk(BaseModel):
    type: Literal["text"] = "text"
    text: str


class TextReplaced(BaseModel):
    type: Literal["replace"] = "replace"
    text: str


class Done(BaseModel):
    type: Literal["done"] = "done"
    reply: Reply


Event = ToolEvent | CardsEvent | TextChunk | TextReplaced | Done
