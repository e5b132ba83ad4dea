"""The campaign form of the Merchant tab's Campaigns section: its fields, read and filled.

:func:`build_form` lays out the fields (:data:`FORM` names them, in order); :func:`form_data`
turns their values into the dict :func:`tools.campaign.parse_campaign` checks, and
:func:`form_values` fills them from a saved campaign (:func:`form_blank`: a new form's), so
that saving it again unchanged states the same terms (numbers are text fields: ``12.50``
stays ``12.50``, and an empty one is not 0).

Deliberately not here: checking the campaign (:mod:`tools.campaign`), the endpoints
(:mod:`ui.web_campaigns`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.campaign import Campaign, CampaignError
from tools.channel_formats import load_formats
from tools.promo_copy import TONES
from ui.web_merchant import LANGUAGES

OFFERS = [("percent off", "percent_off"), ("amount off", "amount_off"), ("buy N get M", "buy_n_get_m"),
          ("free shipping over", "free_shipping_over")]  # fmt: skip
OFFER_FIELDS = {  # the offer's fields -> the form's fields that hold them
    "percent_off": {"percent": "offer_value"},
    "amount_off": {"amount": "offer_value", "currency": "currency"},
    "buy_n_get_m": {"buy": "buy", "get": "get"},
    "free_shipping_over": {"threshold": "offer_value", "currency": "currency"},
}
FORM = ("name", "offer_kind", "offer_value", "buy", "get", "currency", "start", "end", "channels", "lang",
        "tone", "category", "min_price", "max_price", "tag", "attributes", "ids", "description",
        "segments", "per_segment", "call_to_action")  # fmt: skip
# A new form's fields that are not empty ("").
BLANK: dict[str, Any] = {"offer_kind": "percent_off", "currency": "USD", "channels": [], "lang": "en",
                         "tone": "friendly", "per_segment": False}  # fmt: skip


def build_form() -> list[Any]:
    """The form's components (in the caller's layout), in the order of :data:`FORM`; each has the
    elem_id ``campaigns-<field>`` (``_`` written ``-``), e.g. ``campaigns-offer-value``."""
    import gradio as gr

    formats = [(f"{fmt.label} ({name})", name) for name, fmt in load_formats().items()]
    field: dict[str, Any] = {}
    with gr.Row():
        field["name"] = gr.Textbox(label="Name", scale=2, elem_id=_id("name"))
        field["offer_kind"] = gr.Dropdown(
            OFFERS, value="percent_off", label="Offer", elem_id=_id("offer_kind")
        )
        field["offer_value"] = gr.Textbox(
            label="Percent / amount / threshold", placeholder="e.g. 20", elem_id=_id("offer_value")
        )
        field["buy"] = gr.Textbox(label="Buy N", elem_id=_id("buy"))
        field["get"] = gr.Textbox(label="Get M", elem_id=_id("get"))
        field["currency"] = gr.Textbox("USD", label="Currency", elem_id=_id("currency"))
    with gr.Row():
        field["start"] = gr.Textbox(label="Start (YYYY-MM-DD)", elem_id=_id("start"))
        field["end"] = gr.Textbox(label="End (YYYY-MM-DD)", elem_id=_id("end"))
        field["channels"] = gr.Dropdown(
            formats, multiselect=True, label="Channels", scale=2, elem_id=_id("channels")
        )
        field["lang"] = gr.Radio(LANGUAGES, value="en", label="Language", elem_id=_id("lang"))
        field["tone"] = gr.Dropdown(
            list(TONES), value="friendly", label="Tone", allow_custom_value=True, elem_id=_id("tone")
        )
    with gr.Row():
        field["category"] = gr.Textbox(
            label="Category contains", placeholder="e.g. bags", elem_id=_id("category")
        )
        field["min_price"] = gr.Textbox(label="Min price", elem_id=_id("min_price"))
        field["max_price"] = gr.Textbox(label="Max price", elem_id=_id("max_price"))
        field["tag"] = gr.Textbox(label="Tag", placeholder="e.g. sale", elem_id=_id("tag"))
        field["attributes"] = gr.Textbox(
            label="Attributes", placeholder="e.g. material=Nylon, color=Blue", elem_id=_id("attributes")
        )
        field["ids"] = gr.Textbox(
            label="Or product ids", placeholder="comma-separated, instead of a filter", elem_id=_id("ids")
        )
    with gr.Row():
        field["description"] = gr.Textbox(
            label="Audience", placeholder="e.g. people heading back to campus", elem_id=_id("description")
        )
        field["segments"] = gr.Textbox(
            label="Segments", placeholder="comma-separated, e.g. students, parents", elem_id=_id("segments")
        )
        field["per_segment"] = gr.Checkbox(label="One variant per segment", elem_id=_id("per_segment"))
        field["call_to_action"] = gr.Textbox(
            label="Call to action", placeholder="e.g. Shop now at luma.example", elem_id=_id("call_to_action")
        )
    return [field[name] for name in FORM]


def form_blank() -> list[Any]:
    """The form's fields as a new form shows them (what :func:`build_form` starts with)."""
    values = dict.fromkeys(FORM, "") | BLANK
    return [values[field] for field in FORM]


def form_data(form: dict[str, Any]) -> dict[str, Any]:
    """The form's values as :func:`tools.campaign.parse_campaign` reads them (empty ones left out,
    so the check names what is missing)."""
    given: dict[str, Any] = {
        field: value.strip() or None if isinstance(value, str) else value for field, value in form.items()
    }
    offer = {"kind": given["offer_kind"]} | {
        field: given[source]
        for field, source in OFFER_FIELDS.get(given["offer_kind"] or "", {}).items()
        if given[source] is not None
    }
    filters = {field: given[field] for field in ("category", "min_price", "max_price", "tag")}
    products = {"ids": _items(given["ids"]), "attributes": _attributes(given["attributes"]), **filters}
    data = {
        "name": given["name"], "offer": offer, "start": given["start"], "end": given["end"],
        "channels": given["channels"] or [], "lang": given["lang"] or "en", "tone": given["tone"] or "friendly",
        "products": {field: value for field, value in products.items() if value is not None},
        "audience": {"description": given["description"] or "", "segments": _items(given["segments"])},
        "per_segment": bool(given["per_segment"]), "call_to_action": given["call_to_action"] or "",
    }  # fmt: skip
    return {field: value for field, value in data.items() if value is not None}


def form_values(campaign: Campaign) -> list[Any]:
    """The form's fields for ``campaign`` (what :func:`form_data` reads back as the same campaign)."""
    values: dict[str, Any] = dict.fromkeys(FORM) | {"currency": "USD"}
    offer = campaign.offer.model_dump()
    values |= {source: offer[field] for field, source in OFFER_FIELDS[campaign.offer.kind].items()}
    products = campaign.products
    values |= {
        "name": campaign.name, "offer_kind": campaign.offer.kind, "start": campaign.start.isoformat(),
        "end": campaign.end.isoformat(), "channels": campaign.channels, "lang": campaign.lang,
        "tone": campaign.tone, "category": products.category, "min_price": products.min_price,
        "max_price": products.max_price, "tag": products.tag, "ids": ", ".join(products.ids),
        "attributes": ", ".join(f"{name}={value}" for name, value in products.attributes.items()),
        "description": campaign.audience.description, "segments": ", ".join(campaign.audience.segments),
        "per_segment": campaign.per_segment, "call_to_action": campaign.call_to_action,
    }  # fmt: skip
    return [_shown(values[field]) for field in FORM]


def _id(field: str) -> str:
    return "campaigns-" + field.replace("_", "-")


def _shown(value: Any) -> Any:
    """A campaign's value in its field: a number as its text, none as ""."""
    if value is None:
        return ""
    return str(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) else value


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _attributes(text: str | None) -> dict[str, str]:
    pairs = [item.partition("=") for item in _items(text)]
    if bad := next(
        (name for name, equals, value in pairs if not (equals and name.strip() and value.strip())), None
    ):
        raise CampaignError(f"form: products.attributes: write name=value, not {bad!r}")
    return {name.strip(): value.strip() for name, _, value in pairs}
