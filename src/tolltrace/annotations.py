"""Gold annotation storage: stand-off records for shared corpora, Label Studio JSON for our own text.

Layout of ``data/annotations/``::

    standoff/<corpus>.jsonl      one sentence of a shared corpus per line:
                                 corpus, doc_id, start, end (into the raw document),
                                 sha1 (of the sentence text), split, annotator, spans
    labelstudio/<name>.json      Label Studio JSON exports of text the project owns
                                 (seed articles, written sentences)
    agreement/pass_a.jsonl       the first pass on the double-annotated sentences
    agreement/pass_b.jsonl       the independent second pass (same format as standoff)

The corpus text is joined at load time and checked against the sha1, so a changed
corpus file is caught instead of silently shifting every offset.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tolltrace import labelstudio
from tolltrace.corpora import CorpusDocument, load_corpus
from tolltrace.errors import Errors, InputError, TolltraceError
from tolltrace.types import AnnotatedSentence, Span
from tolltrace.validation import check_spans

STANDOFF_DIR = "standoff"
LABELSTUDIO_DIR = "labelstudio"
AGREEMENT_DIR = "agreement"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def sentence_uid(corpus: str, doc_id: str, start: int, end: int) -> str:
    return f"{corpus}:{doc_id}:{start}-{end}"


@dataclass
class LoadReport:
    """What a load found: the sentences, and every record that failed (when collecting)."""

    sentences: list[AnnotatedSentence] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class CorpusCache:
    """Loads each shared corpus once per process; raises E011 if a corpus file is missing."""

    def __init__(self, corpora_dir: Path):
        self.corpora_dir = Path(corpora_dir)
        self._docs: dict[str, dict[str, CorpusDocument]] = {}

    def get(self, corpus: str) -> dict[str, CorpusDocument]:
        if corpus not in self._docs:
            self._docs[corpus] = load_corpus(corpus, self.corpora_dir)
        return self._docs[corpus]


def standoff_to_sentence(rec: dict, where: str, corpora: CorpusCache) -> AnnotatedSentence:
    """Join one stand-off record with its corpus text, checking hash and spans."""
    try:
        corpus, doc_id = rec["corpus"], str(rec["doc_id"])
        start, end, expected = int(rec["start"]), int(rec["end"]), rec["sha1"]
        raw_spans = rec.get("spans", [])
        spans = [Span(int(s["start"]), int(s["end"]), s["label"]) for s in raw_spans]
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(Errors.E014.format(file=where.rsplit(", record", 1)[0], record=where, reason=err)) from None
    docs = corpora.get(corpus)
    doc = docs.get(doc_id)
    if doc is None:
        raise InputError(Errors.E013.format(doc_id=doc_id, corpus=corpus, file=where, record=rec.get("start")))
    text = doc.text[start:end]
    actual = sha1(text)
    if actual != expected:
        raise InputError(Errors.E012.format(
            file=where, record=f"{doc_id}[{start}:{end}]", corpus=corpus, doc_id=doc_id,
            start=start, end=end, actual=actual, expected=expected,
        ))
    spans = check_spans(text, spans, where)
    return AnnotatedSentence(
        uid=sentence_uid(corpus, doc_id, start, end), corpus=corpus, doc_id=doc_id, group=doc.group,
        text=text, spans=tuple(spans), split=rec.get("split"), written=False,
        annotator=rec.get("annotator"), doc_start=start, doc_end=end,
    )


def sentence_to_standoff(sent: AnnotatedSentence) -> dict:
    return {
        "corpus": sent.corpus, "doc_id": sent.doc_id, "start": sent.doc_start, "end": sent.doc_end,
        "sha1": sha1(sent.text), "split": sent.split, "annotator": sent.annotator,
        "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in sent.spans],
    }


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict | InputError]]:
    """``(line number, record)`` for each non-blank line; bad JSON comes back as an error."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                yield lineno, InputError(Errors.E035.format(where=f"{path}:{lineno}", reason=err.msg))
                continue
            yield lineno, rec


def load_standoff_file(path: Path, corpora: CorpusCache, report: LoadReport, strict: bool) -> None:
    for lineno, rec in iter_jsonl(path):
        where = f"{path}, record {lineno}"
        try:
            if isinstance(rec, InputError):
                raise rec
            report.sentences.append(standoff_to_sentence(rec, where, corpora))
        except TolltraceError as err:
            if strict:
                raise
            report.errors.append(str(err))


def load_labelstudio_file(path: Path, report: LoadReport, strict: bool) -> None:
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        if strict:
            raise InputError(Errors.E015.format(file=path, reason=err)) from None
        report.errors.append(Errors.E015.format(file=path, reason=err))
        return
    for i, task in enumerate(tasks):
        where = f"{path}, record {i}"
        try:
            sent = labelstudio.task_to_sentence(task, where)
            check_spans(sent.text, sent.spans, where)
            report.sentences.append(sent)
        except TolltraceError as err:
            if strict:
                raise
            report.errors.append(str(err))


def load_gold(annotations_dir: Path, corpora_dir: Path, strict: bool = True) -> LoadReport:
    """Every gold sentence: stand-off records joined with their corpora, plus owned text.

    With ``strict=False`` a bad record is recorded in ``report.errors`` and skipped
    (what ``tolltrace data check`` needs); training and evaluation load strictly.
    """
    annotations_dir = Path(annotations_dir)
    corpora = CorpusCache(corpora_dir)
    report = LoadReport()
    for path in sorted((annotations_dir / STANDOFF_DIR).glob("*.jsonl")):
        try:
            load_standoff_file(path, corpora, report, strict)
        except TolltraceError as err:
            if strict:
                raise
            report.errors.append(str(err))
    for path in sorted((annotations_dir / LABELSTUDIO_DIR).glob("*.json")):
        load_labelstudio_file(path, report, strict)
    seen: dict[str, str] = {}
    for sent in report.sentences:
        if sent.uid in seen:
            msg = Errors.E014.format(file=annotations_dir, record=sent.uid, reason="sentence annotated twice in gold")
            if strict:
                raise InputError(msg)
            report.errors.append(msg)
        seen[sent.uid] = sent.uid
    return report


def load_pass(path: Path, corpora_dir: Path) -> dict[str, AnnotatedSentence]:
    """One annotation pass (stand-off JSONL) keyed by sentence uid, for agreement."""
    report = LoadReport()
    load_standoff_file(Path(path), CorpusCache(corpora_dir), report, strict=True)
    return {s.uid: s for s in report.sentences}


def write_standoff(sentences: Iterable[AnnotatedSentence], path: Path) -> int:
    """Write stand-off records sorted by document and offset, so diffs stay readable."""
    rows = [sentence_to_standoff(s) for s in sentences]
    _write_raw(Path(path), rows)
    return len(rows)


def merge_pulled(sentences: Iterable[AnnotatedSentence], annotations_dir: Path, export_name: str) -> dict[str, int]:
    """Store pulled annotations: stand-off for shared-corpus text, a Label Studio export otherwise.

    A sentence already stored (same uid) is replaced by the pulled version, so
    pulling twice is idempotent. Returns how many sentences went to each file.
    """
    from tolltrace.corpora import CORPUS_FILES
    from tolltrace.splits import split_for_group

    annotations_dir = Path(annotations_dir)
    written: dict[str, int] = {}
    by_corpus: dict[str, list[AnnotatedSentence]] = {}
    owned: list[AnnotatedSentence] = []
    for sent in sentences:
        if sent.split is None:
            sent = _with_split(sent, split_for_group(sent.group, sent.written))
        if sent.corpus in CORPUS_FILES and sent.doc_start is not None:
            by_corpus.setdefault(sent.corpus, []).append(sent)
        else:
            owned.append(sent)
    for corpus, new in by_corpus.items():
        path = annotations_dir / STANDOFF_DIR / f"{corpus}.jsonl"
        current = _read_standoff_raw(path)
        for sent in new:
            current[sent.uid] = sentence_to_standoff(sent)
        _write_raw(path, current.values())
        written[str(path)] = len(new)
    if owned:
        path = annotations_dir / LABELSTUDIO_DIR / f"{export_name}.json"
        tasks = {}
        if path.is_file():
            for task in json.loads(path.read_text(encoding="utf-8")):
                tasks[task["data"]["uid"]] = task
        for sent in owned:
            tasks[sent.uid] = labelstudio.sentence_to_task(sent, with_annotation=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        ordered = sorted(tasks.values(), key=lambda t: t["data"]["uid"])
        path.write_text(json.dumps(ordered, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written[str(path)] = len(owned)
    return written


def _with_split(sent: AnnotatedSentence, split: str) -> AnnotatedSentence:
    from dataclasses import replace

    return replace(sent, split=split)


def _read_standoff_raw(path: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    if path.is_file():
        for _, rec in iter_jsonl(path):
            if isinstance(rec, dict):
                out[sentence_uid(rec["corpus"], str(rec["doc_id"]), rec["start"], rec["end"])] = rec
    return out


def _write_raw(path: Path, records: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(records, key=lambda r: (r["corpus"], str(r["doc_id"]), r["start"]))
    with path.open("w", encoding="utf-8") as fh:
        for rec in rows:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
