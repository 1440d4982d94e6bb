"""The active-learning loop against a real Label Studio server on 127.0.0.1.

Select and push with the model's pre-annotations, annotate through the API, pull,
retrain on a tiny config and compare on the frozen test split; and the ML backend
connected to Label Studio, which asks it for predictions.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from labelstudio_server import running_label_studio, wait_until_healthy
from typer.testing import CliRunner

from tolltrace import config, labelstudio
from tolltrace.cli import app
from tolltrace.tagger import Tagger
from tolltrace.types import Span

pytestmark = pytest.mark.labelstudio

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "training/configs/default.yaml")
TINY = ["data.max_train_samples=64", "data.max_eval_samples=32", "training.epochs=1", "model.max_length=64",
        "training.calibrate=false"]


def _sets(overrides):
    return [x for item in overrides for x in ("--set", item)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_label_studio(tmp_path_factory.mktemp("ls-data")) as creds:
        yield creds


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A model trained on 64 sentences for one epoch: fast to train, score and compare."""
    out = tmp_path_factory.mktemp("models") / "tiny"
    result = CliRunner().invoke(app, ["train", "--config", CONFIG, *_sets([*TINY, f"model.output_dir={out}"])])
    assert result.exit_code == 0, result.output[-3000:]
    return out


def _weights_sha1(model_dir: Path) -> str:
    return hashlib.sha1((model_dir / "model.safetensors").read_bytes()).hexdigest()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_loop_push_predictions_annotate_pull_retrain_compare(server, tiny_model, tmp_path):
    url, key = server
    env = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": key}
    runner = CliRunner()
    annotations = tmp_path / "annotations"
    shutil.copytree(config.ANNOTATIONS_DIR, annotations)
    default = tmp_path / "default-model"
    shutil.copytree(tiny_model, default)
    tasks_file = tmp_path / "tasks.jsonl"

    picked = runner.invoke(app, ["select", "--corpus", "gaza", "--strategy", "uncertainty", "--n", "4",
                                 "--max-candidates", "200", "--model", str(default), "--output", str(tasks_file),
                                 "--annotations", str(annotations)])
    assert picked.exit_code == 0, picked.output
    rows = [json.loads(x) for x in tasks_file.read_text().splitlines()]
    assert len(rows) == 4 and all(r["corpus"] == "gaza" and r["uid"].startswith("gaza:") for r in rows)

    pushed = runner.invoke(app, ["ls", "push", "--project", "loop", "--input", str(tasks_file), "--predict",
                                 "--model", str(default)], env=env)
    assert pushed.exit_code == 0, pushed.output
    assert "imported 4 new task(s)" in pushed.output and key not in pushed.output

    client = labelstudio.connect(url, key)
    pid = labelstudio.get_or_create_project(client, "loop")
    tasks = labelstudio.export_tasks(client, pid)
    tagger = Tagger.load(default)
    version = tagger.model_version_
    # tagged together, as push tags them: in bf16 a borderline span can depend on its batch
    tagged = dict(zip([r["text"] for r in rows], tagger.predict([r["text"] for r in rows])))
    for task in tasks:
        (pred,) = task["predictions"]
        assert pred["model_version"] == version and 0.0 <= pred["score"] <= 1.0
        expected = tagged[task["data"]["text"]]
        got = labelstudio.result_to_spans(pred["result"], "test")
        assert [(s.start, s.end, s.label) for s in got] == [(s.start, s.end, s.label) for s in expected]

    direct = runner.invoke(app, ["select", "--corpus", "gaza", "--strategy", "random", "--n", "2", "--max-candidates",
                                 "200", "--model", str(default), "--output", str(tmp_path / "direct.jsonl"),
                                 "--annotations", str(annotations), "--push", "--project", "picked"], env=env)
    assert direct.exit_code == 0 and "imported 2 new task(s) with pre-annotations" in direct.output, direct.output
    picked_tasks = labelstudio.export_tasks(client, labelstudio.get_or_create_project(client, "picked"))
    assert len(picked_tasks) == 2 and all(t["predictions"][0]["model_version"] == version for t in picked_tasks)

    annotated = {}
    for task in tasks:  # the annotator marks the first word as SOURCE (a valid, word-aligned span)
        text = task["data"]["text"]
        word = re.match(r"\w+", text)
        spans = [Span(word.start(), word.end(), "SOURCE")] if word else []
        client.annotations.create(id=task["id"], result=labelstudio.spans_to_result(text, spans))
        annotated[task["data"]["uid"]] = spans

    candidate = tmp_path / "candidate"
    report = tmp_path / "comparison.md"
    retrained = runner.invoke(app, [
        "retrain", "--project", "loop", "--annotations", str(annotations), "--config", CONFIG, *_sets(TINY),
        "--model-dir", str(default), "--candidate", str(candidate), "--report", str(report)], env=env)
    assert retrained.exit_code == 0, retrained.output[-3000:]
    assert "guard passed" in retrained.output and key not in retrained.output

    standoff = {}
    for line in (annotations / "standoff" / "gaza.jsonl").read_text().splitlines():
        rec = json.loads(line)
        standoff[f"gaza:{rec['doc_id']}:{rec['start']}-{rec['end']}"] = rec
    for uid, spans in annotated.items():
        assert [(s["start"], s["end"], s["label"]) for s in standoff[uid]["spans"]] == \
            [(s.start, s.end, s.label) for s in spans]
        assert standoff[uid]["split"] == "train" and "text" not in standoff[uid]
    # the candidate replaced the default; the old one is kept; the comparison covers every label
    assert not candidate.exists() and (tmp_path / "default-model.previous" / "model.safetensors").is_file()
    data_sha1 = json.loads((default / "metrics.json").read_text())["data"]["annotations_sha1"]
    assert Tagger.load(default).model_version_ == f"default-model@{data_sha1[:10]}"
    table = report.read_text()
    for label in ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE", "micro"):
        assert f"| {label} |" in table
    comparison = json.loads((default / "retrain-comparison.json").read_text())
    assert comparison["accepted"] and comparison["test_sentences"] == comparison["test_lock"]["sentences"]


def test_guard_refuses_a_worse_model_unless_forced(tiny_model, tmp_path):
    if not (config.DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {config.DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    strong = tmp_path / "strong"
    shutil.copytree(config.DEFAULT_MODEL_DIR, strong)  # a copy: the real default model is never written
    weak = tmp_path / "weak"
    shutil.copytree(tiny_model, weak)
    before = _weights_sha1(strong)
    args = ["retrain", "--no-train", "--model-dir", str(strong), "--candidate", str(weak)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "E083" in refused.output
    assert "**no**" in refused.output and _weights_sha1(strong) == before and weak.is_dir()
    forced = CliRunner().invoke(app, [*args, "--force"])
    assert forced.exit_code == 0 and "--force given" in forced.output
    assert _weights_sha1(strong) == _weights_sha1(tiny_model)
    assert _weights_sha1(tmp_path / "strong.previous") == before


def test_ml_backend_serves_label_studio(server, tmp_path):
    if not (config.DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {config.DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    url, key = server
    port = _free_port()
    log = (tmp_path / "backend.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tolltrace", "ls", "backend", "--model", str(config.DEFAULT_MODEL_DIR),
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])))
    backend = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(backend, proc, 180, tmp_path / "backend.log")

        client = labelstudio.connect(url, key)
        pid = labelstudio.get_or_create_project(client, "backend")
        text = "At least 12 people were killed in the strike on the camp, the health ministry said."
        (task_id,) = labelstudio.push(client, pid, [{"data": {"text": text, "uid": "backend:1"}}])
        ml = client.ml.create(project=pid, url=backend, title="tolltrace", is_interactive=False)
        client.actions.create(id="retrieve_tasks_predictions", project=pid,
                              selected_items={"all": False, "included": [task_id]})
        (task,) = [t for t in labelstudio.export_tasks(client, pid) if t["id"] == task_id]
        tagger = Tagger.load(config.DEFAULT_MODEL_DIR)
        (pred,) = task["predictions"]
        assert pred["model_version"] == tagger.model_version_
        got = labelstudio.result_to_spans(pred["result"], "test")
        expected = tagger.predict([text])[0]
        assert expected and [(s.start, s.end, s.label) for s in got] == [(s.start, s.end, s.label) for s in expected]

        client.ml.train(id=ml.id)  # "Start training": Label Studio calls the backend's training endpoint
        with urllib.request.urlopen(f"{backend}/health", timeout=10) as resp:
            health = json.loads(resp.read())
        assert health["events"].get("START_TRAINING") == 1  # no --retrain given: recorded, not run
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
