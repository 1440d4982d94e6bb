"""Readers for the raw corpora in ``../shared/corpora``.

The corpus texts are not ours to redistribute, so the repository stores only
stand-off annotations (document id + character range + sha1). This module is the
single place that knows how each corpus file is laid out and how its documents are
named, so that an annotation made today can be joined with the same text tomorrow.

Every reader yields :class:`CorpusDocument` records. ``doc_id`` is stable for a
given corpus file; ``group`` is the unit that must never be split across
train/dev/test (an article: for the Gaza sentence corpus several rows come from
one article, so the group is the article, not the row).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tolltrace.errors import Errors, TolltraceError

csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class CorpusDocument:
    corpus: str
    doc_id: str
    text: str
    group: str
    title: str | None = None
    published: str | None = None
    outlet: str | None = None


def _fakes(path: Path) -> Iterator[CorpusDocument]:
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            uid = row["unit_id"]
            seen[uid] = seen.get(uid, 0) + 1
            doc_id = uid if seen[uid] == 1 else f"{uid}-{seen[uid]}"
            yield CorpusDocument(
                "fakes", doc_id, row["article_content"], group=f"fakes:{doc_id}",
                title=row.get("article_title"), published=row.get("date"), outlet=row.get("source"),
            )


def _gaza(path: Path) -> Iterator[CorpusDocument]:
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            article = hashlib.sha1(f"{row['outlet']}|{row['article_title']}".encode()).hexdigest()[:12]
            yield CorpusDocument(
                "gaza", str(i), row["sentence"], group=f"gaza:{article}",
                title=row["article_title"], published=row["article_date"], outlet=row["outlet"],
            )


def _satp(path: Path) -> Iterator[CorpusDocument]:
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t")):
            yield CorpusDocument("satp", str(i), row["text"], group=f"satp:{i}", outlet="SATP")


def _fnc1(path: Path) -> Iterator[CorpusDocument]:
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield CorpusDocument("fnc1", row["body_id"], row["text"], group=f"fnc1:{row['body_id']}")


def _wikievents(path: Path) -> Iterator[CorpusDocument]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            yield CorpusDocument("wikievents", rec["doc_id"], rec["text"], group=f"wikievents:{rec['doc_id']}")


def _rams(path: Path) -> Iterator[CorpusDocument]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            yield CorpusDocument(
                "rams", rec["doc_key"], rec["text"], group=f"rams:{rec['doc_key']}", outlet=rec.get("source_url"),
            )


CORPUS_FILES: dict[str, tuple[str, object]] = {
    "fakes": ("fakes_syria.csv", _fakes),
    "gaza": ("gaza_casualty_sentences.csv", _gaza),
    "satp": ("satp_incidents.tsv", _satp),
    "fnc1": ("fnc1_bodies.csv", _fnc1),
    "wikievents": ("wikievents_dev.jsonl", _wikievents),
    "rams": ("rams_dev_windows.jsonl", _rams),
}


def iter_corpus(name: str, corpora_dir: Path) -> Iterator[CorpusDocument]:
    """Yield the documents of one shared corpus, failing loudly if it is absent."""
    if name not in CORPUS_FILES:
        raise TolltraceError(Errors.E010.format(corpus=name, known=", ".join(sorted(CORPUS_FILES))))
    filename, reader = CORPUS_FILES[name]
    path = Path(corpora_dir) / filename
    if not path.is_file():
        raise TolltraceError(Errors.E011.format(corpus=name, path=path))
    yield from reader(path)  # type: ignore[operator]


def load_corpus(name: str, corpora_dir: Path) -> dict[str, CorpusDocument]:
    """All documents of a corpus keyed by ``doc_id`` (the corpora are small: < 5 MB each)."""
    return {doc.doc_id: doc for doc in iter_corpus(name, corpora_dir)}
