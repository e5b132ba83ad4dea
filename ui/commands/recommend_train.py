"""`shopbot recommend train`: learn "for you", "bought together" and "goes with" from the events.

Reads every stored event (``shopbot events import``, and what the channels recorded live),
trains the recommender (:mod:`index.recommender`) and swaps it into ``<data_dir>/recommender``
atomically: a running server picks it up on its next recommendation, and a failed training
leaves the previous model in place. A running server also retrains on its own every
``recommend_retrain_hours``.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import resource

    from assistant.config import load_settings
    from assistant.loading import open_behaviour

    behaviour = open_behaviour(load_settings())
    if behaviour.store.count() == 0:
        print("no events stored yet: import a store's orders first (shopbot events import FILE)")
        return 1
    report = behaviour.train(progress=not args.no_progress)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"trained on {report.events} events in {report.seconds:.1f} s (peak memory {peak:.0f} MB); "
          f"model in {report.directory}")  # fmt: skip
    return 0
