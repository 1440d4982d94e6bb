"""Inter-annotator agreement between two independent passes over the same sentences."""

from __future__ import annotations

from pathlib import Path

from tolltrace.annotations import AGREEMENT_DIR, load_pass
from tolltrace.metrics import span_scores


def agreement(annotations_dir: Path, corpora_dir: Path) -> dict:
    """Strict and overlap span F1 per label, pass B scored against pass A.

    F1 is symmetric in the two passes (precision and recall swap), so which pass is
    called "gold" does not change the number.
    """
    folder = Path(annotations_dir) / AGREEMENT_DIR
    pass_a = load_pass(folder / "pass_a.jsonl", corpora_dir)
    pass_b = load_pass(folder / "pass_b.jsonl", corpora_dir)
    shared = sorted(set(pass_a) & set(pass_b))
    gold = [pass_a[u].spans for u in shared]
    pred = [pass_b[u].spans for u in shared]
    return {
        "sentences": len(shared),
        "strict": span_scores(gold, pred, "strict"),
        "overlap": span_scores(gold, pred, "overlap"),
    }
