"""The trained default model and the ``tag`` / ``evaluate`` contracts (needs `make model`)."""

import json

import pytest
from typer.testing import CliRunner

from tolltrace.cli import app
from tolltrace.errors import NotLoadedError, TolltraceError
from tolltrace.tagger import Tagger
from tolltrace.validation import check_spans


def test_unloaded_tagger_raises_a_catchable_error():
    with pytest.raises(NotLoadedError) as info:
        Tagger().predict(["Two people died."])
    assert isinstance(info.value, AttributeError) and isinstance(info.value, ValueError)


def test_refuses_a_model_dir_without_safetensors(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(TolltraceError, match="E041"):
        Tagger.load(tmp_path)


def test_tags_a_typical_sentence(tagger):
    text = ("At least 18 people were killed and 35 injured in the strikes, rescue workers said, "
            "but the ministry denied the reports.")
    (spans,) = tagger.predict([text])
    got = {(text[s.start:s.end], s.label) for s in spans}
    assert {("At least", "HEDGE"), ("18 people", "KILLED"), ("35", "INJURED"),
            ("rescue workers", "SOURCE"), ("denied", "DENIAL")} <= got
    check_spans(text, spans, "prediction")
    assert all(0.0 < s.score <= 1.0 for s in spans)


def test_predictions_come_back_in_input_order_and_empty_text_gets_nothing(tagger):
    texts = ["Ten children were among the dead, the White Helmets said.", "", "No one was hurt.",
             "Police said 3 militants were shot dead."]
    out = tagger.predict(texts)
    assert len(out) == 4 and out[1] == []
    assert any(texts[0][s.start:s.end] == "Ten children" for s in out[0])
    assert any(texts[3][s.start:s.end] == "3 militants" for s in out[3])


def test_tag_command_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "text": "At least 30 people died, witnesses said."}),
        "{broken",
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": 7, "text": "Russia’s Defense Ministry said the reports were not true."}, ensure_ascii=False),
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["tag", "--input", str(src), "--output", str(out), "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "in.jsonl:2" in result.output and "in.jsonl:3" in result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", 7]
    for row in rows:
        assert set(row) == {"id", "text", "spans", "labels"}
        assert set(row["labels"]) == {"casualty", "attribution", "denial", "hedge"}
        for span in row["spans"]:
            assert set(span) == {"start", "end", "label", "text", "score"}
            assert row["text"][span["start"]:span["end"]] == span["text"]
        ends = sorted((s["start"], s["end"]) for s in row["spans"])
        assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:]))
    assert rows[0]["labels"]["casualty"] and rows[0]["labels"]["attribution"]
    assert rows[1]["labels"]["denial"]


def test_evaluate_refuses_training_data():
    result = CliRunner().invoke(app, ["evaluate", "--split", "train"])
    assert result.exit_code == 2 and "never touches training data" in result.output


def test_evaluate_compares_two_models_on_the_same_documents(tmp_path):
    from tolltrace.config import DEFAULT_MODEL_DIR

    out = tmp_path / "eval-dev.json"
    result = CliRunner().invoke(app, ["evaluate", "--split", "dev", "--compare", str(DEFAULT_MODEL_DIR),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    ci = written["tolltrace"]["overlap_ci"]["DENIAL"]
    assert ci["low"] <= written["tolltrace"]["overlap"]["DENIAL"]["f1"] <= ci["high"]
    same = written["comparison"]["strict"]["micro"]  # a model against itself: no difference in any resample
    assert same == {"difference": 0.0, "low": 0.0, "high": 0.0, "share_a_better": 0.0}
    assert "minus" in result.output and "overlap F1 95% CI" in result.output
    missing = CliRunner().invoke(app, ["evaluate", "--split", "dev", "--compare", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "none" in missing.output
