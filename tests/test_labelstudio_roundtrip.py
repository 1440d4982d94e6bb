"""Round trip against a real Label Studio server: push, annotate through the API, pull."""

import json

import pytest
from typer.testing import CliRunner

from labelstudio_server import running_label_studio
from tolltrace import labelstudio
from tolltrace.annotations import load_gold, sha1
from tolltrace.cli import app
from tolltrace.types import Span

pytestmark = pytest.mark.labelstudio


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_label_studio(tmp_path_factory.mktemp("ls-data")) as creds:
        yield creds


def test_labeling_config_is_accepted_and_lists_the_five_labels():
    xml = labelstudio.label_config()
    for lab in ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE"):
        assert f'value="{lab}"' in xml


def test_push_annotate_pull_keeps_spans_byte_for_byte(server, tmp_path, tiny_corpora):
    url, key = server
    corpus_sent = "At least 12 people were killed, officials said."
    owned_sent = "Russia’s Defense Ministry said reports of “1,200 deaths” were not true."
    tasks_file = tmp_path / "tasks.jsonl"
    tasks_file.write_text("\n".join([
        json.dumps({"text": corpus_sent, "corpus": "gaza", "doc_id": "0", "doc_start": 0,
                    "doc_end": len(corpus_sent), "group": "gaza:x",
                    "spans": [{"start": 9, "end": 18, "label": "KILLED", "score": 0.8}]}),
        json.dumps({"text": owned_sent, "corpus": "written", "doc_id": "w1", "written": True}, ensure_ascii=False),
    ]), encoding="utf-8")
    runner = CliRunner()
    env = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": key}
    pushed = runner.invoke(app, ["ls", "push", "--project", "roundtrip", "--input", str(tasks_file),
                                 "--predictions"], env=env)
    assert pushed.exit_code == 0, pushed.output
    assert "imported 2 new task(s)" in pushed.output and key not in pushed.output
    again = runner.invoke(app, ["ls", "push", "--project", "roundtrip", "--input", str(tasks_file)], env=env)
    assert "imported 0 new task(s)" in again.output  # project reused, tasks not duplicated

    client = labelstudio.connect(url, key)
    pid = labelstudio.get_or_create_project(client, "roundtrip")
    tasks = {t["data"]["uid"]: t for t in labelstudio.export_tasks(client, pid)}
    assert tasks["gaza:0:0-47"]["predictions"][0]["result"][0]["value"]["text"] == "12 people"
    gold = {
        "gaza:0:0-47": [Span(0, 8, "HEDGE"), Span(9, 18, "KILLED"), Span(32, 41, "SOURCE")],
        "written:w1": [Span(0, 25, "SOURCE"), Span(43, 55, "KILLED"), Span(62, 70, "DENIAL")],
    }
    for uid, spans in gold.items():
        client.annotations.create(id=tasks[uid]["id"],
                                  result=labelstudio.spans_to_result(tasks[uid]["data"]["text"], spans))

    ann_dir = tmp_path / "annotations"
    pulled = runner.invoke(app, ["ls", "pull", "--project", "roundtrip", "--name", "written",
                                 "--annotations", str(ann_dir)], env=env)
    assert pulled.exit_code == 0, pulled.output
    assert key not in pulled.output
    standoff = [json.loads(x) for x in (ann_dir / "standoff" / "gaza.jsonl").read_text().splitlines()]
    assert standoff[0]["sha1"] == sha1(corpus_sent) and "text" not in standoff[0]  # stand-off: no corpus text

    loaded = {s.uid: s for s in load_gold(ann_dir, tiny_corpora).sentences}
    originals = {"gaza:0:0-47": corpus_sent, "written:w1": owned_sent}
    for uid, spans in gold.items():
        sent = loaded[uid]
        assert sent.text.encode("utf-8") == originals[uid].encode("utf-8")
        assert [(s.start, s.end, s.label) for s in sent.spans] == [(s.start, s.end, s.label) for s in spans]
        assert [sent.text[s.start:s.end].encode() for s in sent.spans] == \
            [originals[uid][s.start:s.end].encode() for s in spans]
    assert loaded["written:w1"].written is True


def test_missing_credentials_fail_clearly(monkeypatch, tmp_path):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    (tmp_path / "t.jsonl").write_text('{"text": "x"}\n')
    result = CliRunner().invoke(app, ["ls", "push", "--project", "p", "--input", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2 and "E050" in result.output
