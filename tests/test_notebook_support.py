"""The code behind the notebooks: tables, plots, batch-output reader, learning curve, miss ranking."""

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_claims_incidents import PHRASES, PhraseTagger

from tolltrace import plots, tables
from tolltrace.batch import run
from tolltrace.batch_output import claim_from_json, load_run
from tolltrace.calibration import expected_calibration_error, reliability_bins
from tolltrace.errors import TolltraceError
from tolltrace.evaluate import (compare_predictions, error_table, format_comparison, format_report, rank_misses,
                                score_predictions)
from tolltrace.learning_curve import check_fractions, load_result, parse_fractions, summarise_point
from tolltrace.types import AnnotatedSentence, Span

matplotlib.use("Agg")


def _sent(uid, text, spans, split="train", corpus="c", group=None, written=False):
    return AnnotatedSentence(uid=uid, corpus=corpus, doc_id=uid, group=group or f"{corpus}:{uid}", text=text,
                             spans=tuple(Span(*s) for s in spans), split=split, written=written)


GOLD = [
    _sent("a", "At least 30 people were killed, witnesses said.",
          [(0, 8, "HEDGE"), (9, 18, "KILLED"), (32, 41, "SOURCE")], "train", group="doc1"),
    _sent("b", "Officials denied that 12 civilians were wounded.",
          [(0, 9, "SOURCE"), (10, 16, "DENIAL"), (22, 34, "INJURED")], "train", group="doc1"),
    _sent("c", "Nothing happened here.", [], "dev", group="doc2"),
    _sent("d", "Five soldiers died, the army said.", [(0, 13, "KILLED"), (19, 27, "SOURCE")], "test",
          corpus="w", group="doc3", written=False),
]


def test_sentence_and_span_tables_count_what_is_there():
    st = tables.sentence_table(GOLD)
    assert list(st["spans"]) == [3, 3, 0, 2] and list(st["KILLED"]) == [1, 0, 0, 1]
    assert list(st["words"])[2] == 4  # "Nothing happened here ." : punctuation is a word
    sp = tables.span_table(GOLD)
    assert len(sp) == 8
    row = sp[sp["text"] == "30 people"].iloc[0]
    assert (row["label"], row["characters"], row["words"]) == ("KILLED", 9, 2)
    by_split = tables.corpus_overview(st, "split")
    assert list(by_split.index) == ["train", "dev", "test", "total"]
    assert by_split.loc["train", "documents"] == 1 and by_split.loc["train", "sentences"] == 2
    assert by_split.loc["dev", "no span"] == 1 and by_split.loc["total", "SOURCE"] == 3
    lengths = tables.length_summary(sp)
    assert lengths.loc["KILLED", "max"] == 2 and lengths.index[0] == "KILLED"


def test_label_examples_come_from_the_requested_split_only():
    ex = tables.label_examples(GOLD, per_label=5, seed=1, split="train")
    assert set(ex["label"]) == {"HEDGE", "KILLED", "SOURCE", "DENIAL", "INJURED"}
    assert "soldiers" not in " ".join(ex["sentence"])  # the test sentence is never shown
    assert "[30 people]" in " ".join(ex["sentence"])
    assert tables.label_examples(GOLD, 5, 1, "train").equals(ex)  # reproducible


def test_score_confusion_and_error_tables():
    pred = [[Span(9, 18, "KILLED", 0.9), Span(32, 41, "SOURCE", 0.8)], [Span(22, 34, "INJURED", 0.7)], [],
            [Span(0, 4, "KILLED", 0.6), Span(30, 33, "HEDGE", 0.95)]]
    result = score_predictions(GOLD, pred)
    scores = tables.score_table({"m": result, "b": result}, "strict")
    assert set(scores["system"]) == {"m", "b"}
    killed = scores[(scores["system"] == "m") & (scores["label"] == "KILLED")].iloc[0]
    assert (killed["precision"], killed["recall"], killed["gold spans"]) == (0.5, 0.5, 2)
    conf = tables.confusion_table(result)
    assert conf.loc["KILLED", "KILLED"] == 3 and conf.loc["KILLED", "O"] == 1  # "soldiers" missed
    assert conf.to_numpy().sum() == sum(len(tables.WORD.findall(s.text)) for s in GOLD)
    norm = tables.confusion_table(result, normalise=True)
    assert abs(norm.loc["KILLED"].sum() - 1) < 1e-9 and norm.loc["DENIAL", "O"] == 1.0
    rows = error_table(GOLD, pred)
    counts = tables.error_counts(rows)
    assert counts.loc["HEDGE", "missed"] == 1 and counts.loc["KILLED", "boundary"] == 1
    frame = tables.error_frame([r for r in rows if r["kind"] == "missed"])
    assert "[At least]" in " ".join(frame["sentence"])


def test_scores_carry_document_intervals_and_models_compare_paired():
    pred = [[Span(9, 18, "KILLED", 0.9)], [], [], [Span(0, 13, "KILLED", 0.8)]]
    result = score_predictions(GOLD, pred)
    assert result["documents"] == 3
    ci = result["overlap_ci"]["KILLED"]
    assert ci["low"] <= result["overlap"]["KILLED"]["f1"] <= ci["high"]
    report = format_report("m", result)
    assert "3 documents" in report and "95% CI" in report
    assert "overlap_ci" not in score_predictions(GOLD, pred, n_resamples=0)
    perfect = [list(s.spans) for s in GOLD]
    comparison = compare_predictions(GOLD, perfect, pred)
    assert comparison["overlap"]["KILLED"]["difference"] == 0 and comparison["overlap"]["SOURCE"]["difference"] == 1
    assert "SOURCE" in format_comparison("perfect minus m", comparison)


class _ProbTagger:
    """Test double for ``rank_misses``: fixed per-token probability of O, keyed by sentence."""

    def __init__(self, tokenizer, o_prob: dict[str, float]):
        self.tokenizer_, self.max_length_, self.o_prob = tokenizer, 64, o_prob
        self.id2label_ = {0: "B-KILLED", 1: "O"}

    def predict_with_probs(self, texts, keep_probs=True):
        out = []
        for text in texts:
            n = len(self.tokenizer_(text)["input_ids"])
            out.append(([], [[1 - self.o_prob[text], self.o_prob[text]]] * n))
        return out


def test_rank_misses_puts_confident_misses_first(tokenizer):
    gold = [_sent("x", "Twelve people were killed.", [(0, 13, "KILLED")]),
            _sent("y", "Nine people were killed.", [(0, 11, "KILLED")])]
    rows = error_table(gold, [[], []])
    ranked = rank_misses(_ProbTagger(tokenizer, {gold[0].text: 0.55, gold[1].text: 0.98}), gold, rows)
    assert [r["uid"] for r in ranked] == ["y", "x"]
    assert [r["o_prob"] for r in ranked] == [0.98, 0.55]


def test_reliability_bins_agree_with_ece():
    scores = [0.05, 0.15, 0.95, 0.92, 0.97, 0.55, 0.58]
    correct = [False, False, True, True, False, True, False]
    bins = reliability_bins(scores, correct)
    assert sum(b["spans"] for b in bins) == len(scores)
    top = bins[-1]
    assert (top["bin_low"], top["spans"]) == (0.9, 3) and abs(top["accuracy"] - 2 / 3) < 1e-9
    ece = sum(b["spans"] / len(scores) * abs(b["accuracy"] - b["mean_score"]) for b in bins)
    assert abs(ece - expected_calibration_error(scores, correct)) < 1e-9


def _metrics(train_sentences, f1):
    per = {lab: {"f1": f1, "precision": f1, "recall": f1, "support": 1, "predicted": 1}
           for lab in ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE", "micro")}
    return {"sizes": {"train": train_sentences}, "train_seconds": 1.0, "epochs_run": 2, "best_epoch": 2.0,
            "train_documents": train_sentences // 2, "dev": {"sentences": 5, "strict": per, "overlap": per}}


def test_learning_curve_points_and_checks(tmp_path: Path):
    point = summarise_point(0.5, _metrics(100, 0.6))
    assert point["dev"]["overlap"]["macro"] == 0.6 and point["train_documents"] == 50
    result = {"points": [summarise_point(1.0, _metrics(200, 0.8)), point]}
    table = tables.learning_curve_table(result)
    assert list(table["fraction"]) == [0.5, 1.0] and list(table["overlap macro F1"]) == [0.6, 0.8]
    assert parse_fractions("1, 0.25,0.5") == [0.25, 0.5, 1.0]
    for bad in ("0,0.5", "1.5", "half", ""):
        with pytest.raises(TolltraceError, match="E070"):
            parse_fractions(bad)
    with pytest.raises(TolltraceError, match="E070"):
        check_fractions([])
    path = tmp_path / "lc.json"
    path.write_text(json.dumps(result))
    assert load_result(path)["points"][0]["fraction"] == 1.0
    path.write_text('{"points": [{"fraction": 1}]}')
    with pytest.raises(TolltraceError, match=r"E071.*point 0"):
        load_result(path)
    with pytest.raises(TolltraceError, match="E071"):
        load_result(tmp_path / "missing.json")


def test_learning_curve_cli_refuses_bad_fractions_and_the_default_model_dir():
    from typer.testing import CliRunner

    from tolltrace.cli import app

    res = CliRunner().invoke(app, ["learning-curve", "--config", "training/configs/learning-curve.yaml",
                                   "--fractions", "0,2"])
    assert res.exit_code == 2 and "E070" in res.output
    res = CliRunner().invoke(app, ["learning-curve", "--config", "training/configs/learning-curve.yaml",
                                   "--fractions", "0.5", "--work-dir", "models/tolltrace-minilm"])
    assert res.exit_code == 2 and "default model directory" in res.output


DOCS = [
    {"id": "r1", "published": "2017-02-08", "outlet": "A",
     "text": "At least 30 people died in airstrikes on Idlib, Syria on Tuesday, witnesses said. "
             "The toll since November 27 rose to 56, the group added."},
    {"id": "r2", "published": "2017-02-09", "outlet": "B",
     "text": "The Syrian Observatory said 26 were killed in air strikes on Idlib, Syria on Tuesday. "
             "Ten children were among them."},
    {"id": "r4", "published": "2017-02-08", "text": "In Idlib, Syria, the army denied that its jets hit a market on Tuesday."},
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    run(src, folder / "out", PhraseTagger(PHRASES), policy="conservative")
    return folder / "out"


def test_batch_output_tables_match_the_job(run_dir: Path):
    out = load_run(run_dir)
    incidents = tables.incident_table(out)
    (tue,) = incidents[incidents["date"] == "2017-02-07"]["incident"]
    figures = tables.policy_table(out)
    got = {p: tuple(figures[(figures["incident"] == tue) & (figures["toll"] == "killed")
                            & (figures["policy"] == p)][["low", "best", "high"]].iloc[0])
           for p in ("conservative", "ucdp", "range")}
    assert got["conservative"] == (26, 26, 30) and got["ucdp"] == (26, 26, 30)
    assert got["range"][0] == 26 and got["range"][2] == 30 and pd.isna(got["range"][1])
    for inc in out.incidents:  # the recomputed conservative toll is the one the job wrote
        if inc["killed"]:
            row = figures[(figures["incident"] == inc["incident_id"]) & (figures["toll"] == "killed")
                          & (figures["policy"] == "conservative")].iloc[0]
            assert (row["low"], row["best"], row["high"]) == tuple(inc["killed"][k] for k in ("low", "best", "high"))
    wide = tables.policy_wide(figures)
    assert list(wide.columns.get_level_values(0)[:3]) == ["conservative"] * 3
    claims = tables.claim_table(out)
    assert set(claims["type"]) <= {"killed", "injured"}
    assert claims.loc[claims["text"] == "30 people", "source"].item() == "witnesses"
    assert claims.loc[claims["text"] == "56", "cumulative"].item()
    denials = tables.denial_table(out)
    assert list(denials["by"]) == ["the army"] and list(denials["incident"]) == [tue]
    locations = tables.location_table(out)
    assert set(locations["place"]) == {"Idlib"} and locations["lat (deg N)"].between(35, 37).all()
    fig = plots.incident_claims_timeline(claims, tue, figures, event_date="2017-02-07")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2017-02-07", "2017-02-08", "2017-02-09"]
    _check_labelled(fig)
    _check_labelled(plots.incident_map(locations))


def test_claim_from_json_round_trips(run_dir: Path):
    for rec in load_run(run_dir).claims:
        assert claim_from_json(rec).to_json() == rec


def test_load_run_names_missing_files_and_bad_lines(tmp_path: Path, run_dir: Path):
    with pytest.raises(TolltraceError, match=r"E072.*incidents.jsonl"):
        load_run(tmp_path)
    for name in ("incidents.jsonl", "claims.jsonl", "articles.jsonl"):
        (tmp_path / name).write_text((run_dir / name).read_text())
    with (tmp_path / "claims.jsonl").open("a") as fh:
        fh.write("{not json\n")
    lines = (tmp_path / "claims.jsonl").read_text().count("\n")
    with pytest.raises(TolltraceError, match=rf"E073.*claims.jsonl, line {lines}"):
        load_run(tmp_path)


def _check_labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_xlabel() or ax.get_ylabel() or ax.get_title()]
    assert axes, "no labelled axes"
    assert fig._suptitle is not None or any(ax.get_title() for ax in fig.axes)
    assert any(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes)
    # units or scale named on the value axis
    assert any("(" in ax.get_ylabel() for ax in axes)
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders on Agg


def test_every_chart_has_title_labels_and_units():
    st, sp = tables.sentence_table(GOLD), tables.span_table(GOLD)
    _check_labelled(plots.label_counts(tables.corpus_overview(st, "split")))
    _check_labelled(plots.span_lengths(sp))
    agr = {"strict": {}, "overlap": {}}
    for per_label in agr.values():
        for lab in ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE", "micro"):
            per_label[lab] = {"f1": 0.9, "support": 3, "predicted": 3}
    _check_labelled(plots.agreement_bars(tables.agreement_table(agr)))
    pred = [[Span(9, 18, "KILLED", 0.9)], [], [], [Span(0, 13, "KILLED", 0.4)]]
    result = score_predictions(GOLD, pred)
    bars = plots.prf_bars(tables.score_table({"m": result}), "t")
    _check_labelled(bars)
    assert "CI" in bars.axes[2].get_title() and bars.axes[2].lines  # F1 bars carry their intervals
    without = plots.prf_bars(tables.score_table({"m": score_predictions(GOLD, pred, n_resamples=0)}), "t")
    assert without.axes[2].get_title() == "F1" and not without.axes[2].lines
    _check_labelled(plots.confusion_heatmap(tables.confusion_table(result), "t"))
    _check_labelled(plots.reliability_diagram(reliability_bins([0.9, 0.4], [True, False]), "t", 0.1))
    curve = tables.learning_curve_table({"points": [summarise_point(0.5, _metrics(100, 0.6)),
                                                    summarise_point(1.0, _metrics(200, 0.7))]})
    fig = plots.learning_curve(curve, baseline={"macro": 0.5}, reference={"documents": 120, "macro": 0.75})
    _check_labelled(fig)
    assert "F1" in fig.axes[0].get_ylabel() and "documents" in fig.axes[0].get_xlabel()


def test_error_frame_keeps_the_span_visible_in_long_sentences():
    text = "x " * 200 + "seven people died" + " y" * 200
    row = {"kind": "missed", "label": "KILLED", "gold": "seven people", "predicted": None, "sentence": text}
    shown = tables.error_frame([row], context=20)["sentence"][0]
    assert "[seven people]" in shown and shown.startswith("...") and shown.endswith("...")
    assert len(shown) <= 20 * 2 + len("[seven people]") + 6
    assert tables.error_frame([row], context=None)["sentence"][0] == text.replace("seven people", "[seven people]")


def test_notebooks_cli_rejects_unknown_names(tmp_path: Path):
    from typer.testing import CliRunner

    from tolltrace.cli import app

    res = CliRunner().invoke(app, ["notebooks", "99", "--output", str(tmp_path)])
    assert res.exit_code == 2 and "no notebook matches" in res.output
    assert not any(tmp_path.iterdir())
