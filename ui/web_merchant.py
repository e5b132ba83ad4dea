"""The web chat's Merchant tab: promo copy and review dashboards behind an API key.

::

    with gr.Tab("Merchant"):
        build_merchant_tab(assistant.merchant, keys=settings.merchant_api_keys)

A merchant types an API key (one of the ``merchant_api_keys`` setting) and unlocks the tools:
a product picker with search, a promo copy form (format, tone, language, variants) that shows
every variant with its fact check (passed, repaired, rejected and why), and a review dashboard
for a product: headline numbers, a bar chart of the aspects reviewers praise and criticise, one
of the sentiment labels, one per month when reviews are dated, and the cached review summary;
and the campaigns (:mod:`ui.web_campaigns`).

Every endpoint (``/merchant_unlock``, ``/merchant_products``, ``/merchant_copy``,
``/merchant_dashboard``) takes the key as its first input and checks it itself, in constant
time, since ``gradio_client`` can call an endpoint without the page; showing the tools after
"Unlock" is only a convenience. With no keys configured the tab only says how to enable it and
no merchant endpoint exists. Deliberately not here: the merchant features themselves
(:class:`assistant.merchant.MerchantDesk`), keeping keys (the settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from assistant.config import is_merchant_key
from assistant.merchant import MerchantError
from tools.promo_copy import FORMATS, TONES
from tools.sentiment import LABELS

if TYPE_CHECKING:
    import pandas as pd

    from assistant.merchant import MerchantDesk

DISABLED = (
    "Merchant features are disabled on this server. To enable them, set one or more API keys "
    "(at least 16 characters each) in `SHOPBOT_MERCHANT_API_KEYS` (comma-separated, or a JSON "
    "list) or `merchant_api_keys` in the config file, and restart `shopbot web`."
)
NO_SUMMARY = (
    "No review summary has been written yet: one is written (and kept) when someone asks about this "
    "product's reviews in the chat, or with `shopbot summarize --product ID`."
)
LANGUAGES = [("English", "en"), ("中文", "zh")]
COPY_HEADERS = ["variant", "copy", "fact check", "problems"]
COLORS = {"positive": "#2e7d32", "negative": "#c62828", "neutral": "#9e9e9e", "mixed": "#f9a825"}


class MerchantTab:
    """The tab's event handlers over one desk and a set of keys (the Gradio app calls them)."""

    def __init__(self, desk: MerchantDesk, keys: Iterable[SecretStr | str]) -> None:
        self.desk = desk
        self._keys = list(keys)

    @property
    def enabled(self) -> bool:
        """Whether any key is configured (without one, no merchant endpoint exists)."""
        return bool(self._keys)

    def check(self, key: str | None) -> None:
        """Raise a shown error unless ``key`` is one of the keys (compared in constant time)."""
        if not is_merchant_key(key, self._keys):
            raise _shown("That merchant API key is not valid.")

    def unlock(self, key: str | None) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Check the key; on success show the tools with the first products to pick from."""
        import gradio as gr

        try:
            self.check(key)
        except gr.Error as error:
            return error.message, gr.update(visible=False), gr.update()
        return "Unlocked.", gr.update(visible=True), self.products(key, "")

    def products(self, key: str | None, query: str | None) -> dict[str, Any]:
        """The product picker's choices for ``query`` (the first products when it is empty)."""
        import gradio as gr

        self.check(key)
        choices = self.desk.product_choices(query or "")
        return gr.update(choices=choices, value=choices[0][1] if choices else None)

    def copy(
        self, key: str | None, product: str | None, format: str, tone: str, lang: str, variants: float
    ) -> pd.DataFrame:
        """Promo copy variants as a table: text, fact check result and the problems found."""
        import pandas as pd

        self.check(key)
        whole = isinstance(variants, int | float) and float(variants).is_integer()
        count = int(variants) if whole else variants  # the slider's 3.0 is 3; the desk refuses the rest
        result = _call(self.desk.promo_copy, product or "", format, tone, lang, count)
        rows = [
            [str(number), variant["text"], _verdict(variant), "; ".join(variant["problems"])]
            for number, variant in enumerate(result["variants"], start=1)
        ]
        return pd.DataFrame(rows, columns=COPY_HEADERS)

    def dashboard(
        self, key: str | None, product: str | None, lang: str
    ) -> tuple[str, pd.DataFrame, pd.DataFrame, dict[str, Any], str, dict[str, Any]]:
        """Headline, aspect chart, label chart, monthly chart (shown when reviews are dated),
        cached summary and all numbers."""
        import gradio as gr
        import pandas as pd

        self.check(key)
        data = _call(self.desk.review_dashboard, product or "", lang)
        aspects = pd.DataFrame(
            [
                {"aspect": row["name"], "sentiment": side, "reviews": row[side]}
                for row in data["aspects"]
                for side in ("positive", "negative", "neutral")
            ],
            columns=["aspect", "sentiment", "reviews"],
        )
        labels = pd.DataFrame(
            [{"label": label, "reviews": count} for label, count in data["labels"].items()],
            columns=["label", "reviews"],
        )
        months = pd.DataFrame(
            [
                {"month": month["month"], "label": label, "reviews": count}
                for month in data["trend"]
                for label, count in month["labels"].items()
            ],
            columns=["month", "label", "reviews"],
        )
        summary = data["summary"]["text"] if data["summary"] else NO_SUMMARY
        monthly = gr.update(value=months, visible=not months.empty)
        return _headline(data), aspects, labels, monthly, summary, data


def build_merchant_tab(desk: MerchantDesk, keys: Iterable[SecretStr | str]) -> None:
    """The tab's components and events, inside the caller's ``gr.Tab``."""
    import gradio as gr

    from ui.web_campaigns import build_campaigns_tab

    tab = MerchantTab(desk, keys)
    if not tab.enabled:
        gr.Markdown(DISABLED, elem_id="merchant-disabled")
        return
    with gr.Row():
        key = gr.Textbox(label="Merchant API key", type="password", scale=4, elem_id="merchant-key")
        unlock = gr.Button("Unlock", scale=1, elem_id="merchant-unlock")
    status = gr.Markdown(elem_id="merchant-status")
    with gr.Column(visible=False, elem_id="merchant-tools") as tools:
        with gr.Row():
            query = gr.Textbox(label="Find a product", placeholder="e.g. duffle bag, or an id", scale=2)
            product = gr.Dropdown(
                label="Product", choices=[], allow_custom_value=True, scale=3, elem_id="merchant-product"
            )
        with gr.Tab("Promo copy"):
            with gr.Row():
                format = gr.Dropdown(list(FORMATS), value="short_description", label="Format")
                tone = gr.Dropdown(list(TONES), value="friendly", label="Tone", allow_custom_value=True)
                copy_lang = gr.Radio(LANGUAGES, value="en", label="Language")
                variants = gr.Slider(1, 5, value=3, step=1, label="Variants")
            write = gr.Button("Write copy", variant="primary", elem_id="merchant-write")
            copies = gr.Dataframe(headers=COPY_HEADERS, label="Copy", wrap=True, interactive=False)
        with gr.Tab("Review dashboard"):
            with gr.Row():
                dash_lang = gr.Radio(LANGUAGES, value="en", label="Language")
                show = gr.Button("Show dashboard", variant="primary", elem_id="merchant-show")
            headline = gr.Markdown(elem_id="merchant-headline")
            with gr.Row():
                aspects = gr.BarPlot(x="aspect", y="reviews", color="sentiment", color_map=COLORS, sort="-y",
                                     title="Aspects: reviews praising / criticising", elem_id="merchant-aspects")  # fmt: skip
                labels = gr.BarPlot(x="label", y="reviews", color="label", color_map=COLORS, sort=list(LABELS),
                                    title="Sentiment of the reviews", elem_id="merchant-labels")  # fmt: skip
            months = gr.BarPlot(x="month", y="reviews", color="label", color_map=COLORS, visible=False,
                                title="Reviews per month (dated reviews)")  # fmt: skip
            summary = gr.Textbox(label="Review summary (cached)", interactive=False, lines=3)
            with gr.Accordion("All numbers", open=False):
                numbers = gr.JSON(label="Dashboard data")
        build_campaigns_tab(desk.campaigns, tab.check, key)
    unlocked: dict[str, Any] = {"fn": tab.unlock, "inputs": key, "outputs": [status, tools, product]}
    unlock.click(**unlocked, api_name="merchant_unlock")
    key.submit(**unlocked, api_visibility="private")
    query.submit(tab.products, inputs=[key, query], outputs=product, api_name="merchant_products")
    write.click(tab.copy, inputs=[key, product, format, tone, copy_lang, variants], outputs=copies,
                api_name="merchant_copy")  # fmt: skip
    show.click(tab.dashboard, inputs=[key, product, dash_lang],
               outputs=[headline, aspects, labels, months, summary, numbers], api_name="merchant_dashboard")  # fmt: skip


def _call(method: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    try:
        return method(*args)
    except MerchantError as error:
        raise _shown(str(error)) from None


def _shown(message: str) -> Exception:
    import gradio as gr

    return gr.Error(message, print_exception=False)


def _verdict(variant: dict[str, Any]) -> str:
    if not variant["ok"]:
        return "rejected"
    return "repaired (unsupported parts removed)" if variant["repaired"] else "passed"


def _headline(data: dict[str, Any]) -> str:
    title = _escape(f"{data['title']} ({data['product_id']})")
    if not data["reviews"]:
        return f"**{title}**: no reviews yet."
    rating = f", average rating {data['average_rating']:.2f}/5" if data["average_rating"] is not None else ""
    dated = f", {data['undated']} undated" if data["trend"] and data["undated"] else ""
    return f"**{title}**: {data['reviews']} reviews{rating}, mean sentiment {data['mean_score']:+.2f}{dated}."


def _escape(text: str) -> str:
    """Catalog text as literal Markdown: HTML and Markdown punctuation escaped."""
    import html

    return "".join(f"\\{char}" if char in "\\`*_{}[]()#+-.!|<>~" else char for char in html.escape(text))
