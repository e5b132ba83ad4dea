"""`shopbot eval assistant`: the assistant end to end on scripted conversations and real requests.

Four sets, each turn checked:

- ``conversations``: multi-turn scripts (``assistant/eval_data/conversations.jsonl``) with
  follow-ups ("cheaper?", "第二个", "compare the first two"), preferences, roles and guards;
- ``routing``: single requests in English and Chinese labelled with the right tool
  (``assistant/eval_data/routing_set.jsonl``; the rules were written while looking at it, so
  treat its numbers as a development score);
- ``named``: a seeded sample of the catalog's own products asked about by title in a fresh
  conversation (reviews, details, sentiment, compare, a merchant's copy), in the catalog's
  language; right tool includes the right product ids (:func:`named_turns`);
- ``webshop``: a seeded sample of real shoppers' requests (``eval/agent/webshop_requests_dev.jsonl``
  of the shared data); every one is a product search.

Per set: turns without error, grounded replies (the final text re-checked by
:func:`assistant.grounding.verify` against the session's tool results), right tool (first tool
call and the argument values the set expects), reply language matching the user's, share of
turns answered by the model, and latency p50/p95 per turn and to the first product card.
The shipped configuration (rules first, then the model) runs next to a model-only baseline on
the first ``baseline_turns`` turns, in the same run, so the effect of the rules is visible.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.assistant import Assistant
from assistant.grounding import numbers_in, search_limits, verify
from assistant.language import reply_language
from assistant.reply import CardsEvent, Done, Reply

LONG_PREFIX = "LONG:"


@dataclass
class Turn:
    session: str
    text: str
    lang: str
    role: str = "shopper"
    tool: Any = "any"  # expected first tool: a name, None (no tool), a list of options, "any"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    ok: bool
    grounded: bool
    right_tool: bool | None
    language_ok: bool
    by_model: bool
    seconds: float
    first_card: float | None
    text: str = ""
    first_tool: str | None = None  # the first tool the turn called


def conversations() -> list[list[Turn]]:
    """The scripted conversations, as lists of turns (one session each)."""
    text = (resources.files("assistant.eval_data") / "conversations.jsonl").read_text(encoding="utf-8")
    result = []
    for line in text.splitlines():
        if line.strip():
            item = json.loads(line)
            result.append(
                [
                    Turn(
                        f"eval:{item['id']}",
                        t["text"],
                        item["lang"],
                        item["role"],
                        t.get("tool"),
                        t.get("args", {}),
                    )
                    for t in item["turns"]
                ]
            )
    return result


def routing_turns() -> list[list[Turn]]:
    text = (resources.files("assistant.eval_data") / "routing_set.jsonl").read_text(encoding="utf-8")
    turns = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            merchant = row["expected_tool"] in ("review_analytics", "write_promo_copy")
            turns.append(
                [
                    Turn(
                        f"eval:routing-{row['id']}",
                        row["request"],
                        row["lang"],
                        "merchant" if merchant else "shopper",
                        row["expected_tool"],
                        row.get("expected_args", {}),
                    )
                ]
            )
    return turns


# A product named by its title in a fresh conversation: template, expected first tool, role.
_NAMED_TEMPLATES: dict[str, list[tuple[str, Any, str]]] = {
    "en": [
        ("What do people say about the {a}?", "summarize_reviews", "shopper"),
        ("Tell me more about the {a}", "get_product", "shopper"),
        ("how do reviewers feel about the {a}?", ["summarize_reviews", "review_sentiment"], "shopper"),
        ("Compare the {a} and the {b}", "compare_products", "shopper"),
        ("Write an Instagram caption for the {a}", "write_promo_copy", "merchant"),
    ],
    "zh": [
        ("{a}的评价怎么样？", "summarize_reviews", "shopper"),
        ("介绍一下{a}", "get_product", "shopper"),
        ("买家觉得{a}怎么样？", ["summarize_reviews", "review_sentiment"], "shopper"),
        ("比较一下{a}和{b}", "compare_products", "shopper"),
        ("给{a}写三条卖点", "write_promo_copy", "merchant"),
    ],
}


def named_turns(catalog: Any, sample: int, seed: int = 0) -> list[list[Turn]]:
    """Requests that name a product of ``catalog`` by its title, each in a fresh conversation:
    reviews, details, sentiment, a comparison of two, a merchant's copy; a seeded sample of
    products, templates in the catalog's language (the product's ``lang``). Right tool means
    the right tool *and* the right product ids; products whose title another one shares are
    not asked about (the message cannot tell them apart)."""
    rng = random.Random(seed)
    titles: dict[str, list[str]] = {}
    for product_id in sorted(catalog.product_ids()):
        titles.setdefault(catalog.get(product_id).title.casefold(), []).append(product_id)
    # a title that several products share (a ball in three colours) names none of them alone
    ids = [group[0] for group in titles.values() if len(group) == 1]
    picked = rng.sample(ids, min(sample, len(ids)))
    turns = []
    for number, product_id in enumerate(picked):
        product = catalog.get(product_id)
        other = catalog.get(rng.choice([i for i in ids if i != product_id]))
        lang = "zh" if product.lang == "zh" else "en"
        template, tool, role = _NAMED_TEMPLATES[lang][number % len(_NAMED_TEMPLATES[lang])]
        text = template.format(a=product.title, b=other.title)
        if tool == "compare_products":
            args: dict[str, Any] = {"product_ids": [product.id, other.id]}
        elif tool == "write_promo_copy":
            args = {"product_ids": [product.id]}
        else:
            args = {"product_id": product.id}
        turns.append([Turn(f"eval:named-{number}", text, lang, role, tool, args)])
    return turns


def webshop_turns(path: Path, sample: int, seed: int = 0) -> list[list[Turn]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    return [
        [Turn(f"eval:webshop-{i}", row["text"], row.get("lang", "en"), tool="search_products")]
        for i, row in enumerate(picked)
    ]


def run_turns(
    assistant: Assistant, dialogues: list[list[Turn]], *, limit: int | None = None, desc: str = "turns"
) -> list[Outcome]:
    """Every turn of every dialogue (sessions reset first), at most ``limit`` turns."""
    total = sum(len(d) for d in dialogues) if limit is None else min(limit, sum(len(d) for d in dialogues))
    outcomes: list[Outcome] = []
    with tqdm(total=total, desc=desc, unit="turn") as bar:
        for dialogue in dialogues:
            if len(outcomes) >= total:
                break
            assistant.reset(dialogue[0].session)
            shown: list[str] = []
            said: list[str] = []
            for turn in dialogue:
                if len(outcomes) >= total:
                    break
                text = _expand(turn.text)
                said.append(text)
                outcome, shown = _one_turn(assistant, turn, text, shown, said)
                outcomes.append(outcome)
                bar.update(1)
    return outcomes


def _one_turn(
    assistant: Assistant, turn: Turn, text: str, shown: list[str], said: list[str]
) -> tuple[Outcome, list[str]]:
    started = time.perf_counter()
    first_card = None
    reply: Reply | None = None
    try:
        for event in assistant.stream(turn.session, text, turn.role):
            if isinstance(event, CardsEvent) and first_card is None:
                first_card = time.perf_counter() - started
            if isinstance(event, Done):
                reply = event.reply
    except Exception:  # counted as a failed turn; the eval goes on
        reply = None
    seconds = time.perf_counter() - started
    if reply is None:
        failed = Outcome(
            False, False, False if turn.tool != "any" else None, False, False, seconds, first_card, text
        )
        return failed, shown
    memory = assistant.memory(turn.session)
    facts = memory.get("facts") or {}
    numbers = [n for message in said for n in numbers_in(message)] + search_limits(memory.get("last_search"))
    grounded = verify(reply.text, facts, user_numbers=numbers, is_catalog_id=lambda pid: pid in facts).ok
    outcome = Outcome(
        ok=reply.path != "error",
        grounded=grounded,
        right_tool=_right_tool(turn, reply, shown),
        language_ok=reply_language(reply.text, turn.lang, [f["title"] for f in facts.values()]) == turn.lang,
        by_model=reply.path == "model",
        seconds=seconds,
        first_card=first_card,
        text=text,
        first_tool=reply.tool_calls[0].name if reply.tool_calls else None,
    )
    return outcome, [card["id"] for card in memory.get("shown") or []] or shown


def _right_tool(turn: Turn, reply: Reply, shown: list[str]) -> bool | None:
    if turn.tool == "any":
        return None
    first = reply.tool_calls[0] if reply.tool_calls else None
    options = turn.tool if isinstance(turn.tool, list) else [turn.tool]
    if (first.name if first else None) not in options:
        return False
    if first is None:
        return True
    for key, expected in turn.args.items():
        if _resolve(expected, shown) != _normal(first.args.get(key)):
            return False
    return True


def _resolve(value: Any, shown: list[str]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, shown) for v in value]
    if isinstance(value, str) and value.startswith("$") and value[1:].isdigit():
        index = int(value[1:]) - 1
        return shown[index] if index < len(shown) else value
    return _normal(value)


def _normal(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _expand(text: str) -> str:
    if text.startswith(LONG_PREFIX):
        body = text[len(LONG_PREFIX) :]
        return (body + "and it should be light " * 500)[:10_000]
    return text


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    """The metrics of a list of turns (rates in %, seconds)."""

    def rate(values: list[bool]) -> float | None:
        return round(100 * sum(values) / len(values), 1) if values else None

    seconds = [o.seconds for o in outcomes]
    cards = [o.first_card for o in outcomes if o.first_card is not None]
    judged = [o.right_tool for o in outcomes if o.right_tool is not None]
    return {
        "turns": len(outcomes),
        "no_error": rate([o.ok for o in outcomes]),
        "grounded": rate([o.grounded for o in outcomes]),
        "right_tool": rate(judged),
        "language": rate([o.language_ok for o in outcomes]),
        "by_model": rate([o.by_model for o in outcomes]),
        "p50": quantile(seconds, 0.5),
        "p95": quantile(seconds, 0.95),
        "card_p50": quantile(cards, 0.5),
        "card_p95": quantile(cards, 0.95),
        "model_p50": quantile([o.seconds for o in outcomes if o.by_model], 0.5),
        "model_p95": quantile([o.seconds for o in outcomes if o.by_model], 0.95),
        "slowest": sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:SLOWEST],
    }


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


SLOWEST = 3  # turns listed under the table per set
COLUMNS = (
    ("turns", "turns"), ("no_error", "no error %"), ("grounded", "grounded %"), ("right_tool", "right tool %"),
    ("language", "language match %"), ("by_model", "by model %"), ("p50", "turn p50 s"), ("p95", "turn p95 s"),
    ("card_p50", "first card p50 s"), ("card_p95", "first card p95 s"),
    ("model_p50", "model turn p50 s"), ("model_p95", "model turn p95 s"),
)  # fmt: skip


def slowest_turns(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    """A markdown list of the slowest turns of each shipped row: what sets its p95."""
    lines = []
    for name, config, metrics in rows:
        if config.startswith("shipped:"):
            turns = "; ".join(
                f"{o.seconds:.1f} s {o.text[:60]!r} ({o.first_tool or 'no tool'})" for o in metrics["slowest"]
            )
            lines.append(f"- {name}: {turns}")
    return "Slowest turns (shipped):\n\n" + "\n".join(lines) if lines else ""


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    """A markdown table of (set, configuration, metrics) rows."""
    head = "| set | configuration | " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 2)
    lines = [head, rule]
    for name, config, metrics in rows:
        cells = ["-" if metrics[key] is None else f"{metrics[key]:g}" for key, _ in COLUMNS]
        lines.append(f"| {name} | {config} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate(
    make_assistant: Callable[[bool], Assistant],
    sets: dict[str, list[list[Turn]]],
    *,
    baseline_turns: int,
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Rows of (set, configuration, metrics): the shipped assistant on every set; then, when
    ``baseline_turns`` > 0, the model-only baseline on each set's first ``baseline_turns``
    turns next to the shipped numbers on those same turns."""
    shipped = make_assistant(True)
    first_turns: dict[str, list[Outcome]] = {}
    for name, dialogues in sets.items():
        outcomes = run_turns(shipped, dialogues, desc=name)
        first_turns[name] = outcomes[:baseline_turns]
        yield name, "shipped: rules, then model", summarize(outcomes)
    if baseline_turns > 0:
        baseline = make_assistant(False)
        for name, dialogues in sets.items():
            outcomes = run_turns(baseline, dialogues, limit=baseline_turns, desc=f"{name}, model only")
            count = len(outcomes)
            yield name, f"shipped, first {count} turns", summarize(first_turns[name][:count])
            yield name, f"baseline: model only, first {count} turns", summarize(outcomes)
