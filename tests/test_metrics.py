"""Span scores and their document-bootstrap intervals."""

import numpy as np
import pytest

from tolltrace.metrics import f1_difference, f1_intervals, span_counts, span_scores
from tolltrace.types import Span

# six one-span sentences in three documents of two sentences each
GOLD = [[Span(0, 5, "KILLED")], [Span(0, 5, "DENIAL")]] * 3
GROUPS = ["d1", "d1", "d2", "d2", "d3", "d3"]
PERFECT = [list(g) for g in GOLD]
# misses the DENIAL of d1, cuts the KILLED of d2 short (overlap only), adds a spurious DENIAL in d3
FLAWED = [[Span(0, 5, "KILLED")], [], [Span(0, 3, "KILLED")], [Span(0, 5, "DENIAL")],
          [Span(0, 5, "KILLED"), Span(6, 9, "DENIAL")], [Span(0, 5, "DENIAL")]]


def test_strict_and_overlap_counts():
    strict, overlap = span_scores(GOLD, FLAWED, "strict"), span_scores(GOLD, FLAWED, "overlap")
    assert (strict["KILLED"]["precision"], strict["KILLED"]["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert (overlap["KILLED"]["precision"], overlap["KILLED"]["recall"]) == (1.0, 1.0)
    assert (overlap["DENIAL"]["precision"], overlap["DENIAL"]["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    counts = span_counts(GOLD, FLAWED, "overlap")
    assert counts.shape == (6, 5, 4) and counts[1].sum() == 1  # sentence 2: one gold DENIAL, nothing predicted


def test_perfect_predictions_have_a_zero_width_interval_at_one():
    ci = f1_intervals(GOLD, PERFECT, GROUPS, n_resamples=200)
    assert all(v == {"low": 1.0, "high": 1.0} for k, v in ci.items() if k in ("KILLED", "DENIAL", "micro"))


def test_interval_holds_the_point_estimate_and_is_reproducible():
    point = span_scores(GOLD, FLAWED, "overlap")["DENIAL"]["f1"]
    ci = f1_intervals(GOLD, FLAWED, GROUPS, "overlap", n_resamples=500, seed=3)
    assert ci["DENIAL"]["low"] < point < ci["DENIAL"]["high"]
    assert ci == f1_intervals(GOLD, FLAWED, GROUPS, "overlap", n_resamples=500, seed=3)


def test_sentences_of_one_document_are_resampled_together():
    one_document = ["d"] * len(GOLD)  # every resample is the whole split again
    ci = f1_intervals(GOLD, FLAWED, one_document, "overlap", n_resamples=200)
    point = span_scores(GOLD, FLAWED, "overlap")["DENIAL"]["f1"]
    assert ci["DENIAL"]["low"] == ci["DENIAL"]["high"] == point
    by_sentence = f1_intervals(GOLD, FLAWED, [str(i) for i in range(len(GOLD))], "overlap", n_resamples=200)
    assert by_sentence["DENIAL"]["high"] > by_sentence["DENIAL"]["low"]


def test_paired_difference_sign_and_share():
    diff = f1_difference(GOLD, PERFECT, FLAWED, GROUPS, "overlap", n_resamples=500)
    assert diff["DENIAL"]["difference"] == pytest.approx(1 - 2 / 3, abs=1e-4)
    assert diff["DENIAL"]["low"] >= 0 and diff["DENIAL"]["share_a_better"] > 0.5
    assert diff["KILLED"] == {"difference": 0.0, "low": 0.0, "high": 0.0, "share_a_better": 0.0}
    reverse = f1_difference(GOLD, FLAWED, PERFECT, GROUPS, "overlap", n_resamples=500)
    assert reverse["DENIAL"]["difference"] == -diff["DENIAL"]["difference"]
    assert np.isclose(reverse["DENIAL"]["high"], -diff["DENIAL"]["low"])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="groups has 2 entries"):
        f1_intervals(GOLD, FLAWED, ["a", "b"])
    with pytest.raises(ValueError, match="confidence"):
        f1_intervals(GOLD, FLAWED, GROUPS, confidence=95)
    with pytest.raises(ValueError, match="n_resamples"):
        f1_difference(GOLD, FLAWED, PERFECT, GROUPS, n_resamples=0)
