"""Claims and incidents from hand-specified spans (the tagger is exercised in test_seed_acceptance)."""

import re
from datetime import date

import pytest

from tolltrace.batch import tag_articles
from tolltrace.claims import ClaimExtractor
from tolltrace.dates import find_dates
from tolltrace.gazetteer import dateline_span, default_gazetteer
from tolltrace.incidents import IncidentAggregator
from tolltrace.reader import make_article
from tolltrace.types import Span


class PhraseTagger:
    """Test double: tags fixed phrases, so claim and incident logic is tested on known spans.

    Phrases match whole words only, as the real tagger's word-aligned spans do (a figure
    "40" must not be found inside a URL's port "40467")."""

    def __init__(self, phrases: dict[str, str]):
        self.phrases = phrases

    def predict(self, texts):
        out = []
        for text in texts:
            spans = []
            for phrase, label in self.phrases.items():
                for m in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
                    if all(m.end() <= s.start or m.start() >= s.end for s in spans):
                        spans.append(Span(m.start(), m.end(), label, 0.9))
            out.append(sorted(spans))
        return out


@pytest.fixture(scope="module")
def gazetteer():
    return default_gazetteer()


def _claims(gazetteer, tagger, *docs):
    articles = [make_article(aid, text, aid, metadata=meta) for aid, text, meta in docs]
    extractor = ClaimExtractor(gazetteer)
    claims = []
    for t in tag_articles(tagger, articles):
        claims += extractor.transform(t.article, t.sentences, t.spans)
    return claims, {a.id: a.text for a in articles}


def test_dates_resolve_against_publication():
    pub = date(2017, 2, 8)  # a Wednesday
    assert [d.start for d in find_dates("died on Tuesday, witnesses said", pub)] == [date(2017, 2, 7)]
    assert [d.start for d in find_dates("struck overnight", pub)] == [date(2017, 2, 7)]
    assert find_dates("the toll since November 27 rose", pub) == []
    assert [d.start for d in find_dates("on December 2", pub)] == [date(2016, 12, 2)]
    (month,) = find_dates("killed last month", pub)
    assert (month.start, month.end) == (date(2017, 1, 1), date(2017, 1, 31))


def test_gazetteer_uses_context_and_skips_datelines(gazetteer):
    text = "AMMAN: At least four people were killed in the town of Arbin in opposition-held Eastern Ghouta, Syria."
    places = [m.place.name for m in gazetteer.find(text)]
    assert "Arbin" in places and "Eastern Ghouta" in places
    assert text[slice(*dateline_span(text))] == "AMMAN"
    assert all(m.place.name != "Da Nang" for m in gazetteer.find("Khudaay Dad Road in Quetta, Pakistan"))


PHRASES = {"At least": "HEDGE", "30 people": "KILLED", "witnesses": "SOURCE", "12 people": "KILLED",
           "The White Helmets": "SOURCE", "56": "KILLED", "the group": "SOURCE", "denied": "DENIAL",
           "the army": "SOURCE", "nearly": "HEDGE", "40": "KILLED", "Ten children": "KILLED",
           "The Syrian Observatory": "SOURCE", "26": "KILLED"}


def test_figure_claim_fields(gazetteer):
    claims, _ = _claims(gazetteer, PhraseTagger(PHRASES), (
        "a", "AMMAN: At least 30 people died in airstrikes on the Syrian city of Idlib on Tuesday, witnesses said.",
        {"published": "2017-02-08"}))
    (c,) = claims
    assert (c.type, c.value, c.low, c.high, c.approximate) == ("killed", 30, 30, None, False)
    assert c.sources == ("witnesses",) and c.hedges == ("At least",) and c.group == "unspecified"
    assert c.location["name"] == "Idlib" and c.date.start == date(2017, 2, 7) and c.event == "airstrike"
    assert not c.cumulative


def test_pronoun_source_resolution_and_cumulative_totals(gazetteer):
    claims, _ = _claims(gazetteer, PhraseTagger(PHRASES), (
        "b", "The White Helmets said 12 people died in Idlib, Syria on Sunday. "
             "The toll since November 27 rose to 56, the group added.", {"published": "2024-12-02"}))
    first, second = claims
    assert second.sources == ("The White Helmets",) and second.cumulative and not first.cumulative


def test_incidents_merge_reports_and_keep_totals_out(gazetteer):
    docs = [
        ("r1", "At least 30 people died in airstrikes on Idlib, Syria on Tuesday, witnesses said. "
               "The toll since November 27 rose to 56, the group added.", {"published": "2017-02-08"}),
        ("r2", "The Syrian Observatory said 26 were killed in air strikes on Idlib, Syria on Tuesday. "
               "Ten children were among them.", {"published": "2017-02-08"}),
        ("r3", "Airstrikes on Idlib, Syria killed nearly 40 on Friday, witnesses said.", {"published": "2017-02-11"}),
        ("r4", "In Idlib, Syria, the army denied that its jets hit a market on Tuesday.", {"published": "2017-02-08"}),
    ]
    claims, texts = _claims(gazetteer, PhraseTagger(PHRASES), *docs)
    agg = IncidentAggregator(policy="conservative").fit(claims, texts)
    tue = [i for i in agg.incidents_ if i.date.start == date(2017, 2, 7)]
    fri = [i for i in agg.incidents_ if i.date.start == date(2017, 2, 10)]
    assert len(tue) == 1 and len(fri) == 1
    inc = tue[0]
    assert sorted(inc.articles) == ["r1", "r2", "r4"]
    assert (inc.killed.low, inc.killed.best, inc.killed.high, inc.killed.open_high) == (26, 26, 30, True)
    assert [c.text for c in inc.context] == ["56"]              # running total kept as context only
    assert inc.grade == "contested" and inc.denials[0].sources == ("the army",)
    assert inc.independent_sources == 2          # r1 and r2 report figures; r4 only denies
    out = agg.transform(claims)
    assert all(c.denied for c in out if c.incident_id == inc.incident_id and c.type == "killed")
    assert fri[0].killed.high == 40 and fri[0].killed.low == 40   # "nearly 40": no report gives a lower bound

    ucdp = IncidentAggregator(policy="ucdp").fit(claims, texts).incidents_
    rng = IncidentAggregator(policy="range").fit(claims, texts).incidents_
    (u,) = [i for i in ucdp if i.date.start == date(2017, 2, 7)]
    (r,) = [i for i in rng if i.date.start == date(2017, 2, 7)]
    assert (u.killed.low, u.killed.best, u.killed.high) == (26, 26, 30)
    assert (r.killed.low, r.killed.best, r.killed.high) == (26, None, 30)


def test_copies_of_one_story_count_once(gazetteer):
    story = ("At least 30 people died in airstrikes on Idlib, Syria on Tuesday, witnesses said. Rescue workers "
             "searched the rubble of several buildings in the northwestern city for survivors late into the night.")
    copy = story.replace("searched the rubble", "were searching the rubble")
    claims, texts = _claims(gazetteer, PhraseTagger(PHRASES), ("x1", story, {"published": "2017-02-08"}),
                            ("x2", copy, {"published": "2017-02-08"}))
    (inc,) = IncidentAggregator().fit(claims, texts).incidents_
    assert inc.articles == ["x1", "x2"] and inc.independent_sources == 1 and inc.grade == "single source"


def test_unknown_policy_is_rejected():
    with pytest.raises(ValueError, match="Unknown policy"):
        IncidentAggregator(policy="median").fit([])
