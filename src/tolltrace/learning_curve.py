"""F1 against training-set size (``tolltrace learning-curve``).

Trains one model per fraction of the training documents (whole documents are
sampled, by :func:`tolltrace.train.load_splits`, so no document is cut in half)
and scores each on **dev**. Dev, not test: a learning curve is an analysis tool
that answers "would more annotation help?", and the frozen test split must not
guide that decision. Dev also selects each run's best epoch, so every point is
equally (slightly) optimistic; the curve's shape, not its height, is the finding.

Each model goes to its own folder under ``work_dir`` (never the default model
directory), and the result file is rewritten after every fraction, so an
interrupted run keeps the points it finished and ``--resume`` skips them.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from tolltrace.errors import Errors, TolltraceError
from tolltrace.labels import SPAN_LABELS
from tolltrace.train_config import TrainConfig

log = logging.getLogger(__name__)


def check_fractions(fractions: Sequence[float]) -> list[float]:
    """Sorted unique fractions in (0, 1]; anything else is a user error (E070)."""
    if not fractions:
        raise TolltraceError(Errors.E070.format(value="[]"))
    out = sorted({float(f) for f in fractions})
    bad = [f for f in out if not 0.0 < f <= 1.0]
    if bad:
        raise TolltraceError(Errors.E070.format(value=bad))
    return out


def parse_fractions(text: str) -> list[float]:
    """``"0.1,0.5,1"`` -> ``[0.1, 0.5, 1.0]``, checked by :func:`check_fractions`."""
    try:
        values = [float(x) for x in text.replace(" ", ",").split(",") if x]
    except ValueError as err:
        raise TolltraceError(Errors.E070.format(value=repr(text))) from err
    return check_fractions(values)


def macro_f1(scores: dict, labels: Sequence[str] = SPAN_LABELS) -> float:
    """Unweighted mean F1 over span labels, from one ``span_scores`` result."""
    return round(sum(scores[lab]["f1"] for lab in labels) / len(labels), 4)


def summarise_point(fraction: float, metrics: dict) -> dict:
    """One curve point from a model's ``metrics.json`` (its dev scores were computed by ``train``)."""
    dev = metrics["dev"]
    return {
        "fraction": fraction,
        "train_sentences": metrics["sizes"]["train"],
        "train_documents": metrics.get("train_documents"),
        "dev_sentences": dev["sentences"],
        "train_seconds": metrics["train_seconds"],
        "threads": metrics.get("threads"),
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "dev": {
            mode: {**{lab: dev[mode][lab]["f1"] for lab in [*SPAN_LABELS, "micro"]}, "macro": macro_f1(dev[mode])}
            for mode in ("strict", "overlap")
        },
    }


def load_result(path: Path) -> dict:
    """Read a learning-curve JSON file, with a coded error naming the file if it is not one (E071)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise TolltraceError(Errors.E071.format(file=path, reason=err)) from err
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise TolltraceError(Errors.E071.format(file=path, reason="no 'points' list"))
    for i, point in enumerate(data["points"]):
        if not isinstance(point, dict) or "fraction" not in point or "dev" not in point:
            raise TolltraceError(Errors.E071.format(file=path, reason=f"point {i} lacks 'fraction' or 'dev'"))
    return data


def _recorded_config(cfg: TrainConfig) -> dict:
    """The settings every point shares (not the per-point fraction and folder)."""
    return cfg.model_dump(exclude={"model": {"output_dir"}, "data": {"train_fraction"}})


def _comparable(config: dict | None) -> dict | None:
    """A recorded config without ``training.threads``: CPU threads change speed, not what is learned,
    so a curve can be resumed on a busier or quieter machine."""
    if config is None:
        return None
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    out.get("training", {}).pop("threads", None)
    return out


def _train_documents(cfg: TrainConfig) -> int:
    from tolltrace.train import load_splits

    return len({s.group for s in load_splits(cfg)["train"]})


def learning_curve(
    cfg: TrainConfig,
    fractions: Sequence[float],
    work_dir: Path,
    output: Path,
    command: str = "",
    resume: bool = False,
    gpu_id: int | None = None,
) -> dict:
    """Train on each fraction, score on dev, write ``output`` after each point; returns the result."""
    from tolltrace import config as paths
    from tolltrace.annotations import load_gold
    from tolltrace.baseline import RuleTagger
    from tolltrace.evaluate import evaluate_model
    from tolltrace.train import data_revision, resolve_path, train

    fractions = check_fractions(fractions)
    done: dict[float, dict] = {}
    if resume and Path(output).is_file():
        old = load_result(output)
        if _comparable(old.get("config")) == _comparable(_recorded_config(cfg)):
            done = {p["fraction"]: p for p in old["points"]}
        else:
            log.warning("%s was made with another config; starting over", output)
    gold = load_gold(resolve_path(cfg.data.annotations_dir, paths.ANNOTATIONS_DIR),
                     resolve_path(cfg.data.corpora_dir, paths.CORPORA_DIR)).sentences
    dev = [s for s in gold if s.split == "dev"]
    if cfg.data.max_eval_samples:
        dev = dev[: cfg.data.max_eval_samples]
    baseline = evaluate_model(RuleTagger(), dev)
    result = {
        "command": command,
        "split": "dev",
        "note": "Scores are on dev, which also chose each run's best epoch; test was not used.",
        "config": _recorded_config(cfg),
        "data": data_revision(resolve_path(cfg.data.annotations_dir, paths.ANNOTATIONS_DIR)),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "baseline_dev": {mode: {**{lab: baseline[mode][lab]["f1"] for lab in [*SPAN_LABELS, "micro"]},
                                "macro": macro_f1(baseline[mode])} for mode in ("strict", "overlap")},
        "points": [],
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for fraction in fractions:
        if fraction in done:
            result["points"].append(done[fraction])
            continue
        run_cfg = cfg.model_copy(deep=True)
        run_cfg.data.train_fraction = fraction
        run_cfg.model.output_dir = str(Path(work_dir) / f"fraction-{fraction:g}")
        log.info("learning curve: fraction %g", fraction)
        model_dir = train(run_cfg, gpu_id)
        metrics = json.loads((model_dir / "metrics.json").read_text())
        metrics["train_documents"] = _train_documents(run_cfg)
        result["points"].append(summarise_point(fraction, metrics))
        result["points"].sort(key=lambda p: p["fraction"])
        result["total_seconds"] = round(time.monotonic() - started, 1)
        output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    result["points"].sort(key=lambda p: p["fraction"])
    output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
