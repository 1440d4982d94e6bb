"""Span-level scores shared by evaluation and inter-annotator agreement.

*strict*: a predicted span counts only if start, end and label equal a gold span
(the entity-level rule of seqeval / CoNLL). *overlap*: a span counts if it shares
at least one character with a span of the same label on the other side;
precision is computed over predicted spans and recall over gold spans, so one
long prediction covering two gold spans cannot score twice in precision.

Every score is a sum of per-sentence counts (``span_counts``), which is what lets the
bootstrap functions at the end resample documents and rescore them cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tolltrace.labels import SPAN_LABELS
from tolltrace.types import Span


def _prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> dict[str, float]:
    precision = tp_p / n_pred if n_pred else 0.0
    recall = tp_r / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": n_gold, "predicted": n_pred}


def _overlaps(a: Span, b: Span) -> bool:
    return a.label == b.label and a.start < b.end and b.start < a.end


def _label_counts(g_spans: Sequence[Span], p_spans: Sequence[Span], lab: str, mode: str) -> tuple[int, int, int, int]:
    """(matched predictions, predictions, matched gold spans, gold spans) of one label in one sentence."""
    g = [s for s in g_spans if s.label == lab]
    p = [s for s in p_spans if s.label == lab]
    if mode == "strict":
        tp = len({(s.start, s.end) for s in g} & {(s.start, s.end) for s in p})
        return tp, len(p), tp, len(g)
    tp_p = sum(1 for s in p if any(_overlaps(s, t) for t in g))
    tp_r = sum(1 for t in g if any(_overlaps(s, t) for s in p))
    return tp_p, len(p), tp_r, len(g)


def span_counts(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    mode: str = "strict",
    labels: Sequence[str] = SPAN_LABELS,
) -> np.ndarray:
    """Per-sentence match counts, shape (sentences, labels, 4): the sufficient statistics of span F1.

    Summing rows gives the corpus-level counts, so any subset or resample of the
    sentences can be scored without matching spans again.
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences, pred has {len(pred)}")
    if mode not in ("strict", "overlap"):
        raise ValueError(f"mode must be 'strict' or 'overlap', got {mode!r}")
    out = np.zeros((len(gold), len(labels), 4), dtype=np.int64)
    for i, (g_spans, p_spans) in enumerate(zip(gold, pred)):
        for j, lab in enumerate(labels):
            out[i, j] = _label_counts(g_spans, p_spans, lab, mode)
    return out


def span_scores(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    mode: str = "strict",
    labels: Sequence[str] = SPAN_LABELS,
) -> dict[str, dict[str, float]]:
    """Per-label and micro-averaged P/R/F1 over aligned lists of sentences."""
    totals = span_counts(gold, pred, mode, labels).sum(axis=0)
    out = {lab: _prf(*(int(x) for x in totals[j])) for j, lab in enumerate(labels)}
    out["micro"] = _prf(*(int(x) for x in totals.sum(axis=0)))
    return out


def _f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """F1 from (..., 4) count arrays, 0 where precision and recall are both 0 (as in ``_prf``)."""
    tp_p, n_pred, tp_r, n_gold = (counts[..., k].astype(float) for k in range(4))
    precision = np.divide(tp_p, n_pred, out=np.zeros_like(tp_p), where=n_pred > 0)
    recall = np.divide(tp_r, n_gold, out=np.zeros_like(tp_r), where=n_gold > 0)
    total = precision + recall
    return np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)


def _group_counts(gold, pred, groups, mode, labels) -> np.ndarray:
    """Counts summed per document, shape (documents, labels + micro, 4), documents in sorted key order."""
    if len(groups) != len(gold):
        raise ValueError(f"groups has {len(groups)} entries, gold has {len(gold)} sentences")
    per_sentence = span_counts(gold, pred, mode, labels)
    per_sentence = np.concatenate([per_sentence, per_sentence.sum(axis=1, keepdims=True)], axis=1)
    keys = sorted(set(groups))
    index = {k: i for i, k in enumerate(keys)}
    per_group = np.zeros((len(keys), *per_sentence.shape[1:]), dtype=np.int64)
    np.add.at(per_group, [index[g] for g in groups], per_sentence)
    return per_group


def _resampled_f1(per_group: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """F1 of each label on ``n_resamples`` document resamples, shape (resamples, labels + micro)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per_group), size=(n_resamples, len(per_group)))
    return _f1_from_counts(per_group[draws].sum(axis=1))


def _check(confidence: float, n_resamples: int) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    return (1 - confidence) / 2 * 100


def f1_intervals(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    groups: Sequence[str],
    mode: str = "overlap",
    labels: Sequence[str] = SPAN_LABELS,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Percentile bootstrap interval of each label's F1 (and micro F1), resampling whole documents.

    A test split of a few hundred documents gives F1 values that move by several
    points with the luck of the draw, and a rare label (110 DENIAL spans) moves most;
    the interval says how much of a score is the sample. Sentences of one document
    share an outlet, a topic and often the same claim, so they are resampled together
    (``groups``: one document key per sentence); resampling sentences one by one
    would give intervals that are too narrow.
    """
    tail = _check(confidence, n_resamples)
    f1 = _resampled_f1(_group_counts(gold, pred, groups, mode, labels), n_resamples, seed)
    low, high = np.percentile(f1, [tail, 100 - tail], axis=0)
    return {name: {"low": round(float(low[j]), 4), "high": round(float(high[j]), 4)}
            for j, name in enumerate([*labels, "micro"])}


def f1_difference(
    gold: Sequence[Sequence[Span]],
    pred_a: Sequence[Sequence[Span]],
    pred_b: Sequence[Sequence[Span]],
    groups: Sequence[str],
    mode: str = "overlap",
    labels: Sequence[str] = SPAN_LABELS,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Paired bootstrap of F1(a) - F1(b) on the same sentences: is model a really better than b?

    Both models are scored on the same document resamples, so the documents that are
    hard for both cancel out and the interval is much narrower than the two separate
    intervals suggest. ``share_a_better`` is the fraction of resamples in which a
    scores higher; a difference whose interval holds 0 is not one to act on.
    """
    tail = _check(confidence, n_resamples)
    counts_a = _group_counts(gold, pred_a, groups, mode, labels)
    counts_b = _group_counts(gold, pred_b, groups, mode, labels)
    diff = _resampled_f1(counts_a, n_resamples, seed) - _resampled_f1(counts_b, n_resamples, seed)  # same draws
    point = _f1_from_counts(counts_a.sum(axis=0)) - _f1_from_counts(counts_b.sum(axis=0))
    low, high = np.percentile(diff, [tail, 100 - tail], axis=0)
    return {name: {"difference": round(float(point[j]), 4), "low": round(float(low[j]), 4),
                   "high": round(float(high[j]), 4), "share_a_better": round(float((diff[:, j] > 0).mean()), 4)}
            for j, name in enumerate([*labels, "micro"])}


def sentence_scores(gold: Sequence[dict[str, bool]], pred: Sequence[dict[str, bool]]) -> dict[str, dict[str, float]]:
    """P/R/F1 for each derived sentence label (casualty, attribution, denial, hedge)."""
    names = gold[0].keys() if gold else []
    out = {}
    for name in names:
        tp = sum(1 for g, p in zip(gold, pred) if g[name] and p[name])
        n_pred = sum(1 for p in pred if p[name])
        n_gold = sum(1 for g in gold if g[name])
        out[name] = _prf(tp, n_pred, tp, n_gold)
    return out
