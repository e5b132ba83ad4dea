"""Review sentiment with the real bundled embedder and the shipped head, in Chinese and English.

The e5 embedder is a small 4-bit encoder (not a generative model): it loads in about a second,
so these tests run it for real. Hand-written reviews are the ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from index.embedders import HashingEmbedder
from tools.sentiment import LABELS, ReviewSentiment, SentimentAnalyzer, load_analyzer
from tools.sentiment_data import DataError, read_labeled, rows_from_ratings, sample
from tools.sentiment_eval import accuracy_and_macro_f1, handwritten_path, set_label
from tools.sentiment_head import CLASSES, HeadMismatchError, SentimentHead, fit_head
from tools.sentiment_lexicon import LexiconScorer, lexicon_label


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return load_analyzer(load_settings().cache_dir)


@pytest.fixture(scope="module")
def handwritten() -> list[dict]:
    return [json.loads(line) for line in handwritten_path().read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def handwritten_results(analyzer: SentimentAnalyzer, handwritten: list[dict]) -> list[ReviewSentiment]:
    return analyzer.analyze_many([row["text"] for row in handwritten])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Works okay but battery life is short.", "mixed"),
        ("Love the color, but it runs two sizes too small.", "mixed"),
        ("质量不错，就是物流太慢了。", "mixed"),
        ("衣服很好看，但是尺码偏小，要买大一号。", "mixed"),
        ("Absolutely love these shoes, they fit perfectly and look great.", "positive"),
        ("非常满意，质量很好，做工精细，物流也很快！", "positive"),
        ("Terrible quality, the zipper broke on the first day.", "negative"),
        ("太差了，用了两天就坏了，再也不买了。", "negative"),
    ],
)
def test_labels_of_clear_reviews(analyzer: SentimentAnalyzer, text: str, label: str) -> None:
    result = analyzer.analyze(text)
    assert result.label == label
    assert -1.0 <= result.score <= 1.0
    if label == "positive":
        assert result.score > 0.5
    if label == "negative":
        assert result.score < -0.5


def test_handwritten_set_polar_and_mixed(
    handwritten: list[dict], handwritten_results: list[ReviewSentiment]
) -> None:
    results = handwritten_results
    polar = [
        (row, result) for row, result in zip(handwritten, results, strict=True) if row["label"] != "neutral"
    ]
    wrong = [(row["id"], result.label) for row, result in polar if result.label != row["label"]]
    assert len(wrong) <= 2, wrong
    assert {result.lang for result in results} == {"en", "zh"}
    assert all(result.label in LABELS for result in results)


def test_each_aspect_gets_the_sentiment_of_its_clause(
    handwritten: list[dict], handwritten_results: list[ReviewSentiment]
) -> None:
    misses = []
    for row, result in zip(handwritten, handwritten_results, strict=True):
        found = {(mention.aspect, mention.label) for mention in result.topics}
        misses += [
            (row["id"], aspect, label)
            for aspect, label in row["aspects"].items()
            if (aspect, label) not in found
        ]
    assert len(misses) <= 3, misses


def test_topic_mentions_point_at_their_clause(analyzer: SentimentAnalyzer) -> None:
    result = analyzer.analyze("价格很实惠，不过做工比较粗糙，有线头。")
    mentions = [(mention.aspect, mention.label, mention.text) for mention in result.topics]
    assert mentions == [
        ("price", "positive", "价格很实惠"),
        ("quality", "negative", "不过做工比较粗糙"),
        ("quality", "negative", "有线头"),
    ]
    assert all(m.score < 0 for m in result.topics if m.aspect == "quality") and result.topics[0].score > 0


def test_star_rating_is_evidence(analyzer: SentimentAnalyzer) -> None:
    text = "Received it on Tuesday."
    plain = analyzer.analyze(text)
    low, high = analyzer.analyze(text, rating=1), analyzer.analyze(text, rating=5)
    assert low.score < plain.score < high.score
    assert low.label == "negative" and high.label == "positive"
    assert analyzer.analyze(text, rating=3).score == pytest.approx(plain.score, abs=0.05)
    with pytest.raises(ValueError, match="1-5"):
        analyzer.analyze(text, rating=9)


def test_batches_match_single_calls_and_odd_input(analyzer: SentimentAnalyzer) -> None:
    texts = ["Great value for money", "", "!!!", "物流很快", "so good, " * 400]
    batch = analyzer.analyze_many(texts, batch_size=2)
    for text, result in zip(texts, batch, strict=True):
        single = analyzer.analyze(text)
        assert (single.label, round(single.score, 3)) == (result.label, round(result.score, 3))
    assert batch[1].topics == () and batch[2].topics == ()
    with pytest.raises(ValueError, match="same length"):
        analyzer.analyze_many(["a", "b"], ratings=[5])


def test_to_dict_is_the_cli_contract(analyzer: SentimentAnalyzer) -> None:
    out = analyzer.analyze("Fast shipping, but the strap broke.").to_dict()
    assert set(out) == {"label", "score", "topics"}
    assert {"aspect", "term", "label", "score", "text"} == set(out["topics"][0])
    detailed = analyzer.analyze("Fast shipping, but the strap broke.").to_dict(details=True)
    assert {"polarity", "lang", "probabilities", "clauses"} <= set(detailed)
    json.dumps(detailed)


def test_head_refuses_another_embedder() -> None:
    head = SentimentHead.load()
    assert head.embedder == "multilingual-e5-small" and head.n_features == 384
    with pytest.raises(HeadMismatchError, match="multilingual-e5-small"):
        SentimentAnalyzer(HashingEmbedder(384), head)


def test_head_save_load_round_trip(tmp_path: Path) -> None:
    embedder = HashingEmbedder(32)
    texts = ["great", "love it", "awful", "broken junk", "it is a bag", "arrived today"]
    targets = np.array([2, 2, 0, 0, 1, 1])
    head = fit_head(embedder.embed_documents(texts), targets, embedder=embedder.name, info={"rows": 6})
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = SentimentHead.load(path)
    assert loaded.embedder == "hashing-32" and loaded.info == {"rows": 6}
    features = embedder.embed_documents(texts)
    np.testing.assert_allclose(loaded.probabilities(features), head.probabilities(features), rtol=1e-6)
    assert loaded.probabilities(features).sum(axis=1) == pytest.approx(np.ones(6))
    assert [p.name for p in tmp_path.iterdir()] == ["head.npz"]  # no temporary file left behind
    with pytest.raises(ValueError, match="must cover all"):
        fit_head(features[:4], targets[:4], embedder=embedder.name)
    with pytest.raises(FileNotFoundError, match="sentiment_train"):
        SentimentHead.load(tmp_path / "missing.npz")


def test_lexicon_baselines() -> None:
    lexicon = LexiconScorer()
    assert lexicon.score("I love it, wonderful!") > 0.5
    assert lexicon.score("Terrible, it broke.") < -0.3
    assert lexicon.score("这个东西非常好，很喜欢") > 0.3
    assert lexicon.score("   ") == 0.0
    assert lexicon_label(0.01, "en") == "neutral" and lexicon_label(-0.2, "zh") == "negative"


def test_metrics_on_hand_computed_example() -> None:
    gold = ["positive", "positive", "negative", "neutral"]
    predicted = ["positive", "negative", "negative", "positive"]
    accuracy, macro_f1 = accuracy_and_macro_f1(gold, predicted)
    # positive: tp1 fp1 fn1 -> 0.5; negative: tp1 fp1 fn0 -> 2/3; neutral: 0
    assert accuracy == 0.5
    assert macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError):
        accuracy_and_macro_f1([], [])


def test_answers_are_mapped_to_the_sets_classes() -> None:
    binary = {"negative", "positive"}
    assert set_label("mixed", "positive", -0.1, binary) == "negative"
    assert set_label("neutral", "neutral", 0.0, binary) == "positive"
    three = {"negative", "neutral", "positive"}
    assert set_label("mixed", "positive", 0.7, three) == "positive"
    assert set_label("negative", "negative", -0.7, three) == "negative"
    assert set_label("mixed", "positive", 0.7, three | {"mixed"}) == "mixed"
    assert set(CLASSES) == three


def test_labelled_files_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"text": "ok", "label": "positive"}\n\n{"text": "x", "label": "great"}\n', encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"set.jsonl:3: field 'label'"):
        read_labeled(path)
    path.write_text('{"text": "ok", "label": "positive"}\n{"text": 5}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"set.jsonl:2: field 'text'"):
        read_labeled(path)
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"set.jsonl:1: not valid JSON"):
        read_labeled(path)
    path.write_text(
        '{"text": "fine", "rating": 3}\n{"text": "bad", "rating": 2}\n{"text": "b", "rating": 0}\n'
    )
    with pytest.raises(DataError, match=r"set.jsonl:3: field 'rating'"):
        rows_from_ratings(path)


def test_shared_sets_load_and_sample_is_seeded(shared_data: Path) -> None:
    rows = read_labeled(shared_data / "eval" / "sentiment" / "uci_en.jsonl")
    assert len(rows) == 2000 and {row.label for row in rows} == {"positive", "negative"}
    assert sample(rows, 50, seed=1) == sample(rows, 50, seed=1) != sample(rows, 50, seed=2)
    assert sample(rows, None, seed=1) is rows
    zh = read_labeled(shared_data / "eval" / "sentiment" / "online_shopping_zh_dev.jsonl")
    assert {row.lang for row in zh[:100]} == {"zh"} and not zh[0].text.startswith("\ufeff")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_cli_texts_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["sentiment", "--json", "质量不错，就是物流太慢了", "Great value for money"], capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2
    assert lines[0]["label"] == "mixed" and {t["aspect"] for t in lines[0]["topics"]} == {
        "quality",
        "shipping",
    }
    assert lines[1]["label"] == "positive" and set(lines[1]) == {"label", "score", "topics"}
    code, out, _ = _cli(["sentiment", "Received it on Tuesday.", "--rating", "1"], capsys)
    assert code == 0 and out.startswith("negative")


def test_cli_file_reports_bad_lines_and_continues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"text": "Terrible, it broke on day one."}),
        "{not json",
        json.dumps({"review": "no text field"}),
        "",
        json.dumps({"text": "Love it", "rating": 11}),
        json.dumps({"text": "物流很快，包装很好", "rating": 5}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _cli(["sentiment", "--file", str(path), "--json"], capsys)
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r.get("line") for r in results] == [None, 2, 3, 5, None]  # input order kept
    assert results[0]["label"] == "negative" and results[4]["label"] == "positive"
    assert (
        "in.jsonl:2: not valid JSON" in err and "in.jsonl:3:" in err and "in.jsonl:5: field 'rating'" in err
    )


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(["sentiment"], capsys)
    assert code == 2 and "TEXT" in err
    code, _, err = _cli(["sentiment", "ok", "--rating", "0"], capsys)
    assert code == 2 and "--rating" in err
    code, _, err = _cli(["sentiment", "--file", str(tmp_path / "missing.jsonl")], capsys)
    assert code == 1 and "missing.jsonl" in err and "Traceback" not in err
