"""Simulated annotator: does uncertainty sampling buy more F1 per label than random?

The gold train split plays the annotator. For each seed we keep a random
``initial_fraction`` of training *documents* as the already-labelled set and put
the other training sentences in a pool. Round 0 trains one model on the initial
set; then each strategy, starting from that same model, picks ``batch`` pool
sentences, "annotates" them (their gold spans are revealed), retrains from the
base encoder on everything labelled so far, and repeats for ``rounds`` rounds.

Every model is scored on DEV (never test): the test split is for the final model
only. The result file records the config, the data revision, every point and
its timing, and is written after each point so a long run can be inspected early.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tolltrace import config as paths
from tolltrace.active_learning import get_strategy
from tolltrace.labels import SPAN_LABELS
from tolltrace.train_config import TrainConfig
from tolltrace.types import AnnotatedSentence

log = logging.getLogger(__name__)

#: Cheap, fixed training settings for the experiment (the full config takes ~16 min a model on 2 cores).
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


def _point(strategy: str, round_: int, seed: int, labelled: Sequence[AnnotatedSentence], metrics: dict,
           select_seconds: float) -> dict:
    dev = metrics["dev"]
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
        "train_seconds": metrics["train_seconds"], "select_seconds": round(select_seconds, 1),
        "best_epoch": metrics["best_epoch"],
    }


def simulate(
    cfg: TrainConfig,
    splits: dict[str, list[AnnotatedSentence]],
    strategies: Sequence[str],
    rounds: int,
    batch: int,
    seeds: Sequence[int],
    initial_fraction: float = 0.2,
    pool_size: int | None = None,
    output: Path | None = None,
    work_dir: Path | None = None,
    train_fn: Callable | None = None,
) -> dict:
    """Run the experiment; returns (and, with ``output``, writes after every point) the result."""
    from tolltrace.tagger import Tagger
    from tolltrace.train import data_revision, resolve_path
    from tolltrace.train import train as default_train

    train_fn = train_fn or default_train
    for name in strategies:
        get_strategy(name)
    work = Path(work_dir or tempfile.mkdtemp(prefix="tolltrace-al-"))
    work.mkdir(parents=True, exist_ok=True)
    result = {
        "experiment": "simulated annotator", "strategies": list(strategies), "rounds": rounds, "batch": batch,
        "seeds": list(seeds), "initial_fraction": initial_fraction, "pool_size": pool_size, "metric_split": "dev",
        "config": cfg.model_dump(), "data": data_revision(resolve_path(cfg.data.annotations_dir,
                                                                       paths.ANNOTATIONS_DIR)),
        "sizes": {"train": len(splits["train"]), "dev": len(splits["dev"])},
        "points": [],
    }

    def save() -> None:
        if output is not None:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")

    def fit(labelled: list[AnnotatedSentence], seed: int, name: str) -> tuple[Path, dict]:
        run_cfg = cfg.model_copy(deep=True)
        run_cfg.training.seed = seed
        run_cfg.model.output_dir = str(work / name)
        out = train_fn(run_cfg, splits={"train": labelled, "dev": splits["dev"]})
        return out, json.loads((out / "metrics.json").read_text())

    for seed in seeds:
        labelled0, pool0 = initial_split(splits["train"], initial_fraction, seed, pool_size)
        model0, metrics = fit(labelled0, seed, f"seed{seed}-initial")
        result["points"].append(_point("initial", 0, seed, labelled0, metrics, 0.0))
        save()
        log.info("seed %d: %d labelled, %d in pool", seed, len(labelled0), len(pool0))
        for strategy in strategies:
            labelled, pool, model_dir = list(labelled0), list(pool0), model0
            for round_ in range(1, rounds + 1):
                t0 = time.monotonic()
                tagger = Tagger.load(model_dir, batch_size=cfg.training.eval_batch_size)
                picked = get_strategy(strategy)(tagger, [s.text for s in pool], min(batch, len(pool)),
                                                seed * 1000 + round_)
                del tagger
                chosen = set(picked)
                labelled += [pool[i] for i in picked]  # the simulated annotator reveals the gold spans
                pool = [s for i, s in enumerate(pool) if i not in chosen]
                select_seconds = time.monotonic() - t0
                new_dir, metrics = fit(labelled, seed, f"seed{seed}-{strategy}-r{round_}")
                if model_dir != model0:
                    shutil.rmtree(model_dir, ignore_errors=True)
                model_dir = new_dir
                result["points"].append(_point(strategy, round_, seed, labelled, metrics, select_seconds))
                save()
            if model_dir != model0:
                shutil.rmtree(model_dir, ignore_errors=True)
        shutil.rmtree(model0, ignore_errors=True)
    result["summary"] = summarize(result)
    save()
    return result


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
