"""``tolltrace run``: articles in, sentences / claims / incidents / report out.

Stages run in order, each on the previous stage's records: read and clean
(:mod:`tolltrace.reader`), segment, tag (sentences of many articles batched
together), claims per article, incidents over all claims. A broken article is
reported in ``errors.jsonl`` and on stderr, and the run goes on with the rest.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tolltrace.claims import Claim, ClaimExtractor
from tolltrace.errors import InputError
from tolltrace.gazetteer import Gazetteer, default_gazetteer
from tolltrace.incidents import Incident, IncidentAggregator, aggregate_figures
from tolltrace.policies import POLICIES
from tolltrace.reader import iter_articles
from tolltrace.segment import segment_article
from tolltrace.types import Article, Sentence, Span



@dataclass
class RunSummary:
    articles: int = 0
    sentences: int = 0
    claims: int = 0
    incidents: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"articles {self.articles}  sentences {self.sentences}  claims {self.claims}  "
                f"incidents {self.incidents}  errors {len(self.errors)}")


@dataclass
class TaggedArticle:
    article: Article
    sentences: list[Sentence]
    spans: list[list[Span]]


def _progress(iterable: Iterable, total: int | None, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=" articles", file=sys.stderr)


def tag_articles(tagger, articles: list[Article], batch_size: int = 256) -> list[TaggedArticle]:
    """Segment and tag; sentences from many articles share batches so few are padded."""
    segmented = [(a, segment_article(a)) for a in articles]
    flat = [s.text for _, sents in segmented for s in sents]
    predictions: list[list[Span]] = []
    for b in range(0, len(flat), batch_size):
        predictions.extend(tagger.predict(flat[b:b + batch_size]))
    out, pos = [], 0
    for article, sents in segmented:
        out.append(TaggedArticle(article, sents, predictions[pos:pos + len(sents)]))
        pos += len(sents)
    return out


def article_record(tagged: TaggedArticle, claims: list[Claim], policy: str) -> dict:
    """Per article: the incident it is mostly about, and its own figures for that incident."""
    own = [c for c in claims if c.incident_id and c.type in ("killed", "injured") and not c.cumulative]
    counts: dict[str, int] = {}
    for c in own:
        counts[c.incident_id] = counts.get(c.incident_id, 0) + 1
    main = max(counts, key=lambda i: (counts[i], max((c.value or 0) for c in own if c.incident_id == i)),
               default=None)
    figures = {}
    for kind in ("killed", "injured"):
        fig = aggregate_figures([c for c in own if c.incident_id == main and c.type == kind], policy)
        figures[kind] = fig.to_json() if fig else None
    a = tagged.article
    return {"article_id": a.id, "title": a.title, "published": a.published, "outlet": a.outlet, "url": a.url,
            "sentences": len(tagged.sentences), "main_incident": main, **figures,
            "incidents": sorted({c.incident_id for c in claims if c.incident_id})}


def run(input_path: Path, output_dir: Path, tagger, policy: str = "conservative", window_days: int = 0,
        gazetteer: Gazetteer | None = None, max_bytes: int = 2_000_000, progress: bool | None = None,
        on_error: Callable[[InputError], None] | None = None) -> RunSummary:
    """Run the whole job; every output file is written to ``output_dir``."""
    if policy not in POLICIES:
        raise ValueError(f"Unknown policy {policy!r}; choose one of {sorted(POLICIES)}.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty() if progress is None else progress
    summary = RunSummary()
    articles: list[Article] = []
    for item in _progress(iter_articles(input_path, max_bytes), None, "reading", progress):
        if isinstance(item, InputError):
            summary.errors.append(str(item))
            if on_error:
                on_error(item)
            continue
        articles.append(item)
    tagged = tag_articles(tagger, articles)
    extractor = ClaimExtractor(gazetteer or default_gazetteer())
    claims: list[Claim] = []
    for t in _progress(tagged, len(tagged), "claims", progress):
        claims.extend(extractor.transform(t.article, t.sentences, t.spans))
    aggregator = IncidentAggregator(window_days=window_days, policy=policy)
    claims = aggregator.fit_transform(claims, {t.article.id: t.article.text for t in tagged})
    incidents = {inc.incident_id: inc for inc in aggregator.incidents_}
    # claims of incidents now carry incident ids and denied flags
    by_id = {c.claim_id: c for c in claims}
    for inc in incidents.values():
        inc.claims = [by_id[c.claim_id] for c in inc.claims]
        inc.context = [by_id[c.claim_id] for c in inc.context]
        inc.denials = [by_id[c.claim_id] for c in inc.denials]

    summary.articles = len(tagged)
    summary.sentences = sum(len(t.sentences) for t in tagged)
    summary.claims = len(claims)
    summary.incidents = len(incidents)
    _write_jsonl(output_dir / "sentences.jsonl", (
        {"article_id": t.article.id, "sentence_index": s.index, "start": s.start, "end": s.end, "text": s.text,
         "spans": [sp.to_dict(s.text) for sp in spans]}
        for t in tagged for s, spans in zip(t.sentences, t.spans)))
    _write_jsonl(output_dir / "claims.jsonl", (c.to_json() for c in claims))
    _write_jsonl(output_dir / "incidents.jsonl", (inc.to_json() for inc in incidents.values()))
    _write_incidents_csv(output_dir / "incidents.csv", incidents.values())
    claims_by_article: dict[str, list[Claim]] = {}
    for c in claims:
        claims_by_article.setdefault(c.article_id, []).append(c)
    _write_jsonl(output_dir / "articles.jsonl", (
        article_record(t, claims_by_article.get(t.article.id, []), policy) for t in tagged))
    _write_jsonl(output_dir / "errors.jsonl", ({"error": e} for e in summary.errors))
    from tolltrace.report import render_report

    (output_dir / "report.html").write_text(render_report(list(incidents.values()), tagged, claims, policy),
                                             encoding="utf-8")
    return summary


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _write_incidents_csv(path: Path, incidents: Iterable[Incident]) -> None:
    fields = ["incident_id", "location", "country", "date_start", "date_end", "event", "killed_low", "killed_best",
              "killed_high", "injured_low", "injured_best", "injured_high", "articles", "claims", "sources",
              "independent_sources", "denials", "grade"]
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for inc in incidents:
            k, i = inc.killed, inc.injured
            w.writerow({
                "incident_id": inc.incident_id, "location": (inc.location or {}).get("name"),
                "country": (inc.location or {}).get("country"),
                "date_start": inc.date.start.isoformat() if inc.date else None,
                "date_end": inc.date.end.isoformat() if inc.date else None, "event": inc.event,
                "killed_low": k.low if k else None, "killed_best": k.best if k else None,
                "killed_high": k.high if k else None, "injured_low": i.low if i else None,
                "injured_best": i.best if i else None, "injured_high": i.high if i else None,
                "articles": len(inc.articles), "claims": len(inc.claims), "sources": "; ".join(inc.sources()),
                "independent_sources": inc.independent_sources, "denials": len(inc.denials), "grade": inc.grade,
            })
    os.replace(tmp, path)
