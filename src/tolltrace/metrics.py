"""Span-level scores shared by evaluation and inter-annotator agreement.

*strict*: a predicted span counts only if start, end and label equal a gold span
(the entity-level rule of seqeval / CoNLL). *overlap*: a span counts if it shares
at least one character with a span of the same label on the other side;
precision is computed over predicted spans and recall over gold spans, so one
long prediction covering two gold spans cannot score twice in precision.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def span_scores(
    gold: Sequence[Sequence[Span]],
    pred: Sequence[Sequence[Span]],
    mode: str = "strict",
    labels: Sequence[str] = SPAN_LABELS,
) -> dict[str, dict[str, float]]:
    """Per-label and micro-averaged P/R/F1 over aligned lists of sentences."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences, pred has {len(pred)}")
    if mode not in ("strict", "overlap"):
        raise ValueError(f"mode must be 'strict' or 'overlap', got {mode!r}")
    counts = {lab: [0, 0, 0, 0] for lab in labels}  # tp_precision, n_pred, tp_recall, n_gold
    for g_spans, p_spans in zip(gold, pred):
        for lab in labels:
            g = [s for s in g_spans if s.label == lab]
            p = [s for s in p_spans if s.label == lab]
            if mode == "strict":
                gset = {(s.start, s.end) for s in g}
                pset = {(s.start, s.end) for s in p}
                tp = len(gset & pset)
                tp_p = tp_r = tp
            else:
                tp_p = sum(1 for s in p if any(_overlaps(s, t) for t in g))
                tp_r = sum(1 for t in g if any(_overlaps(s, t) for s in p))
            c = counts[lab]
            c[0] += tp_p
            c[1] += len(p)
            c[2] += tp_r
            c[3] += len(g)
    out = {lab: _prf(*counts[lab]) for lab in labels}
    total = [sum(counts[lab][i] for lab in labels) for i in range(4)]
    out["micro"] = _prf(*total)
    return out


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
