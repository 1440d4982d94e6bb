"""Retrain on new annotations, and replace the default model only when no label got worse.

``tolltrace retrain`` closes the active-learning loop: pull what annotators did
in Label Studio, train a *candidate* from the current config, score the default
model and the candidate on exactly the frozen test split (the one
``test-split.lock.json`` fingerprints), and promote the candidate only if no
label's strict F1 drops by more than ``max_drop``. A new annotation must not
quietly cost another label its quality; ``force`` overrides, visibly.

The old model is kept next to the default as ``<name>.previous`` for rollback.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tolltrace.annotations import load_gold
from tolltrace.errors import Errors, TolltraceError
from tolltrace.labels import SPAN_LABELS
from tolltrace.splits import check_lock, fingerprint, read_lock
from tolltrace.types import AnnotatedSentence

DEFAULT_MAX_DROP = 0.02
REPORT_NAME = "retrain-comparison"


@dataclass
class RetrainResult:
    """What a retrain decided: the comparison rows, whether the guard passed, and where things went."""

    rows: list[dict]
    accepted: bool
    replaced: bool
    forced: bool
    candidate: Path
    model_dir: Path
    failures: list[str] = field(default_factory=list)
    test_sentences: int = 0
    pulled: int = 0


def locked_test_split(annotations_dir: Path, corpora_dir: Path) -> list[AnnotatedSentence]:
    """The test sentences, after checking they are exactly the locked split (E081 otherwise)."""
    test = [s for s in load_gold(annotations_dir, corpora_dir).sentences if s.split == "test"]
    problem = check_lock(annotations_dir, test)
    if problem:
        lock = read_lock(annotations_dir) or {}
        raise TolltraceError(Errors.E081.format(path=annotations_dir, version=lock.get("version"), reason=problem))
    return test


def check_pulled(pulled: Sequence[AnnotatedSentence], locked: Sequence[AnnotatedSentence]) -> None:
    """Refuse (E082, before anything is written) pulled annotations that edit a frozen test sentence."""
    by_uid = {s.uid: s for s in locked}
    changed = [s.uid for s in pulled if s.uid in by_uid and fingerprint([s]) != fingerprint([by_uid[s.uid]])]
    if changed:
        raise TolltraceError(Errors.E082.format(n=len(changed), example=changed[0]))


def pull_annotations(client, project_id: int, annotations_dir: Path, corpora_dir: Path, name: str = "pulled"
                     ) -> tuple[dict[str, int], list[str]]:
    """Pull a Label Studio project's annotations into ``annotations_dir``, never touching the frozen test split.

    A pulled edit of a locked test sentence is refused (E082). A new sentence from a
    held-out test document is not merged either: it would change the frozen split,
    which only ``tolltrace data freeze-test`` may do, visibly. Returns how many
    sentences went to each file and the uids held back.
    """
    from tolltrace import labelstudio
    from tolltrace.annotations import merge_pulled
    from tolltrace.splits import split_for_group

    locked = locked_test_split(annotations_dir, corpora_dir)
    locked_uids = {s.uid for s in locked}
    pulled = labelstudio.pull_sentences(client, project_id)
    check_pulled(pulled, locked)
    held = {s.uid for s in pulled if s.uid not in locked_uids
            and (s.split or split_for_group(s.group, s.written)) == "test"}
    keep = [s for s in pulled if s.uid not in locked_uids and s.uid not in held]
    return (merge_pulled(keep, annotations_dir, name) if keep else {}), sorted(held)


def compare(old: dict | None, new: dict, max_drop: float = DEFAULT_MAX_DROP,
            paired: dict | None = None) -> tuple[list[dict], list[str]]:
    """Per-label strict F1 of the old and new model (``score_predictions`` results) and the guard's verdict.

    Returns the table rows (one per label, then micro) and the labels whose F1 fell
    by more than ``max_drop``. With no old model every row passes. ``paired``
    (``evaluate.compare_predictions`` of new against old) adds the 95% interval of each
    change, so a reader can see whether a drop that trips the guard is more than the
    luck of the test documents; the verdict itself stays the plain threshold.
    """
    rows, failures = [], []
    for label in [*SPAN_LABELS, "micro"]:
        new_f1 = new["strict"][label]["f1"]
        old_f1 = old["strict"][label]["f1"] if old is not None else None
        delta = None if old_f1 is None else round(new_f1 - old_f1, 4)
        ok = delta is None or delta >= -max_drop
        if not ok and label != "micro":
            failures.append(f"{label} F1 {old_f1:.3f} -> {new_f1:.3f} ({delta:+.3f}, limit -{max_drop:.3f})")
        interval = paired["strict"][label] if paired is not None and old is not None else {}
        rows.append({"label": label, "old_f1": old_f1, "new_f1": new_f1, "delta": delta,
                     "delta_low": interval.get("low"), "delta_high": interval.get("high"),
                     "support": new["strict"][label]["support"], "ok": ok})
    return rows, failures


def format_table(rows: Sequence[dict], max_drop: float) -> str:
    """The comparison as a Markdown table (strict span F1 on the frozen test split)."""
    lines = [f"| label | old F1 | new F1 | change | 95% interval of change | gold spans | within -{max_drop:.2f} |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        old = "-" if r["old_f1"] is None else f"{r['old_f1']:.3f}"
        delta = "-" if r["delta"] is None else f"{r['delta']:+.3f}"
        interval = ("-" if r.get("delta_low") is None
                    else f"{r['delta_low']:+.3f} to {r['delta_high']:+.3f}")
        lines.append(f"| {r['label']} | {old} | {r['new_f1']:.3f} | {delta} | {interval} | {r['support']} | "
                     f"{'yes' if r['ok'] else '**no**'} |")
    return "\n".join(lines)


def promote(candidate: Path, model_dir: Path) -> Path | None:
    """Move the candidate into ``model_dir``; the old model becomes ``<name>.previous``. Returns that path."""
    previous = None
    if model_dir.exists() or model_dir.is_symlink():
        previous = model_dir.with_name(model_dir.name + ".previous")
        if previous.is_symlink() or previous.is_file():
            previous.unlink()
        elif previous.exists():
            shutil.rmtree(previous)
        model_dir.rename(previous)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(candidate), str(model_dir))
    return previous


def _stamp_version(model: Path, name: str, annotations_sha1: str | None) -> str:
    """Give the candidate a version naming its data, so Label Studio can tell its predictions apart."""
    from tolltrace.tagger import TAGGER_FILE

    settings_path = model / TAGGER_FILE
    settings = json.loads(settings_path.read_text()) if settings_path.is_file() else {}
    settings["model_version"] = f"{name}@{(annotations_sha1 or 'unknown')[:10]}"
    settings_path.write_text(json.dumps(settings, indent=2) + "\n")
    return settings["model_version"]


def retrain(
    cfg,
    model_dir: Path,
    candidate: Path,
    annotations_dir: Path,
    corpora_dir: Path,
    max_drop: float = DEFAULT_MAX_DROP,
    force: bool = False,
    train_candidate: bool = True,
    gpu_id: int | None = None,
) -> RetrainResult:
    """Train (unless ``train_candidate`` is false), compare on the locked test split, promote if the guard passes."""
    from tolltrace.evaluate import compare_predictions, score_predictions
    from tolltrace.tagger import Tagger
    from tolltrace.train import data_revision, train

    model_dir, candidate = Path(model_dir), Path(candidate)
    test = locked_test_split(annotations_dir, corpora_dir)
    if train_candidate:
        cfg = cfg.model_copy(deep=True)
        cfg.model.output_dir = str(candidate.resolve())
        cfg.data.annotations_dir = str(Path(annotations_dir).resolve())
        cfg.data.corpora_dir = str(Path(corpora_dir).resolve())
        train(cfg, gpu_id)
        from tolltrace.model_card import write_model_card

        write_model_card(candidate)
        _stamp_version(candidate, model_dir.name, data_revision(annotations_dir)["annotations_sha1"])
    if not any(candidate.glob("*.safetensors")):
        raise TolltraceError(Errors.E084.format(path=candidate))
    texts = [s.text for s in test]
    new_pred = Tagger.load(candidate).predict(texts)
    old_pred = Tagger.load(model_dir).predict(texts) if model_dir.is_dir() else None
    new = score_predictions(test, new_pred)
    old = score_predictions(test, old_pred) if old_pred is not None else None
    paired = compare_predictions(test, new_pred, old_pred) if old_pred is not None else None
    rows, failures = compare(old, new, max_drop, paired)
    accepted = not failures
    result = RetrainResult(rows=rows, accepted=accepted, replaced=False, forced=force and not accepted,
                           candidate=candidate, model_dir=model_dir, failures=failures, test_sentences=len(test))
    report = {"model_dir": str(model_dir), "candidate": str(candidate), "split": "test",
              "test_sentences": len(test), "test_lock": read_lock(annotations_dir), "max_drop": max_drop,
              "metric": "strict span F1", "rows": rows, "accepted": accepted, "forced": result.forced,
              "failures": failures}
    (candidate / f"{REPORT_NAME}.json").write_text(json.dumps(report, indent=1) + "\n")
    (candidate / f"{REPORT_NAME}.md").write_text(
        f"Candidate {candidate.name} vs {model_dir.name} on the frozen test split ({len(test)} sentences)\n\n"
        + format_table(rows, max_drop) + "\n")
    if accepted or force:
        promote(candidate, model_dir)
        result.replaced = True
    return result
