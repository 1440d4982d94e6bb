"""Cross-validated label-issue finding: word scores, cleanlab ranking, and a tiny 2-fold run."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tolltrace.cli import app
from tolltrace.label_issues import CLASSES, WordScores, find_label_issues, fold_of, given_classes, word_scores
from tolltrace.types import AnnotatedSentence, Span


def _sentence(uid: str, text: str, spans=()) -> AnnotatedSentence:
    return AnnotatedSentence(uid=uid, corpus="t", doc_id=uid, group=f"t:{uid}", text=text, spans=tuple(spans),
                             split="train")


def test_folds_follow_the_document_group_and_use_every_fold():
    groups = [f"fnc1:{i}" for i in range(200)]
    assert [fold_of(g, 3) for g in groups] == [fold_of(g, 3) for g in groups]
    assert {fold_of(g, 3) for g in groups} == {0, 1, 2}


def test_given_classes_follow_the_gold_spans_word_by_word():
    text = "The army denied it"
    words = [(0, 3), (4, 8), (9, 15), (16, 18)]
    got = given_classes(words, [Span(0, 8, "SOURCE"), Span(9, 15, "DENIAL")])
    assert [CLASSES[i] for i in got] == ["SOURCE", "SOURCE", "DENIAL", "O"]
    assert text[9:15] == "denied"


def test_word_scores_are_word_level_class_probabilities(tagger):
    sent = _sentence("a", "The ministry denied that 12 civilians were killed.",
                     [Span(0, 12, "SOURCE"), Span(13, 19, "DENIAL"), Span(25, 37, "KILLED")])
    (ws,) = word_scores(tagger, [sent])
    assert [sent.text[a:b] for a, b in ws.words] == ["The", "ministry", "denied", "that", "12", "civilians", "were",
                                                     "killed", "."]
    assert ws.probs.shape == (9, len(CLASSES))
    assert np.allclose(ws.probs.sum(axis=1), 1.0, atol=1e-4)          # B- and I- summed: a distribution per word
    assert CLASSES[int(ws.given[2])] == "DENIAL" and CLASSES[int(ws.given[3])] == "O"
    assert CLASSES[int(np.argmax(ws.probs[2]))] == "DENIAL"           # the trained tagger agrees on the cue


def _synthetic(n: int = 60, seed: int = 0):
    """Sentences of five words; the scorer agrees with the gold except where noted."""
    rng = np.random.default_rng(seed)
    sentences, scores = [], {}
    for i in range(n):
        given = rng.choice([0, 0, 0, 1, 3, 4], size=5)
        probs = np.full((5, len(CLASSES)), 0.01)
        probs[np.arange(5), given] = 0.95
        sentences.append(_sentence(f"s{i:02d}", "w0 w1 w2 w3 w4"))
        scores[f"s{i:02d}"] = WordScores([(3 * k, 3 * k + 2) for k in range(5)], given, probs / probs.sum(1, keepdims=True), [])
    bad = scores["s07"]
    bad.given[2] = 0                                          # gold says O ...
    bad.probs[2] = 0.01
    bad.probs[2, CLASSES.index("DENIAL")] = 0.95              # ... the unseen tagger is sure it is DENIAL
    bad.probs[2] /= bad.probs[2].sum()
    return sentences, scores


def test_a_confidently_contradicted_label_is_flagged_first():
    sentences, scores = _synthetic()
    records = find_label_issues(sentences, scores)
    assert records and records[0]["uid"] == "s07"
    issue = records[0]["issues"][0]
    assert (issue["given"], issue["predicted"], issue["text"]) == ("O", "DENIAL", "w2")
    assert len(records) == 1                                  # agreeing sentences are not listed
    assert find_label_issues(sentences, scores, label="KILLED") == []
    assert [r["uid"] for r in find_label_issues(sentences, scores, label="DENIAL")] == ["s07"]


@pytest.mark.parametrize("folds", [1])
def test_fewer_than_two_folds_is_refused(tmp_path, folds):
    result = CliRunner().invoke(app, ["data", "label-issues", "--config", "training/configs/default.yaml",
                                      "--folds", str(folds), "--work-dir", str(tmp_path / "w"),
                                      "--set", "data.max_train_samples=8"])
    assert result.exit_code != 0 and "at least 2" in result.output


def test_tiny_two_fold_run_scores_every_training_sentence_once(tmp_path):
    out = tmp_path / "issues.jsonl"
    result = CliRunner().invoke(app, [
        "data", "label-issues", "--config", "training/configs/default.yaml", "--folds", "2",
        "--output", str(out), "--work-dir", str(tmp_path / "folds"),
        "--set", "data.max_train_samples=40", "--set", "data.max_eval_samples=16", "--set", "training.epochs=1",
        "--set", "model.max_length=64", "--set", "training.calibrate=false"])
    assert result.exit_code == 0, result.output[-3000:]
    assert "of 40 training sentence(s) flagged" in result.output
    assert {p.name for p in (tmp_path / "folds").iterdir()} == {"fold-0", "fold-1"}
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        assert rec["split"] == "train" and rec["issues"]
        assert all(rec["text"][s["start"]:s["end"]] == s["text"] for s in rec["spans"] + rec["predicted"])
