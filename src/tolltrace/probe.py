"""A cheap stand-in tagger for experiments: logistic regression over frozen encoder features.

Fine-tuning the transformer takes minutes per model even on a small training
set, and a simulated annotation experiment trains dozens of models. This probe
keeps the encoder frozen: each sentence is encoded once (last hidden layer, one
vector per sub-token), and a scikit-learn logistic regression learns the BIO tag
of every token. Refitting on a new training set takes seconds.

It exposes the same interface the selection strategies use
(``predict_with_probs``, ``predict``, ``embed``, ``model_version_``), so the
strategies run unchanged against it, and its spans are decoded by the same
:func:`tolltrace.align.tags_to_spans`. Its absolute F1 is well below the
fine-tuned tagger's; it is for comparing strategies, not for tagging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tolltrace.align import spans_to_tags, tags_to_spans
from tolltrace.errors import Errors, NotLoadedError
from tolltrace.labels import SPAN_LABELS, bio_tags
from tolltrace.types import AnnotatedSentence, Span


@dataclass(frozen=True)
class EncodedText:
    """One sentence as the frozen encoder sees it: per-token vectors, offsets and word ids."""

    vectors: np.ndarray
    offsets: tuple[tuple[int, int], ...]
    word_ids: tuple[int | None, ...]


class FrozenEncoder:
    """Encodes texts once with a base encoder and caches the result by text."""

    def __init__(self, base_model: str | None = None, max_length: int = 128, batch_size: int = 64):
        self.base_model = base_model
        self.max_length = max_length
        self.batch_size = batch_size

    def fit(self, texts: Sequence[str] = ()) -> FrozenEncoder:
        """Load the encoder and encode ``texts`` ahead of use."""
        from transformers import AutoModel, AutoTokenizer

        from tolltrace import config

        name = self.base_model or config.default_base_model()
        self.tokenizer_ = AutoTokenizer.from_pretrained(name)
        self.model_ = AutoModel.from_pretrained(name).eval()
        self.cache_: dict[str, EncodedText] = {}
        self.encode(texts)
        return self

    def encode(self, texts: Sequence[str]) -> list[EncodedText]:
        import torch

        if not hasattr(self, "model_"):
            raise NotLoadedError(Errors.E040.format(path=self.base_model or "(base encoder)"))
        todo = sorted({t for t in texts if t not in self.cache_}, key=len)
        with torch.inference_mode():
            for b in range(0, len(todo), self.batch_size):
                batch = todo[b:b + self.batch_size]
                enc = self.tokenizer_(batch, truncation=True, max_length=self.max_length, padding=True,
                                      return_offsets_mapping=True, return_tensors="pt")
                offsets = enc.pop("offset_mapping").tolist()
                hidden = self.model_(**enc).last_hidden_state.float().numpy()
                for row, text in enumerate(batch):
                    n = int(enc["attention_mask"][row].sum())
                    self.cache_[text] = EncodedText(hidden[row, :n].copy(), tuple(tuple(o) for o in offsets[row][:n]),
                                                    tuple(enc.word_ids(row)[:n]))
        return [self.cache_[t] for t in texts]


class ProbeTagger:
    """Logistic regression on frozen token vectors; ``fit`` returns ``self``, refits replace the state."""

    def __init__(self, encoder: FrozenEncoder, C: float = 1.0, max_iter: int = 300, seed: int = 0,
                 batch_size: int = 64):
        self.encoder = encoder
        self.C = C
        self.max_iter = max_iter
        self.seed = seed
        self.batch_size = batch_size

    def fit(self, sentences: Sequence[AnnotatedSentence]) -> ProbeTagger:
        from sklearn.linear_model import LogisticRegression

        tags = bio_tags(SPAN_LABELS)
        label2id = {t: i for i, t in enumerate(tags)}
        xs, ys = [], []
        for sent, enc in zip(sentences, self.encoder.encode([s.text for s in sentences])):
            for vec, tag in zip(enc.vectors, spans_to_tags(enc.offsets, sent.spans)):
                if tag is not None:
                    xs.append(vec)
                    ys.append(label2id[tag])
        self.classifier_ = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.seed)
        self.classifier_.fit(np.asarray(xs), np.asarray(ys))
        self.id2label_ = {i: tags[int(c)] for i, c in enumerate(self.classifier_.classes_)}
        self.model_version_ = f"probe-{len(sentences)}"
        return self

    def predict_with_probs(self, texts: Sequence[str], keep_probs: bool = True
                           ) -> list[tuple[list[Span], list[list[float]] | None]]:
        if not hasattr(self, "classifier_"):
            raise NotLoadedError(Errors.E040.format(path="(probe not fitted)"))
        out: list[tuple[list[Span], list[list[float]] | None]] = []
        for text, enc in zip(texts, self.encoder.encode(list(texts))):
            if not text.strip():
                out.append(([], None))
                continue
            probs = self.classifier_.predict_proba(enc.vectors)
            best = probs.argmax(axis=1)
            tags = [self.id2label_[int(i)] for i in best]
            spans = tags_to_spans(enc.offsets, enc.word_ids, tags, probs.max(axis=1).tolist())
            out.append((spans, probs.tolist() if keep_probs else None))
        return out

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [spans for spans, _ in self.predict_with_probs(texts, keep_probs=False)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([enc.vectors.mean(axis=0) for enc in self.encoder.encode(list(texts))])
