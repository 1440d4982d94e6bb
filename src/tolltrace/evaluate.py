"""Honest scores for a span tagger on one split (``tolltrace evaluate``).

Reports, per label, strict and overlap precision / recall / F1 (see
:mod:`tolltrace.metrics`), sentence-level P/R/F1 for the four derived labels, a
word-level confusion matrix, and span-score calibration. Any object with a
``predict(texts) -> list[list[Span]]`` method can be scored, so the rule
baseline is measured with exactly the same code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tolltrace.calibration import expected_calibration_error, reliability
from tolltrace.labels import SPAN_LABELS, sentence_labels
from tolltrace.metrics import f1_difference, f1_intervals, sentence_scores, span_scores
from tolltrace.types import AnnotatedSentence, Span

WORD = re.compile(r"\w+|[^\w\s]")


def word_labels(text: str, spans: Sequence[Span]) -> list[str]:
    """The label of each word of ``text`` (``O`` outside spans): the unit of the confusion matrix."""
    out = []
    for m in WORD.finditer(text):
        label = "O"
        for s in spans:
            if s.start < m.end() and m.start() < s.end:
                label = s.label
                break
        out.append(label)
    return out


def confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], texts: Sequence[str]) -> dict:
    names = ["O", *SPAN_LABELS]
    matrix = {g: {p: 0 for p in names} for g in names}
    for text, g, p in zip(texts, gold, pred):
        for gl, pl in zip(word_labels(text, g), word_labels(text, p)):
            matrix[gl][pl] += 1
    return {"labels": names, "rows_gold_cols_pred": [[matrix[g][p] for p in names] for g in names]}


def score_predictions(sentences: Sequence[AnnotatedSentence], pred: Sequence[Sequence[Span]],
                      n_resamples: int = 1000) -> dict:
    """All the scores of one split; ``*_ci`` are 95% document-bootstrap intervals of F1 (0 resamples: none)."""
    gold = [s.spans for s in sentences]
    texts = [s.text for s in sentences]
    groups = [s.group for s in sentences]
    scores, correct = reliability(pred, gold)
    intervals = {}
    if n_resamples and sentences:
        intervals = {f"{mode}_ci": f1_intervals(gold, pred, groups, mode, n_resamples=n_resamples)
                     for mode in ("strict", "overlap")}
        intervals["ci_method"] = {"resamples": n_resamples, "confidence": 0.95, "unit": "document"}
    return {
        "sentences": len(sentences),
        "documents": len(set(groups)),
        "strict": span_scores(gold, pred, "strict"),
        "overlap": span_scores(gold, pred, "overlap"),
        **intervals,
        "sentence_labels": sentence_scores([sentence_labels(x.label for x in g) for g in gold],
                                           [sentence_labels(x.label for x in p) for p in pred]),
        "confusion": confusion(gold, pred, texts),
        "span_ece": round(expected_calibration_error(scores, correct), 4) if scores else None,
    }


def evaluate_model(model, sentences: Sequence[AnnotatedSentence]) -> dict:
    return score_predictions(sentences, model.predict([s.text for s in sentences]))


def format_report(name: str, result: dict) -> str:
    ci = result.get("overlap_ci")
    docs = f", {result['documents']} documents" if "documents" in result else ""
    lines = [f"{name}: {result['sentences']} sentences{docs}",
             f"{'label':<10}{'strict P':>9}{'R':>7}{'F1':>7}{'overlap P':>11}{'R':>7}{'F1':>7}{'gold':>6}"
             + (f"{'overlap F1 95% CI':>19}" if ci else "")]
    for lab in [*SPAN_LABELS, "micro"]:
        s, o = result["strict"][lab], result["overlap"][lab]
        interval = f"{ci[lab]['low']:>12.3f}-{ci[lab]['high']:.3f}" if ci else ""
        lines.append(f"{lab:<10}{s['precision']:>9.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                     f"{o['precision']:>11.3f}{o['recall']:>7.3f}{o['f1']:>7.3f}{s['support']:>6}{interval}")
    lines.append("sentence labels: " + "  ".join(f"{k} F1 {v['f1']:.3f}" for k, v in result["sentence_labels"].items()))
    if result.get("span_ece") is not None:
        lines.append(f"span score ECE: {result['span_ece']:.4f}")
    if ci:
        method = result.get("ci_method", {})
        lines.append(f"CI: percentile bootstrap over documents ({method.get('resamples', '?')} resamples); "
                     "strict intervals are in the JSON")
    return "\n".join(lines)


def compare_predictions(sentences: Sequence[AnnotatedSentence], pred_a: Sequence[Sequence[Span]],
                        pred_b: Sequence[Sequence[Span]], n_resamples: int = 1000) -> dict:
    """Paired document-bootstrap differences of F1, a minus b, strict and overlap (see ``f1_difference``)."""
    gold = [s.spans for s in sentences]
    groups = [s.group for s in sentences]
    return {mode: f1_difference(gold, pred_a, pred_b, groups, mode, n_resamples=n_resamples)
            for mode in ("strict", "overlap")}


def format_comparison(name: str, comparison: dict) -> str:
    lines = [f"{name}: F1 difference, 95% paired bootstrap interval over documents, share of resamples a > b",
             f"{'label':<10}{'strict':>9}{'interval':>17}{'a > b':>9}{'overlap':>10}{'interval':>17}{'a > b':>9}"]
    for lab in comparison["overlap"]:
        cells = []
        for mode, width in (("strict", 9), ("overlap", 10)):
            d = comparison[mode][lab]
            cells.append(f"{d['difference']:>+{width}.3f}{d['low']:>+10.3f} to {d['high']:<+6.3f}"
                         f"{d['share_a_better']:>6.0%}")
        lines.append(f"{lab:<10}" + "".join(cells))
    return "\n".join(lines)


def error_table(sentences: Sequence[AnnotatedSentence], pred: Sequence[Sequence[Span]]) -> list[dict]:
    """Every disagreement between gold and prediction, one row per span, worst first.

    kinds: ``missed`` (gold span with no overlapping prediction of its label),
    ``spurious`` (prediction with no overlapping gold span), ``boundary`` (overlaps
    but not exact), ``label`` (same extent, other label). Confident errors sort first.
    """
    rows = []
    for sent, p_spans in zip(sentences, pred):
        text = sent.text
        for g in sent.spans:
            same = [p for p in p_spans if (p.start, p.end) == (g.start, g.end)]
            over = [p for p in p_spans if p.label == g.label and p.start < g.end and g.start < p.end]
            if any(p.label == g.label for p in same):
                continue
            if same:
                kind, other = "label", same[0]
            elif over:
                kind, other = "boundary", over[0]
            else:
                kind, other = "missed", None
            rows.append({"uid": sent.uid, "kind": kind, "label": g.label, "gold": text[g.start:g.end],
                         "predicted": None if other is None else f"{text[other.start:other.end]} ({other.label})",
                         "score": None if other is None else other.score, "sentence": text})
        for p in p_spans:
            if not any(g.start < p.end and p.start < g.end for g in sent.spans):
                rows.append({"uid": sent.uid, "kind": "spurious", "label": p.label, "gold": None,
                             "predicted": text[p.start:p.end], "score": p.score, "sentence": text})
    rows.sort(key=lambda r: -(r["score"] or 0.0) if r["kind"] == "spurious" else -1.0)
    return rows


def rank_misses(tagger, sentences: Sequence[AnnotatedSentence], rows: list[dict]) -> list[dict]:
    """The ``missed`` rows of :func:`error_table`, most confident miss first.

    A miss is worse when the model was sure there was nothing there: each row gets
    ``o_prob``, the model's mean probability of tag ``O`` over the gold span's
    tokens (with the model's calibrated temperature). A miss at 0.99 is a blind
    spot; one at 0.55 was nearly caught and a threshold or more data may fix it.
    """
    by_uid = {s.uid: s for s in sentences}
    missed = [r for r in rows if r["kind"] == "missed"]
    texts = list(dict.fromkeys(r["sentence"] for r in missed))
    probs = dict(zip(texts, (p for _, p in tagger.predict_with_probs(texts, keep_probs=True))))
    o_id = next(i for i, tag in tagger.id2label_.items() if tag == "O")
    out = []
    for r in missed:
        sent = by_uid.get(r["uid"])
        span = next((g for g in sent.spans if g.label == r["label"] and sent.text[g.start:g.end] == r["gold"]),
                    None) if sent else None
        token_probs = probs.get(r["sentence"]) or []
        enc = tagger.tokenizer_(r["sentence"], return_offsets_mapping=True, truncation=True,
                                max_length=tagger.max_length_)
        inside = [token_probs[j][o_id] for j, (a, b) in enumerate(enc["offset_mapping"])
                  if span is not None and j < len(token_probs) and b > a and a < span.end and span.start < b]
        out.append({**r, "o_prob": round(float(sum(inside) / len(inside)), 4) if inside else None})
    out.sort(key=lambda r: -r["o_prob"] if r["o_prob"] is not None else 1.0)  # unscored (truncated) last
    return out


def failure_examples_markdown(rows: list[dict], per_kind: int = 3) -> str:
    """A few real examples of each failure kind, for the model card."""
    out = []
    for kind, title in (("missed", "Missed spans"), ("spurious", "Spurious spans"),
                        ("boundary", "Wrong boundaries"), ("label", "Wrong label")):
        picked = [r for r in rows if r["kind"] == kind][:per_kind]
        total = sum(1 for r in rows if r["kind"] == kind)
        if not picked:
            continue
        out.append(f"**{title}** ({total} on this split), e.g.:")
        for r in picked:
            out.append(f"- gold `{r['gold']}` / predicted `{r['predicted']}` ({r['label']}): \"{r['sentence'][:220]}\"")
        out.append("")
    return "\n".join(out)
