import json
from pathlib import Path

import pytest

from tolltrace.annotations import load_gold, sha1
from tolltrace.errors import InputError, TolltraceError


def _standoff(folder: Path, records: list[dict]) -> Path:
    path = folder / "annotations" / "standoff" / "gaza.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder / "annotations"


SENT = "At least 12 people were killed, officials said."
GOOD = {"corpus": "gaza", "doc_id": "0", "start": 0, "end": len(SENT), "sha1": sha1(SENT), "split": "train",
        "spans": [{"start": 0, "end": 8, "label": "HEDGE"}, {"start": 9, "end": 18, "label": "KILLED"},
                  {"start": 32, "end": 41, "label": "SOURCE"}]}


def test_standoff_joins_with_corpus_text(tmp_path, tiny_corpora):
    ann = _standoff(tmp_path, [GOOD])
    (sent,) = load_gold(ann, tiny_corpora).sentences
    assert sent.text == SENT
    assert [sent.text[s.start:s.end] for s in sent.spans] == ["At least", "12 people", "officials"]
    assert sent.group.startswith("gaza:")  # split unit is the article, not the row


def test_hash_mismatch_names_file_and_record(tmp_path, tiny_corpora):
    ann = _standoff(tmp_path, [dict(GOOD, sha1="0" * 40)])
    with pytest.raises(InputError, match=r"E012.*gaza\.jsonl, record 1"):
        load_gold(ann, tiny_corpora)


def test_missing_corpus_says_how_to_fix(tmp_path):
    ann = _standoff(tmp_path, [GOOD])
    with pytest.raises(TolltraceError, match=r"E011.*--corpora"):
        load_gold(ann, tmp_path / "no-such-folder")


def test_offsets_outside_text_are_reported_and_others_kept(tmp_path, tiny_corpora):
    bad = dict(GOOD, spans=[{"start": 40, "end": 90, "label": "SOURCE"}])
    second = "The army denied the report."
    ok = {"corpus": "gaza", "doc_id": "1", "start": 0, "end": len(second), "sha1": sha1(second),
          "split": "dev", "spans": [{"start": 9, "end": 15, "label": "DENIAL"}]}
    ann = _standoff(tmp_path, [bad, ok])
    report = load_gold(ann, tiny_corpora, strict=False)
    assert [s.doc_id for s in report.sentences] == ["1"]
    assert len(report.errors) == 1 and "E021" in report.errors[0] and "record 1" in report.errors[0]


def test_data_check_cli_json_on_tiny_data(tmp_path, tiny_corpora):
    from typer.testing import CliRunner

    from tolltrace.cli import app

    ann = _standoff(tmp_path, [GOOD])
    result = CliRunner().invoke(app, ["data", "check", "--json", "--annotations", str(ann),
                                      "--corpora", str(tiny_corpora)])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["sentences"] == 1 and stats["spans"]["KILLED"] == 1 and stats["errors"] == []
    assert stats["splits"]["train"] == {"sentences": 1, "documents": 1, "written": 0,
                                        "spans": {"KILLED": 1, "INJURED": 0, "SOURCE": 1, "DENIAL": 0, "HEDGE": 1}}


def test_changing_the_frozen_test_split_is_reported(tmp_path, tiny_corpora):
    from tolltrace.datacheck import data_stats
    from tolltrace.splits import write_lock

    ann = _standoff(tmp_path, [dict(GOOD, split="test")])
    write_lock(ann, [s for s in load_gold(ann, tiny_corpora).sentences], reason="v1")
    assert data_stats(ann, tiny_corpora)["errors"] == []
    _standoff(tmp_path, [dict(GOOD, split="test", spans=GOOD["spans"][:2])])  # a span removed from test
    errors = data_stats(ann, tiny_corpora)["errors"]
    assert len(errors) == 1 and "frozen test split (version 1" in errors[0]


def test_split_assignment_is_stable_and_written_text_stays_in_train():
    from tolltrace.splits import split_for_group

    groups = [f"gaza:{i}" for i in range(2000)]
    splits = [split_for_group(g) for g in groups]
    assert splits == [split_for_group(g) for g in groups]
    share = {name: splits.count(name) / len(splits) for name in ("train", "dev", "test")}
    assert 0.65 < share["train"] < 0.75 and 0.10 < share["dev"] < 0.16 and 0.14 < share["test"] < 0.20
    assert all(split_for_group(g, written=True) == "train" for g in groups[:50])


def test_reprinted_sentence_is_left_out_of_train_not_out_of_test():
    from tolltrace.splits import drop_held_out_twins
    from tolltrace.types import AnnotatedSentence

    def sent(uid: str, text: str, split: str) -> AnnotatedSentence:
        return AnnotatedSentence(uid=uid, corpus="fnc1", doc_id=uid, group=f"fnc1:{uid}", text=text, spans=(),
                                 split=split)

    splits = {
        "train": [sent("a", "The army denied the report.", "train"), sent("b", "Five people were killed.", "train"),
                  sent("c", "THE ARMY  denied the report", "train")],
        "dev": [sent("d", "Five people were killed, police said.", "dev")],
        "test": [sent("e", "The army denied the report!", "test")],
    }
    kept, dropped = drop_held_out_twins(splits)
    assert dropped == 2
    assert [s.uid for s in kept["train"]] == ["b"]
    assert kept["test"] == splits["test"] and kept["dev"] == splits["dev"]


def test_reprinted_statement_labelled_in_one_copy_only_is_listed():
    from tolltrace.consistency import phrase_conflicts
    from tolltrace.types import AnnotatedSentence, Span

    def sent(uid, text, denial=None):
        spans = () if denial is None else (Span(text.index(denial), text.index(denial) + len(denial), "DENIAL"),)
        return AnnotatedSentence(uid=uid, corpus="c", doc_id=uid, group=uid, text=text, spans=spans)

    quoted = "“We’re not aware of ISIL conducting any flight operations,” Ryder said."
    gold = [sent("a", quoted, "not aware of ISIL conducting any flight operations"),
            sent("b", quoted.replace("“", '"').replace("”", '"').replace("’", "'")),   # another outlet, no span
            sent("c", "The Pentagon was not aware of ISIL conducting any flight operations, Ryder said.",
                 "not aware of ISIL conducting"),              # a shorter extent counts as labelled, not as missing
            sent("d", "Officials said the claim is not true.", "is not true")]           # no other copy
    conflicts = phrase_conflicts(gold)
    assert [(c.phrase, c.labelled, c.unlabelled) for c in conflicts] == [
        ("not aware of isil conducting", ("c",), ("b",)),
        ("not aware of isil conducting any flight operations", ("a",), ("b",))]
    assert phrase_conflicts(gold, min_words=9) == []                                 # phrases of 4 and 8 words
