"""`shopbot campaign`: save, list, show, run and delete marketing campaigns.

``shopbot campaign save FILE`` checks a campaign file (TOML or JSON, see docs/campaigns.md)
and saves it in the data dir (saving a campaign of the same name again replaces it);
``list`` shows the saved ones; ``show NAME`` prints one as JSON; ``delete NAME`` removes it.

``shopbot campaign run FILE_OR_NAME --out DIR [--index DIR]`` writes the campaign's copy, one
row per product, channel and variant, into ``DIR/<campaign>.jsonl`` and a CSV beside it, with
a progress bar (:func:`tools.campaign_batch.write_campaign_batch`), then prints a summary.
The same command resumes after an interruption: finished rows are kept, failed ones retried.
A campaign that has ended is refused. Exit status: 0 when some variant passed the fact check
(or all were done already), 1 when none did or the campaign cannot run, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings
    from tools.campaign import Campaign
    from tools.campaign_store import CampaignStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    save = actions.add_parser("save", help="check a campaign file (TOML/JSON) and save it in the data dir")
    save.add_argument("file", type=Path)
    actions.add_parser("list", help="the saved campaigns")
    show = actions.add_parser("show", help="one saved campaign, as JSON")
    show.add_argument("name")
    delete = actions.add_parser("delete", help="remove a saved campaign")
    delete.add_argument("name")
    run = actions.add_parser("run", help="write the campaign's copy for every product, channel and variant")
    run.add_argument("campaign", metavar="FILE_OR_NAME", help="a campaign file or the name of a saved one")
    run.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the JSONL and CSV go")
    run.add_argument("--index", type=Path, help="index directory (default: the demo index in the data dir)")
    run.add_argument("--json", action="store_true", help="machine-readable summary")
    for sub in (save, run):  # rehearsals and tests check the dates against another day
        sub.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from tools.campaign import CampaignError
    from tools.campaign_store import CampaignStore

    settings = load_settings()
    store = CampaignStore(settings.data_dir / "campaigns")
    try:
        if args.action == "save":
            return _save(args, store)
        if args.action == "list":
            return _list(store)
        if args.action == "show":
            campaign = store.get(args.name)
            if campaign is None:
                return _no_campaign(args.name, store)
            print(json.dumps(campaign.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return 0
        if args.action == "delete":
            if not store.delete(args.name):
                return _no_campaign(args.name, store)
            print(f"deleted campaign {args.name!r}")
            return 0
        return _run(args, store, settings)
    except CampaignError as error:
        print(f"shopbot campaign: {error}", file=sys.stderr)
        return 1


def _save(args: argparse.Namespace, store: CampaignStore) -> int:
    from tools.campaign import ensure_current, load_campaign

    campaign = load_campaign(args.file)
    ensure_current(campaign, args.today or date.today(), args.file.name)
    path, replaced = store.save(campaign)
    print(f"{'updated' if replaced else 'saved'} campaign {campaign.name!r} in {path}")
    return 0


def _list(store: CampaignStore) -> int:
    campaigns, problems = store.all()
    for problem in problems:
        print(f"shopbot campaign: {problem}", file=sys.stderr)
    if not campaigns:
        print(f"no saved campaigns in {store.directory}")
    today = date.today()
    for c in campaigns:
        print(
            f"{c.name}  {c.start} to {c.end}  ({c.state(today)})  {c.offer.kind}  channels: {', '.join(c.channels)}"
        )
    return 0


def _no_campaign(name: str, store: CampaignStore) -> int:
    print(f"shopbot campaign: no saved campaign {name!r} in {store.directory}", file=sys.stderr)
    return 1


def _campaign(reference: str, store: CampaignStore) -> tuple[Campaign, str] | None:
    from tools.campaign import load_campaign

    path = Path(reference)
    if path.is_file():
        return load_campaign(path), path.name
    campaign = store.get(reference)
    return None if campaign is None else (campaign, reference)


def _run(args: argparse.Namespace, store: CampaignStore, settings: Settings) -> int:
    from assistant.loading import texts_cache_path, texts_model_name
    from assistant.models.loader import load_chat_model
    from tools.campaign import ensure_current, select_products
    from tools.campaign_batch import CampaignBatchError, write_campaign_batch, write_csv
    from tools.campaign_store import slug
    from tools.text_cache import TextCache
    from ui.commands import open_index

    found = _campaign(args.campaign, store)
    if found is None:
        print(f"shopbot campaign: no file and no saved campaign {args.campaign!r}", file=sys.stderr)
        return 2
    campaign, source = found
    ensure_current(campaign, args.today or date.today(), source)
    index = open_index("campaign", args.index, settings)
    if index is None:
        return 1
    with index:
        products, missing = select_products(campaign, index)
        for product_id in missing:
            print(f"shopbot campaign: no product {product_id!r} in {index.directory}", file=sys.stderr)
        if not products:
            print(
                f"shopbot campaign: {source}: products: nothing in {index.directory} matches", file=sys.stderr
            )
            return 1
        out = args.out / f"{slug(campaign.name)}.jsonl"
        try:
            summary = write_campaign_batch(
                campaign,
                products,
                lambda: load_chat_model(settings, progress=not args.json),
                out,
                text_cache=TextCache(texts_cache_path(settings)),
                model_name=texts_model_name(settings),
                total=len(products),
                progress=not args.json,
            )
        except CampaignBatchError as error:
            print(f"shopbot campaign: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(
                f"\nshopbot campaign: interrupted; run the same command again to resume {out}",
                file=sys.stderr,
            )
            return 130
    table = out.with_suffix(".csv")
    write_csv(out, table)
    if args.json:
        print(json.dumps({"out": str(out), "csv": str(table), **asdict(summary)}))
    else:
        print(
            f"{out}: {summary.written} variants written ({summary.ok} ok, {summary.repaired} repaired, "
            f"{summary.rejected} rejected; {summary.cached} from the cache), {summary.skipped} already "
            f"there, {summary.failed} failed; table: {table}"
        )
        if summary.p50_seconds is not None:
            print(f"seconds per variant: {summary.p50_seconds} (p50), {summary.p95_seconds} (p95)")
    passed = summary.ok + summary.repaired
    return 0 if passed or not (summary.written or summary.failed) else 1
