"""A rule-based tagger: the baseline every learned model must beat.

Hand-written patterns for the five labels: hedge cue lists, number expressions near
a casualty verb, speakers before "said" or after "according to", and denial verbs.
It has the same ``predict`` interface as :class:`tolltrace.tagger.Tagger`, so
evaluation can score both on the same split, and it can pre-annotate sentences
for Label Studio before any model exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tolltrace.types import Span

NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|both"
)
QUANTITY = (
    rf"(?:\d[\d,.]*(?:\s+(?:million|thousand|hundred))?|(?:(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*)"
    r"(?:\s+(?:million|thousand|hundred))?|(?:dozens|scores|hundreds|thousands|tens)(?:\s+of\s+thousands)?"
    r"(?:\s+of\s+(?:its\s+|their\s+)?)?|several)"
)
HEAD = (r"(?:\s+(?:[A-Z][\w’'-]+|other|more|civilian|Palestinian|Israeli|Syrian|young|armed|suspected|security)"
        r"){0,2}\s*(?:people|persons|civilians|children|women|men|soldiers|troops|militants|fighters|members|"
        r"others|deaths|policemen|personnel|workers|residents|students|Palestinians|Israelis|Syrians|bodies|"
        r"dead|wounded|injured|victims|jawans|terrorists|insurgents|rebels|officers|staff|persons)\b")
KILL_CUE = re.compile(r"\b(kill\w*|dead|deaths?|died|die|dying|toll|lives|bodies|slain|shot dead|massacre\w*|"
                      r"executed|perished)\b", re.I)
INJURE_CUE = re.compile(r"\b(wound\w*|injur\w*|hurt|maimed)\b", re.I)
COUNT = re.compile(rf"\b{QUANTITY}(?:{HEAD})?", re.I)
HEDGE_CUE = re.compile(
    r"\b(at least|more than|up to|nearly|almost|around|about(?= \d)|approximately|roughly|some(?= \d)|"
    r"an estimated|believed to be|reportedly|allegedly|suspected|apparently|appeared to|"
    r"could not be independently verified|unconfirmed|expected to rise|feared|likely|may|might|could|"
    r"possibly|probably|preliminary|close to|as many as|over(?= \d))\b", re.I)
DENIAL_CUE = re.compile(
    r"\b((?:categorically |strongly |flatly )?den(?:y|ied|ies|ying|ial)|(?:were|was|is|are) not true|untrue|"
    r"fabricated|refuted|rejected the (?:claims?|reports?|allegations?|accusations?)|baseless|unfounded|"
    r"(?:completely |categorically )?false|hoax|dismissed)\b", re.I)
SPEAKER_AFTER = re.compile(
    r"\baccording to ((?:the |a |an )?(?:[A-Z][\w’'.-]*|of|for|and|the)(?:\s+(?:[A-Z][\w’'.-]*|of|for|and|the))*)")
SPEAKER_BEFORE = re.compile(
    r"((?:[Tt]he |[Aa] |[Aa]n )?(?:[A-Z][\w’'.-]*|[a-z]+ (?:officials?|sources?|witnesses|residents|medics))"
    r"(?:\s+[A-Z][\w’'.-]*|\s+(?:of|for|and)\s+[A-Z][\w’'.-]*){0,6}|[Hh]e|[Ss]he|[Tt]hey|officials|witnesses|"
    r"police|residents|activists|medics)\s+(?:later\s+|also\s+)?(?:said|says|told|reported|stated|claimed|"
    r"confirmed|announced|added|denied)\b")
PRONOUN_AFTER = re.compile(r"\b(?:said|told|added)\s+((?:[A-Z][\w’'.-]*)(?:\s+[A-Z][\w’'.-]*){0,4}|he|she|they)\b")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


class RuleTagger:
    """Regex baseline; ``fit`` is a no-op kept for API symmetry with the learned tagger."""

    def fit(self, sentences=None) -> "RuleTagger":
        return self

    def predict_one(self, text: str) -> list[Span]:
        candidates: list[Span] = []
        for m in DENIAL_CUE.finditer(text):
            candidates.append(Span(m.start(), m.end(), "DENIAL", 1.0))
        for m in HEDGE_CUE.finditer(text):
            candidates.append(Span(m.start(), m.end(), "HEDGE", 1.0))
        for m in COUNT.finditer(text):
            window = text[m.end():m.end() + 60]
            before = text[max(0, m.start() - 40):m.start()]
            label = None
            if INJURE_CUE.search(m.group()):
                label = "INJURED"
            elif KILL_CUE.search(m.group()):
                label = "KILLED"
            elif INJURE_CUE.search(window.split(".")[0][:40]) and not KILL_CUE.search(window[:12]):
                label = "INJURED"
            elif KILL_CUE.search(window.split(".")[0][:45]) or re.search(r"(toll|killing|killed)\W+(\w+\W+)?$",
                                                                        before, re.I):
                label = "KILLED"
            elif re.search(r"(wounding|injuring)\W+$", before, re.I):
                label = "INJURED"
            if label:
                s, e = _trim(text, m.start(), m.end())
                if e > s:
                    candidates.append(Span(s, e, label, 1.0))
        for rx in (SPEAKER_AFTER, SPEAKER_BEFORE, PRONOUN_AFTER):
            for m in rx.finditer(text):
                s, e = _trim(text, m.start(1), m.end(1))
                if e > s:
                    candidates.append(Span(s, e, "SOURCE", 1.0))
        chosen: list[Span] = []
        priority = {"KILLED": 0, "INJURED": 0, "DENIAL": 1, "HEDGE": 2, "SOURCE": 3}
        for span in sorted(candidates, key=lambda s: (priority[s.label], s.start - s.end)):
            if all(span.end <= c.start or c.end <= span.start for c in chosen):
                if not _cuts_word(text, span.start, span.end):
                    chosen.append(span)
        return sorted(chosen)

    def predict(self, texts: Sequence[str], batch_size: int | None = None) -> list[list[Span]]:
        return [self.predict_one(t) for t in texts]


def _cuts_word(text: str, start: int, end: int) -> bool:
    left = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    right = end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    return left or right
