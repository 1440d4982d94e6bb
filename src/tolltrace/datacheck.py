"""Validation and statistics of the gold data (``tolltrace data check``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from tolltrace.annotations import AGREEMENT_DIR, load_gold
from tolltrace.errors import TolltraceError
from tolltrace.labels import SPAN_LABELS
from tolltrace.splits import check_lock, drop_held_out_twins


def _label_counts(sentences) -> dict[str, int]:
    c = Counter(s.label for sent in sentences for s in sent.spans)
    return {lab: c.get(lab, 0) for lab in SPAN_LABELS}


def data_stats(annotations_dir: Path, corpora_dir: Path) -> dict:
    """Everything ``data check`` reports, as one JSON-ready dict. ``errors`` is empty when all is valid."""
    report = load_gold(annotations_dir, corpora_dir, strict=False)
    sents = report.sentences
    errors = list(report.errors)
    by_split: dict[str, list] = defaultdict(list)
    by_corpus: dict[str, list] = defaultdict(list)
    for s in sents:
        by_split[s.split or "unassigned"].append(s)
        by_corpus[s.corpus].append(s)
    for split in by_split:
        if split not in ("train", "dev", "test"):
            errors.append(f"{len(by_split[split])} sentence(s) have split '{split}' (expected train/dev/test)")
    groups_per_split: dict[str, set] = defaultdict(set)
    for s in sents:
        groups_per_split[s.group].add(s.split)
    leaking = [g for g, splits in groups_per_split.items() if len(splits) > 1]
    if leaking:
        errors.append(f"{len(leaking)} document(s) appear in more than one split, e.g. {leaking[:3]}")
    written_eval = [s.uid for s in sents if s.written and s.split != "train"]
    if written_eval:
        errors.append(f"{len(written_eval)} written sentence(s) outside train, e.g. {written_eval[:3]}")
    lock_error = check_lock(annotations_dir, by_split.get("test", []))
    if lock_error:
        errors.append(lock_error)
    agreement: dict = {}
    agreement_strict: dict = {}
    double = 0
    if (Path(annotations_dir) / AGREEMENT_DIR / "pass_b.jsonl").is_file():
        from tolltrace.agreement import agreement as compute_agreement

        try:
            agr = compute_agreement(annotations_dir, corpora_dir)
            double = agr["sentences"]
            agreement = {lab: agr["overlap"][lab]["f1"] for lab in SPAN_LABELS}
            agreement_strict = {lab: agr["strict"][lab]["f1"] for lab in SPAN_LABELS}
        except TolltraceError as err:
            errors.append(str(err))
    real = [s for s in sents if not s.written]
    _, twins = drop_held_out_twins(by_split)
    return {
        "real": {
            "sentences": len(real), "documents": len({s.group for s in real}), "spans": _label_counts(real),
            "sentences_with": {lab: sum(1 for s in real if any(x.label == lab for x in s.spans)) for lab in SPAN_LABELS},
            "sentences_without_spans": sum(1 for s in real if not s.spans),
            "sentences_with_casualty": sum(1 for s in real if any(x.label in ("KILLED", "INJURED") for x in s.spans)),
        },
        "sentences": len(sents),
        "documents": len({s.group for s in sents}),
        "spans": _label_counts(sents),
        "sentences_with": {lab: sum(1 for s in sents if any(x.label == lab for x in s.spans))
                           for lab in SPAN_LABELS},
        "sentences_without_spans": sum(1 for s in sents if not s.spans),
        "sentences_with_casualty": sum(1 for s in sents if any(x.label in ("KILLED", "INJURED") for x in s.spans)),
        "written": sum(1 for s in sents if s.written),
        "splits": {name: {"sentences": len(v), "documents": len({s.group for s in v}),
                          "written": sum(1 for s in v if s.written), "spans": _label_counts(v)}
                   for name, v in sorted(by_split.items())},
        "corpora": {name: len(v) for name, v in sorted(by_corpus.items())},
        "corpora_documents": {name: len({s.group for s in v}) for name, v in sorted(by_corpus.items())},
        "corpora_spans": {name: _label_counts(v) for name, v in sorted(by_corpus.items())},
        "train_twins_of_held_out": twins,
        "double_annotated": double,
        "agreement": agreement,
        "agreement_strict": agreement_strict,
        "errors": errors,
    }


def format_stats(stats: dict) -> str:
    """A plain-text report for humans; the JSON form is for scripts."""
    labs = list(SPAN_LABELS)
    lines = [
        f"sentences {stats['sentences']}  documents {stats['documents']}  written {stats['written']}  "
        f"without spans {stats['sentences_without_spans']}  with casualty {stats['sentences_with_casualty']}",
        "",
        f"{'':<14}" + "".join(f"{lab:>9}" for lab in labs) + f"{'sents':>8}{'docs':>7}",
        f"{'spans':<14}" + "".join(f"{stats['spans'][lab]:>9}" for lab in labs),
        f"{'sents with':<14}" + "".join(f"{stats['sentences_with'][lab]:>9}" for lab in labs),
    ]
    for name, split in stats["splits"].items():
        lines.append(f"{'split ' + name:<14}" + "".join(f"{split['spans'][lab]:>9}" for lab in labs)
                     + f"{split['sentences']:>8}{split['documents']:>7}")
    for name, n in stats["corpora"].items():
        spans = stats["corpora_spans"][name]
        lines.append(f"{'corpus ' + name:<14}" + "".join(f"{spans[lab]:>9}" for lab in labs)
                     + f"{n:>8}{stats['corpora_documents'][name]:>7}")
    if stats["agreement"]:
        lines += ["", f"agreement on {stats['double_annotated']} double-annotated sentences (span F1):",
                  f"{'overlap':<14}" + "".join(f"{stats['agreement'][lab]:>9.3f}" for lab in labs),
                  f"{'strict':<14}" + "".join(f"{stats['agreement_strict'][lab]:>9.3f}" for lab in labs)]
    if stats.get("train_twins_of_held_out"):
        lines += ["", f"{stats['train_twins_of_held_out']} train sentence(s) repeat a dev/test sentence's text "
                  "(reprinted copy); training leaves them out"]
    lines.append("")
    if stats["errors"]:
        lines.append(f"{len(stats['errors'])} error(s):")
        lines += [f"  {e}" for e in stats["errors"][:50]]
    else:
        lines.append("no errors")
    return "\n".join(lines)


def format_markdown(stats: dict) -> str:
    """The statistics tables of ``data/README.md`` (regenerate with ``tolltrace data check --markdown``)."""
    labs = list(SPAN_LABELS)
    head = "| | " + " | ".join(labs) + " | sentences | documents | written |"
    sep = "|---" * (len(labs) + 4) + "|"
    rows = [head, sep,
            "| spans | " + " | ".join(str(stats["spans"][lab]) for lab in labs)
            + f" | {stats['sentences']} | {stats['documents']} | {stats['written']} |",
            "| sentences with | " + " | ".join(str(stats["sentences_with"][lab]) for lab in labs) + " | | | |"]
    for name, split in stats["splits"].items():
        rows.append(f"| split {name} | " + " | ".join(str(split["spans"][lab]) for lab in labs)
                    + f" | {split['sentences']} | {split['documents']} | {split['written']} |")
    for name, n in stats["corpora"].items():
        spans = stats["corpora_spans"][name]
        rows.append(f"| corpus {name} | " + " | ".join(str(spans[lab]) for lab in labs)
                    + f" | {n} | {stats['corpora_documents'][name]} | |")
    real = stats["real"]
    out = ["\n".join(rows), "",
           f"Real text only (written sentences excluded): {real['sentences']} sentences from {real['documents']} "
           f"documents; {real['sentences_with_casualty']} with a casualty figure (KILLED or INJURED), "
           f"{real['sentences_with']['DENIAL']} with a DENIAL, {real['spans']['INJURED']} INJURED spans, "
           f"{real['sentences_without_spans']} with no span.", ""]
    if stats["agreement"]:
        out += [f"Agreement between two independent first passes on {stats['double_annotated']} sentences "
                "(span F1; `tolltrace data agreement`):", "",
                "| | " + " | ".join(labs) + " |", "|---" * (len(labs) + 1) + "|",
                "| overlap F1 | " + " | ".join(f"{stats['agreement'][lab]:.3f}" for lab in labs) + " |",
                "| strict F1 | " + " | ".join(f"{stats['agreement_strict'][lab]:.3f}" for lab in labs) + " |"]
    return "\n".join(out)
