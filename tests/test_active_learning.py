"""Selection strategies, candidate sentences, the retrain guard and the ML backend over HTTP (no Label Studio)."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from tolltrace import labelstudio
from tolltrace.active_learning import learning_curves, select, sentence_confidence, uncertainty_scores
from tolltrace.annotations import sentence_uid
from tolltrace.config import DEFAULT_MODEL_DIR
from tolltrace.evaluate import compare_predictions, score_predictions
from tolltrace.ml_backend import TaggerBackend, make_server
from tolltrace.retrain import compare, format_table
from tolltrace.selection import corpus_candidates
from tolltrace.simulate import initial_split, summarize
from tolltrace.splits import split_for_group
from tolltrace.types import AnnotatedSentence, Span

SENTENCES = [
    "At least 12 people were killed in an air strike on the camp, the health ministry said.",
    "The army denied the report.",
    "Officials said three soldiers were wounded in the clash near the border.",
    "The weather was mild on Tuesday and markets opened as usual.",
    "Rescue workers said the toll could rise as more bodies were pulled from the rubble.",
    "He said he would travel to Geneva next week.",
]


def test_sentence_confidence_ignores_the_special_tokens():
    probs = [[0.1, 0.9], [0.99, 0.01], [0.7, 0.3], [0.2, 0.8]]  # [CLS], two words, [SEP]
    assert sentence_confidence(probs) == pytest.approx(0.7)
    assert sentence_confidence(None) == 1.0


def test_uncertainty_ranks_by_least_confidence_and_covers_span_scores(tagger):
    scores = uncertainty_scores(tagger, SENTENCES)
    picked = select("uncertainty", tagger, SENTENCES, 3)
    assert len(set(picked)) == 3
    assert [scores[i] for i in picked] == sorted(scores, reverse=True)[:3]
    assert all(0.0 <= s <= 1.0 for s in scores)
    # a span's score averages token probabilities, so a doubtful span always shows in its sentence's uncertainty
    for text, spans, score in zip(SENTENCES, tagger.predict(SENTENCES), scores):
        for span in spans:
            assert 1.0 - span.score <= score + 1e-6, (text, span)


def test_diversity_takes_one_sentence_from_each_kind(tagger):
    kinds = [
        [f"At least {n} people were killed in the strike, officials said." for n in (3, 7, 12)],
        [f"The market reopened on {d} after the holiday." for d in ("Monday", "Tuesday", "Friday")],
        [f"The ministry strongly denied the {w} reports." for w in ("latest", "new", "earlier")],
    ]
    texts = [t for group in kinds for t in group]
    picked = select("diversity", tagger, texts, 3, seed=1)
    assert sorted(i // 3 for i in picked) == [0, 1, 2]


def test_random_is_seeded_and_unknown_strategy_is_refused():
    assert select("random", None, SENTENCES, 4, seed=3) == select("random", None, SENTENCES, 4, seed=3)
    assert len(set(select("random", None, SENTENCES, 10))) == len(SENTENCES)
    with pytest.raises(ValueError, match="E080"):
        select("loudest", None, SENTENCES, 2)


def test_candidates_skip_annotated_sentences_and_held_out_documents(tiny_corpora):
    first = "At least 12 people were killed, officials said."
    gold = [AnnotatedSentence(uid=sentence_uid("gaza", "0", 0, len(first)), corpus="gaza", doc_id="0",
                              group="gaza:x", text=first, spans=(), doc_start=0, doc_end=len(first))]
    found = corpus_candidates("gaza", tiny_corpora, gold, include_heldout=True)
    assert [(s.doc_id, s.text) for s in found] == [("1", "The army denied the report.")]
    assert found[0].uid == "gaza:1:0-27" and found[0].doc_start == 0 and found[0].doc_end == 27
    group_split = split_for_group(found[0].group)
    if group_split == "train":
        assert corpus_candidates("gaza", tiny_corpora, gold) == found
    else:  # a dev/test document is never offered unless asked for
        with pytest.raises(ValueError, match="E086"):
            corpus_candidates("gaza", tiny_corpora, gold)


def _sentences(n):
    return [AnnotatedSentence(uid=f"s{i}", corpus="t", doc_id=str(i), group=f"g{i // 2}", text="x " * 5,
                              spans=(Span(0, 1, "KILLED"), Span(2, 3, "SOURCE")), split="test") for i in range(n)]


def test_guard_refuses_a_label_drop_above_the_limit():
    gold = _sentences(100)
    perfect = [list(s.spans) for s in gold]
    lost_killed = [[s.spans[1]] if i < 5 else list(s.spans) for i, s in enumerate(gold)]  # KILLED recall 0.95
    lost_one = [[s.spans[1]] if i < 1 else list(s.spans) for i, s in enumerate(gold)]     # KILLED recall 0.99
    old = score_predictions(gold, perfect)
    rows, failures = compare(old, score_predictions(gold, lost_killed), max_drop=0.02)
    assert len(failures) == 1 and failures[0].startswith("KILLED")
    assert {r["label"]: r["ok"] for r in rows}["SOURCE"] is True
    assert compare(old, score_predictions(gold, lost_one), max_drop=0.02)[1] == []
    assert compare(None, score_predictions(gold, lost_killed))[1] == []  # no old model: nothing to lose
    table = format_table(rows, 0.02)
    assert "| KILLED | 1.000 | 0.974 | -0.026 | - |" in table and "**no**" in table
    paired = compare_predictions(gold, lost_killed, perfect)
    rows, _ = compare(old, score_predictions(gold, lost_killed), max_drop=0.02, paired=paired)
    killed = {r["label"]: r for r in rows}["KILLED"]
    assert killed["delta_low"] < killed["delta"] <= killed["delta_high"] <= 0  # the new model is never better
    assert f"| {killed['delta_low']:+.3f} to {killed['delta_high']:+.3f} |" in format_table(rows, 0.02)


def test_initial_split_keeps_documents_whole_and_caps_the_pool():
    train = _sentences(40)
    labelled, pool = initial_split(train, 0.2, seed=5, pool_size=10)
    assert len({s.group for s in labelled}) == 4 and len(pool) == 10
    assert not {s.group for s in labelled} & {s.group for s in pool}
    assert initial_split(train, 0.2, seed=5, pool_size=10) == (labelled, pool)


def test_learning_curves_share_round_zero_and_summarize():
    def point(strategy, round_, n, f1):
        return {"strategy": strategy, "round": round_, "seed": 1, "labelled_sentences": n, "dev": {"macro_f1": f1}}

    result = {"strategies": ["uncertainty", "random"], "seeds": [1], "points": [
        point("initial", 0, 100, 0.5), point("uncertainty", 1, 200, 0.7), point("random", 1, 200, 0.6)]}
    curves = learning_curves(result)
    assert curves["uncertainty"]["sentences"] == [100, 200] and curves["random"]["mean"] == [0.5, 0.6]
    summary = summarize(result)
    assert summary["uncertainty"]["final_macro_f1"] == 0.7
    assert summary["uncertainty"]["mean_macro_f1_over_curve"] == pytest.approx(0.6)


def _post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, json.loads(resp.read())


@pytest.fixture()
def backend_url(tagger):
    calls = []

    def trainer(project):  # a training job that replaces nothing, so the model stays as loaded
        calls.append(project)
        return False

    backend = TaggerBackend(DEFAULT_MODEL_DIR, trainer=trainer).load()
    server = make_server(backend, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", backend, calls
    server.shutdown()
    server.server_close()


def test_backend_speaks_the_label_studio_protocol(backend_url, tagger):
    url, backend, calls = backend_url
    with urllib.request.urlopen(f"{url}/health", timeout=10) as resp:
        assert json.loads(resp.read())["status"] == "UP"
    status, setup = _post(f"{url}/setup", {"project": "3.1700000000", "schema": labelstudio.label_config()})
    assert status == 200 and setup["model_version"] == tagger.model_version_
    tasks = [{"id": i, "data": {"text": t}} for i, t in enumerate(SENTENCES[:3])]
    status, body = _post(f"{url}/predict", {"tasks": tasks, "project": "3.1700000000"})
    assert status == 200 and len(body["results"]) == 3
    for text, result, expected in zip(SENTENCES, body["results"], tagger.predict(SENTENCES[:3])):
        spans = labelstudio.result_to_spans(result["result"], "test")
        assert [(s.start, s.end, s.label) for s in spans] == [(s.start, s.end, s.label) for s in expected]
        assert result["model_version"] == tagger.model_version_ and 0.0 <= result["score"] <= 1.0
        assert all(0.0 < r["score"] <= 1.0 and r["value"]["text"] == text[r["value"]["start"]:r["value"]["end"]]
                   for r in result["result"])

    assert _post(f"{url}/webhook", {"action": "ANNOTATION_CREATED", "project": {"id": 3}})[0] == 201
    status, started = _post(f"{url}/webhook", {"action": "START_TRAINING", "project": {"id": 3}})
    assert status == 201 and started["status"] == "started"
    backend.training_.join(timeout=30)
    assert calls == [3] and backend.last_training_["replaced"] is False
    with urllib.request.urlopen(f"{url}/health", timeout=10) as resp:
        health = json.loads(resp.read())
    assert health["events"] == {"ANNOTATION_CREATED": 1, "START_TRAINING": 1}
    assert health["annotations_since_training"] == 0


def test_backend_rejects_malformed_requests_with_a_code(backend_url):
    url, _, _ = backend_url
    for body in ({"tasks": [{"data": {}}]}, {"no": "tasks"}):
        with pytest.raises(urllib.error.HTTPError) as err:
            _post(f"{url}/predict", body)
        assert err.value.code == 400 and "E085" in json.loads(err.value.read())["error"]


def test_strategy_gap_compares_like_with_like():
    def point(strategy, round_, seed, f1):
        return {"strategy": strategy, "round": round_, "seed": seed, "labelled_sentences": 100 * (round_ + 1),
                "dev": {"macro_f1": f1}}

    from tolltrace.active_learning import strategy_gap

    result = {"strategies": ["uncertainty", "random"], "seeds": [1, 2], "points": [
        point("uncertainty", 1, 1, 0.60), point("random", 1, 1, 0.50),
        point("uncertainty", 1, 2, 0.55), point("random", 1, 2, 0.57)]}
    gap = strategy_gap(result)
    assert gap["rounds"] == [1] and gap["mean_gap"] == [0.04] and gap["seeds_ahead_at_end"] == 1


def test_simulated_annotator_with_the_probe_runs_every_strategy(tmp_path):
    from tolltrace.simulate import ProbeLearner, simulate
    from tolltrace.train import load_splits
    from tolltrace.train_config import load_config

    splits = load_splits(load_config("training/configs/default.yaml"))
    small = {"train": splits["train"][:80], "dev": splits["dev"][:40]}
    out = tmp_path / "al.json"
    result = simulate(ProbeLearner(small["dev"], max_length=64), small, ["uncertainty", "random", "diversity"],
                      rounds=1, batch=10, seeds=[3], initial_fraction=0.3, output=out)
    assert json.loads(out.read_text())["summary"] == result["summary"]
    initial = result["points"][0]
    assert initial["strategy"] == "initial" and initial["round"] == 0
    for point in result["points"][1:]:
        assert point["labelled_sentences"] == initial["labelled_sentences"] + 10
        assert 0.0 <= point["dev"]["macro_f1"] <= 1.0
    assert {p["strategy"] for p in result["points"]} == {"initial", "uncertainty", "random", "diversity"}
    assert result["metric_split"] == "dev" and result["sizes"]["dev"] == 40

    class NoTraining(ProbeLearner):  # resuming with every seed done must not fit anything
        def __call__(self, *args):
            raise AssertionError("a completed seed was rerun")

    resumed = simulate(NoTraining(small["dev"]), small, ["uncertainty", "random", "diversity"], rounds=1, batch=10,
                       seeds=[3], initial_fraction=0.3, previous=result)
    assert resumed["points"] == result["points"]
    with pytest.raises(ValueError, match="cannot resume.*rounds"):
        simulate(NoTraining(small["dev"]), small, ["uncertainty", "random", "diversity"], rounds=2, batch=10,
                 seeds=[3], initial_fraction=0.3, previous=result)


def test_retrain_compares_only_on_the_locked_test_split(tmp_path):
    import dataclasses
    import shutil

    from tolltrace import config
    from tolltrace.retrain import check_pulled, locked_test_split

    annotations = tmp_path / "annotations"
    shutil.copytree(config.ANNOTATIONS_DIR, annotations)
    test = locked_test_split(annotations, config.CORPORA_DIR)
    assert test and all(s.split == "test" for s in test)
    check_pulled([test[0]], test)  # the same annotation pulled back is fine
    edited = dataclasses.replace(test[0], spans=test[0].spans[1:] if test[0].spans else (Span(0, 1, "HEDGE"),))
    with pytest.raises(ValueError, match="E082"):
        check_pulled([edited], test)
    lock = json.loads((annotations / "test-split.lock.json").read_text())
    lock["fingerprint"] = "0" * 40
    (annotations / "test-split.lock.json").write_text(json.dumps(lock))
    with pytest.raises(ValueError, match="E081"):
        locked_test_split(annotations, config.CORPORA_DIR)
