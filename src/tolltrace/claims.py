"""The ``claims`` stage: tagged sentences of one article -> auditable claims.

One claim per KILLED / INJURED span (a figure) and one per DENIAL span. Each
figure claim carries what an analyst needs to weigh it: the number and its
bounds (hedges such as "at least" become bounds, see :mod:`tolltrace.numbers`),
who says so (SOURCE spans of its sentence; "they" or "the group" resolved to the
nearest earlier named source of the article), whether it is a running or
historical total, and where and when the event happened (resolved here, from the
sentence and the article, so the incident stage only compares claims).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as _date

from tolltrace.dates import DateRange, article_default_date, find_dates, parse_published
from tolltrace.gazetteer import Gazetteer, PlaceMention, dateline_span
from tolltrace.numbers import apply_hedges, parse_figure
from tolltrace.types import Article, Sentence, Span

PRONOUNS = {"he", "she", "they", "it", "we", "i", "you"}
GENERIC_SOURCE = re.compile(r"^(the|this|that)\s+(group|organi[sz]ation|agency|ministry|monitor|army|military|"
                            r"statement|service|observatory|network|spokesman|spokeswoman|spokesperson|official|"
                            r"source|movement|report|department|office)$", re.I)
VICTIM_GROUPS = (
    ("children", re.compile(r"\b(child|children|kids?|minors?|boys?|girls?|schoolchildren|students?|infants?|"
                            r"babies|toddlers?|teenagers?)\b", re.I)),
    ("women", re.compile(r"\b(women|woman|mothers?|wives)\b", re.I)),
    ("fighters", re.compile(r"\b(soldiers?|troops?|militants?|fighters?|insurgents?|rebels?|terrorists?|jihadists?|"
                            r"militiam[ae]n|gunmen|police\w*|officers?|personnel|jawans?|cadres?|commanders?|"
                            r"guards?|security forces|combatants?|maoists?|members)\b", re.I)),
    ("civilians", re.compile(r"\b(civilians?|residents?|villagers?|worshippers?|passengers?|shoppers?|"
                             r"farmers?|workers?|patients?|journalists?|refugees?|families|family members)\b", re.I)),
)
CUMULATIVE = re.compile(
    r"\bsince\b|\bso far\b|\bto date\b|\bin total\b|\btotal (death )?toll\b|\boverall\b|\bcumulative\b|"
    r"\bover the (past|last) (few |several )?(days|weeks|months|years)\b|\bin the (past|last) \w+ (days|weeks|"
    r"months|years)\b|\b(war|conflict|uprising|insurgency|violence)\b[^.]{0,40}\b(has|have|had) (killed|left|"
    r"claimed)\b|\bthis year\b|\bfrom \d{4} (to|until)\b",
    re.I,
)
EVENT_KINDS = (
    ("airstrike", re.compile(r"\b(air ?strikes?|air raids?|raids?|warplanes?|jets?|bombard\w*|barrel bombs?|"
                             r"aerial|drone strikes?|helicopters?)\b", re.I)),
    ("shelling", re.compile(r"\b(shelling|shells?|artillery|mortars?|rockets?|missiles?)\b", re.I)),
    ("bombing", re.compile(r"\b(car bombs?|suicide (bomb\w*|attack\w*)|bombings?|explosions?|blasts?|IEDs?|"
                           r"explosive devices?|landmines?|mines?)\b", re.I)),
    ("shooting", re.compile(r"\b(shooting|shot|gunmen|gunfire|opened fire|firing|sniper\w*|massacre)\b", re.I)),
    ("clashes", re.compile(r"\b(clash\w*|fighting|battles?|encounters?|gunfight|offensive|ambush\w*)\b", re.I)),
    ("attack", re.compile(r"\b(attack\w*|assault)\b", re.I)),
)
BOUND_CUES = re.compile(r"^(at least|more than|over|up to|nearly|almost|around|about|some|approximately|roughly|"
                        r"an estimated|estimated|close to|as many as|as high as|fewer than|less than|at most|"
                        r"in excess of|upwards of|a minimum of|or more|no fewer than|no less than|between)$", re.I)


@dataclass(frozen=True)
class Claim:
    """One auditable statement: a figure, or a denial, with everything needed to weigh it."""

    claim_id: str
    article_id: str
    sentence_index: int
    start: int
    end: int
    text: str
    type: str                     # killed | injured | denial
    value: int | None = None
    low: int | None = None
    high: int | None = None
    approximate: bool = False
    group: str | None = None
    sources: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    denied: bool = False
    cumulative: bool = False
    score: float | None = None
    location: dict | None = None
    date: DateRange | None = None
    event: str | None = None
    outlet: str | None = None
    incident_id: str | None = None
    sentence: str = field(default="", compare=False)

    def to_json(self) -> dict:
        return {
            "claim_id": self.claim_id, "article_id": self.article_id, "sentence_index": self.sentence_index,
            "start": self.start, "end": self.end, "text": self.text, "type": self.type,
            "value": self.value, "low": self.low, "high": self.high, "approximate": self.approximate,
            "group": self.group, "sources": list(self.sources), "hedges": list(self.hedges),
            "denied": self.denied, "cumulative": self.cumulative,
            "score": None if self.score is None else round(float(self.score), 4),
            "location": self.location, "date": self.date.to_json() if self.date else None,
            "event": self.event, "incident_id": self.incident_id,
        }

    def to_record(self) -> dict:
        """Everything, for a batch run's shard files: ``to_json`` plus what incident aggregation also reads
        (the sentence, the outlet, the date's wording). ``Claim.from_record(c.to_record()) == c``."""
        out = self.to_json()
        out["date"] = None if self.date is None else {"start": self.date.start.isoformat(),
                                                      "end": self.date.end.isoformat(),
                                                      "expression": self.date.expression}
        out.update(score=self.score, outlet=self.outlet, sentence=self.sentence)
        return out

    @classmethod
    def from_record(cls, rec: dict) -> Claim:
        d = rec.get("date")
        date_range = None if d is None else DateRange(_date.fromisoformat(d["start"]), _date.fromisoformat(d["end"]),
                                                      d["expression"])
        return cls(claim_id=rec["claim_id"], article_id=rec["article_id"], sentence_index=rec["sentence_index"],
                   start=rec["start"], end=rec["end"], text=rec["text"], type=rec["type"], value=rec.get("value"),
                   low=rec.get("low"), high=rec.get("high"), approximate=bool(rec.get("approximate")),
                   group=rec.get("group"), sources=tuple(rec.get("sources") or ()),
                   hedges=tuple(rec.get("hedges") or ()), denied=bool(rec.get("denied")),
                   cumulative=bool(rec.get("cumulative")), score=rec.get("score"), location=rec.get("location"),
                   date=date_range, event=rec.get("event"), outlet=rec.get("outlet"),
                   incident_id=rec.get("incident_id"), sentence=rec.get("sentence") or "")


def victim_group(span_text: str) -> str:
    for name, rx in VICTIM_GROUPS:
        if rx.search(span_text):
            return name
    return "unspecified"


def event_kind(text: str) -> str | None:
    for name, rx in EVENT_KINDS:
        if rx.search(text):
            return name
    return None


def _place_json(mention: PlaceMention) -> dict:
    p = mention.place
    return {"name": p.name, "mention": mention.text, "country": p.country, "admin1": p.admin1, "kind": p.kind,
            "lat": p.lat, "lon": p.lon}


SPECIFICITY = {"town": 0, "village": 0, "city": 1, "region": 2, "country": 3}


class ClaimExtractor:
    """Builds the claims of one article from its sentences and their spans.

    ``fit`` takes nothing to learn but the gazetteer, loaded once and reused for every
    article (``ClaimExtractor(gazetteer).transform(article, sentences, spans)``).
    """

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer

    def transform(self, article: Article, sentences: Sequence[Sentence],
                  spans: Sequence[Sequence[Span]]) -> list[Claim]:
        published = parse_published(article.published)
        texts = [s.text for s in sentences]
        default_date = article_default_date(texts, published)
        countries = self.gazetteer.context_countries(article.text)
        places = self._sentence_places(article.text, sentences, spans, countries)
        article_event = event_kind((article.title or "") + " " + " ".join(texts[:3]))
        main_place = self._main_place(places)
        claims: list[Claim] = []
        named_sources: list[str] = []
        last_place = None
        for sent, sent_spans in zip(sentences, spans):
            place = self._claim_place(places, sent.index, last_place, main_place)
            specific = [m for m in places[sent.index] if m.place.kind != "country"]
            if specific:
                last_place = specific[0]
            text = sent.text
            sources = []
            for span in sent_spans:
                if span.label != "SOURCE":
                    continue
                name = text[span.start:span.end]
                if name.lower() in PRONOUNS or GENERIC_SOURCE.match(name):
                    sources.append(named_sources[-1] if named_sources else name)
                else:
                    sources.append(name)
                    named_sources.append(name)
            hedges = [(s, text[s.start:s.end]) for s in sent_spans if s.label == "HEDGE"]
            later = texts[sent.index + 1] if sent.index + 1 < len(texts) else ""
            date = self._claim_date(text, later, published) or default_date
            event = event_kind(text) or article_event
            cumulative_sentence = bool(CUMULATIVE.search(text))
            for span in sent_spans:
                if span.label not in ("KILLED", "INJURED", "DENIAL"):
                    continue
                n = len(claims)
                common = dict(claim_id=f"{article.id}:{sent.index}:{n}", article_id=article.id,
                              sentence_index=sent.index, start=span.start, end=span.end,
                              text=text[span.start:span.end], sources=tuple(dict.fromkeys(sources)),
                              score=span.score, location=_place_json(place) if place else None, date=date,
                              event=event, outlet=article.outlet, sentence=text)
                if span.label == "DENIAL":
                    claims.append(Claim(type="denial", **common))
                    continue
                figure = parse_figure(text[span.start:span.end])
                own = [cue for s, cue in hedges if self._governs(text, s, span)]
                general = [cue for s, cue in hedges if not BOUND_CUES.match(cue)]
                if figure is not None:
                    figure = apply_hedges(figure, own + general)
                claims.append(Claim(
                    type=span.label.lower(), value=figure.value if figure else None,
                    low=figure.low if figure else None, high=figure.high if figure else None,
                    approximate=figure.approximate if figure else True,
                    group=victim_group(text[span.start:span.end]),
                    hedges=tuple(dict.fromkeys(own + general)),
                    cumulative=cumulative_sentence or (figure is not None and (figure.value or 0) >= 100_000),
                    **common,
                ))
        return claims

    @staticmethod
    def _claim_place(places: dict[int, list[PlaceMention]], index: int, last: PlaceMention | None,
                     main: PlaceMention | None) -> PlaceMention | None:
        """The sentence's most specific place. A bare country ("in northwestern Syria") defers to the
        next two sentences, then the previous place; a sentence with no place takes the previous place,
        then the next; the article's main place comes last."""
        own = [m for m in places.get(index, []) if m.place.kind != "country"]
        if own:
            return own[0]
        following = [m for i in (index + 1, index + 2) for m in places.get(i, []) if m.place.kind != "country"]
        nxt = following[0] if following else None
        # "killed in northwestern Syria" is elaborated by what follows; a sentence naming no place at
        # all continues the one before it
        order = (nxt, last, main) if places.get(index) else (last, nxt, main)
        for candidate in order:
            if candidate is not None:
                return candidate
        return places[index][0] if places.get(index) else None

    @staticmethod
    def _governs(text: str, hedge: Span, figure: Span) -> bool:
        """A bounding hedge governs the figure it touches: "at least [30]" or "[30] or more"."""
        if hedge.end <= figure.start:
            return not text[hedge.end:figure.start].strip(" ,")
        return hedge.start >= figure.end and not text[figure.end:hedge.start].strip(" ,")

    @staticmethod
    def _claim_date(text: str, following: str, published) -> DateRange | None:
        """The earliest exact day named in the claim's sentence or the next one (events precede reports)."""
        found = [d for d in find_dates(text, published) + find_dates(following, published) if d.exact]
        return min(found, key=lambda d: d.start) if found else None

    def _sentence_places(self, article_text: str, sentences: Sequence[Sentence], spans: Sequence[Sequence[Span]],
                         countries: set[str]) -> dict[int, list[PlaceMention]]:
        """Places per sentence, most specific first. Names inside a SOURCE span describe the speaker
        ("forces based in Idlib", "Muqdad Miri"), not the event, and are skipped, as are datelines."""
        out: dict[int, list[PlaceMention]] = {}
        for sent, sent_spans in zip(sentences, spans):
            speakers = [s for s in sent_spans if s.label == "SOURCE"]
            mentions = [m for m in self.gazetteer.find(sent.text, countries)
                        if not any(s.start <= m.start and m.end <= s.end for s in speakers)]
            if sent.start == 0 or article_text[sent.start - 1] == "\n":  # a paragraph may open with a dateline
                dl = dateline_span(sent.text)
                if dl:
                    mentions = [m for m in mentions if m.end <= dl[0] or m.start >= dl[1]]
            mentions = [m for m in mentions if m.place.kind != "country"] or mentions
            out[sent.index] = sorted(mentions, key=lambda m: SPECIFICITY.get(m.place.kind, 1))
        return out

    @staticmethod
    def _main_place(places: dict[int, list[PlaceMention]]) -> PlaceMention | None:
        counts: dict[str, tuple[int, PlaceMention]] = {}
        for mentions in places.values():
            for m in mentions:
                if m.place.kind == "country":
                    continue
                c = counts.get(m.place.name, (0, m))
                counts[m.place.name] = (c[0] + 1, c[1])
        if not counts:
            return None
        return max(counts.values(), key=lambda c: c[0])[1]
