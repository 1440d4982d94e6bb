"""Alignment between character spans and token-level BIO tags.

The rule (stated once, used by training and inference alike):

* Every sub-token whose character range lies inside a span gets a tag: ``B-X`` on
  the first sub-token of the span, ``I-X`` on the others. We label all sub-tokens,
  not only the first of each word, because numbers such as "1,200" or
  "two-thirds" break into several pre-tokenizer words and each piece carries signal.
* Special tokens (``[CLS]``, ``[SEP]``, padding) get ``None``, i.e. ``-100`` for the loss.
* Decoding reads the tag of the first sub-token of each pre-tokenizer word and
  gives the whole word to it, so a predicted span never splits a word; a ``I-X``
  that does not continue an ``X`` span opens a new one (seqeval's lenient IOB2),
  and because spans are built left to right over disjoint words, they never overlap.
  The tagger first makes the word tags well formed (``constrained_tags``), so that
  lenient rule only matters for tags that come from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tolltrace.types import Span

Offset = tuple[int, int]


def _is_special(offset: Offset) -> bool:
    return offset[0] == offset[1]


def spans_to_tags(offsets: Sequence[Offset], spans: Sequence[Span]) -> list[str | None]:
    """Tag each token from character spans; ``None`` marks special tokens."""
    tags: list[str | None] = []
    ordered = sorted(spans)
    for tok_start, tok_end in offsets:
        if _is_special((tok_start, tok_end)):
            tags.append(None)
            continue
        tag = "O"
        for span in ordered:
            if tok_start < span.end and span.start < tok_end:
                first = tok_start <= span.start
                tag = f"{'B' if first else 'I'}-{span.label}"
                break
        tags.append(tag)
    # a span whose first token starts before the span (should not happen with word-aligned
    # spans) still needs exactly one B: promote the first tagged token of each span
    seen: set[Span] = set()
    for i, (tok_start, tok_end) in enumerate(offsets):
        if tags[i] in (None, "O"):
            continue
        for span in ordered:
            if tok_start < span.end and span.start < tok_end:
                if span not in seen:
                    tags[i] = f"B-{span.label}"
                    seen.add(span)
                break
    return tags


def word_starts(word_ids: Sequence[int | None]) -> list[bool]:
    """True on the first sub-token of each word (``BatchEncoding.word_ids()``)."""
    out, prev = [], None
    for wid in word_ids:
        out.append(wid is not None and wid != prev)
        prev = wid
    return out


def tags_to_spans(
    offsets: Sequence[Offset],
    word_ids: Sequence[int | None],
    tags: Sequence[str],
    scores: Sequence[float] | None = None,
) -> list[Span]:
    """Decode token tags into word-aligned, non-overlapping character spans.

    ``scores`` (one per token, the probability of its tag) are averaged over the
    first sub-tokens of the span's words to give the span's score.
    """
    words: dict[int, list[int]] = {}
    for i, wid in enumerate(word_ids):
        if wid is not None and not _is_special(offsets[i]):
            words.setdefault(wid, []).append(i)
    spans: list[Span] = []
    cur_label, cur_start, cur_end, cur_scores = None, 0, 0, []

    def close() -> None:
        if cur_label is not None:
            score = sum(cur_scores) / len(cur_scores) if cur_scores else None
            spans.append(Span(cur_start, cur_end, cur_label, score))

    for wid in sorted(words):
        toks = words[wid]
        first = toks[0]
        tag = tags[first]
        w_start, w_end = offsets[toks[0]][0], offsets[toks[-1]][1]
        if tag == "O":
            close()
            cur_label = None
            continue
        prefix, label = tag.split("-", 1)
        if prefix == "I" and cur_label == label:
            cur_end = w_end
            if scores is not None:
                cur_scores.append(float(scores[first]))
            continue
        close()
        cur_label, cur_start, cur_end = label, w_start, w_end
        cur_scores = [float(scores[first])] if scores is not None else []
    close()
    return spans


def constrained_tags(word_probs: Sequence[Sequence[float]] | np.ndarray, labels: Sequence[str]) -> list[str]:
    """The most probable tag sequence over words in which every ``I-X`` continues an ``X`` span.

    Argmax per word can leave an ``I-X`` after ``O`` or after another label, which
    the lenient decoder above turns into a fragment ("part" of "no part of it was a
    hoax"). Viterbi over the word probabilities, with the invalid transitions
    forbidden, picks the best *well-formed* sequence instead: the usual BIO
    constraint of a CRF layer, without learnt transition weights.
    """
    n = len(word_probs)
    if n == 0:
        return []
    probs = np.asarray(word_probs, dtype=np.float64)
    greedy = [labels[i] for i in probs.argmax(axis=1)]
    if _well_formed(greedy):
        return greedy  # the unconstrained optimum is feasible, hence also the constrained one
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    k = len(labels)
    allowed = np.ones((k, k), dtype=bool)  # allowed[prev, cur]
    start_ok = np.ones(k, dtype=bool)
    for c, tag in enumerate(labels):
        if tag.startswith("I-"):
            start_ok[c] = False
            name = tag[2:]
            allowed[:, c] = [t in (f"B-{name}", f"I-{name}") for t in labels]
    penalty = np.where(allowed, 0.0, -np.inf)
    score = np.where(start_ok, logp[0], -np.inf)
    back = np.zeros((n, k), dtype=np.int64)
    for w in range(1, n):
        cand = score[:, None] + penalty
        back[w] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[w]
    best = [int(score.argmax())]
    for w in range(n - 1, 0, -1):
        best.append(int(back[w][best[-1]]))
    return [labels[i] for i in reversed(best)]


def _well_formed(tags: Sequence[str]) -> bool:
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            return False
        prev = tag
    return True


_FALSEHOOD_ADVERBS = frozenset({"falsely", "wrongly", "untruly"})


def drop_bare_adverbs(text: str, spans: Sequence[Span]) -> list[Span]:
    """Remove DENIAL spans made only of "-ly" adverbs ("flatly", "immediately").

    Guideline 10.3: an adverb joins a denial cue it modifies ("flatly denied") but is
    never a DENIAL on its own; the tagger sometimes keeps the adverb and misses a cue
    that sits further away ("flatly said that the claim was unfounded"). Adverbs that
    themselves say "false" are kept. HEDGE is untouched: "reportedly" is a hedge cue.
    """
    out = []
    for span in spans:
        words = text[span.start:span.end].lower().replace(",", " ").split()
        bare = bool(words) and all(w.endswith("ly") and w not in _FALSEHOOD_ADVERBS for w in words)
        if not (span.label == "DENIAL" and bare):
            out.append(span)
    return out
