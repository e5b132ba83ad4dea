"""Saved campaigns: one JSON file per campaign in ``<data_dir>/campaigns``.

A saved file is the campaign as :func:`tools.campaign.load_campaign` reads it, so it can be
copied out, edited and saved again. Saving a campaign under a name already saved replaces it
(that is how a campaign is edited). Writes are atomic (a temporary file, then
``os.replace``): a reader sees the old campaign or the new one. Names are matched without
regard to case; the file name is a readable slug of the name plus a short hash, so names in
any script (双十一) get a safe, unique file.

Deliberately not here: running campaigns, their copy (the batch files go where ``--out`` says).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from tools.campaign import Campaign, CampaignError, load_campaign


def slug(name: str) -> str:
    """A file-safe, unique stem for a campaign name: ``singles-day-3f2a1c``."""
    folded = name.strip().casefold()  # "STRASSE" and "Straße" are one name
    readable = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40] or "campaign"
    digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()[:6]
    return f"{readable}-{digest}"


class CampaignStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / f"{slug(name)}.json"

    def save(self, campaign: Campaign) -> tuple[Path, bool]:
        """Write ``campaign``; the file and whether it replaced a saved one of that name."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(campaign.name)
        replaced = path.exists()
        temporary = path.with_name(f".{path.name}.tmp")
        text = json.dumps(campaign.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
        with temporary.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        return path, replaced

    def get(self, name: str) -> Campaign | None:
        """The saved campaign named ``name`` (any case), or None."""
        path = self.path(name)
        return load_campaign(path) if path.exists() else None

    def all(self) -> tuple[list[Campaign], list[str]]:
        """Every saved campaign (by start date, then name) and the problems of unreadable files."""
        campaigns, problems = [], []
        for path in sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []:
            try:
                campaigns.append(load_campaign(path))
            except CampaignError as error:
                problems.append(str(error))
        return sorted(campaigns, key=lambda c: (c.start, c.name.casefold())), problems

    def delete(self, name: str) -> bool:
        """Remove the saved campaign named ``name``; False when there is none."""
        path = self.path(name)
        if not path.exists():
            return False
        path.unlink()
        return True
