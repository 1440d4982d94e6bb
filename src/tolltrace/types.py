"""Core record types passed between pipeline stages.

All records are frozen dataclasses: a stage returns new records and never edits
its input, so any intermediate result can be cached, compared or re-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range ``[start, end)`` over its sentence's text."""

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def text_in(self, text: str) -> str:
        return text[self.start:self.end]

    def to_dict(self, text: str | None = None) -> dict:
        out: dict = {"start": self.start, "end": self.end, "label": self.label}
        if text is not None:
            out["text"] = text[self.start:self.end]
        if self.score is not None:
            out["score"] = round(float(self.score), 4)
        return out


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: ``text == article.text[start:end]``."""

    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class AnnotatedSentence:
    """A gold sentence with its provenance.

    ``group`` names the document unit that splits must keep together; ``written``
    marks sentences the project composed itself (train split only).
    """

    uid: str
    corpus: str
    doc_id: str
    group: str
    text: str
    spans: tuple[Span, ...]
    split: str | None = None
    written: bool = False
    annotator: str | None = None
    doc_start: int | None = None
    doc_end: int | None = None


@dataclass(frozen=True)
class Article:
    """A cleaned article. ``offsets[i]`` is the index in the raw input of ``text[i]``."""

    id: str
    text: str
    raw: str
    offsets: tuple[int, ...]
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    url: str | None = None
    source_path: str | None = None

    def raw_range(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` range of the cleaned text back to the raw input."""
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.raw)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1
