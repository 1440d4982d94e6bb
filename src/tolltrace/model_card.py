"""Write ``MODEL_CARD.md`` from a model directory's own metrics files."""

from __future__ import annotations

import json
from pathlib import Path

from tolltrace.labels import SPAN_LABELS


def _table(result: dict) -> list[str]:
    """Per-label scores; with the overlap F1 interval when the result has one (older eval files do not)."""
    ci = result.get("overlap_ci")
    rows = ["| label | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold spans |"
            + (" overlap F1 95% CI |" if ci else ""),
            "|---|---|---|---|---|---|---|---|" + ("---|" if ci else "")]
    for lab in [*SPAN_LABELS, "micro"]:
        s, o = result["strict"][lab], result["overlap"][lab]
        interval = f" {ci[lab]['low']:.3f}-{ci[lab]['high']:.3f} |" if ci else ""
        rows.append(f"| {lab} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {o['precision']:.3f} | "
                    f"{o['recall']:.3f} | {o['f1']:.3f} | {s['support']} |{interval}")
    return rows


def write_model_card(model_dir: Path) -> Path:
    model_dir = Path(model_dir)
    metrics = json.loads((model_dir / "metrics.json").read_text())
    settings = json.loads((model_dir / "tolltrace.json").read_text())
    lines = [
        f"# Model card: {model_dir.name}",
        "",
        "## Intended use",
        "Tags casualty figures (KILLED, INJURED), attributions (SOURCE), denials (DENIAL) and hedges (HEDGE)",
        "in English news sentences about armed conflict, following `LABELS.md` v1.1 and",
        "`docs/annotation-guidelines.md`. Output feeds `tolltrace run`, which turns spans into claims and incidents.",
        "It is a drafting aid for analysts: every figure it extracts links back to its sentence for checking.",
        "",
        "## Model",
        f"- base: {settings.get('base_model')}; token classification, BIO tags on every sub-token",
        f"- softmax temperature (fitted on dev): {settings.get('temperature')}",
        "- decoding: the most probable well-formed BIO sequence over words (Viterbi, no `I-` without its `B-`),",
        "  then DENIAL spans made only of \"-ly\" adverbs are dropped (guidelines 10.3)",
        *_averaging_line(metrics.get("weight_averaging")),
        f"- trained in {metrics['train_seconds']} s on {metrics['device']} ({metrics['threads']} threads), "
        f"{metrics['epochs_run']} epochs, best epoch {metrics['best_epoch']} (early stopping on dev macro F1)",
        f"- data: commit {metrics['data'].get('git_commit')}, annotations sha1 {metrics['data']['annotations_sha1']}",
        "",
        "## Data and splits",
        "Gold data of `data/annotations/` (see `data/README.md`), split by document: "
        + ", ".join(f"{k} {v} sentences" for k, v in metrics["sizes"].items()) + ".",
        "Written sentences are in train only; the test split is real text only and frozen.",
        "",
        "## Results on dev (model selection and calibration used this split)",
        *_table(metrics["dev"]),
        "",
    ]
    cal = metrics.get("calibration") or {}
    if cal:
        lines += [f"Span-score calibration on dev: ECE {cal['dev_span_ece_before']} at T=1, "
                  f"{cal['dev_span_ece_after']} at T={cal['temperature']}.", ""]
    test_file = model_dir / "eval-test.json"
    if test_file.is_file():
        test = json.loads(test_file.read_text())
        method = test["tolltrace"].get("ci_method")
        intervals = [f"Intervals: 95% percentile bootstrap over the split's {test['tolltrace'].get('documents')} "
                     f"documents ({method['resamples']} resamples): the range a score could take on another",
                     "sample of articles like these.", ""] if method else []
        lines += ["## Results on the frozen test split (never used for any choice)", *_table(test["tolltrace"]), "",
                  *intervals, "Rule baseline on the same split:", *_table(test["baseline"]), ""]
    failures = model_dir / "failure_examples.md"
    if failures.is_file():
        lines += ["## Known failure modes", failures.read_text(), ""]
    lines += [
        "## Limits",
        "- English only; news register (wire copy, newspapers, NGO summaries). Social media, transcripts and",
        "  other languages are out of scope.",
        "- One sentence at a time: a figure whose victims are named in another sentence is tagged without them.",
        "- Trained on 2011-2024 reporting on Syria, Gaza/Israel, South Asia and rumour coverage (FNC-1);",
        "  other conflicts and phrasing may score lower.",
        "- Scores are calibrated on dev only; treat them as rough confidence, not probability of truth of the claim.",
    ]
    path = model_dir / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _averaging_line(averaging: dict | None) -> list[str]:
    if not averaging:
        return []
    verdict = "used" if averaging["used"] else "not used"
    return [f"- weight averaging of {averaging['epochs_averaged']} epochs from epoch {averaging['from_epoch']}: "
            f"dev macro F1 {averaging['dev_macro_f1_average']} vs best single epoch "
            f"{averaging['dev_macro_f1_best_epoch']} ({verdict})"]
