"""Acceptance on the five seed articles, with the real default model (issue: the batch job)."""

import csv
import json

import pytest
from typer.testing import CliRunner

from tolltrace.cli import app
from tolltrace.config import DEFAULT_MODEL_DIR, SAMPLES_DIR


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    folder = tmp_path_factory.mktemp("seeds-run")
    result = CliRunner().invoke(app, ["run", "--input", str(SAMPLES_DIR), "--output", str(folder)])
    assert result.exit_code == 0, result.output
    assert "articles 5" in result.output and "errors 0" in result.output
    load = lambda name: [json.loads(x) for x in (folder / name).read_text(encoding="utf-8").splitlines()]  # noqa: E731
    return {"incidents": load("incidents.jsonl"), "claims": {c["claim_id"]: c for c in load("claims.jsonl")},
            "articles": {a["article_id"]: a for a in load("articles.jsonl")}, "dir": folder}


def _incident_of(out, article_prefix, place, day_prefix):
    found = [i for i in out["incidents"] if any(a.startswith(article_prefix) for a in i["articles"])
             and (i["location"] or {}).get("name") == place and str(i["date"]).find(day_prefix) >= 0]
    assert len(found) == 1, [(i["incident_id"], i["articles"]) for i in out["incidents"]]
    return found[0]


def test_2017_idlib_strikes_are_one_contested_incident(out):
    inc = _incident_of(out, "000", "Idlib", "2017-02-07")
    claims = [out["claims"][c] for c in inc["claims"]]
    by_value = {}
    for c in claims:
        by_value.setdefault(c["value"], []).append(c)
    assert any("witnesses and rescue workers" in s for c in by_value[30] for s in c["sources"])
    assert any("Syrian Observatory" in s for c in by_value[26] for s in c["sources"])
    assert all(any(h.lower() == "at least" for h in c["hedges"]) for c in by_value[26] + by_value[30][:1])
    assert any("expected to rise" in h for c in claims for h in c["hedges"])
    assert any("Defense Ministry" in by for d in inc["denials"] for by in d["by"])
    assert inc["grade"] == "contested" and all(c["denied"] for c in claims)
    assert (inc["killed"]["low"], inc["killed"]["best"], inc["killed"]["high"]) == (26, 26, 30)
    assert inc["killed"]["open_high"] is True
    assert out["articles"]["000_651801547bc35da1"]["main_incident"] == inc["incident_id"]


def test_arbin_is_a_separate_incident(out):
    arbin = _incident_of(out, "000", "Arbin", "2017-02-07")
    idlib = _incident_of(out, "000", "Idlib", "2017-02-07")
    assert arbin["incident_id"] != idlib["incident_id"]
    assert arbin["killed"]["best"] == 4 and arbin["grade"] != "contested"


def test_december_2024_wire_story_is_one_incident_with_one_independent_source(out):
    inc = _incident_of(out, "002", "Idlib", "2024-12-01")
    assert {"002_0ed98a606f84a882", "003_0e069a13a0a5f6db"} <= set(inc["articles"])
    assert inc["independent_sources"] == 1
    assert out["articles"]["002_0ed98a606f84a882"]["main_incident"] == inc["incident_id"]
    assert out["articles"]["003_0e069a13a0a5f6db"]["main_incident"] == inc["incident_id"]
    totals = [out["claims"][c] for c in inc["context_claims"] if out["claims"][c]["value"] == 56]
    assert len(totals) == 2 and all(c["cumulative"] for c in totals)     # "56 since November 27", both copies
    assert inc["killed"]["high"] < 56 and inc["killed"]["best"] == 25


def test_other_years_are_other_incidents(out):
    inc_2019 = _incident_of(out, "001", "Idlib", "2019-03")
    assert inc_2019["articles"] == ["001_ed0805f937f49b80"] and inc_2019["killed"]["best"] == 15


def test_all_outputs_are_written(out):
    for name in ("sentences.jsonl", "claims.jsonl", "incidents.jsonl", "incidents.csv", "articles.jsonl",
                 "errors.jsonl", "report.html"):
        assert (out["dir"] / name).stat().st_size > 0 or name == "errors.jsonl"
    rows = list(csv.DictReader((out["dir"] / "incidents.csv").open(encoding="utf-8")))
    assert len(rows) == len(out["incidents"])


def test_policies_change_the_figures(tmp_path):
    folder = tmp_path / "ucdp"
    result = CliRunner().invoke(app, ["run", "--input", str(SAMPLES_DIR), "--output", str(folder), "--policy", "ucdp"])
    assert result.exit_code == 0, result.output
    incidents = [json.loads(x) for x in (folder / "incidents.jsonl").read_text().splitlines()]
    (inc,) = [i for i in incidents if (i["location"] or {}).get("name") == "Idlib" and i["date"] == "2017-02-07"]
    assert (inc["killed"]["low"], inc["killed"]["best"], inc["killed"]["high"]) == (26, 30, 30)
    bad = CliRunner().invoke(app, ["run", "--input", str(SAMPLES_DIR), "--output", str(folder), "--policy", "max"])
    assert bad.exit_code == 2 and "--policy must be one of" in bad.output


def test_a_broken_article_is_reported_and_the_rest_processed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("At least 12 people were killed in Idlib, Syria on Tuesday, medics said.")
    (src / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    result = CliRunner().invoke(app, ["run", "--input", str(src), "--output", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "broken.txt" in result.output and "articles 1" in result.output and "errors 1" in result.output
    errors = (tmp_path / "o" / "errors.jsonl").read_text()
    assert "broken.txt" in errors
