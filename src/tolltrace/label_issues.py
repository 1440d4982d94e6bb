"""Training sentences whose gold labels a cross-validated tagger doubts (``tolltrace data label-issues``).

A tagger cannot judge labels it was trained on: after 15 epochs the default model
reproduces its own training set almost perfectly (DENIAL overlap F1 1.0). So the
training documents are cut into ``k`` folds by document group, one tagger per fold
is trained on the other folds, and each sentence is scored by the tagger that never
saw it. cleanlab's token-classification filter (confident learning: Northcutt, Jiang
and Chuang, JAIR 2021; Wang and Mueller 2022 for tokens) then flags the words whose
given label gets a low predicted probability relative to what the tagger gives that
class elsewhere, and ranks sentences by their worst word.

The result is a **review list, not a correction**: most flagged words are the
tagger's mistakes. People decide each case by the guidelines (in round 10, 28 of
439 flagged DENIAL disagreements were changed). Dev decides each fold's best epoch
as in ordinary training; dev and test sentences are never scored here, so the list
cannot be used to fit the held-out splits to a model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolltrace.labels import SPAN_LABELS
from tolltrace.train_config import TrainConfig
from tolltrace.types import AnnotatedSentence, Span

log = logging.getLogger(__name__)

CLASSES: tuple[str, ...] = ("O", *SPAN_LABELS)


def fold_of(group: str, folds: int) -> int:
    """A stable fold for a document group: the same document always lands in the same fold."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % folds


@dataclass
class WordScores:
    """One sentence's words (character ranges), their given class ids and the tagger's class probabilities."""

    words: list[tuple[int, int]]
    given: np.ndarray
    probs: np.ndarray
    predicted: list[Span]


def given_classes(words: Sequence[tuple[int, int]], spans: Sequence[Span]) -> np.ndarray:
    """The class id of each word under the gold spans (``O`` = 0 outside every span)."""
    out = np.zeros(len(words), dtype=np.int64)
    for i, (start, end) in enumerate(words):
        for span in spans:
            if span.start < end and start < span.end:
                out[i] = CLASSES.index(span.label)
                break
    return out


def tag_to_class_matrix(tags: Sequence[str]) -> np.ndarray:
    """A (tags x classes) 0/1 matrix that adds the B- and I- probabilities of each label."""
    matrix = np.zeros((len(tags), len(CLASSES)), dtype=np.float32)
    for i, tag in enumerate(tags):
        matrix[i, CLASSES.index(tag.split("-", 1)[-1] if tag != "O" else "O")] = 1.0
    return matrix


def word_scores(tagger, sentences: Sequence[AnnotatedSentence]) -> list[WordScores]:
    """Per-word class probabilities from the tagger: a word's first sub-token, B- and I- summed.

    Words are the tokenizer's pre-tokenised words, the units spans are made of, so a
    word's probability is the one the decoder used for it.
    """
    texts = [s.text for s in sentences]
    results = tagger.predict_with_probs(texts, keep_probs=True)
    enc = tagger.tokenizer_(texts, return_offsets_mapping=True, truncation=True, max_length=tagger.max_length_)
    to_class = tag_to_class_matrix(tagger.tags_)
    out = []
    for j, (sent, (spans, probs)) in enumerate(zip(sentences, results)):
        word_ids = enc.word_ids(j)
        offsets = enc["offset_mapping"][j]
        first: dict[int, int] = {}
        last_end: dict[int, int] = {}
        for i, wid in enumerate(word_ids):
            if wid is None or offsets[i][1] <= offsets[i][0]:
                continue
            first.setdefault(wid, i)
            last_end[wid] = offsets[i][1]
        order = sorted(first)
        words = [(offsets[first[w]][0], last_end[w]) for w in order]
        token_probs = np.asarray(probs, dtype=np.float32) if probs else np.zeros((0, len(tagger.tags_)), np.float32)
        class_probs = token_probs[[first[w] for w in order]] @ to_class if order else np.zeros((0, len(CLASSES)))
        out.append(WordScores(words, given_classes(words, sent.spans), class_probs, spans))
    return out


def cross_validated_scores(cfg: TrainConfig, splits: dict[str, list[AnnotatedSentence]], folds: int,
                           work_dir: Path, gpu_id: int | None = None) -> dict[str, WordScores]:
    """Word scores for every training sentence, each from the fold model that did not train on it."""
    from tolltrace.tagger import Tagger
    from tolltrace.train import train

    if folds < 2:
        raise ValueError(f"--folds must be at least 2, got {folds}")
    train_sents = splits["train"]
    scores: dict[str, WordScores] = {}
    for k in range(folds):
        held_out = [s for s in train_sents if fold_of(s.group, folds) == k]
        rest = [s for s in train_sents if fold_of(s.group, folds) != k]
        if not held_out or not rest:
            raise ValueError(f"fold {k} of {folds} is empty; use fewer folds for {len(train_sents)} sentences")
        run_cfg = cfg.model_copy(deep=True)
        run_cfg.model.output_dir = str(Path(work_dir) / f"fold-{k}")
        log.info("label issues: fold %d of %d (%d train, %d scored)", k + 1, folds, len(rest), len(held_out))
        model_dir = train(run_cfg, gpu_id, splits={"train": rest, "dev": splits["dev"], "test": []})
        tagger = Tagger.load(model_dir, batch_size=cfg.training.eval_batch_size)
        for sent, ws in zip(held_out, word_scores(tagger, held_out)):
            scores[sent.uid] = ws
    return scores


def find_label_issues(sentences: Sequence[AnnotatedSentence], scores: dict[str, WordScores],
                      label: str | None = None) -> list[dict]:
    """Sentences with flagged words, worst first, as review records (cleanlab's filter and ranking).

    ``label`` keeps only words whose given or predicted class is that label. A record
    carries the sentence's provenance and its gold as ``spans``, so ``tolltrace ls push
    --predictions`` opens it in Label Studio with the gold pre-filled for correction
    and ``tolltrace ls pull`` writes the reviewed version back over the old record;
    ``predicted`` holds the fold tagger's spans for the reviewer to compare.
    """
    from cleanlab.token_classification.filter import find_label_issues as cleanlab_issues
    from cleanlab.token_classification.rank import get_label_quality_scores

    kept = [s for s in sentences if s.uid in scores and len(scores[s.uid].words)]
    labels = [scores[s.uid].given for s in kept]
    probs = [scores[s.uid].probs for s in kept]
    if not kept:
        return []
    flagged = cleanlab_issues(labels, probs)
    sentence_quality, _ = get_label_quality_scores(labels, probs)
    by_sentence: dict[int, list[int]] = {}
    for i, w in flagged:
        given, predicted = int(labels[i][w]), int(np.argmax(probs[i][w]))
        if label is not None and CLASSES[given] != label and CLASSES[predicted] != label:
            continue
        by_sentence.setdefault(i, []).append(w)
    records = []
    for i, word_ids in by_sentence.items():
        sent, ws = kept[i], scores[kept[i].uid]
        records.append({
            "uid": sent.uid, "corpus": sent.corpus, "doc_id": sent.doc_id, "doc_start": sent.doc_start,
            "doc_end": sent.doc_end, "split": sent.split, "written": sent.written, "text": sent.text,
            "label_quality": round(float(sentence_quality[i]), 4),
            "issues": [{"start": ws.words[w][0], "end": ws.words[w][1], "text": sent.text[ws.words[w][0]:ws.words[w][1]],
                        "given": CLASSES[int(ws.given[w])], "predicted": CLASSES[int(np.argmax(ws.probs[w]))],
                        "p_given": round(float(ws.probs[w][ws.given[w]]), 4)} for w in sorted(word_ids)],
            "spans": [s.to_dict(sent.text) for s in sent.spans],
            "predicted": [s.to_dict(sent.text) for s in ws.predicted],
        })
    records.sort(key=lambda r: (r["label_quality"], r["uid"]))
    return records

