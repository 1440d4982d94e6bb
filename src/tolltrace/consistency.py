"""Where the gold labels the same wording differently: review lists for annotators.

Wire copy is reprinted: one spokesman's sentence reaches the corpus through several
outlets, in slightly different words. If one copy carries a DENIAL span and another
does not, the tagger is trained (or scored) against itself. These lists find such
cases; a person settles each one by the guidelines (section 13), because the same
words can rightly differ in context (a party's "is not true" against the author's).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from tolltrace.types import AnnotatedSentence

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class PhraseConflict:
    """A phrase labelled ``label`` in some sentences and left unlabelled in others that hold it."""

    phrase: str
    label: str
    labelled: tuple[str, ...]
    unlabelled: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"phrase": self.phrase, "label": self.label, "labelled": list(self.labelled),
                "unlabelled": list(self.unlabelled)}


def phrase_conflicts(sentences: list[AnnotatedSentence], label: str = "DENIAL",
                     min_words: int = 3) -> list[PhraseConflict]:
    """Phrases of ``min_words``+ words labelled ``label`` in one sentence and not in another holding them.

    Words are compared lower-cased without punctuation, so curly and straight quotes or
    a dropped comma do not hide a copy. A sentence counts as labelled when one of its
    ``label`` spans contains the phrase or lies inside it (an extent difference is a
    different problem, left to strict agreement). Short phrases are skipped: "not
    true" occurs in too many unrelated sentences to be worth a reviewer's time.
    """
    padded = {s.uid: " " + " ".join(_words(s.text)) + " " for s in sentences}
    spans_of = {s.uid: [" ".join(_words(x.text_in(s.text))) for x in s.spans if x.label == label]
                for s in sentences}
    owners: dict[str, list[str]] = defaultdict(list)
    for uid, spans in spans_of.items():
        for phrase in spans:
            if len(phrase.split()) >= min_words:
                owners[phrase].append(uid)
    conflicts = []
    for phrase, labelled in sorted(owners.items()):
        needle = f" {phrase} "
        missing = tuple(uid for uid, text in padded.items() if needle in text
                        and not any(phrase in span or (span and span in phrase) for span in spans_of[uid]))
        if missing:
            conflicts.append(PhraseConflict(phrase, label, tuple(sorted(set(labelled))), missing))
    return conflicts
