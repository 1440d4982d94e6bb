"""Aggregation policies: how competing reports of one toll become ``{low, best, high}``.

Worked example, the 2017 Idlib strikes (seed article 000): witnesses and rescue
workers say "at least 30", two rescue workers say "at least 30", the Syrian
Observatory says "at least 26 ... expected to rise".

* ``conservative`` (ACLED-style: the lowest credible figure): best = 26, low = 26,
  high = 30 (the highest figure reported).
* ``ucdp`` (UCDP GED's low / best / high): low = 26 (lowest report), best = 30
  (the median report, rounded down), high = 30.
* ``range`` (min to max of reports, no point estimate): low = 26, best = null, high = 30.

``high`` is the highest figure any report gives; ``open_high`` says that at least one
report bounds the toll only from below ("at least", "expected to rise"), so the true
toll may be higher than every figure printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median_low


@dataclass(frozen=True)
class Figures:
    low: int | None
    best: int | None
    high: int | None
    open_high: bool
    reports: int

    def to_json(self) -> dict:
        return {"low": self.low, "best": self.best, "high": self.high, "open_high": self.open_high,
                "reports": self.reports}


def _values(reports: Sequence) -> tuple[list[int], list[int], list[int], bool]:
    values = [r.value for r in reports if r.value is not None]
    lows = [r.low if r.low is not None else r.value for r in reports if r.value is not None]
    highs = [r.high if r.high is not None else r.value for r in reports if r.value is not None]
    open_high = any(r.high is None for r in reports)
    return values, lows, highs, open_high


def conservative(reports: Sequence) -> Figures:
    values, lows, highs, open_high = _values(reports)
    return Figures(min(lows), min(values), max(highs), open_high, len(values))


def ucdp(reports: Sequence) -> Figures:
    values, lows, highs, open_high = _values(reports)
    return Figures(min(lows), median_low(values), max(highs), open_high, len(values))


def range_policy(reports: Sequence) -> Figures:
    values, lows, highs, open_high = _values(reports)
    return Figures(min(lows), None, max(highs), open_high, len(values))


POLICIES: dict[str, Callable[[Sequence], Figures]] = {
    "conservative": conservative,
    "ucdp": ucdp,
    "range": range_policy,
}
