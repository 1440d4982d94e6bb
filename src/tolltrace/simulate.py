"""Simulated annotator: does uncertainty sampling buy more F1 per label than random?

The gold train split plays the annotator. For each seed we keep a random
``initial_fraction`` of training *documents* as the already-labelled set and put
the other training sentences in a pool. Round 0 trains one model on the initial
set; then each strategy, starting from that same model, picks ``batch`` pool
sentences, "annotates" them (their gold spans are revealed), retrains from the
base encoder on everything labelled so far, and repeats for ``rounds`` rounds.

Two learners: ``probe`` (the default; a logistic regression over frozen encoder
features, seconds per model, see :mod:`tolltrace.probe`) and ``finetune`` (the
real tagger, fine-tuned from the base encoder every round with cheaper fixed
settings; minutes per model, too slow for several seeds on 2 shared CPU cores).

Every model is scored on DEV (never test): the test split is for the final model
only. The result file records the config, the data revision, every point and
its timing, and is written after each point so a long run can be inspected early.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tolltrace import config as paths
from tolltrace.active_learning import get_strategy
from tolltrace.labels import SPAN_LABELS
from tolltrace.train_config import TrainConfig
from tolltrace.types import AnnotatedSentence

log = logging.getLogger(__name__)

#: Cheaper fixed training settings for ``--model finetune`` (the full config takes ~16 min a model on 2 cores).
SIMULATION_OVERRIDES = (
    "model.max_length=128",
    "training.epochs=3",
    "training.early_stopping_patience=2",
    "training.calibrate=false",
)


def initial_split(train: Sequence[AnnotatedSentence], fraction: float, seed: int, pool_size: int | None = None
                  ) -> tuple[list[AnnotatedSentence], list[AnnotatedSentence]]:
    """(labelled, pool): a seeded share of whole training documents, and the remaining sentences.

    ``pool_size`` caps the pool with a seeded sample (scoring every pool sentence
    each round is the slow part of a selection on CPU); every strategy sees the same pool.
    """
    groups = sorted({s.group for s in train})
    rng = random.Random(seed)
    rng.shuffle(groups)
    keep = set(groups[: max(1, round(len(groups) * fraction))])
    pool = [s for s in train if s.group not in keep]
    if pool_size is not None and pool_size < len(pool):
        pool = [pool[i] for i in sorted(rng.sample(range(len(pool)), pool_size))]
    return [s for s in train if s.group in keep], pool


def _point(strategy: str, round_: int, seed: int, labelled: Sequence[AnnotatedSentence], dev: dict,
           train_seconds: float, select_seconds: float) -> dict:
    strict = dev["strict"]
    return {
        "strategy": strategy, "round": round_, "seed": seed,
        "labelled_sentences": len(labelled),
        "labelled_spans": sum(len(s.spans) for s in labelled),
        "labelled_words": sum(len(s.text.split()) for s in labelled),
        "dev": {
            "macro_f1": round(sum(strict[lab]["f1"] for lab in SPAN_LABELS) / len(SPAN_LABELS), 4),
            "micro_f1": strict["micro"]["f1"],
            "overlap_micro_f1": dev["overlap"]["micro"]["f1"],
            "per_label_f1": {lab: strict[lab]["f1"] for lab in SPAN_LABELS},
        },
        "train_seconds": round(train_seconds, 1), "select_seconds": round(select_seconds, 1),
    }


class ProbeLearner:
    """Fits a :class:`~tolltrace.probe.ProbeTagger` (frozen encoder + logistic regression): seconds per model."""

    kind = "probe"

    def __init__(self, dev: Sequence[AnnotatedSentence], max_length: int = 128, C: float = 1.0):
        self.dev = dev
        self.max_length = max_length
        self.C = C

    def prepare(self, sentences: Sequence[AnnotatedSentence]) -> None:
        from tolltrace.probe import FrozenEncoder

        self.encoder_ = FrozenEncoder(max_length=self.max_length).fit([s.text for s in [*sentences, *self.dev]])

    def __call__(self, labelled: list[AnnotatedSentence], seed: int, name: str):
        from tolltrace.evaluate import evaluate_model
        from tolltrace.probe import ProbeTagger

        t0 = time.monotonic()
        tagger = ProbeTagger(self.encoder_, C=self.C, seed=seed).fit(labelled)
        seconds = time.monotonic() - t0
        return tagger, evaluate_model(tagger, self.dev), seconds

    def release(self, tagger) -> None:
        pass


class FinetuneLearner:
    """Fine-tunes the transformer from the base encoder each round (the real tagger; minutes per model)."""

    kind = "finetune"

    def __init__(self, cfg: TrainConfig, dev: Sequence[AnnotatedSentence], work: Path,
                 train_fn: Callable | None = None):
        self.cfg = cfg
        self.dev = list(dev)
        self.work = work
        self.train_fn = train_fn

    def prepare(self, sentences: Sequence[AnnotatedSentence]) -> None:
        self.dirs_: dict[int, Path] = {}

    def __call__(self, labelled: list[AnnotatedSentence], seed: int, name: str):
        from tolltrace.tagger import Tagger
        from tolltrace.train import train

        run_cfg = self.cfg.model_copy(deep=True)
        run_cfg.training.seed = seed
        run_cfg.model.output_dir = str(self.work / name)
        out = (self.train_fn or train)(run_cfg, splits={"train": labelled, "dev": self.dev})
        metrics = json.loads((out / "metrics.json").read_text())
        tagger = Tagger.load(out, batch_size=self.cfg.training.eval_batch_size)
        self.dirs_[id(tagger)] = out
        return tagger, metrics["dev"], metrics["train_seconds"]

    def release(self, tagger) -> None:
        """Delete a model directory once no strategy needs that model (each is ~90 MB)."""
        out = self.dirs_.pop(id(tagger), None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)


def simulate(
    learner,
    splits: dict[str, list[AnnotatedSentence]],
    strategies: Sequence[str],
    rounds: int,
    batch: int,
    seeds: Sequence[int],
    initial_fraction: float = 0.2,
    pool_size: int | None = None,
    output: Path | None = None,
    settings: dict | None = None,
    previous: dict | None = None,
) -> dict:
    """Run the experiment with ``learner`` (see :class:`ProbeLearner`, :class:`FinetuneLearner`).

    Returns the result, and with ``output`` writes it after every point. ``previous``
    (an earlier result of the same design and data) supplies the seeds it already
    completed, so adding a seed does not rerun the others.
    """
    from tolltrace.train import data_revision

    for name in strategies:
        get_strategy(name)
    result = {
        "experiment": "simulated annotator", "model": learner.kind, "strategies": list(strategies),
        "rounds": rounds, "batch": batch, "seeds": list(seeds), "initial_fraction": initial_fraction,
        "pool_size": pool_size, "metric_split": "dev", "settings": settings or {},
        "data": data_revision(paths.ANNOTATIONS_DIR),
        "sizes": {"train": len(splits["train"]), "dev": len(splits["dev"])},
        "points": [],
    }

    def save() -> None:
        if output is not None:  # write then rename, so a reader never sees half a file
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(output).with_suffix(".tmp")
            tmp.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
            tmp.replace(output)

    done = _completed_seeds(previous, result) if previous else set()
    result["points"] = [p for p in (previous or {}).get("points", []) if p["seed"] in done]
    todo = [seed for seed in seeds if seed not in done]
    if todo:
        learner.prepare(splits["train"])
    for seed in todo:
        labelled0, pool0 = initial_split(splits["train"], initial_fraction, seed, pool_size)
        model0, dev, seconds = learner(labelled0, seed, f"seed{seed}-initial")
        result["points"].append(_point("initial", 0, seed, labelled0, dev, seconds, 0.0))
        save()
        log.info("seed %d: %d labelled, %d in pool, dev macro F1 %.3f", seed, len(labelled0), len(pool0),
                 result["points"][-1]["dev"]["macro_f1"])
        for strategy in strategies:
            labelled, pool, model = list(labelled0), list(pool0), model0
            for round_ in range(1, rounds + 1):
                t0 = time.monotonic()
                picked = get_strategy(strategy)(model, [s.text for s in pool], min(batch, len(pool)),
                                                seed * 1000 + round_)
                chosen = set(picked)
                labelled += [pool[i] for i in picked]  # the simulated annotator reveals the gold spans
                pool = [s for i, s in enumerate(pool) if i not in chosen]
                select_seconds = time.monotonic() - t0
                new_model, dev, seconds = learner(labelled, seed, f"seed{seed}-{strategy}-r{round_}")
                if model is not model0:
                    learner.release(model)
                model = new_model
                result["points"].append(_point(strategy, round_, seed, labelled, dev, seconds, select_seconds))
                log.info("seed %d %s round %d: %d labelled, dev macro F1 %.3f", seed, strategy, round_,
                         len(labelled), result["points"][-1]["dev"]["macro_f1"])
                save()
            if model is not model0:
                learner.release(model)
        learner.release(model0)
    result["summary"] = summarize(result)
    save()
    return result


def _completed_seeds(previous: dict, current: dict) -> set[int]:
    """Seeds of ``previous`` with every point present, after checking it ran the same design on the same data."""
    keys = ("experiment", "model", "strategies", "rounds", "batch", "initial_fraction", "pool_size", "settings",
            "sizes")
    differ = [k for k in keys if previous.get(k) != current.get(k)]
    if previous.get("data", {}).get("annotations_sha1") != current["data"]["annotations_sha1"]:
        differ.append("data")
    if differ:
        raise ValueError(f"cannot resume: the earlier result differs in {', '.join(differ)}; "
                         "write to a new --output instead")
    expected = 1 + len(current["strategies"]) * current["rounds"]
    counts: dict[int, int] = {}
    for point in previous.get("points", []):
        counts[point["seed"]] = counts.get(point["seed"], 0) + 1
    return {seed for seed, n in counts.items() if n == expected and seed in current["seeds"]}


def summarize(result: dict, metric: str = "macro_f1") -> dict:
    """Final-round dev F1 per strategy (mean over seeds) and the area under each curve.

    The area (trapezoids over labelled sentences, divided by the x range) rewards a
    strategy that is ahead early as well as at the end.
    """
    from tolltrace.active_learning import learning_curves

    out: dict = {}
    for strategy, curve in learning_curves(result, metric).items():
        xs, ys = curve["sentences"], curve["mean"]
        area = sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))
        width = xs[-1] - xs[0] if len(xs) > 1 else 1.0
        out[strategy] = {"final_sentences": xs[-1], f"final_{metric}": round(ys[-1], 4),
                         f"mean_{metric}_over_curve": round(area / width if len(xs) > 1 else ys[-1], 4)}
    return out
