"""Sentence segmentation with character offsets.

We use pySBD (a port of the Golden Rules sentence-boundary suite, which covers
abbreviations such as "U.S.", "Oct. 7", "Gen." and "St.") inside each line of the
article: scraped news puts a headline or a paragraph on a line of its own, often
without a final period, so a line break is always a boundary. pySBD's own
``char_span`` offsets are unreliable on repeated sentences, so we locate each
segment in the line ourselves, moving a cursor forward.

Some sources strip punctuation (SATP summaries run on for hundreds of words);
sentences above ``max_chars`` are cut at the last whitespace before the limit so the
tagger never sees a truncated input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pysbd

if TYPE_CHECKING:
    from tolltrace.types import Article, Sentence

MAX_SENTENCE_CHARS = 600


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


_LINE = re.compile(r"[^\n\r\u2028\u2029]+")
# Scraped text sometimes loses the space between sentences ("witnessed.You could"):
# a lowercase letter or digit, a final stop, then a capitalised word is a boundary.
# Abbreviations such as "U.S." end in a capital and are not matched.
_GLUED = re.compile(r"(?<=[a-z0-9][.!?])(?=[\"“‘']?[A-Z][a-z])|(?<=[a-z0-9][.!?][”’])(?=[A-Z][a-z])")


def _blocks(text: str):
    """Lines of ``text``, further cut where sentences were glued together, as (start, end)."""
    for line in _LINE.finditer(text):
        start = line.start()
        for cut in _GLUED.finditer(line.group()):
            yield start, line.start() + cut.start()
            start = line.start() + cut.start()
        yield start, line.end()


def _cut_long(start: int, text: str, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        if cut <= 0:
            cut = max_chars
        pieces.append((start, start + len(text[:cut].rstrip())))
        rest = text[cut:]
        skipped = len(rest) - len(rest.lstrip())
        start, text = start + cut + skipped, rest.lstrip()
    if text:
        pieces.append((start, start + len(text)))
    return pieces


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[SentenceSpan]:
    """Split ``text`` into sentences whose ``[start, end)`` index ``text`` exactly.

    Offsets exclude surrounding whitespace, so ``text[s.start:s.end] == s.text`` always holds.
    """
    out: list[SentenceSpan] = []
    seg = _segmenter()
    for line_start, line_end in _blocks(text):
        block = text[line_start:line_end]
        if not block.strip():
            continue
        cursor = line_start
        for piece in seg.segment(block):
            stripped = piece.strip()
            if not stripped:
                continue
            found = text.find(stripped, cursor, line_end)
            if found < 0:  # pySBD altered the text; fall back to the rest of the line
                found = cursor + (len(text[cursor:line_end]) - len(text[cursor:line_end].lstrip()))
                stripped = text[found:line_end].strip()
            end = found + len(stripped)
            for s, e in _cut_long(found, stripped, max_chars):
                out.append(SentenceSpan(s, e, text[s:e]))
            cursor = end
        if cursor < line_end and text[cursor:line_end].strip():
            rest_start = cursor + len(text[cursor:line_end]) - len(text[cursor:line_end].lstrip())
            rest = text[rest_start:line_end].rstrip()
            for s, e in _cut_long(rest_start, rest, max_chars):
                out.append(SentenceSpan(s, e, text[s:e]))
    return out


def segment_article(article: "Article") -> list["Sentence"]:
    """The ``segment`` stage: an article's sentences, offsets into ``article.text``."""
    from tolltrace.types import Sentence

    return [
        Sentence(article.id, i, s.start, s.end, s.text)
        for i, s in enumerate(split_sentences(article.text))
    ]
