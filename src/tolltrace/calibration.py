"""Are span scores probabilities? Expected calibration error and temperature scaling.

A span's score is the mean probability of its words' predicted tags. We call a
predicted span correct when gold has the same span (strict match), and measure
expected calibration error (ECE, 10 equal-width bins) between score and accuracy.
Temperature scaling (Guo et al., 2017) divides the logits by one scalar fitted on
dev token NLL; it changes scores, never the predicted tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import torch

from tolltrace.align import spans_to_tags
from tolltrace.types import AnnotatedSentence, Span


def expected_calibration_error(scores: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    if not scores:
        return 0.0
    s = np.asarray(scores, dtype=float)
    c = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (s > lo) & (s <= hi) if lo > 0 else (s >= lo) & (s <= hi)
        if mask.any():
            ece += mask.mean() * abs(c[mask].mean() - s[mask].mean())
    return float(ece)


def reliability(pred: Sequence[Sequence[Span]], gold: Sequence[Sequence[Span]]) -> tuple[list[float], list[bool]]:
    """(score, correct) for every predicted span with a score."""
    scores, correct = [], []
    for p_spans, g_spans in zip(pred, gold):
        gset = {(s.start, s.end, s.label) for s in g_spans}
        for span in p_spans:
            if span.score is not None:
                scores.append(float(span.score))
                correct.append((span.start, span.end, span.label) in gset)
    return scores, correct


@torch.inference_mode()
def _dev_logits(tagger, sentences: Sequence[AnnotatedSentence]) -> tuple[torch.Tensor, torch.Tensor]:
    label2id = {v: k for k, v in tagger.id2label_.items()}
    all_logits, all_gold = [], []
    for b in range(0, len(sentences), tagger.batch_size):
        batch = sentences[b:b + tagger.batch_size]
        enc = tagger.tokenizer_([s.text for s in batch], return_offsets_mapping=True, truncation=True,
                                max_length=tagger.max_length_, padding=True, return_tensors="pt")
        offsets = enc.pop("offset_mapping").tolist()
        logits = tagger.model_(**{k: v.to(tagger.device_) for k, v in enc.items()}).logits.float().cpu()
        for row, sent in enumerate(batch):
            tags = spans_to_tags([tuple(o) for o in offsets[row]], sent.spans)
            for j, tag in enumerate(tags):
                if tag is not None and enc["attention_mask"][row][j]:
                    all_logits.append(logits[row, j])
                    all_gold.append(label2id[tag])
    return torch.stack(all_logits), torch.tensor(all_gold)


def fit_temperature(tagger, dev: Sequence[AnnotatedSentence]) -> dict:
    """Choose the temperature with the lowest dev NLL; report span ECE before and after."""
    logits, gold = _dev_logits(tagger, dev)
    grid = np.round(np.arange(0.5, 3.01, 0.05), 2)
    nll = [float(torch.nn.functional.cross_entropy(logits / t, gold)) for t in grid]
    best = float(grid[int(np.argmin(nll))])
    gold_spans = [s.spans for s in dev]
    old_t = tagger.temperature_
    tagger.temperature_ = 1.0
    ece_before = expected_calibration_error(*reliability(tagger.predict([s.text for s in dev]), gold_spans))
    tagger.temperature_ = best
    ece_after = expected_calibration_error(*reliability(tagger.predict([s.text for s in dev]), gold_spans))
    tagger.temperature_ = old_t
    return {"temperature": best, "dev_token_nll_t1": round(nll[int(np.where(grid == 1.0)[0][0])], 4),
            "dev_token_nll": round(min(nll), 4), "dev_span_ece_before": round(ece_before, 4),
            "dev_span_ece_after": round(ece_after, 4)}


def reliability_bins(scores: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[dict]:
    """The points of a reliability diagram: per equal-width score bin, mean score, accuracy and count.

    Uses the same bins as :func:`expected_calibration_error`, so the diagram and the
    ECE printed beside it describe the same numbers. Empty bins are left out.
    """
    s = np.asarray(scores, dtype=float)
    c = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in pairwise(edges):
        mask = (s > lo) & (s <= hi) if lo > 0 else (s >= lo) & (s <= hi)
        if mask.any():
            out.append({"bin_low": round(float(lo), 4), "bin_high": round(float(hi), 4),
                        "mean_score": float(s[mask].mean()), "accuracy": float(c[mask].mean()),
                        "spans": int(mask.sum())})
    return out
