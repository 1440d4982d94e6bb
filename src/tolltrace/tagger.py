"""The ``tag`` stage: a fine-tuned token classifier that returns character spans.

A model directory holds everything ``load`` needs: safetensors weights, the
tokenizer, the label map (``id2label`` in ``config.json``), and ``tolltrace.json``
with the softmax temperature and max length. Nothing is unpickled: weights are
loaded with ``use_safetensors=True`` and a directory without them is refused.

``predict`` batches on its own: it drops empty inputs, sorts sentences by length
so each batch pads little, runs without gradients, and returns spans in input order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from tolltrace.align import tags_to_spans
from tolltrace.errors import Errors, NotLoadedError, TolltraceError
from tolltrace.types import Span

TAGGER_FILE = "tolltrace.json"


class Tagger:
    """Span tagger around a Hugging Face token-classification model.

    ``Tagger.load(path)`` returns a ready tagger; ``Tagger()`` alone is unloaded and
    ``predict`` then raises :class:`~tolltrace.errors.NotLoadedError`.
    """

    def __init__(self, batch_size: int = 64, device: str | None = None):
        self.batch_size = batch_size
        self.device = device

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, batch_size: int = 64, device: str | None = None) -> "Tagger":
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        path = Path(path)
        if not path.is_dir():
            raise NotLoadedError(Errors.E040.format(path=path))
        if not any(path.glob("*.safetensors")):
            raise TolltraceError(Errors.E041.format(path=path))
        tagger = cls(batch_size=batch_size, device=device)
        tagger.model_ = AutoModelForTokenClassification.from_pretrained(path, use_safetensors=True)
        tagger.tokenizer_ = AutoTokenizer.from_pretrained(path)
        if not tagger.tokenizer_.is_fast:
            raise TolltraceError(f"The tokenizer in {path} is not a fast tokenizer; offsets need one.")
        settings = json.loads((path / TAGGER_FILE).read_text()) if (path / TAGGER_FILE).is_file() else {}
        tagger.temperature_ = float(settings.get("temperature", 1.0))
        tagger.max_length_ = int(settings.get("max_length", 256))
        tagger.model_version_ = settings.get("model_version", path.name)
        tagger.id2label_ = {int(k): v for k, v in tagger.model_.config.id2label.items()}
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        tagger.device_ = torch.device(device)
        tagger.model_.to(tagger.device_).eval()
        return tagger

    def _check_loaded(self) -> None:
        if not hasattr(self, "model_"):
            raise NotLoadedError(Errors.E040.format(path="(none given)"))

    # --------------------------------------------------------------- inference
    @torch.inference_mode()
    def predict_with_probs(self, texts: Sequence[str], keep_probs: bool = True
                           ) -> list[tuple[list[Span], list[list[float]] | None]]:
        """Spans per text, plus the per-token tag probabilities (for uncertainty sampling) if asked."""
        self._check_loaded()
        out: list[tuple[list[Span], list[list[float]] | None]] = [([], None) for _ in texts]
        order = sorted((i for i, t in enumerate(texts) if t and t.strip()), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            batch = [texts[i] for i in idx]
            enc = self.tokenizer_(batch, return_offsets_mapping=True, truncation=True,
                                  max_length=self.max_length_, padding=True, return_tensors="pt")
            offsets = enc.pop("offset_mapping").tolist()
            inputs = {k: v.to(self.device_) for k, v in enc.items()}
            logits = self.model_(**inputs).logits.float()
            probs = torch.softmax(logits / self.temperature_, dim=-1).cpu()
            best_p, best_id = probs.max(dim=-1)
            for row, i in enumerate(idx):
                n = int(enc["attention_mask"][row].sum())
                offs = [tuple(o) for o in offsets[row][:n]]
                tags = [self.id2label_[int(t)] for t in best_id[row][:n]]
                spans = tags_to_spans(offs, enc.word_ids(row)[:n], tags, best_p[row][:n].tolist())
                out[i] = (spans, probs[row][:n].tolist() if keep_probs else None)
        return out

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans for each text, in input order; an empty text gets no spans."""
        return [spans for spans, _ in self.predict_with_probs(texts, keep_probs=False)]

    @torch.inference_mode()
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text: the encoder's last hidden layer, mean-pooled over real tokens.

        Diversity sampling clusters these; they come from the fine-tuned encoder, so
        sentences the tagger treats alike sit close together. Empty texts get zeros.
        """
        self._check_loaded()
        dim = int(self.model_.config.hidden_size)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        order = sorted((i for i, t in enumerate(texts) if t and t.strip()), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            enc = self.tokenizer_([texts[i] for i in idx], truncation=True, max_length=self.max_length_,
                                  padding=True, return_tensors="pt")
            inputs = {k: v.to(self.device_) for k, v in enc.items()}
            hidden = self.model_(**inputs, output_hidden_states=True).hidden_states[-1].float()
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            out[idx] = pooled.cpu().numpy()
        return out
