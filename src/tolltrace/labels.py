"""The label contract of ``LABELS.md`` v1.1, in code.

This module is the one place the five span labels and the four derived sentence
labels are defined. A model's ``id2label`` is built from :data:`SPAN_LABELS` once, at
training time, and saved inside the model; inference reads it back from the model
config rather than from here, so an old model keeps working if labels are added.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

KILLED: Final = "KILLED"
INJURED: Final = "INJURED"
SOURCE: Final = "SOURCE"
DENIAL: Final = "DENIAL"
HEDGE: Final = "HEDGE"

SPAN_LABELS: Final[tuple[str, ...]] = (KILLED, INJURED, SOURCE, DENIAL, HEDGE)

#: Derived sentence labels: a sentence has one when it holds a span of any listed label.
SENTENCE_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "casualty": (KILLED, INJURED),
    "attribution": (SOURCE,),
    "denial": (DENIAL,),
    "hedge": (HEDGE,),
}


def bio_tags(labels: Iterable[str] = SPAN_LABELS) -> list[str]:
    """``O`` followed by ``B-``/``I-`` tags for each label, in a fixed order."""
    tags = ["O"]
    for label in labels:
        tags += [f"B-{label}", f"I-{label}"]
    return tags


def sentence_labels(span_labels: Iterable[str]) -> dict[str, bool]:
    present = set(span_labels)
    return {name: any(lab in present for lab in members) for name, members in SENTENCE_LABELS.items()}
