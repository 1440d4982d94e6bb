"""``tolltrace run``: articles in, sentences / claims / incidents / report out.

Two stages. **Stage 1** streams the input in shards of ``shard_size`` articles
(:mod:`tolltrace.shards`): each shard is read and cleaned (:mod:`tolltrace.reader`),
segmented, tagged (the sentences of all its articles sorted by length and batched
together, so batches pad little) and turned into claims per article (pronouns are
resolved within an article, so an article never spans two shards), then written
atomically. Memory stays flat however large the input: one shard at a time, with
the model and the gazetteer loaded once. The local engine runs stage 1 in this
process; ``engine="ray"`` runs it on Ray Data (:mod:`tolltrace.ray_engine`).

**Stage 2** reads the claims of all shards, clusters them into incidents (so
incidents are correct across shards) and writes the merged outputs and the report.
A killed run started again with the same arguments skips the finished shards.
A broken article is reported in ``errors`` and on stderr, and the run goes on.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tolltrace import __version__
from tolltrace.claims import Claim, ClaimExtractor
from tolltrace.errors import Errors, InputError, TolltraceError
from tolltrace.gazetteer import Gazetteer, default_gazetteer
from tolltrace.incidents import Incident, IncidentAggregator, aggregate_figures
from tolltrace.policies import POLICIES
from tolltrace.reader import ArticleRef, iter_article_refs
from tolltrace.recordio import check_format, record_path, write_records
from tolltrace.segment import segment_article
from tolltrace.shards import ShardStore, input_fingerprint, log
from tolltrace.tagger import TaggerSpec
from tolltrace.types import Article, Sentence, Span

DEFAULT_SHARD_SIZE = 1000
ENGINES = ("local", "ray")


@dataclass
class RunSummary:
    articles: int = 0
    sentences: int = 0
    claims: int = 0
    incidents: int = 0
    errors: list[str] = field(default_factory=list)
    shards_done: int = 0
    shards_skipped: int = 0

    def line(self) -> str:
        return (f"articles {self.articles}  sentences {self.sentences}  claims {self.claims}  "
                f"incidents {self.incidents}  errors {len(self.errors)}")


@dataclass
class TaggedArticle:
    article: Article
    sentences: list[Sentence]
    spans: list[list[Span]]


def tag_articles(tagger, articles: Sequence[Article]) -> list[TaggedArticle]:
    """Segment and tag; sentences from many articles share batches (sorted by length) so few are padded."""
    segmented = [(a, segment_article(a)) for a in articles]
    predictions = tagger.predict([s.text for _, sents in segmented for s in sents])
    out, pos = [], 0
    for article, sents in segmented:
        out.append(TaggedArticle(article, sents, predictions[pos:pos + len(sents)]))
        pos += len(sents)
    return out


# ---------------------------------------------------------------------- stage 1
class ShardProcessor:
    """Stage 1 for one block of input items: loaded articles (or their errors) -> shard rows.

    Holds the tagger and the claim extractor (with its gazetteer), built once per
    process or per Ray actor and reused for every shard.
    """

    def __init__(self, tagger, gazetteer: Gazetteer | None = None):
        self.tagger = tagger
        self.extractor = ClaimExtractor(gazetteer or default_gazetteer())

    def __call__(self, items: Sequence[Article | InputError]) -> dict[str, list[dict]]:
        articles = [a for a in items if not isinstance(a, InputError)]
        rows: dict[str, list[dict]] = {"sentences": [], "claims": [], "articles": [],
                                       "errors": [{"error": str(e)} for e in items if isinstance(e, InputError)]}
        for t in tag_articles(self.tagger, articles):
            claims = self.extractor.transform(t.article, t.sentences, t.spans)
            a = t.article
            rows["sentences"].extend(
                {"article_id": a.id, "sentence_index": s.index, "start": s.start, "end": s.end, "text": s.text,
                 "spans": [sp.to_dict(s.text) for sp in spans]} for s, spans in zip(t.sentences, t.spans))
            rows["claims"].extend(c.to_record() for c in claims)
            # the text is kept only where stage 2 compares stories: articles reporting a figure of an incident
            reports = any(c.type in ("killed", "injured") and not c.cumulative for c in claims)
            rows["articles"].append({"article_id": a.id, "title": a.title, "published": a.published,
                                     "outlet": a.outlet, "url": a.url, "sentences": len(t.sentences),
                                     "text": a.text if reports else None})
        return rows


def shard_counts(rows: dict[str, list[dict]]) -> dict:
    return {k: len(v) for k, v in rows.items()}


def plan_shards(input_path: Path, shard_size: int) -> Iterator[tuple[int, list[ArticleRef]]]:
    """The input's article pointers in blocks of ``shard_size``: shard ``k`` is always the same articles."""
    block: list[ArticleRef] = []
    shard = 0
    for ref in iter_article_refs(input_path):
        block.append(ref)
        if len(block) == shard_size:
            yield shard, block
            shard, block = shard + 1, []
    if block or shard == 0:
        yield shard, block


def _run_local(plan: Iterable[tuple[int, list[ArticleRef]]], store: ShardStore, tagger, gazetteer,
               max_bytes: int, on_error: Callable[[InputError], None] | None, seen: list[int]) -> tuple[int, int]:
    """Stage 1 in this process; appends each shard number of the plan to ``seen``."""
    processor = None
    done = skipped = 0
    for shard, refs in plan:
        seen.append(shard)
        if store.done(shard):
            log(f"shard {store.name(shard)} already finished, skipped")
            skipped += 1
            continue
        if processor is None:  # loaded only when some shard is left to do
            processor = ShardProcessor(tagger.load() if isinstance(tagger, TaggerSpec) else tagger, gazetteer)
        items = [ref.load(max_bytes) for ref in refs]
        for item in items:
            if isinstance(item, InputError) and on_error:
                on_error(item)
        rows = processor(items)
        store.write(shard, rows, shard_counts(rows))
        log(f"shard {store.name(shard)} written: {len(refs)} input article(s)")
        done += 1
    return done, skipped


# ---------------------------------------------------------------------- stage 2
def article_record(meta: dict, claims: list[Claim], policy: str) -> dict:
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
    return {"article_id": meta["article_id"], "title": meta["title"], "published": meta["published"],
            "outlet": meta["outlet"], "url": meta["url"], "sentences": meta["sentences"], "main_incident": main,
            **figures, "incidents": sorted({c.incident_id for c in claims if c.incident_id})}


def finalize(store: ShardStore, shards: list[int], policy: str = "conservative", window_days: int = 0
             ) -> RunSummary:
    """Stage 2: incidents over the claims of all shards, merged outputs, report."""
    out, fmt = store.output_dir, store.fmt
    claims = [Claim.from_record(r) for r in store.records("claims", shards)]
    texts = {a["article_id"]: a["text"] for a in store.records("articles", shards) if a.get("text")}
    aggregator = IncidentAggregator(window_days=window_days, policy=policy)
    claims = aggregator.fit_transform(claims, texts)
    del texts
    incidents = {inc.incident_id: inc for inc in aggregator.incidents_}
    # claims of incidents now carry incident ids and denied flags
    by_id = {c.claim_id: c for c in claims}
    for inc in incidents.values():
        inc.claims = [by_id[c.claim_id] for c in inc.claims]
        inc.context = [by_id[c.claim_id] for c in inc.context]
        inc.denials = [by_id[c.claim_id] for c in inc.denials]
    claims_by_article: dict[str, list[Claim]] = {}
    for c in claims:
        claims_by_article.setdefault(c.article_id, []).append(c)

    summary = RunSummary(claims=len(claims), incidents=len(incidents))
    summary.errors = [e["error"] for e in store.records("errors", shards)]
    summary.sentences = _merge_sentences(store, shards, record_path(out, "sentences", fmt))
    write_records(record_path(out, "claims", fmt), (c.to_json() for c in claims), "claims", fmt)
    write_records(out / "incidents.jsonl", (inc.to_json() for inc in incidents.values()), "incidents", "jsonl")
    _write_incidents_csv(out / "incidents.csv", incidents.values())
    summary.articles = write_records(record_path(out, "articles", fmt), (
        article_record(a, claims_by_article.get(a["article_id"], []), policy)
        for a in store.records("articles", shards)), "articles", fmt)
    write_records(record_path(out, "errors", fmt), ({"error": e} for e in summary.errors), "errors", fmt)
    from tolltrace.report import render_report

    cited = {(c.article_id, c.sentence_index) for c in claims}
    sentences = [s for s in store.records("sentences", shards) if (s["article_id"], s["sentence_index"]) in cited]
    articles = [{k: a[k] for k in ("article_id", "title", "outlet", "published", "url")}
                for a in store.records("articles", shards)]
    tmp = out / "report.html.tmp"
    tmp.write_text(render_report(list(incidents.values()), sentences, articles, policy), encoding="utf-8")
    os.replace(tmp, out / "report.html")
    return summary


def _merge_sentences(store: ShardStore, shards: list[int], path: Path) -> int:
    """Concatenate the shards' sentence files (JSONL byte for byte); returns the number of sentences."""
    if store.fmt == "parquet":
        return write_records(path, store.records("sentences", shards), "sentences", "parquet")
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as dst:
        for shard in shards:
            with store.path(shard, "sentences").open("rb") as src:
                shutil.copyfileobj(src, dst)
            n += int(_done_counts(store, shard).get("sentences", 0))
    os.replace(tmp, path)
    return n


def _done_counts(store: ShardStore, shard: int) -> dict:
    return json.loads((store.folder / f"{store.name(shard)}.done.json").read_text(encoding="utf-8"))


# -------------------------------------------------------------------- the job
def run(input_path: Path, output_dir: Path, tagger, policy: str = "conservative", window_days: int = 0,
        gazetteer: Gazetteer | None = None, max_bytes: int = 2_000_000, progress: bool | None = None,
        on_error: Callable[[InputError], None] | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
        fmt: str = "jsonl", engine: str = "local", address: str | None = None, restart: bool = False,
        num_actors: int | None = None) -> RunSummary:
    """Run the whole job; every output file is written to ``output_dir``.

    ``tagger`` is a loaded tagger (anything with ``predict``) or a
    :class:`~tolltrace.tagger.TaggerSpec`; the Ray engine needs a spec or a loaded
    :class:`~tolltrace.tagger.Tagger` (whose spec each actor loads once).
    ``progress`` is accepted for compatibility; progress lines go to stderr per shard.
    """
    if policy not in POLICIES:
        raise ValueError(f"Unknown policy {policy!r}; choose one of {sorted(POLICIES)}.")
    if engine not in ENGINES:
        raise TolltraceError(Errors.E063.format(what="engine", value=engine, known=", ".join(ENGINES)))
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    check_format(fmt)
    fingerprint = {"input": input_fingerprint(input_path), "tagger": _tagger_fingerprint(tagger),
                   "shard_size": shard_size, "format": fmt, "max_bytes": max_bytes, "tolltrace": __version__}
    store = ShardStore(output_dir, fmt).open(fingerprint, restart=restart)
    shards: list[int] = []
    if engine == "ray":
        from tolltrace.ray_engine import run_ray

        plan = list(plan_shards(input_path, shard_size))  # pointers to articles (a few bytes each), not text
        shards = [k for k, _ in plan]
        done, skipped = run_ray(plan, store, tagger, max_bytes=max_bytes, address=address, num_actors=num_actors,
                                on_error=on_error)
    else:  # streamed: one shard's pointers at a time
        done, skipped = _run_local(plan_shards(input_path, shard_size), store, tagger, gazetteer, max_bytes,
                                   on_error, shards)
    previous = store.record_stage2({"policy": policy, "window_days": window_days})
    if previous:
        log(f"stage 2 re-run with policy={policy} window_days={window_days} over the finished shards "
            f"(the previous run used policy={previous.get('policy')} window_days={previous.get('window_days')})")
    summary = finalize(store, shards, policy, window_days)
    summary.shards_done, summary.shards_skipped = done, skipped
    return summary


def _tagger_fingerprint(tagger) -> dict | str:
    if isinstance(tagger, TaggerSpec):
        return tagger.fingerprint()
    return getattr(tagger, "fingerprint_", type(tagger).__name__)


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

