"""Review summaries: selection caps, the prompt, citation checks (scripted model), one real-model run."""

from __future__ import annotations

import json

import pytest

from assistant.testing import ScriptedChatModel
from index.embedders import HashingEmbedder
from index.schema import Review
from tools.review_selection import estimate_tokens, select_reviews
from tools.review_summary import TOOL_NAME, VERDICT_CHARS, SummaryError, summarize_reviews

REVIEWS = [
    Review("a-1", "p1", "The battery lasts two full days, great battery life.", 5),
    Review("a-2", "p1", "Screen is bright and sharp, battery is fine too.", 4),
    Review("a-3", "p1", "Shipping was slow and the box arrived dented.", 2),
    Review("a-4", "p1", "Strap broke after a week, cheap strap material.", 1),
]


def draft(pros=(), cons=(), disagreements=(), verdict="Most reviewers like it."):
    def points(items):
        return [{"text": text, "reviews": list(ids)} for text, ids in items]

    return {
        "verdict": verdict,
        "pros": points(pros),
        "cons": points(cons),
        "disagreements": points(disagreements),
    }


def test_valid_citations_are_kept_and_mapped_to_review_ids(scripted_model: ScriptedChatModel):
    scripted_model.enqueue_tool_call(
        TOOL_NAME,
        draft(
            pros=[("Great battery life that lasts days", ["r1", "r2"])],
            cons=[("The strap broke, cheap strap material", ["r4"])],
        ),
    )
    summary = summarize_reviews(REVIEWS, scripted_model)
    assert summary.verdict == "Most reviewers like it."
    assert [(p.text, p.review_ids) for p in summary.pros] == [
        ("Great battery life that lasts days", ("a-1", "a-2"))
    ]
    assert summary.cons[0].review_ids == ("a-4",)
    assert summary.cite(summary.cons[0]) == "[r4]"
    assert (summary.points_written, summary.points_dropped, summary.points_repaired) == (2, 0, 0)
    call = scripted_model.last_call
    assert call.tool_choice == TOOL_NAME and call.tool_names == [TOOL_NAME]
    parameters = call.tools[0]["function"]["parameters"]
    assert parameters["properties"]["pros"]["items"]["properties"]["reviews"]["items"] == {
        "$ref": "#/$defs/label"
    }
    assert parameters["$defs"]["label"]["enum"] == ["r1", "r2", "r3", "r4"]
    prompt = call.messages[-1].content
    assert "<reviews>" in prompt and "[r3] 2/5: Shipping was slow" in prompt
    assert "English" in call.messages[0].content


def test_unknown_or_unsupported_citations_are_removed_and_uncited_points_dropped(
    scripted_model: ScriptedChatModel,
):
    scripted_model.enqueue_tool_call(
        TOOL_NAME,
        draft(
            pros=[
                ("Great battery life", ["r1", "r9", "r3"]),  # r9 does not exist, r3 is about shipping
                ("Comes with a free charger and a lifetime warranty", ["r99"]),  # nothing supports it
            ],
            cons=[("Shipping was slow, box dented", [])],  # cites nothing, one review clearly says it
        ),
    )
    summary = summarize_reviews(REVIEWS, scripted_model)
    assert [p.review_ids for p in summary.pros] == [("a-1",)]
    assert [(p.text, p.review_ids) for p in summary.cons] == [("Shipping was slow, box dented", ("a-3",))]
    assert (summary.points_written, summary.points_dropped, summary.points_repaired) == (3, 1, 1)
    assert "warranty" not in summary.as_text()


def test_chinese_request_asks_for_chinese(scripted_model: ScriptedChatModel):
    reviews = [Review("z1", "p", "质量很好，做工精细", 5), Review("z2", "p", "物流太慢了，等了一周", 2)]
    scripted_model.enqueue_tool_call(
        TOOL_NAME,
        draft(pros=[("质量很好，做工精细", ["r1"])], cons=[("物流太慢", ["r2"])], verdict="大多数人满意。"),
    )
    summary = summarize_reviews(reviews, scripted_model, lang="zh")
    assert summary.lang == "zh" and summary.verdict == "大多数人满意。"
    assert [p.review_ids for p in summary.pros + summary.cons] == [("z1",), ("z2",)]
    assert "Simplified Chinese" in scripted_model.last_call.messages[0].content
    with pytest.raises(ValueError):
        summarize_reviews(reviews, scripted_model, lang="fr")  # type: ignore[arg-type]


def test_no_reviews_needs_no_model(scripted_model: ScriptedChatModel):
    summary = summarize_reviews([Review("x", "p", "   ", 5)], scripted_model)
    assert summary.pros == () and "no reviews" in summary.verdict
    assert scripted_model.calls == []


def test_one_review(scripted_model: ScriptedChatModel):
    scripted_model.enqueue_tool_call(TOOL_NAME, draft(pros=[("Bright sharp screen", ["r1"])]))
    summary = summarize_reviews([REVIEWS[1]], scripted_model)
    assert summary.pros[0].review_ids == ("a-2",)


@pytest.mark.parametrize(
    ("verdict", "shown"),
    [
        (
            "Warm and light. " * 18 + "If it is really cold you can easily add a",
            "Warm and light. " * 17 + "Warm and light.",
        ),
        ("很暖和。" * 74 + "如果天气很冷可以", "很暖和。" * 74),
        ("Warm and light, " * 19 + "and", "Warm and light, " * 19 + "and"),  # no full sentence to keep
        ("Warm and light. Cheap too", "Warm and light. Cheap too"),  # not cut by the cap: as written
    ],
)
def test_a_verdict_cut_at_the_cap_ends_at_its_last_full_sentence(scripted_model, verdict, shown):
    scripted_model.enqueue_tool_call(TOOL_NAME, draft(verdict=verdict[:VERDICT_CHARS]))
    lang = "zh" if "。" in verdict else "en"
    assert summarize_reviews(REVIEWS, scripted_model, lang=lang).verdict == shown.strip()[:VERDICT_CHARS]


def test_reply_without_summary_is_an_error(scripted_model: ScriptedChatModel):
    scripted_model.enqueue_tool_call(TOOL_NAME, {"verdict": 3, "pros": [], "cons": [], "disagreements": []})
    with pytest.raises(SummaryError):
        summarize_reviews(REVIEWS, scripted_model)


def test_thousands_of_reviews_are_clustered_under_the_caps():
    themes = ["battery life is great", "screen is too dim outside", "strap broke quickly", "arrived late"]
    reviews = [
        Review(f"id{i}", "p", f"{themes[i % 4]} {'really ' * (i % 3)}review number {i}", 1 + i % 5)
        for i in range(3000)
    ]
    shown = select_reviews(reviews, HashingEmbedder(256), max_reviews=12, max_prompt_tokens=400)
    assert 1 <= len(shown) <= 12
    assert sum(estimate_tokens(r.text) + 12 for r in shown) <= 400
    assert sum(r.stands_for for r in shown) <= 3000 and shown[0].stands_for >= shown[-1].stands_for > 0
    assert len({r.text.split(" really")[0].split(" review")[0] for r in shown}) == 4  # every theme shown
    assert all(r.label == f"r{int(r.review_id[2:]) + 1}" for r in shown)
    again = select_reviews(reviews, HashingEmbedder(256), max_reviews=12, max_prompt_tokens=400)
    assert again == shown  # seeded


def test_long_review_is_cut_and_always_one_shown():
    shown = select_reviews([Review("l", "p", "word " * 5000, 3)], HashingEmbedder(), max_prompt_tokens=50)
    assert len(shown) == 1 and len(shown[0].text) <= 500


def test_prompt_cap_with_many_reviews_through_the_model(scripted_model: ScriptedChatModel):
    reviews = [Review(f"id{i}", "p", f"Review {i}: " + "solid build and comfy " * 20, 4) for i in range(500)]
    scripted_model.enqueue_tool_call(TOOL_NAME, draft(pros=[("Solid build, comfy", ["r1"])]))
    summarize_reviews(reviews, scripted_model, max_reviews=30, max_prompt_tokens=1000)
    prompt = str(scripted_model.last_call.messages[-1].content)
    assert estimate_tokens(prompt) <= 1000 + 100
    assert "500 review(s)" in prompt


@pytest.mark.real_model
def test_real_small_model_writes_a_cited_summary(tmp_path_factory):
    from assistant.models import LocalChatModel
    from assistant.models.llama_backend import LlamaCppBackend
    from index.model_registry import ensure

    path = ensure("smollm2-135m-instruct", tmp_path_factory.mktemp("cache"), progress=False)
    backend = LlamaCppBackend(path, model_name="smollm2", n_ctx=2048, n_threads=1)
    model = LocalChatModel(backend=backend, model_name="smollm2", max_tokens=300, tool_call_max_tokens=400)
    summary = summarize_reviews(REVIEWS, model)
    print(summary.to_dict())
    assert summary.verdict.strip()
    assert summary.points_written >= 1  # the grammar made it write the schema
    valid = {r.review_id for r in REVIEWS}
    for point in summary.pros + summary.cons + summary.disagreements:
        assert point.review_ids and set(point.review_ids) <= valid


@pytest.mark.real_model
def test_summarize_command_with_the_small_model(demo_index, monkeypatch, capsys):
    from ui.cli import main

    monkeypatch.setenv("SHOPBOT_CHAT_MODEL", "smollm2-135m-instruct")
    monkeypatch.setenv("SHOPBOT_CHAT_N_THREADS", "1")
    monkeypatch.setenv("SHOPBOT_CHAT_MAX_TOKENS", "300")
    product = demo_index.get("24-MB01")  # a bag with several reviews
    assert product is not None and len(demo_index.reviews(product.id)) >= 2
    with pytest.raises(SystemExit) as exit_:
        main(["summarize", "--index", str(demo_index.directory), "--product", product.id, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert exit_.value.code == 0 and out["product_id"] == product.id and out["verdict"]
    ids = {r.review_id for r in demo_index.reviews(product.id)}
    for point in out["pros"] + out["cons"] + out["disagreements"]:
        assert point["review_ids"] and set(point["review_ids"]) <= ids


def test_summarize_command_unknown_product(demo_index, capsys):
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["summarize", "--index", str(demo_index.directory), "--product", "nope"])
    assert exit_.value.code == 1
    assert "no product 'nope'" in capsys.readouterr().err


def test_summary_in_the_wrong_language_fails_and_foreign_points_are_left_out(scripted_model):
    reviews = [Review("z1", "p1", "电池很耐用，续航两天。", 5), Review("z2", "p1", "表带一周就断了。", 1)]
    scripted_model.enqueue_tool_call(TOOL_NAME, draft(verdict="Most reviewers like it."))
    with pytest.raises(SummaryError, match="another language"):
        summarize_reviews(reviews, scripted_model, lang="zh")
    scripted_model.enqueue_tool_call(
        TOOL_NAME,
        draft(
            verdict="多数评价认为电池耐用。",
            pros=[("电池很耐用，续航两天", ["r1"]), ("Battery lasts two days", ["r1"])],
        ),
    )
    summary = summarize_reviews(reviews, scripted_model, lang="zh")
    assert [p.text for p in summary.pros] == ["电池很耐用，续航两天"]


def test_summarize_all_fills_the_cache_and_one_failure_loses_nothing(demo_index, scripted_model, monkeypatch, tmp_path, capsys):  # fmt: skip
    from langchain_core.messages import AIMessage

    from ui.cli import main

    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("assistant.models.loader.load_chat_model", lambda settings, **_: scripted_model)
    with_reviews = [pid for pid in demo_index.product_ids() if demo_index.reviews(pid)]
    assert 2 < len(with_reviews) < len(demo_index)  # some products have none: they are skipped
    broken = with_reviews[1]

    def write(messages, call):
        if f"Product: {demo_index.get(broken).title}" in str(messages[-1].content):
            raise RuntimeError("the model stalled")
        return AIMessage("", tool_calls=[{"name": TOOL_NAME, "args": draft(), "id": f"call-{call.index}"}])

    scripted_model.function = write

    def run(*extra: str) -> int:
        with pytest.raises(SystemExit) as exit_:
            main(["summarize", "--index", str(demo_index.directory), "--all", *extra])
        return int(exit_.value.code or 0)

    assert run("--json") == 1  # one failed: reported, the rest written
    out, err = capsys.readouterr()
    written = [json.loads(line)["product_id"] for line in out.splitlines()]
    assert written == [pid for pid in with_reviews if pid != broken] and f"{broken}: " in err
    calls = len(scripted_model.calls)
    scripted_model.function = lambda messages, call: AIMessage(
        "", tool_calls=[{"name": TOOL_NAME, "args": draft(), "id": f"call-{call.index}"}]
    )
    assert run() == 0  # again: only the failed one is written, the others come from the cache
    assert len(scripted_model.calls) == calls + 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"{len(with_reviews)} products with reviews: 1 written, "
                           f"{len(with_reviews) - 1} from the cache, 0 failed")  # fmt: skip
    with pytest.raises(SystemExit) as exit_:
        main(["summarize", "--index", str(demo_index.directory), "--all", "--no-cache"])
    assert exit_.value.code == 2


def test_summarize_all_without_a_model_stops_with_one_message(demo_index, monkeypatch, tmp_path, capsys):
    from assistant.models.errors import ModelLoadError
    from ui.cli import main

    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path / "cache"))

    def missing(settings, **_):
        raise ModelLoadError("chat model 'qwen': not installed; run shopbot models")

    monkeypatch.setattr("assistant.models.loader.load_chat_model", missing)
    with pytest.raises(SystemExit) as exit_:
        main(["summarize", "--index", str(demo_index.directory), "--all", "--json"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 1 and out == ""
    assert err.strip() == "shopbot summarize: chat model 'qwen': not installed; run shopbot models"
