"""The recommender on small hand-made stores: baskets, live history, returns, filters, files, metrics."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from index.events import Event
from index.interactions import history_row
from index.recommend_eval import (
    basket_cases,
    bootstrap_difference,
    ndcg_at,
    recall_at,
    shopper_cases,
    split_events,
)
from index.recommender import Recommender, RecommenderNotFoundError, same_kind_by_title

START = datetime(2024, 1, 1, tzinfo=UTC)
CAMPING = ["tent", "stakes", "lamp", "tent2"]  # tent2 is another tent: a substitute
KITCHEN = ["mug", "kettle", "tea"]
TYPES = {"tent": "tent", "tent2": "tent", "stakes": "stakes", "lamp": "lamp",
         "mug": "mug", "kettle": "kettle", "tea": "tea"}  # fmt: skip


def event(shopper: str | None, product: str, kind: str = "purchase", day: int = 0, quantity: float = 1.0,
          order: str | None = None) -> Event:  # fmt: skip
    return Event(shopper, product, kind, START + timedelta(days=day), quantity, order)  # type: ignore[arg-type]


def store() -> list[Event]:
    """Six campers and six tea drinkers; tents come with stakes (8 baskets) more than with tent2 (2)."""
    events: list[Event] = []
    for n in range(6):
        camper, drinker = f"c{n}", f"d{n}"
        events += [event(camper, p, day=n, order=f"A{n}") for p in ("tent", "stakes", "lamp")]
        events += [event(drinker, p, day=n, order=f"B{n}") for p in ("mug", "kettle", "tea")]
    events += [event(None, p, day=7, order="anon1") for p in ("tent", "stakes")]
    events += [event(None, p, day=8, order="anon2") for p in ("tent", "stakes")]
    events += [event("c0", p, day=9, order="A9") for p in ("tent", "tent2")]
    events += [event("c1", p, day=9, order="A10") for p in ("tent", "tent2", "lamp")]
    events += [event("d0", "mug", day=10, order="B9")]
    return events


@pytest.fixture(scope="module")
def model() -> Recommender:
    return Recommender.train(store(), factors=4, num_threads=1, seed=7)


def ids(suggestions: list) -> list[str]:
    return [s.product_id for s in suggestions]


def test_bought_together_puts_the_most_co_purchased_item_first(model: Recommender) -> None:
    together = model.bought_together("tent", k=3)
    assert together[0].product_id == "stakes"
    assert together[0].reason.kind == "bought_with" and together[0].reason.because == "tent"
    assert together[0].reason.count == 8  # A0..A5 and two anonymous baskets
    assert set(ids(together)) == {"stakes", "lamp", "tent2"}  # only products really bought with it
    assert model.bought_together("unknown", k=3) == []


def test_goes_with_leaves_out_substitutes(model: Recommender) -> None:
    assert "tent2" in ids(model.bought_together("tent", k=5))
    complements = model.goes_with("tent", k=5, type_of=TYPES.get)
    assert ids(complements)[:2] == ["stakes", "lamp"] and "tent2" not in ids(complements)
    titles = {"tent": "ALARM CLOCK BAKELIKE PINK", "tent2": "ALARM CLOCK BAKELIKE RED", "stakes": "CAKE TINS SET",
              "lamp": "PACK OF 72 RETROSPOT CAKE CASES"}  # fmt: skip
    by_title = model.goes_with("tent", k=5, type_of=lambda _: None, title_of=titles.get)
    assert "tent2" not in ids(by_title) and {"stakes", "lamp"} <= set(ids(by_title))


def test_same_kind_by_title() -> None:
    assert same_kind_by_title("JUMBO BAG RED RETROSPOT", "JUMBO BAG PINK POLKADOT")  # 2 of 4 words
    assert not same_kind_by_title("SET OF 3 CAKE TINS PANTRY DESIGN", "PACK OF 72 RETROSPOT CAKE CASES")
    assert not same_kind_by_title("", "MUG")


def test_a_new_shopper_gets_popularity(model: Recommender) -> None:
    cold = model.for_you([], k=3)
    assert cold == model.popular(k=3)
    assert cold[0].product_id == "tent" and cold[0].reason.kind == "popular" and cold[0].reason.count == 10
    unknown_only = model.for_you([event("new", "not-in-training", "click")], k=3)
    assert ids(unknown_only) == ids(cold)


def test_a_live_click_moves_for_you_toward_what_is_bought_with_it(model: Recommender) -> None:
    clicked_tent = model.for_you([event("new", "tent", "click", day=20)], k=2)
    assert set(ids(clicked_tent)) == {"stakes", "lamp"}
    assert clicked_tent[0].reason.because == "tent" and clicked_tent[0].reason.kind == "bought_with"
    assert clicked_tent[0].reason.count in (8, 7)  # stakes: 8 baskets, lamp: 7
    # a tea drinker who clicks a tent now: the tent's companions come into their list
    drinker = [event("d1", p, day=1, order="B1") for p in ("mug", "kettle")]
    before = model.for_you(drinker, k=2)
    after = model.for_you(
        [*drinker, event("d1", "tent", "click", day=20), event("d1", "tent", "cart", day=20)], k=2
    )
    assert ids(before)[0] == "tea"
    assert {"stakes", "lamp"} & set(ids(after))


def test_returns_cancel_purchases(model: Recommender) -> None:
    bought_back = [
        event("x", "tent", quantity=2, order="X1"),
        event("x", "tent", "return", quantity=2, order="CX1"),
    ]
    row, seen = history_row(bought_back, model.product_index)
    assert row.nnz == 0 and seen == [model.product_index["tent"]]
    assert "tent" not in ids(model.for_you(bought_back, k=10))  # seen, even if sent back
    returned_tent = [*bought_back, event("x", "mug", order="X2")]
    assert set(ids(model.for_you(returned_tent, k=2))) == {"kettle", "tea"}
    # a customer who sent back all they bought is nobody's top buyer
    retrained = Recommender.train([*store(), *bought_back], factors=4, num_threads=1)
    assert "x" not in [shopper for shopper, _, _ in retrained.buyers_of(["tent"], limit=20)]


def test_allowed_is_respected_and_k_filled_when_possible(model: Recommender) -> None:
    allowed = {"tea", "lamp", "tent2", "stakes"}.__contains__
    found = model.for_you([event("d1", "mug")], k=4, allowed=allowed)
    assert sorted(ids(found)) == ["lamp", "stakes", "tea", "tent2"]
    assert ids(model.popular(k=10, allowed=allowed)) and all(
        allowed(p) for p in ids(model.popular(10, allowed))
    )
    assert ids(model.bought_together("tent", k=3, allowed={"lamp", "tent2"}.__contains__)) == [
        "lamp",
        "tent2",
    ]
    assert len(model.for_you([event("d1", "mug")], k=50)) == 6  # every other product, no more


def test_buyers_and_top_pairs_are_counts(model: Recommender) -> None:
    assert model.buyers_of(["tent"], limit=2) == [("c0", 2, 2.0), ("c1", 2, 2.0)]
    first = model.top_pairs(limit=1)[0]
    assert set(first[:2]) == {"tent", "stakes"} and first[2] == 8
    baskets, with_tent, with_stakes = 17, 10, 8  # A0-A5, B0-B5, anon1-2, A9, A10, B9
    assert math.isclose(first[3], 8 * baskets / (with_tent * with_stakes))


def test_training_is_deterministic() -> None:
    a = Recommender.train(store(), factors=4, num_threads=1, seed=3)
    b = Recommender.train(store(), factors=4, num_threads=1, seed=3)
    history = [event("d1", "mug"), event("d1", "tent", "click")]
    assert a.for_you(history, k=5) == b.for_you(history, k=5)


def test_save_and_load_round_trip(model: Recommender, tmp_path: Path) -> None:
    model.save(tmp_path / "rec")
    loaded = Recommender.load(tmp_path / "rec")
    history = [event("d1", "mug"), event("d1", "tent", "click")]
    assert loaded.for_you(history, k=5) == model.for_you(history, k=5)
    assert loaded.bought_together("tent", 5) == model.bought_together("tent", 5)
    assert loaded.buyers_of(["tent"], 5) == model.buyers_of(["tent"], 5)
    assert loaded.top_pairs(5) == model.top_pairs(5) and loaded.popular(5) == model.popular(5)
    assert loaded.info["events"] == len(store()) and loaded.parameters == model.parameters


def test_a_failed_save_keeps_the_old_model(
    model: Recommender, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rec"
    model.save(target)
    other = Recommender.train(store()[:18], factors=4, num_threads=1)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("index.recommender_files.np.savez", broken)
    with pytest.raises(OSError, match="disk full"):
        other.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]  # no half-written directory left
    assert Recommender.load(target).bought_together("tent", 3) == model.bought_together("tent", 3)


def test_missing_or_corrupt_models_raise_a_clear_error(model: Recommender, tmp_path: Path) -> None:
    with pytest.raises(RecommenderNotFoundError, match="no trained recommender"):
        Recommender.load(tmp_path / "nothing")
    model.save(tmp_path / "rec")
    (tmp_path / "rec" / "state.npz").write_bytes(b"not a zip file")
    with pytest.raises(RecommenderNotFoundError, match="unreadable"):
        Recommender.load(tmp_path / "rec")
    assert issubclass(RecommenderNotFoundError, FileNotFoundError)


def test_metrics_on_a_hand_computed_case() -> None:
    ranked, relevant = ["a", "b", "c", "d"], frozenset({"b", "d", "e"})
    assert recall_at(ranked, relevant, 3) == pytest.approx(1 / 3)
    assert ndcg_at(ranked, relevant, 3) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3) + 0.5))
    assert recall_at(ranked, relevant, 4) == pytest.approx(2 / 3)
    assert ndcg_at(ranked, relevant, 4) == pytest.approx(0.4982, abs=1e-4)  # (0.6309 + 0.4307) / 2.1309
    assert recall_at(["b"], frozenset({"b"}), 10) == 1.0 and ndcg_at([], relevant, 10) == 0.0


def test_eval_cases_follow_the_protocol() -> None:
    events = [event("s", "a", day=0, order="1"), event("s", "a", day=5, order="2"), event("s", "b", day=5, order="2"),
              event("s", "c", day=5, order="2"), event("s", "c", "return", day=6, order="C2"),
              event("t", "b", day=5, order="3"), event(None, "a", day=6, order="4"), event(None, "z", day=6, order="4")]  # fmt: skip
    train, test = split_events(events, START + timedelta(days=3))
    catalog = {"a", "b", "c"}
    new = shopper_cases(train, test, catalog, new_only=True)
    assert [(c.shopper, set(c.relevant), len(c.history)) for c in new] == [("s", {"b"}, 1), ("t", {"b"}, 0)]
    every = shopper_cases(train, test, catalog, new_only=False)
    assert set(every[0].relevant) == {"a", "b"}  # c was sent back
    cases = basket_cases(test, lambda pid: pid == "a", catalog, max_queries=5, seed=0)
    assert [(c.queries, set(c.items)) for c in cases] == [
        (("a",), {"a", "b", "c"})
    ]  # basket 4 has one catalog item


def test_bootstrap_interval_is_seeded_and_brackets_the_mean() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random(200) + 0.1, rng.random(200)
    first, second = bootstrap_difference(a, b, seed=1), bootstrap_difference(a, b, seed=1)
    assert first == second and first[1] < first[0] < first[2]
