"""The ``tag`` stage: a fine-tuned token classifier that returns character spans.

A model directory holds everything ``load`` needs: safetensors weights, the
tokenizer, the label map (``id2label`` in ``config.json``), and ``tolltrace.json``
with the softmax temperature and max length. Nothing is unpickled: weights are
loaded with ``use_safetensors=True`` and a directory without them is refused.

``predict`` batches on its own: it drops empty inputs, sorts sentences by length
so each batch pads little, runs without gradients, and returns spans in input order.

``backend`` picks how the forward pass runs on CPU: ``fp32`` (the weights as
trained) or ``int8`` (dynamic int8 quantisation of every ``nn.Linear``: weights
stored as int8, activations quantised per batch). The README's performance section
gives int8's measured speed and its accuracy cost per label on the test split.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tolltrace.align import constrained_tags, drop_bare_adverbs, tags_to_spans, word_starts
from tolltrace.errors import Errors, NotLoadedError, TolltraceError
from tolltrace.types import Span

TAGGER_FILE = "tolltrace.json"
BACKENDS = ("auto", "fp32", "bf16", "int8")
TOKENIZE_CHUNK = 8192   # texts tokenized and length-sorted together
MAX_TOKENS = 2048       # padded tokens per forward pass (see _batches)
DEFAULT_BACKEND = "auto"  # bf16 where the hardware computes it natively, else fp32 (see resolve_backend)


def bf16_is_native(device: str) -> bool:
    """Whether bfloat16 matrix products run in hardware here; emulated bf16 is slower than fp32."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    return bool(avx512_bf16() or amx())


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_backend(backend: str, device: str | None = None) -> str:
    """``auto`` -> ``bf16`` or ``fp32``. bf16 tagged 2.5x faster than fp32 on an AVX512-BF16 CPU and lost
    at most 0.001 overlap F1 on dev and none on test (README, "Speed and scale"); int8 lost 0.028 on
    INJURED, so it stays opt-in."""
    if backend != "auto":
        return backend
    return "bf16" if bf16_is_native(device or default_device()) else "fp32"


@dataclass(frozen=True)
class TaggerSpec:
    """What to load, not the loaded model: cheap to pickle, so each Ray actor loads its own copy once."""

    path: str
    backend: str = DEFAULT_BACKEND
    batch_size: int = 64

    def load(self) -> Tagger:
        return Tagger.load(self.path, batch_size=self.batch_size, backend=self.backend)

    def fingerprint(self) -> dict:
        """What a resumed batch run compares: the same weights, backend and batch size give the same spans."""
        path = Path(self.path).resolve()
        weights = [(w.name, w.stat().st_size, w.stat().st_mtime_ns) for w in sorted(path.glob("*.safetensors"))]
        return {"model": str(path), "weights": weights, "backend": resolve_backend(self.backend),
                "batch_size": self.batch_size}


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation of the linear layers (about 90% of this encoder's FLOPs)."""
    with warnings.catch_warnings():  # torch.ao prints a migration notice to torchao; the API still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class Tagger:
    """Span tagger around a Hugging Face token-classification model.

    ``Tagger.load(path)`` returns a ready tagger; ``Tagger()`` alone is unloaded and
    ``predict`` then raises :class:`~tolltrace.errors.NotLoadedError`.
    """

    def __init__(self, batch_size: int = 64, device: str | None = None, backend: str = DEFAULT_BACKEND,
                 max_tokens: int = MAX_TOKENS):
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.device = device
        self.backend = backend

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, batch_size: int = 64, device: str | None = None,
             backend: str = DEFAULT_BACKEND) -> Tagger:
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        if backend not in BACKENDS:
            raise TolltraceError(Errors.E062.format(backend=backend, known=", ".join(BACKENDS)))
        path = Path(path)
        if not path.is_dir():
            raise NotLoadedError(Errors.E040.format(path=path))
        if not any(path.glob("*.safetensors")):
            raise TolltraceError(Errors.E041.format(path=path))
        tagger = cls(batch_size=batch_size, device=device, backend=backend)
        tagger.model_ = AutoModelForTokenClassification.from_pretrained(path, use_safetensors=True)
        tagger.tokenizer_ = AutoTokenizer.from_pretrained(path)
        if not tagger.tokenizer_.is_fast:
            raise TolltraceError(f"The tokenizer in {path} is not a fast tokenizer; offsets need one.")
        settings = json.loads((path / TAGGER_FILE).read_text()) if (path / TAGGER_FILE).is_file() else {}
        tagger.temperature_ = float(settings.get("temperature", 1.0))
        tagger.max_length_ = int(settings.get("max_length", 256))
        tagger.model_version_ = settings.get("model_version", path.name)
        tagger.id2label_ = {int(k): v for k, v in tagger.model_.config.id2label.items()}
        tagger.tags_ = [tagger.id2label_[i] for i in range(len(tagger.id2label_))]  # column order of the logits
        device = device or default_device()
        backend = tagger.backend = resolve_backend(backend, device)
        if backend == "int8" and device != "cpu":
            raise TolltraceError(Errors.E062.format(backend=f"int8 on {device}", known="int8 on cpu, fp32"))
        tagger.device_ = torch.device(device)
        tagger.model_.to(tagger.device_).eval()
        if backend == "int8":
            tagger.model_ = quantize_int8(tagger.model_)
        elif backend == "bf16":
            tagger.model_.to(torch.bfloat16)  # logits are cast back to float32 before the softmax
        tagger.spec_ = TaggerSpec(str(path.resolve()), backend, batch_size)
        tagger.fingerprint_ = tagger.spec_.fingerprint()
        return tagger

    def _check_loaded(self) -> None:
        if not hasattr(self, "model_"):
            raise NotLoadedError(Errors.E040.format(path="(none given)"))

    # --------------------------------------------------------------- inference
    @torch.inference_mode()
    def predict_with_probs(self, texts: Sequence[str], keep_probs: bool = True
                           ) -> list[tuple[list[Span], list[list[float]] | None]]:
        """Spans per text, plus the per-token tag probabilities (for uncertainty sampling) if asked.

        Texts are tokenized together, sorted by token count and cut into batches of at
        most ``batch_size`` sentences and ``max_tokens`` padded tokens: short sentences
        travel in large batches, long ones in small, and a batch pads little either way.
        """
        self._check_loaded()
        out: list[tuple[list[Span], list[list[float]] | None]] = [([], None) for _ in texts]
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        for c in range(0, len(todo), TOKENIZE_CHUNK):
            chunk = todo[c:c + TOKENIZE_CHUNK]
            enc = self.tokenizer_([texts[i] for i in chunk], return_offsets_mapping=True, truncation=True,
                                  max_length=self.max_length_)
            lengths = [len(ids) for ids in enc["input_ids"]]
            for batch in self._batches(sorted(range(len(chunk)), key=lengths.__getitem__), lengths):
                width = lengths[batch[-1]]
                pad = self.tokenizer_.pad_token_id or 0
                ids = torch.tensor([enc["input_ids"][j] + [pad] * (width - lengths[j]) for j in batch])
                mask = torch.tensor([[1] * lengths[j] + [0] * (width - lengths[j]) for j in batch])
                inputs = {"input_ids": ids.to(self.device_), "attention_mask": mask.to(self.device_)}
                if "token_type_ids" in enc:
                    inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
                logits = self.model_(**inputs).logits.float()
                probs = torch.softmax(logits / self.temperature_, dim=-1).cpu()
                for row, j in enumerate(batch):
                    n = lengths[j]
                    offs = [tuple(o) for o in enc["offset_mapping"][j]]
                    tags, tag_p = self._decode(probs[row][:n], enc.word_ids(j), offs)
                    spans = drop_bare_adverbs(texts[chunk[j]], tags_to_spans(offs, enc.word_ids(j), tags, tag_p))
                    out[chunk[j]] = (spans, probs[row][:n].tolist() if keep_probs else None)
        return out

    def _decode(self, probs: torch.Tensor, word_ids: list[int | None], offsets: list[tuple[int, int]]
                ) -> tuple[list[str], list[float]]:
        """Token tags and their probabilities: the best well-formed BIO sequence over word-first sub-tokens."""
        best_p, best_id = probs.max(dim=-1)
        tags = [self.tags_[t] for t in best_id.tolist()]
        tag_p = best_p.tolist()
        firsts = [i for i, start in enumerate(word_starts(word_ids)) if start and offsets[i][1] > offsets[i][0]]
        for i, tag in zip(firsts, constrained_tags(probs[firsts].numpy(), self.tags_)):
            if tag != tags[i]:
                tags[i] = tag
                tag_p[i] = float(probs[i][self.tags_.index(tag)])
        return tags, tag_p

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Consecutive runs of ``order`` (ascending length) within both the sentence and the token budget."""
        batches: list[list[int]] = []
        cur: list[int] = []
        for j in order:
            if cur and (len(cur) >= self.batch_size or (len(cur) + 1) * lengths[j] > self.max_tokens):
                batches.append(cur)
                cur = []
            cur.append(j)
        if cur:
            batches.append(cur)
        return batches

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
