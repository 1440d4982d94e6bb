"""The ``incidents`` stage: cluster claims from many articles into incidents and aggregate them.

An incident is one place on one day (the unit ACLED and UCDP code), so claims join
when their resolved site matches and their dates agree within ``window_days``
(an article with no date expression at all is dated by publication: the day before
or the day itself). Cumulative totals ("56 since November 27") are attached to the
incident as context and never enter its toll.

Each incident's killed / injured ``{low, best, high}`` comes from a policy
(:mod:`tolltrace.policies`) over its *reports*: the non-cumulative figures of its
claims, minus victim subsets (children, women) and minus partial tolls (a figure
below half of the largest figure in the same article, such as one strike's
dead inside a day's total).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from tolltrace.claims import Claim
from tolltrace.dates import DateRange
from tolltrace.gazetteer import fold
from tolltrace.policies import POLICIES, Figures

SUBSET_GROUPS = {"children", "women"}
ATTACK_WORDS = re.compile(r"\b(attack\w*|strik\w*|raid\w*|bomb\w*|shell\w*|kill\w*|target\w*|civilians?|"
                          r"hospital\w*|casualt\w*|dead|death\w*|massacre)\b", re.I)

GRADE_RULES = {
    "contested": "a party denies the reported event or its responsibility",
    "corroborated": "two or more independent reports (copies of one story count once), no denial",
    "single source": "one independent report, no denial",
    "unattributed": "no figure is attributed to a named source",
}


@dataclass
class Incident:
    incident_id: str
    site: str
    location: dict | None
    date: DateRange | None
    event: str | None
    claims: list[Claim] = field(default_factory=list)
    context: list[Claim] = field(default_factory=list)
    denials: list[Claim] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    killed: Figures | None = None
    injured: Figures | None = None
    independent_sources: int = 0
    grade: str = ""

    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for c in self.claims for s in c.sources))

    def to_json(self) -> dict:
        return {
            "incident_id": self.incident_id, "location": self.location,
            "date": self.date.to_json() if self.date else None, "event": self.event,
            "killed": self.killed.to_json() if self.killed else None,
            "injured": self.injured.to_json() if self.injured else None,
            "articles": self.articles, "claims": [c.claim_id for c in self.claims],
            "context_claims": [c.claim_id for c in self.context],
            "sources": self.sources(), "independent_sources": self.independent_sources,
            "denials": [{"by": list(d.sources), "text": d.text, "claim_id": d.claim_id, "article_id": d.article_id,
                         "sentence": d.sentence} for d in self.denials],
            "grade": self.grade, "grade_rule": GRADE_RULES.get(self.grade, ""),
        }


def aggregate_figures(claims: Sequence[Claim], policy: str) -> Figures | None:
    """Apply a policy to the reports among ``claims`` (no subsets, no partial tolls; see module doc)."""
    reports = [c for c in claims if c.value is not None and c.group not in SUBSET_GROUPS and not c.cumulative]
    if not reports:
        return None
    largest: dict[str, int] = defaultdict(int)
    for c in reports:
        largest[c.article_id] = max(largest[c.article_id], c.value)
    reports = [c for c in reports if c.value * 2 >= largest[c.article_id]]
    return POLICIES[policy](reports)


def site_key(location: dict | None, article_id: str) -> str:
    """A comparable place key: "Idlib", "Idlib province" and "Idlib city" are one site."""
    if not location:
        return f"unknown:{article_id}"
    name = fold(location["name"])
    name = re.sub(r"^the\s+|\s+(province|governorate|region|city|district|camp|town|strip)$", "", name)
    return f"{location.get('country') or '?'}:{name}"


def _dates_match(a: DateRange | None, b: DateRange | None, window: int) -> bool:
    if a is None or b is None:
        return True
    return a.start - timedelta(days=window) <= b.end and b.start - timedelta(days=window) <= a.end


def _events_match(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b or "attack" in (a, b)


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def same_story(a: set, b: set, threshold: float = 0.06, min_shared: int = 8) -> bool:
    """Syndicated or rewritten copies share many word 4-grams (containment of the smaller text).

    On the seeds, the Reuters story and its rewrite share 11.8% of 4-grams; unrelated Idlib
    stories share at most 1.7%, so 6% separates them with a wide margin either side.
    """
    shared = len(a & b)
    if shared < min_shared:  # short texts share a few stock phrases ("in Idlib on Tuesday") by chance
        return False
    return shared / min(len(a), len(b)) >= threshold


class IncidentAggregator:
    """``IncidentAggregator(window_days=0, policy="conservative").fit(claims, texts).transform(claims)``.

    ``fit`` clusters the claims and aggregates each incident into ``incidents_``;
    ``transform`` returns the claims with ``incident_id`` (and ``denied``) set.
    ``texts`` (article id -> cleaned text) lets copies of one story count once.
    """

    def __init__(self, window_days: int = 0, policy: str = "conservative"):
        self.window_days = window_days
        self.policy = policy

    def fit(self, claims: Sequence[Claim], texts: dict[str, str] | None = None) -> "IncidentAggregator":
        if self.policy not in POLICIES:
            raise ValueError(f"Unknown policy {self.policy!r}; choose one of {sorted(POLICIES)}.")
        figures = [c for c in claims if c.type in ("killed", "injured")]
        reports: dict[tuple[str, str], list[Claim]] = defaultdict(list)
        for c in figures:
            if not c.cumulative:
                reports[(c.article_id, site_key(c.location, c.article_id))].append(c)
        keys = list(reports)
        parent = list(range(len(keys)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        info = {k: (self._report_date(v), Counter(c.event for c in v if c.event).most_common(1)) for k, v in reports.items()}
        # only reports of one site can merge: compare within a site, not all pairs (archives have many sites)
        by_site: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(keys):
            if not k[1].startswith("unknown:"):
                by_site[k[1]].append(i)
        for members in by_site.values():
            for a, i in enumerate(members):
                ki = keys[i]
                for j in members[a + 1:]:
                    kj = keys[j]
                    di, ei = info[ki][0], (info[ki][1][0][0] if info[ki][1] else None)
                    dj, ej = info[kj][0], (info[kj][1][0][0] if info[kj][1] else None)
                    if _dates_match(di, dj, self.window_days) and _events_match(ei, ej):
                        parent[find(i)] = find(j)
        groups: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for i, k in enumerate(keys):
            groups[find(i)].append(k)

        incidents: list[Incident] = []
        by_article_site: dict[tuple[str, str], Incident] = {}
        for members in groups.values():
            member_claims = [c for k in members for c in reports[k]]
            inc = self._new_incident(member_claims)
            incidents.append(inc)
            for k in members:
                by_article_site[k] = inc
        incidents_at: dict[str, list[Incident]] = defaultdict(list)
        for inc in incidents:
            incidents_at[inc.site].append(inc)
        by_article: dict[str, list[Incident]] = defaultdict(list)
        for (article_id, _), inc in by_article_site.items():
            if inc not in by_article[article_id]:
                by_article[article_id].append(inc)
        for c in claims:
            if c.type in ("killed", "injured") and not c.cumulative:
                continue
            site = site_key(c.location, c.article_id)
            inc = by_article_site.get((c.article_id, site))
            if inc is None and c.type == "denial":  # a denial printed elsewhere about the same place and day
                same = [i for i in incidents_at.get(site, []) if _dates_match(i.date, c.date, self.window_days)]
                inc = same[0] if len(same) == 1 else None
            if inc is None and by_article.get(c.article_id):
                if c.type != "denial" or ATTACK_WORDS.search(c.sentence):
                    inc = max(by_article[c.article_id], key=lambda i: len(i.claims))
            if inc is None:
                continue
            (inc.denials if c.type == "denial" else inc.context).append(c)

        texts = texts or {}
        story = {a: shingles(t) for a, t in texts.items()}
        for inc in incidents:
            inc.articles = sorted({c.article_id for c in inc.claims} | {c.article_id for c in inc.denials})
            reporting = sorted({c.article_id for c in inc.claims})
            inc.independent_sources = self._independent(reporting, story)
            inc.killed = aggregate_figures([c for c in inc.claims if c.type == "killed"], self.policy)
            inc.injured = aggregate_figures([c for c in inc.claims if c.type == "injured"], self.policy)
            inc.grade = self._grade(inc)
        self._name(incidents)
        self.incidents_ = sorted(incidents, key=lambda i: (i.date.start.isoformat() if i.date else "", i.incident_id))
        self.claim_incident_ = {c.claim_id: inc.incident_id for inc in incidents
                                for c in inc.claims + inc.context + inc.denials}
        self.denied_incidents_ = {inc.incident_id for inc in incidents if inc.denials}
        return self

    def transform(self, claims: Sequence[Claim]) -> list[Claim]:
        if not hasattr(self, "incidents_"):
            from tolltrace.errors import NotLoadedError

            raise NotLoadedError("IncidentAggregator is not fitted: call fit(claims) first.")
        out = []
        for c in claims:
            inc_id = self.claim_incident_.get(c.claim_id)
            denied = c.type != "denial" and inc_id in self.denied_incidents_
            out.append(replace(c, incident_id=inc_id, denied=denied))
        return out

    def fit_transform(self, claims: Sequence[Claim], texts: dict[str, str] | None = None) -> list[Claim]:
        return self.fit(claims, texts).transform(claims)

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _report_date(claims: list[Claim]) -> DateRange | None:
        dates = [c.date for c in claims if c.date is not None]
        if not dates:
            return None
        exact = [d for d in dates if d.exact]
        if exact:
            return Counter(exact).most_common(1)[0][0]
        return dates[0]

    def _new_incident(self, claims: list[Claim]) -> Incident:
        locs = [c.location for c in claims if c.location]
        kinds = {"town": 0, "village": 0, "city": 1, "region": 2, "country": 3}
        location = min(locs, key=lambda l: kinds.get(l["kind"], 1)) if locs else None
        dates = [c.date for c in claims if c.date]
        exact = [d for d in dates if d.exact]
        if exact:
            date = DateRange(min(d.start for d in exact), max(d.end for d in exact), "claims")
        elif dates:
            date = DateRange(min(d.start for d in dates), max(d.end for d in dates), "claims")
        else:
            date = None
        events = Counter(c.event for c in claims if c.event)
        site = site_key(location, claims[0].article_id)
        return Incident(incident_id="", site=site, location=location, date=date,
                        event=events.most_common(1)[0][0] if events else None, claims=claims)

    @staticmethod
    def _independent(articles: list[str], story: dict[str, set]) -> int:
        clusters: list[list[str]] = []
        for a in articles:
            for cluster in clusters:
                if any(same_story(story.get(a, set()), story.get(b, set())) for b in cluster):
                    cluster.append(a)
                    break
            else:
                clusters.append([a])
        return len(clusters)

    @staticmethod
    def _grade(inc: Incident) -> str:
        if inc.denials:
            return "contested"
        if not any(c.sources for c in inc.claims):
            return "unattributed"
        return "corroborated" if inc.independent_sources >= 2 else "single source"

    @staticmethod
    def _name(incidents: list[Incident]) -> None:
        for inc in incidents:
            place = re.sub(r"[^a-z0-9]+", "-", (inc.location or {}).get("name", "unknown").lower()).strip("-")
            day = inc.date.start.isoformat() if inc.date else "undated"
            base = f"{place}-{day}"
            digest = hashlib.sha1(",".join(sorted(c.claim_id for c in inc.claims)).encode()).hexdigest()[:6]
            inc.incident_id = f"{base}-{digest}"
