"""The Merchant tab's Campaigns section: saved campaigns, a form to create or edit one, their copy.

::

    with gr.Column():  # the Merchant tab's unlocked tools
        build_campaigns_tab(assistant.merchant.campaigns, tab.check, key)

A merchant lists the saved campaigns (dates, upcoming/running/ended, offer, channels, variants
written, how many passed), picks one to fill the form, edits and saves it (or a new one),
writes its copy a few variants per click (each click goes on where the last stopped), reads
the copy with its fact check per product, channel and segment, edits a variant and has it
checked again, downloads the CSV and JSONL, and deletes a campaign (only with "Yes, delete
<name>" ticked; its copy files are set aside, not deleted).

Every endpoint (``/campaign_list``, ``/campaign_pick``, ``/campaign_save``, ``/campaign_write``,
``/campaign_copy``, ``/campaign_variant``, ``/campaign_check``, ``/campaign_delete``) takes the
merchant key first and checks it itself, as the rest of the tab does (:mod:`ui.web_merchant`). Without a campaign desk
the tab only says so and no campaign endpoint exists. Deliberately not here: checking campaigns
and copy (:class:`tools.campaign_desk.CampaignDesk`), the form's fields (:mod:`ui.web_campaign_form`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.campaign import Campaign, CampaignError, parse_campaign
from tools.campaign_terms import offer_text
from tools.channel_formats import load_formats
from ui.web_campaign_form import FORM, build_form, form_blank, form_data, form_values
from ui.web_merchant import _escape, _shown

if TYPE_CHECKING:
    import pandas as pd

    from tools.campaign_desk import CampaignDesk

UNAVAILABLE = "Campaigns are not available on this server: it has no data directory to keep them in."
LIST_HEADERS = ["campaign", "dates", "state", "offer", "channels", "products", "variants written", "passed",
                "rejected"]  # fmt: skip
COPY_HEADERS = ["product", "channel", "segment", "verdict", "problems", "text"]
VERDICTS = {"ok": "passed", "repaired": "repaired", "rejected": "rejected", "error": "error"}
MAX_PER_CLICK = 500


class CampaignsSection:
    """The section's event handlers over one campaign desk; ``check`` refuses a wrong key."""

    def __init__(self, desk: CampaignDesk, check: Callable[[str | None], None]) -> None:
        self.desk = desk
        self.check = check

    def listing(self, key: str | None) -> tuple[pd.DataFrame, dict[str, Any], str]:
        """The saved campaigns' table, the campaign picker's choices, and files that cannot be read."""
        self.check(key)
        return (*self._listing(), self._unreadable())

    def pick(self, key: str | None, name: str | None) -> list[Any]:
        """The picked campaign in the form, and its copy (nothing changes when none is picked)."""
        import gradio as gr

        self.check(key)
        if not (name or "").strip():
            return [gr.update()] * (len(FORM) + 6)
        campaign = self._campaign(name)
        confirm = gr.update(value=False, label=f"Yes, delete {campaign.name}")
        return [*form_values(campaign), *self._view(campaign), confirm]

    def save(self, key: str | None, *values: Any) -> tuple[str, pd.DataFrame, dict[str, Any]]:
        """Check the form's campaign and save it (replacing one of that name); the list again."""
        self.check(key)
        data = _call(form_data, dict(zip(FORM, values, strict=True)))
        campaign = _call(parse_campaign, data, "form")
        replaced = _call(self.desk.save, campaign)
        status = f"{'Updated' if replaced else 'Saved'} campaign {_escape(campaign.name)}."
        return status, *self._listing(campaign.name)

    def delete(self, key: str | None, name: str | None, confirmed: bool | None) -> list[Any]:
        """Delete the picked campaign once the merchant has ticked "Yes, delete <name>" (its copy
        files are set aside, not deleted); the status, the list with none picked, a blank form,
        an empty copy view and the confirmation unticked."""
        import gradio as gr
        import pandas as pd

        self.check(key)
        campaign = self._campaign(name)
        if confirmed is not True:
            raise _shown(f"Tick 'Yes, delete {campaign.name}' first to delete it: nothing was deleted.")
        had_copy = any(path.exists() for path in self.desk.files(campaign))
        _call(self.desk.delete, campaign.name)
        kept = " Its copy files were kept aside (renamed), not deleted." if had_copy else ""
        table, _ = self._listing()
        names = [c.name for c in self.desk.campaigns()[0]]
        view = ["", pd.DataFrame(columns=COPY_HEADERS), gr.update(choices=[("All channels", "")], value=""),
                gr.update(choices=[], value=None), None]  # fmt: skip
        confirm = gr.update(value=False, label="Yes, delete the picked campaign")
        return [f"Deleted campaign {_escape(campaign.name)}.{kept}", table,
                gr.update(choices=names, value=None), *form_blank(), *view, "", "", confirm]  # fmt: skip

    def write(self, key: str | None, name: str | None, limit: float | None) -> list[Any]:
        """Write up to ``limit`` more variants; the copy, how many are left, and the list again."""
        self.check(key)
        campaign = self._campaign(name)
        run = _call(self.desk.run, campaign.name, limit=_limit(limit), progress=True)
        failed = run.summary.failed
        note = f" {failed} could not be written this time; the next click tries them again." if failed else ""
        return [*self._view(campaign, note), self._listing()[0]]

    def copies(self, key: str | None, name: str | None, channel: str | None) -> pd.DataFrame:
        """The campaign's copy table, of one channel (all when ``channel`` is empty)."""
        self.check(key)
        return self._table(self._campaign(name), channel)

    def variant(self, key: str | None, name: str | None, choice: str | None) -> tuple[str, str]:
        """The picked variant's parts (as JSON to edit) and its fact check."""
        self.check(key)
        if not choice:
            return "", ""
        row = self._row(self._campaign(name), choice)
        return _parts_text(row), _verdict_text(row)

    def recheck(
        self, key: str | None, name: str | None, choice: str | None, text: str | None, channel: str | None
    ) -> tuple[str, str, pd.DataFrame, pd.DataFrame]:
        """Check the merchant's text of a variant again and keep it: its verdict, its parts as
        delivered, the copy table (of ``channel``) and the list again."""
        self.check(key)
        campaign = self._campaign(name)
        old = self._row(campaign, choice)
        parts = _parts(text, old["channel"])
        row = _call(self.desk.edit, campaign.name, old["product_id"], old["channel"], old["segment"], parts)
        return _verdict_text(row), _parts_text(row), self._table(campaign, channel), self._listing()[0]

    def _campaign(self, name: str | None) -> Campaign:
        if not (name or "").strip():
            raise _shown("Pick a saved campaign first.")
        return _call(self.desk.get, name)

    def _row(self, campaign: Campaign, choice: str | None) -> dict[str, Any]:
        try:
            wanted = tuple(json.loads(choice or ""))
        except (json.JSONDecodeError, TypeError):
            raise _shown("Pick a variant first.") from None
        for row in self.desk.rows(campaign.name):
            if (row["product_id"], row["channel"], row["segment"]) == wanted:
                return row
        raise _shown(f"Campaign {campaign.name!r} has no such variant; write its copy first.")

    def _listing(self, picked: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
        import gradio as gr
        import pandas as pd

        campaigns, _ = self.desk.campaigns()
        table = pd.DataFrame([self._summary(c) for c in campaigns], columns=LIST_HEADERS)
        names = [c.name for c in campaigns]
        return table, gr.update(choices=names) if picked is None else gr.update(choices=names, value=picked)

    def _unreadable(self) -> str:
        problems = "; ".join(map(_escape, self.desk.campaigns()[1]))
        return f"Saved campaign files that cannot be read: {problems}" if problems else ""

    def _summary(self, campaign: Campaign) -> list[Any]:
        rows = self.desk.rows(campaign.name)
        verdicts = Counter(row["verdict"] for row in rows)
        written, total = self.desk.progress(campaign, rows)
        return [campaign.name, f"{campaign.start} to {campaign.end}", self.desk.state(campaign),
                offer_text(campaign.offer, "en"), ", ".join(campaign.channels),
                len(self.desk.products(campaign)[0]), f"{written}/{total}",
                verdicts["ok"] + verdicts["repaired"], verdicts["rejected"]]  # fmt: skip

    def _view(self, campaign: Campaign, note: str = "") -> list[Any]:
        """Progress line, copy table, channel filter, variant picker and downloads."""
        import gradio as gr

        rows = self.desk.rows(campaign.name)
        done, total = self.desk.progress(campaign, rows)
        if not done:
            progress = f"No copy written yet: {total} variants to write (products x channels x segments)."
        elif done < total:
            progress = (
                f"{done} of {total} variants written; {total - done} left — click Write copy to continue."
            )
        else:
            progress = f"All {total} variants written."
        variants = [(_variant_label(row), json.dumps([row["product_id"], row["channel"], row["segment"]]))
                    for row in rows]  # fmt: skip
        return [progress + note, self._table(campaign, None),
                gr.update(choices=[("All channels", ""), *campaign.channels], value=""),
                gr.update(choices=variants, value=None), self._downloads(campaign)]  # fmt: skip

    def _table(self, campaign: Campaign, channel: str | None) -> pd.DataFrame:
        import pandas as pd

        rows = [row for row in self.desk.rows(campaign.name) if not channel or row["channel"] == channel]
        return pd.DataFrame([_copy_row(row) for row in rows], columns=COPY_HEADERS)

    def _downloads(self, campaign: Campaign) -> list[str] | None:
        jsonl, table = self.desk.files(campaign)
        return [str(_servable(path)) for path in (table, jsonl) if path.exists()] or None


def build_campaigns_tab(desk: CampaignDesk | None, check: Callable[[str | None], None], key: Any) -> None:
    """The Campaigns tab, inside the caller's unlocked tools; ``key`` is the merchant key box."""
    import gradio as gr

    with gr.Tab("Campaigns", elem_id="merchant-campaigns") as tab:
        if desk is None:
            gr.Markdown(UNAVAILABLE, elem_id="campaigns-unavailable")
            return
        section = CampaignsSection(desk, check)
        status = gr.Markdown(elem_id="campaigns-status")
        campaigns = gr.Dataframe(headers=LIST_HEADERS, label="Saved campaigns", wrap=True, interactive=False,
                                 elem_id="campaigns-list")  # fmt: skip
        picked = gr.Dropdown(label="Campaign", choices=[], elem_id="campaigns-picked")
        with gr.Row():
            confirm = gr.Checkbox(False, label="Yes, delete the picked campaign", elem_id="campaigns-confirm")
            delete = gr.Button("Delete campaign", variant="stop", elem_id="campaigns-delete")
        with gr.Accordion("Create or edit a campaign", open=True):
            form = build_form()
            save = gr.Button("Save campaign", variant="primary", elem_id="campaigns-save")
        with gr.Row():
            limit = gr.Number(10, label="Variants per click", minimum=1, maximum=MAX_PER_CLICK, precision=0,
                              elem_id="campaigns-limit")  # fmt: skip
            write = gr.Button("Write copy", variant="primary", elem_id="campaigns-write")
        progress = gr.Markdown(elem_id="campaigns-progress")
        channel = gr.Dropdown([("All channels", "")], value="", label="Channel", elem_id="campaigns-channel")
        copies = gr.Dataframe(headers=COPY_HEADERS, label="Copy", wrap=True, interactive=False,
                              elem_id="campaigns-copy")  # fmt: skip
        files = gr.File(label="Download (CSV, JSONL)", file_count="multiple", interactive=False,
                        elem_id="campaigns-files")  # fmt: skip
        with gr.Accordion("Edit a variant", open=False, elem_id="campaigns-edit"):
            variant = gr.Dropdown(label="Variant", choices=[], elem_id="campaigns-variant")
            parts = gr.Textbox(label="Parts (JSON: part name -> text)", lines=8, elem_id="campaigns-parts")
            recheck = gr.Button("Check again", elem_id="campaigns-recheck")
            verdict = gr.Textbox(label="Fact check", interactive=False, lines=2, elem_id="campaigns-verdict")

    tracked = gr.Progress(track_tqdm=True)  # Gradio shows the run's progress bar

    def write_copy(key: str | None, name: str | None, limit: float | None, _: Any = tracked) -> list[Any]:
        return section.write(key, name, limit)

    # Events whose errors are the merchant's to fix show no progress: Gradio would leave an "Error"
    # cover over each output (the picker, the parts box) until it is closed.
    view = [progress, copies, channel, variant, files]
    tab.select(section.listing, inputs=key, outputs=[campaigns, picked, status], api_name="campaign_list")
    picked.change(
        section.pick, inputs=[key, picked], outputs=[*form, *view, confirm], api_name="campaign_pick"
    )
    delete.click(section.delete, inputs=[key, picked, confirm],
                 outputs=[status, campaigns, picked, *form, *view, parts, verdict, confirm],
                 api_name="campaign_delete", show_progress="hidden")  # fmt: skip
    save.click(
        section.save,
        inputs=[key, *form],
        outputs=[status, campaigns, picked],
        api_name="campaign_save",
        show_progress="hidden",
    )
    write.click(
        write_copy, inputs=[key, picked, limit], outputs=[*view, campaigns], api_name="campaign_write"
    )
    channel.change(section.copies, inputs=[key, picked, channel], outputs=copies, api_name="campaign_copy")
    variant.change(section.variant, inputs=[key, picked, variant], outputs=[parts, verdict],
                   api_name="campaign_variant")  # fmt: skip
    recheck.click(section.recheck, inputs=[key, picked, variant, parts, channel],
                  outputs=[verdict, parts, copies, campaigns], api_name="campaign_check",
                  show_progress="hidden")  # fmt: skip


def _limit(value: float | None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not float(value).is_integer()
        or not 1 <= value <= MAX_PER_CLICK
    ):
        raise _shown(f"Variants per click must be a whole number from 1 to {MAX_PER_CLICK}.")
    return int(value)


def _parts(text: str | None, channel: str) -> dict[str, str]:
    """The merchant's edited parts: one JSON object of this channel's part names and texts."""
    names = [part.name for part in load_formats()[channel].parts]
    example = f"one JSON object of this channel's parts and their texts ({', '.join(names)})"
    try:
        parts = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise _shown(f"The parts must be {example}: {error}") from None
    if not isinstance(parts, dict) or not all(isinstance(value, str) for value in parts.values()):
        raise _shown(f"The parts must be {example}, each text a string.")
    if unknown := [name for name in parts if name not in names]:
        raise _shown(f"A {channel} variant has no part {unknown[0]!r}; its parts are {', '.join(names)}.")
    return parts


def _parts_text(row: dict[str, Any]) -> str:
    names = [part.name for part in load_formats()[row["channel"]].parts]
    return json.dumps({name: row["parts"].get(name, "") for name in names}, ensure_ascii=False, indent=2)


def _verdict_text(row: dict[str, Any]) -> str:
    verdict = VERDICTS.get(row["verdict"], row["verdict"])
    return f"{verdict}: {'; '.join(row['problems'])}" if row["problems"] else verdict


def _copy_row(row: dict[str, Any]) -> list[str]:
    verdict = VERDICTS.get(row["verdict"], row["verdict"]) + (" (edited)" if row.get("edited") else "")
    text = "\n".join(f"{part}: {value}" for part, value in row["parts"].items())
    return [f"{row['title']} ({row['product_id']})", row["channel"], row["segment"] or "everyone", verdict,
            "; ".join(row["problems"]), text]  # fmt: skip


def _variant_label(row: dict[str, Any]) -> str:
    return f"{row['title']} ({row['product_id']}) · {row['channel']} · {row['segment'] or 'everyone'}"


def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except CampaignError as error:
        raise _shown(str(error)) from None


def _servable(path: Path) -> Path:
    """A copy of ``path`` in the system's temporary directory, which Gradio serves files from
    (the data directory is not one of its allowed paths); one per file, replaced atomically."""
    digest = hashlib.sha256(bytes(path.parent)).hexdigest()[:8]  # two servers' campaigns kept apart
    folder = Path(tempfile.gettempdir()) / f"shopbot-campaigns-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".copy-")
    os.close(fd)
    shutil.copyfile(path, temporary)
    os.replace(temporary, folder / path.name)
    return folder / path.name
