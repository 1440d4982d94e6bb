"""Candidate sentences of a shared corpus for the next annotation batch (``tolltrace select``).

A candidate is a sentence of a corpus document, cut by the project's own
segmenter directly on the raw document text, so its offsets can be stored as a
stand-off record once annotated. Skipped: sentences overlapping anything already
annotated in that document, exact repeats of a sentence already kept or
annotated, and (by default) documents that belong to the dev or test split, since
active learning is there to grow the training data and a test document must
never be chosen by a model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from tolltrace.annotations import sentence_uid
from tolltrace.corpora import iter_corpus
from tolltrace.errors import Errors, TolltraceError
from tolltrace.segment import split_sentences
from tolltrace.splits import split_for_group
from tolltrace.types import AnnotatedSentence, Span

MIN_WORDS = 4


def corpus_candidates(
    corpus: str,
    corpora_dir: Path,
    gold: Sequence[AnnotatedSentence],
    include_heldout: bool = False,
    max_candidates: int | None = None,
    seed: int = 0,
) -> list[AnnotatedSentence]:
    """Unannotated sentences of ``corpus`` (at least :data:`MIN_WORDS` words), in corpus order."""
    annotated: dict[str, list[tuple[int, int]]] = {}
    seen_texts = {s.text for s in gold}
    for sent in gold:
        if sent.corpus == corpus and sent.doc_start is not None:
            annotated.setdefault(sent.doc_id, []).append((sent.doc_start, sent.doc_end))
    out: list[AnnotatedSentence] = []
    for doc in iter_corpus(corpus, corpora_dir):
        if not include_heldout and split_for_group(doc.group) != "train":
            continue
        taken = annotated.get(doc.doc_id, [])
        for piece in split_sentences(doc.text):
            if len(piece.text.split()) < MIN_WORDS or piece.text in seen_texts:
                continue
            if any(piece.start < end and start < piece.end for start, end in taken):
                continue
            seen_texts.add(piece.text)
            out.append(AnnotatedSentence(
                uid=sentence_uid(corpus, doc.doc_id, piece.start, piece.end), corpus=corpus, doc_id=doc.doc_id,
                group=doc.group, text=piece.text, spans=(), doc_start=piece.start, doc_end=piece.end))
    if not out:
        raise TolltraceError(Errors.E086.format(corpus=corpus))
    if max_candidates is not None and len(out) > max_candidates:
        keep = sorted(random.Random(seed).sample(range(len(out)), max_candidates))
        out = [out[i] for i in keep]
    return out


def write_tasks(path: Path, sentences: Sequence[AnnotatedSentence], strategy: str,
                predicted: Sequence[tuple[list[Span], float]] | None = None) -> int:
    """The task file ``ls push`` reads: one sentence a line with its provenance and rank.

    With ``predicted`` (spans and sentence confidence per sentence) the model's spans
    go in ``spans`` with their scores, so ``ls push --predictions`` imports them as
    pre-annotations. The text is included because Label Studio needs it; the file is a
    work file for annotators, not committed data.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rank, sent in enumerate(sentences, 1):
            rec = {"uid": sent.uid, "text": sent.text, "corpus": sent.corpus, "doc_id": sent.doc_id,
                   "group": sent.group, "doc_start": sent.doc_start, "doc_end": sent.doc_end,
                   "strategy": strategy, "rank": rank}
            if predicted is not None:
                spans, confidence = predicted[rank - 1]
                rec["spans"] = [s.to_dict(sent.text) for s in spans]
                rec["confidence"] = round(float(confidence), 4)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return len(sentences)
