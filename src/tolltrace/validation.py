"""Input checks shared by every public entry point (cf. scikit-learn's ``check_array``).

Each check takes a ``where`` string naming the file and record, so the error tells
the user exactly which line to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tolltrace.errors import Errors, InputError
from tolltrace.labels import SPAN_LABELS
from tolltrace.types import Span


def _cuts_word(text: str, pos: int) -> bool:
    return 0 < pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum()


def check_spans(
    text: str,
    spans: Iterable[Span],
    where: str,
    labels: Sequence[str] = SPAN_LABELS,
) -> list[Span]:
    """Validate spans against the contract and return them sorted.

    Rules: known label; ``0 <= start < end <= len(text)``; no surrounding whitespace;
    starts and ends on word boundaries (never cuts a word); no two spans overlap,
    whatever their labels.
    """
    ordered = sorted(spans)
    for span in ordered:
        if span.label not in labels:
            raise InputError(Errors.E020.format(label=span.label, where=where, known=", ".join(labels)))
        if not (0 <= span.start < span.end <= len(text)):
            raise InputError(Errors.E021.format(start=span.start, end=span.end, length=len(text), where=where))
        piece = text[span.start:span.end]
        if piece != piece.strip():
            raise InputError(Errors.E024.format(start=span.start, end=span.end, where=where, text=piece))
        if _cuts_word(text, span.start) or _cuts_word(text, span.end):
            raise InputError(Errors.E023.format(start=span.start, end=span.end, text=piece, where=where))
    for first, second in zip(ordered, ordered[1:]):
        if second.start < first.end:
            raise InputError(Errors.E022.format(
                where=where,
                first=f"{first.label}[{first.start},{first.end})",
                second=f"{second.label}[{second.start},{second.end})",
            ))
    return ordered
