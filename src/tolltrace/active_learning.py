"""Which sentences to annotate next: uncertainty, diversity and random sampling.

Annotation time is the scarce resource, so each strategy ranks a pool of
unlabelled sentences and returns the ``n`` worth a human's time:

``uncertainty``
    least confidence. A sentence's confidence is the lowest probability the tagger
    gives any of its (non-special) tokens' chosen tags; a span's score is the mean of
    those same probabilities over its words, so a sentence with a doubtful span
    ranks high, and so does one where a word almost became a span. Highest
    ``1 - confidence`` first.
``diversity``
    k-means (scikit-learn) with ``n`` clusters over the tagger's sentence embeddings
    (:meth:`tolltrace.tagger.Tagger.embed`), taking the sentence nearest each
    centroid, so one batch covers many kinds of sentence instead of many near-copies.
``random``
    a seeded uniform sample: the baseline any strategy must beat.

Every strategy has the same signature, ``(tagger, texts, n, seed) -> indices``, and
is looked up by name in :data:`STRATEGIES`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from tolltrace.errors import Errors

Strategy = Callable[..., list[int]]


def sentence_confidence(token_probs: Sequence[Sequence[float]] | None) -> float:
    """Lowest chosen-tag probability over a sentence's tokens, specials excluded.

    BERT-style tokenizers put one special token first ([CLS]) and one last ([SEP]);
    they carry no training label, so their probabilities say nothing and are skipped.
    """
    if not token_probs:
        return 1.0
    rows = token_probs[1:-1] if len(token_probs) > 2 else token_probs
    return float(min(max(row) for row in rows))


def uncertainty_scores(tagger, texts: Sequence[str]) -> np.ndarray:
    """``1 - confidence`` per text (0 for an empty text): higher means more worth annotating."""
    results = tagger.predict_with_probs(list(texts), keep_probs=True)
    return np.array([1.0 - sentence_confidence(probs) for _, probs in results], dtype=float)


def select_uncertainty(tagger, texts: Sequence[str], n: int, seed: int = 0) -> list[int]:
    scores = uncertainty_scores(tagger, texts)
    # stable sort on -score: ties keep pool order, so a selection is reproducible
    return [int(i) for i in np.argsort(-scores, kind="stable")[:n]]


def select_diversity(tagger, texts: Sequence[str], n: int, seed: int = 0) -> list[int]:
    from sklearn.cluster import KMeans

    if n >= len(texts):
        return list(range(len(texts)))
    vectors = tagger.embed(list(texts))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1.0, norms)
    km = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(vectors)
    distances = km.transform(vectors)  # (texts, clusters)
    chosen: list[int] = []
    taken: set[int] = set()
    for c in range(n):
        for i in np.argsort(distances[:, c], kind="stable"):
            if int(i) not in taken:
                taken.add(int(i))
                chosen.append(int(i))
                break
    return chosen


def select_random(tagger, texts: Sequence[str], n: int, seed: int = 0) -> list[int]:
    idx = list(range(len(texts)))
    random.Random(seed).shuffle(idx)
    return idx[:n]


STRATEGIES: dict[str, Strategy] = {
    "uncertainty": select_uncertainty,
    "diversity": select_diversity,
    "random": select_random,
}


def get_strategy(name: str) -> Strategy:
    if name not in STRATEGIES:
        raise ValueError(Errors.E080.format(name=name, known=", ".join(STRATEGIES)))
    return STRATEGIES[name]


def select(strategy: str, tagger, texts: Sequence[str], n: int, seed: int = 0) -> list[int]:
    """Indices into ``texts`` of the ``n`` sentences the strategy picks, best first."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return get_strategy(strategy)(tagger, texts, min(n, len(texts)), seed)


# ------------------------------------------------------------------ reporting


def default_report_path(name: str = "active-learning") -> Path:
    """Where the committed experiment results live (``reports/NAME.json``, read by notebook 04)."""
    from tolltrace import config

    return config.PROJECT_ROOT / "reports" / f"{name}.json"


def load_report(path: Path | str | None = None) -> dict:
    """A ``simulate`` result: a path, a name under ``reports/``, or the default result."""
    if isinstance(path, str) and not path.endswith(".json"):
        path = default_report_path(path)
    return json.loads(Path(path or default_report_path()).read_text(encoding="utf-8"))


def strategy_gap(result: dict, a: str = "uncertainty", b: str = "random", metric: str = "macro_f1") -> dict:
    """How far strategy ``a`` is ahead of ``b`` at each round (mean over seeds), and per seed at the end.

    Both strategies start from the same round-0 model and label the same number of
    sentences per round, so the gap at a round is a like-for-like comparison.
    """
    by = {(p["strategy"], p["round"], p["seed"]): p["dev"][metric] for p in result["points"]}
    rounds = sorted({p["round"] for p in result["points"] if p["strategy"] == a})
    seeds = [s for s in result["seeds"] if all((x, r, s) in by for x in (a, b) for r in rounds)]
    per_round = [round(float(np.mean([by[(a, r, s)] - by[(b, r, s)] for s in seeds])), 4) for r in rounds]
    final = rounds[-1] if rounds else None
    ahead = sum(1 for s in seeds if by[(a, final, s)] > by[(b, final, s)]) if final else 0
    return {"strategies": [a, b], "metric": metric, "rounds": rounds, "seeds": seeds, "mean_gap": per_round,
            "mean_gap_over_rounds": round(float(np.mean(per_round)), 4) if per_round else None,
            "seeds_ahead_at_end": ahead}


def learning_curves(result: dict, metric: str = "macro_f1") -> dict[str, dict[str, list[float]]]:
    """Per strategy: labelled sentences, and the metric's mean and spread over seeds at each round."""
    out: dict[str, dict[str, list[float]]] = {}
    for strategy in result["strategies"]:
        rounds: dict[int, list[dict]] = {}
        for point in result["points"]:
            if point["strategy"] in (strategy, "initial"):
                rounds.setdefault(point["round"], []).append(point)
        xs, words, ys, lo, hi = [], [], [], [], []
        for r in sorted(rounds):
            values = [p["dev"][metric] for p in rounds[r]]
            xs.append(float(np.mean([p["labelled_sentences"] for p in rounds[r]])))
            words.append(float(np.mean([p.get("labelled_words", np.nan) for p in rounds[r]])))
            ys.append(float(np.mean(values)))
            lo.append(float(min(values)))
            hi.append(float(max(values)))
        out[strategy] = {"sentences": xs, "words": words, "mean": ys, "min": lo, "max": hi}
    return out


def plot_learning_curves(result: dict, metric: str = "macro_f1", x: str = "sentences", ax=None):
    """F1 on dev against labels used (``x``: sentences or words labelled), one line per strategy.

    With several seeds the line is their mean and the band their min-max range.
    """
    import matplotlib.pyplot as plt

    if x not in ("sentences", "words"):
        raise ValueError(f"x must be 'sentences' or 'words', got {x!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for strategy, curve in learning_curves(result, metric).items():
        line, = ax.plot(curve[x], curve["mean"], marker="o", label=strategy)
        if len(result.get("seeds", [])) > 1:
            ax.fill_between(curve[x], curve["min"], curve["max"], color=line.get_color(), alpha=0.15)
    names = {"macro_f1": "macro-averaged strict span F1", "micro_f1": "micro-averaged strict span F1"}
    ax.set_xlabel(f"training {x} labelled (count)")
    ax.set_ylabel(f"dev {names.get(metric, metric)} (0-1)")
    ax.set_title(f"Active learning, {result.get('model', '?')} model: dev F1 against labels used "
                 f"({len(result.get('seeds', []))} seed(s))")
    ax.grid(alpha=0.3)
    ax.legend(title="strategy")
    return ax


# ------------------------------------------------------- pre-annotations


def predict_with_confidence(tagger, texts: Sequence[str]) -> list[tuple[list, float]]:
    """Spans (with scores) and the sentence confidence for each text, from one forward pass."""
    return [(spans, sentence_confidence(probs)) for spans, probs in tagger.predict_with_probs(list(texts))]


def model_tasks(tagger, sentences: Sequence, model_version: str | None = None) -> list[dict]:
    """Label Studio tasks whose pre-annotation is the model's spans, span scores and sentence confidence."""
    from tolltrace.labelstudio import sentence_to_task

    version = model_version or tagger.model_version_
    predicted = predict_with_confidence(tagger, [s.text for s in sentences])
    return [sentence_to_task(sent, spans, version, score=confidence)
            for sent, (spans, confidence) in zip(sentences, predicted)]
