"""Training config checks and a tiny end-to-end training run (real code path, seconds not minutes)."""

import json

import pytest
import torch
from typer.testing import CliRunner

from tolltrace.cli import app
from tolltrace.train import WeightAverager
from tolltrace.train_config import load_config

CONFIG = "training/configs/default.yaml"


def test_default_config_loads_and_overrides_apply():
    cfg = load_config(CONFIG, ["training.epochs=3", "training.label_weights={DENIAL: 2.0}"])
    assert cfg.training.epochs == 3 and cfg.training.label_weights == {"DENIAL": 2.0}
    assert cfg.model.base_model is None


@pytest.mark.parametrize("override, message", [
    ("training.epoch=3", "Extra inputs are not permitted"),
    ("training.label_weights={DEAD: 2.0}", "unknown labels"),
    ("data.train_fraction=0", "greater than 0"),
])
def test_bad_config_is_rejected_before_anything_loads(override, message):
    with pytest.raises(ValueError, match=message):
        load_config(CONFIG, [override])


def test_tiny_training_run_writes_a_complete_model_dir(tmp_path):
    out = tmp_path / "tiny"
    result = CliRunner().invoke(app, [
        "train", "--config", CONFIG, "--set", f"model.output_dir={out}", "--set", "data.max_train_samples=48",
        "--set", "data.max_eval_samples=24", "--set", "training.epochs=2", "--set", "model.max_length=64",
        "--set", "training.average_from_epoch=1", "--set", "training.sentence_loss_weight=0.5",
        "--set", "training.freeze_word_embeddings=true"])
    assert result.exit_code == 0, result.output[-3000:]
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "tolltrace.json", "config.yaml", "metrics.json",
            "MODEL_CARD.md"} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)      # nothing pickled
    from safetensors import safe_open
    with safe_open(str(out / "model.safetensors"), framework="pt") as weights:
        assert not [k for k in weights.keys() if "sentence_head" in k]       # the auxiliary head is not saved
        trained_vocab = weights.get_tensor("bert.embeddings.word_embeddings.weight")
        trained_layer = weights.get_tensor("bert.encoder.layer.0.attention.self.query.weight")
    from tolltrace.config import default_base_model
    with safe_open(f"{default_base_model()}/model.safetensors", framework="pt") as base:
        assert torch.equal(trained_vocab, base.get_tensor("embeddings.word_embeddings.weight"))  # frozen
        assert not torch.equal(trained_layer, base.get_tensor("encoder.layer.0.attention.self.query.weight"))
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and len(config["id2label"]) == 11  # label map saved in the model
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["sizes"]["train"] == 48 and metrics["data"]["annotations_sha1"]
    assert "test" not in metrics  # training never scores the test split
    assert metrics["dev"]["overlap_ci"]["micro"]["low"] <= metrics["dev"]["overlap"]["micro"]["f1"]
    assert "overlap F1 95% CI" in (out / "MODEL_CARD.md").read_text()  # the card shows how far to trust dev
    averaging = metrics["weight_averaging"]
    assert averaging["epochs_averaged"] == 2
    assert averaging["used"] == (averaging["dev_macro_f1_average"] > averaging["dev_macro_f1_best_epoch"])


def test_weight_averager_keeps_the_running_mean_from_its_start_epoch():
    model = torch.nn.Linear(2, 1)
    averager = WeightAverager(start_epoch=2)
    for epoch, value in [(1.0, 100.0), (2.0, 1.0), (3.0, 2.0), (4.0, 6.0)]:
        with torch.no_grad():
            model.weight.fill_(value)
        averager.update(model, epoch)
    assert averager.count == 3                       # epoch 1 is before the start
    assert torch.allclose(averager.mean["weight"], torch.full((1, 2), 3.0))


def test_training_precision_resolves_like_inference():
    from tolltrace.tagger import bf16_is_native, default_device
    from tolltrace.train import training_uses_bf16

    assert training_uses_bf16("fp32") is False
    assert training_uses_bf16("bf16") is True
    assert training_uses_bf16("auto") == bf16_is_native(default_device())
    with pytest.raises(ValueError, match="precision"):
        load_config(CONFIG, ["training.precision=fp16"])


def test_sentence_head_targets_are_the_span_labels_a_sentence_holds():
    from tolltrace.labels import SPAN_LABELS, bio_tags
    from tolltrace.train import SentenceLabelHead

    label2id = {t: i for i, t in enumerate(bio_tags(SPAN_LABELS))}
    head = SentenceLabelHead(8, label2id)
    labels = torch.tensor([[-100, label2id["B-DENIAL"], label2id["I-DENIAL"], label2id["O"], -100],
                           [-100, label2id["O"], label2id["I-SOURCE"], label2id["B-KILLED"], -100]])
    targets = head.targets(labels)
    assert targets[0].tolist() == [1.0 if lab == "DENIAL" else 0.0 for lab in SPAN_LABELS]
    assert targets[1].tolist() == [1.0 if lab in ("SOURCE", "KILLED") else 0.0 for lab in SPAN_LABELS]
    loss = head.loss(torch.randn(2, 5, 8), torch.ones(2, 5, dtype=torch.long), labels)
    assert loss.ndim == 0 and loss.item() > 0
