"""ROUGE on hand-computed examples (the numbers below were worked out on paper)."""

from __future__ import annotations

import pytest

from tools.summary_eval import lcs_length, rouge, rouge_multi, tokenize


def test_tokenize_lowercases_splits_punctuation_and_cjk():
    assert tokenize("The cat's HAT, 2x!") == ["the", "cat", "s", "hat", "2x"]
    assert tokenize("质量不错 ok") == ["质", "量", "不", "错", "ok"]


def test_hand_computed_example():
    # candidate: the cat sat on the mat (6 tokens); reference: the cat is on the mat (6 tokens)
    scores = rouge("The cat sat on the mat.", "the cat is on the mat")
    # unigrams: the x2, cat, on, mat match -> 5/6 precision and recall
    assert scores["rouge1"] == pytest.approx(5 / 6)
    # bigrams (5 each): "the cat", "on the", "the mat" match -> 3/5
    assert scores["rouge2"] == pytest.approx(3 / 5)
    # LCS: the cat on the mat = 5
    assert scores["rougeL"] == pytest.approx(5 / 6)


def test_unequal_lengths_f1():
    # candidate 2 tokens, reference 4 tokens, both candidate tokens in reference
    scores = rouge("good price", "good quality good price")
    p, r = 2 / 2, 2 / 4
    assert scores["rouge1"] == pytest.approx(2 * p * r / (p + r))
    # bigram: "good price" matches 1 of 1 candidate bigram and 1 of 3 reference bigrams
    assert scores["rouge2"] == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))


def test_clipped_counts():
    # "the the the" vs "the cat": only one "the" may match
    assert rouge("the the the", "the cat")["rouge1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_lcs_is_order_sensitive():
    assert lcs_length(list("abcde"), list("aebdc")) == 3  # a b c / a b d ...
    assert rouge("a b c", "c b a")["rougeL"] == pytest.approx(1 / 3)


def test_empty_and_disjoint_score_zero():
    assert rouge("", "anything") == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge("apples", "oranges")["rouge1"] == 0.0


def test_identical_scores_one():
    assert rouge("Works well, cheap.", "works well cheap") == pytest.approx(
        {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    )


def test_multi_reference_mean_and_max():
    result = rouge_multi("the cat sat", ["the cat sat", "a dog ran"])
    assert result.max["rouge1"] == 1.0
    assert result.mean["rouge1"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        rouge_multi("x", [])


def test_evaluate_summaries_scores_shopbot_and_both_baselines(tmp_path):
    import json

    from langchain_core.messages import AIMessage, ToolCall

    from assistant.testing import ScriptedChatModel
    from index.embedders import HashingEmbedder
    from tools.review_summary import TOOL_NAME
    from tools.summary_eval import evaluate_summaries, load_rows

    rows = [
        {
            "product_id": f"p{n}",
            "reviews": [
                {"text": "The soles are comfortable for long walks.", "rating": 5},
                {"text": "Comfortable shoes but the laces fray.", "rating": 4},
                {"text": "Arrived late, box damaged.", "rating": 2},
            ],
            "references": ["These shoes are comfortable for long walks, though the laces fray."] * 3,
        }
        for n in range(3)
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    assert len(load_rows(path, 2, seed=0)) == 2

    def reply(messages, call):
        args = {
            "verdict": "These shoes are comfortable for long walks.",
            "pros": [{"text": "comfortable for long walks", "reviews": ["r1"]}],
            "cons": [
                {"text": "the laces fray", "reviews": ["r2"]},
                {"text": "made of gold", "reviews": ["r3"]},
            ],
            "disagreements": [],
        }
        return AIMessage(content="", tool_calls=[ToolCall(name=TOOL_NAME, args=args, id="c")])

    model = ScriptedChatModel(function=reply)
    shopbot, randoms, centroid = evaluate_summaries(
        load_rows(path, None, 0), model, HashingEmbedder(), progress=False
    )
    assert len(model.calls) == 3
    assert shopbot.system == "shopbot" and shopbot.products == 3 and shopbot.failures == 0
    assert (shopbot.points_written, shopbot.points_cited) == (9, 6)  # "made of gold" is dropped each time
    assert shopbot.mean["rougeL"] > max(randoms.mean["rougeL"], centroid.mean["rougeL"])
    assert centroid.mean == centroid.max  # identical references: mean and max agree
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"reviews": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        load_rows(bad, None, 0)
