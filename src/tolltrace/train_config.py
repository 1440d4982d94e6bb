"""The training configuration: a YAML file, checked by pydantic before anything loads.

Unknown keys are rejected (a typo must not silently fall back to a default), and
the resolved config is saved in every model directory so a model can always be
traced to the settings that made it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSection(_Strict):
    base_model: str | None = Field(None, description="Hugging Face id or local path; null = local all-MiniLM-L6-v2.")
    output_dir: str = Field("models/tolltrace-minilm", description="Where the trained model directory goes.")
    max_length: int = Field(256, ge=16, le=512, description="Longest tokenised sentence; longer ones are truncated.")


class DataSection(_Strict):
    annotations_dir: str = "data/annotations"
    corpora_dir: str | None = Field(None, description="Shared corpora; null = $TOLLTRACE_CORPORA or ../shared/corpora.")
    max_train_samples: int | None = Field(None, ge=1, description="Cap on training sentences (debug runs).")
    max_eval_samples: int | None = Field(None, ge=1, description="Cap on dev sentences (debug runs).")
    train_fraction: float = Field(1.0, gt=0, le=1, description="Use this share of training documents (learning curves).")


class TrainingSection(_Strict):
    seed: int = 13
    epochs: float = Field(12, gt=0)
    learning_rate: float = Field(1e-4, gt=0)
    batch_size: int = Field(16, ge=1)
    eval_batch_size: int = Field(64, ge=1)
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    early_stopping_patience: int = Field(3, ge=1, description="Stop after this many epochs without dev improvement.")
    label_weights: dict[str, float] = Field(default_factory=dict,
                                            description="Loss weight per span label (B- and I- tags); others 1.0.")
    sentence_loss_weight: float = Field(
        0.0, ge=0, description="Weight of an auxiliary loss: a head on the mean-pooled encoder output predicts, per "
        "sentence, which span labels occur. It is used in training only and not saved. 0 = off.")
    freeze_word_embeddings: bool = Field(
        False, description="Keep the pretrained word-embedding matrix fixed. It holds half of MiniLM's parameters, so "
        "freezing it cut an optimiser-bound CPU step by a fifth (a whole epoch by about a tenth), and words rare in "
        "the gold data keep their pretrained vectors.")
    average_from_epoch: int | None = Field(
        None, ge=1, description="Average the weights at the end of every epoch from this one on (stochastic weight "
        "averaging); the average replaces the best epoch only if its dev macro F1 is higher. null = off.")
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="Training arithmetic: bf16 mixed precision (fp32 master weights) or fp32; auto = bf16 "
        "where the hardware computes it natively (AVX512-BF16/AMX CPU, bf16 GPU), else fp32.")
    calibrate: bool = Field(True, description="Fit a softmax temperature on dev after training.")
    threads: int | None = Field(None, ge=1, description="CPU threads; null = all cores.")

    @field_validator("label_weights")
    @classmethod
    def _known_labels(cls, value: dict[str, float]) -> dict[str, float]:
        from tolltrace.labels import SPAN_LABELS

        unknown = set(value) - set(SPAN_LABELS)
        if unknown:
            raise ValueError(f"unknown labels in label_weights: {sorted(unknown)}; known: {list(SPAN_LABELS)}")
        return value


class TrainConfig(_Strict):
    model: ModelSection = ModelSection()
    data: DataSection = DataSection()
    training: TrainingSection = TrainingSection()


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def load_config(path: Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML config and apply ``section.key=value`` overrides (values parsed as YAML)."""
    tree: dict[str, Any] = {}
    if path is not None:
        tree = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for item in overrides or []:
        if "=" not in item:
            raise ValueError(f"override {item!r} must look like section.key=value")
        key, raw = item.split("=", 1)
        _set_dotted(tree, key.strip(), yaml.safe_load(raw))
    return TrainConfig.model_validate(tree)
