"""Read a casualty figure ("30 people", "Ten children", "1.2 million", "dozens of its soldiers").

Vague quantifiers get a conservative point value and a range (:data:`VAGUE`). We
follow the literal minimum the word asserts: "dozens" means at least two dozen, so
24, where ACLED's codebook codes "dozens" as 12, "tens" as 10 and "hundreds" as 100.
ACLED chose one small number per word for fatality coding; our aim is a lower bound
the text itself supports, which is the plural's minimum, and the upper end of the
range is where the next word would be used instead ("dozens" stops below "hundreds").

Hedge cues turn into bounds (:func:`apply_hedges`): "at least 30" is low 30 and an
open high; "nearly 50" and "up to 12" bound the figure above; "around 8" is
approximate with open bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1, "single": 1, "both": 2, "dozen": 12,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

#: word -> (conservative point value, low, high); see the module docstring for the policy.
VAGUE: dict[str, tuple[int, int, int | None]] = {
    "several": (3, 3, 9),
    "a few": (2, 2, 9),
    "few": (2, 2, 9),
    "dozens": (24, 24, 99),
    "scores": (40, 40, 199),
    "tens": (20, 20, 99),
    "hundreds": (200, 200, 999),
    "thousands": (2_000, 2_000, 9_999),
    "tens of thousands": (20_000, 20_000, 99_999),
    "hundreds of thousands": (200_000, 200_000, 999_999),
    "millions": (2_000_000, 2_000_000, None),
}


@dataclass(frozen=True)
class Figure:
    """A count read from text. ``low``/``high`` are ``None`` where the bound is open."""

    value: int | None
    low: int | None
    high: int | None
    approximate: bool = False
    vague: bool = False


_NUMERAL = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(hundred|thousand|million|billion|k|m)?\b", re.I)


def _words_to_int(words: list[str]) -> int | None:
    total, current, seen = 0, 0, False
    for w in words:
        if w in ("and",):
            continue
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w in SCALES:
            current = max(current, 1) * SCALES[w]
            if SCALES[w] >= 1000:
                total += current
                current = 0
        else:
            break
        seen = True
    return total + current if seen else None


def parse_figure(text: str) -> Figure | None:
    """The figure at the start of a KILLED/INJURED span, or ``None`` if it holds no count."""
    t = text.strip().lower().replace("\u2019", "'")
    t = re.sub(r"^(the|another|other|an additional|additional)\s+", "", t)
    for phrase in sorted(VAGUE, key=len, reverse=True):
        if re.match(rf"{re.escape(phrase)}\b", t):
            value, low, high = VAGUE[phrase]
            return Figure(value, low, high, approximate=True, vague=True)
    m = _NUMERAL.match(t)
    if m:
        number = float(m.group(1).replace(",", ""))
        scale = (m.group(2) or "").lower()
        number *= {"hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000,
                   "billion": 1_000_000_000}.get(scale, 1)
        value = int(round(number))
        return Figure(value, value, value)
    words = re.findall(r"[a-z]+", t.replace("-", " "))
    value = _words_to_int(words)
    if value is None:
        return None
    return Figure(value, value, value)


# cue -> how it changes the bounds
LOWER_BOUND = ("at least", "more than", "over", "in excess of", "upwards of", "a minimum of", "or more", "topped",
               "past", "no fewer than", "no less than")
UPPER_BOUND = ("up to", "nearly", "almost", "fewer than", "less than", "at most", "close to", "as many as",
               "as high as", "under", "no more than")
APPROXIMATE = ("around", "about", "some", "approximately", "roughly", "an estimated", "estimated", "nearly",
               "almost", "close to", "reportedly", "believed", "suspected", "unconfirmed", "preliminary", "initial")
STRICT_LOWER = ("more than", "over", "in excess of", "upwards of", "topped", "past")


def apply_hedges(fig: Figure, hedges: list[str]) -> Figure:
    """Turn hedge cues governing the figure into bounds and an ``approximate`` flag."""
    cues = [h.lower().strip() for h in hedges]
    low, high, approx = fig.low, fig.high, fig.approximate
    value = fig.value
    for cue in cues:
        if any(cue.startswith(c) or cue.endswith(c) for c in LOWER_BOUND):
            high = None if not fig.vague else fig.high
            if value is not None and any(cue.endswith(c) or cue.startswith(c) for c in STRICT_LOWER) and not fig.vague:
                low = value + 1
            else:
                low = fig.low
            if fig.vague:
                high = None
        elif any(cue.startswith(c) for c in UPPER_BOUND):
            high = fig.high if fig.vague else value
            low = None if not fig.vague else fig.low
            approx = approx or any(cue.startswith(c) for c in APPROXIMATE)
        if any(cue.startswith(c) for c in APPROXIMATE) and not any(cue.startswith(c) for c in UPPER_BOUND):
            approx = True
            if not fig.vague:
                low, high = None, None
        if cue.startswith(("expected to rise", "feared", "could rise", "likely to rise")):
            high = None
            approx = True
    return replace(fig, low=low, high=high, approximate=approx)
