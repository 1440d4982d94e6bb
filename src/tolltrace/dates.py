"""Resolve when an event happened from the text and the article's publication date.

News rarely prints full dates: "on Tuesday", "overnight", "last month". Each is
resolved against the published date: a weekday is the latest such day on or
before publication ("on Tuesday" in a Wednesday paper is yesterday), "overnight"
and "last night" are the day before, "last month" is a range. Explicit dates
("December 2", "2 Dec 2024", "March 8") take the publication year unless one is
written, stepping back a year when that would put the event after publication.

Expressions right after "since" ("since November 27") start a running total, not
an event date, and are skipped.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_MONTH_RX = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
            r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
_EXPR = re.compile(
    rf"(?P<since>\bsince\s+)?(?:"
    rf"(?P<md>\b{_MONTH_RX}\s+(?P<md_day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<md_year>(?:19|20)\d\d))?\b)|"
    rf"(?P<dm>\b(?P<dm_day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_RX}(?:,?\s+(?P<dm_year>(?:19|20)\d\d))?\b)|"
    rf"(?P<iso>\b(?P<iso_y>(?:19|20)\d\d)-(?P<iso_m>\d\d)-(?P<iso_d>\d\d)\b)|"
    r"(?P<weekday>\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)|"
    r"(?P<yesterday>\byesterday\b)|(?P<today>\b(?:today|this morning|this afternoon|tonight|earlier today)\b)|"
    r"(?P<overnight>\b(?:overnight|last night)\b)|(?P<lastweek>\blast week\b)|(?P<lastmonth>\blast month\b))",
    re.I,
)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    expression: str

    @property
    def exact(self) -> bool:
        return self.start == self.end

    def to_json(self) -> str | dict:
        return self.start.isoformat() if self.exact else {"start": self.start.isoformat(), "end": self.end.isoformat()}


def parse_published(value: str | None) -> date | None:
    """ISO dates, and the US-style ``10/13/2023`` of the Gaza corpus; ``None`` if unreadable."""
    if not value:
        return None
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if m:
            return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None
    return None


def _explicit(month: int, day: int, year: str | None, published: date | None) -> date | None:
    try:
        if year:
            return date(int(year), month, day)
        if published is None:
            return None
        guess = date(published.year, month, day)
        return guess if guess <= published else date(published.year - 1, month, day)
    except ValueError:
        return None


def find_dates(text: str, published: date | None) -> list[DateRange]:
    """Every resolvable event-date expression in ``text``, in order."""
    out: list[DateRange] = []
    for m in _EXPR.finditer(text):
        if m.group("since"):
            continue
        expr = m.group(0)
        resolved: tuple[date, date] | None = None
        if m.group("md"):
            word = m.group("md").split()[0].rstrip(".").lower()
            d = _explicit(MONTHS[word], int(m.group("md_day")), m.group("md_year"), published)
            resolved = (d, d) if d else None
        elif m.group("dm"):
            word = m.group("dm").split()[1].rstrip(".,").lower()
            d = _explicit(MONTHS[word], int(m.group("dm_day")), m.group("dm_year"), published)
            resolved = (d, d) if d else None
        elif m.group("iso"):
            try:
                d = date(int(m.group("iso_y")), int(m.group("iso_m")), int(m.group("iso_d")))
                resolved = (d, d)
            except ValueError:
                resolved = None
        elif published is None:
            resolved = None
        elif m.group("weekday"):
            back = (published.weekday() - WEEKDAYS[m.group("weekday").lower()]) % 7
            d = published - timedelta(days=back)
            resolved = (d, d)
        elif m.group("yesterday") or m.group("overnight"):
            d = published - timedelta(days=1)
            resolved = (d, d)
        elif m.group("today"):
            resolved = (published, published)
        elif m.group("lastweek"):
            resolved = (published - timedelta(days=13), published - timedelta(days=7))
        elif m.group("lastmonth"):
            last_day = published.replace(day=1) - timedelta(days=1)
            resolved = (last_day.replace(day=1), last_day)
        if resolved:
            out.append(DateRange(resolved[0], resolved[1], expr))
    return out


def article_default_date(sentences: list[str], published: date | None) -> DateRange | None:
    """The date an article is mostly about: its most frequent exact day, else its publication date."""
    counts: dict[date, int] = {}
    for text in sentences:
        for rng in find_dates(text, published):
            if rng.exact:
                counts[rng.start] = counts.get(rng.start, 0) + 1
    if counts:
        best = max(counts, key=lambda d: (counts[d], -d.toordinal()))  # ties: the earlier day (events precede reports)
        return DateRange(best, best, "article")
    if published is not None:
        return DateRange(published - timedelta(days=1), published, "published")
    return None
