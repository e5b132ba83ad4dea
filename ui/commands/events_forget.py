"""`shopbot events forget WHO`: delete what was recorded about a customer or a session.

``WHO`` is a store customer id (``12583``: ``customer:12583`` and every channel linked to it) or
a session id (``telegram:42``, ``web:abc``). Removes their events, links and link codes; the
next ``shopbot recommend train`` learns without them. A shopper can ask the same in the chat
("forget me").
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("who", help="customer id, or session id such as telegram:42")


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.loading import open_behaviour
    from index.event_store import customer_key

    who = args.who.strip()
    shopper = who if ":" in who else customer_key(who)
    removed = open_behaviour(load_settings()).store.purge(shopper)
    print(f"{shopper}: {removed} events removed, with its links. Retrain to forget it in the model: "
          "shopbot recommend train")  # fmt: skip
    return 0
