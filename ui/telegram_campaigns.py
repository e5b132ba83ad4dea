"""What the Telegram bot's ``/campaign`` shows: the saved campaigns, one campaign's summary,
a sample variant and its copy files (:mod:`ui.telegram_bot` sends them).

These read the campaign files, so the bot calls them in a worker thread. Text comes from the
bot's per-language messages (``texts``: one language's table).

Deliberately not here: sending, who is a merchant, running the model (the bot's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.campaign import Campaign, CampaignError
from tools.campaign_terms import offer_text
from ui.telegram_rules import utf16_len

if TYPE_CHECKING:
    from tools.campaign_desk import CampaignDesk, CampaignRun

SAMPLE_PART = 500  # characters of each part of the sample variant shown
MAX_UPLOAD = 50 * 1024 * 1024  # the largest file a bot may send
_RUN_WORDS = ("run", "运行")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "「": "」", "«": "»"}
_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})  # phones curl quotes


@dataclass(frozen=True)
class CampaignReport:
    text: str  # plain text, escaped when sent
    files: list[tuple[str, bytes, str]]  # (file name, bytes, caption) of each document to send


def find_campaign(desk: CampaignDesk, asked: str) -> tuple[Campaign, bool]:
    """The campaign ``asked`` names, and whether it ends in "run" (a campaign whose own name
    ends in "run" is found too); quotes around the name and curly apostrophes are allowed."""
    head, _, last = asked.rpartition(" ")
    tries = (
        [(head, True), (asked, False)] if head.strip() and last.lower() in _RUN_WORDS else [(asked, False)]
    )
    error: CampaignError | None = None
    for name, run in tries:
        for candidate in dict.fromkeys([_unquoted(name), _unquoted(name.translate(_STRAIGHT))]):
            try:
                return desk.get(candidate), run
            except CampaignError as missing:
                error = error or missing
    assert error is not None
    raise error


def _unquoted(name: str) -> str:
    name = name.strip()
    if len(name) > 1 and _QUOTES.get(name[0]) == name[-1]:
        return name[1:-1].strip()
    return name


def variants_left(desk: CampaignDesk, campaign: Campaign) -> int:
    done, total = desk.progress(campaign)
    return total - done


def campaign_list(desk: CampaignDesk, texts: Mapping[str, str], batch: int) -> str:
    """The saved campaigns, a line each, and how to see one."""
    campaigns, problems = desk.campaigns()
    unreadable = [texts["campaign_unreadable"].format(problem=problem) for problem in problems]
    if not campaigns:
        return _clip("\n".join([texts["campaign_none"], *unreadable]))
    lines = []
    for c in campaigns:
        done, total = desk.progress(c)
        lines.append(texts["campaign_line"].format(
            name=c.name, start=c.start, end=c.end, state=texts[f"state_{desk.state(c)}"],
            channels=", ".join(c.channels), done=done, total=total,
        ))  # fmt: skip
    usage = texts["campaign_usage"].format(n=batch)
    return _clip("\n".join([texts["campaigns"], *lines, *unreadable, "", usage]))


def campaign_report(
    desk: CampaignDesk,
    campaign: Campaign,
    lang: str,
    texts: Mapping[str, str],
    batch: int,
    run: CampaignRun | None,
) -> CampaignReport:
    """The summary of ``campaign`` (with what ``run`` did), a sample variant and its files."""
    rows = desk.rows(campaign.name)
    verdicts = [row["verdict"] for row in rows]
    done, total = desk.progress(campaign, rows)
    lines = (
        [texts["campaign_wrote"].format(written=run.summary.written, failed=run.summary.failed)]
        if run
        else []
    )
    lines.append(texts["campaign_head"].format(
        name=campaign.name, offer=offer_text(campaign.offer, lang), start=campaign.start, end=campaign.end,
        state=texts[f"state_{desk.state(campaign)}"], channels=", ".join(campaign.channels), done=done,
        total=total, ok=verdicts.count("ok"), repaired=verdicts.count("repaired"),
        rejected=verdicts.count("rejected"),
    ))  # fmt: skip
    if verdicts.count("error"):
        lines.append(texts["campaign_errors"].format(n=verdicts.count("error")))
    if not done:
        lines += ["", texts["campaign_no_copy"].format(name=campaign.name, n=batch)]
        return CampaignReport(_clip("\n".join(lines)), [])
    sample = next((row for row in rows if row["verdict"] in ("ok", "repaired")), None)
    if sample is None:
        lines += ["", texts["campaign_no_sample"]]
    else:
        segment = f"{texts['list_separator']}{sample['segment']}" if sample["segment"] else ""
        lines += [
            "",
            texts["campaign_sample"].format(
                channel=sample["channel"], title=sample["title"], segment=segment
            ),
        ]
        lines += [f"{part}: {_cut(str(text))}" for part, text in sample["parts"].items() if text]
    left = total - done
    lines += ["", texts["campaign_left"].format(left=left, name=campaign.name, n=batch) if left > 0
              else texts["campaign_complete"]]  # fmt: skip
    files: list[tuple[str, bytes, str]] = []
    for path, caption in zip(desk.files(campaign)[::-1], ("campaign_csv", "campaign_jsonl"), strict=True):
        if not path.exists():
            continue
        size = path.stat().st_size
        if size > MAX_UPLOAD:
            lines.append(texts["campaign_too_big"].format(file=path.name, size=round(size / 2**20)))
            continue
        files.append((path.name, path.read_bytes(), texts[caption].format(name=campaign.name)))
    return CampaignReport(_clip("\n".join(lines)), files)


def _cut(text: str, limit: int = SAMPLE_PART) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clip(text: str, limit: int = 4000) -> str:
    """``text`` within a Telegram message's limit (4,096 UTF-16 units, with room to spare)."""
    if utf16_len(text) <= limit:
        return text
    while utf16_len(text) > limit - 1:
        text = text[: len(text) - (utf16_len(text) - limit) - 1]
    return text + "…"
