"""The committed gold data: valid, joined with the shared corpora, and of the promised size and mix."""

import json

import pytest
from typer.testing import CliRunner

from tolltrace.cli import app
from tolltrace.config import CORPORA_DIR


@pytest.fixture(scope="module")
def stats():
    if not CORPORA_DIR.is_dir():
        pytest.fail(f"shared corpora not found at {CORPORA_DIR} (set TOLLTRACE_CORPORA)")
    result = CliRunner().invoke(app, ["data", "check", "--json"])
    assert result.exit_code == 0, result.output[-2000:]
    return json.loads(result.output)


def test_gold_data_validates_without_errors(stats):
    assert stats["errors"] == []


def test_volume_and_mix_of_real_text(stats):
    real = stats["real"]
    assert real["sentences"] >= 3000
    assert real["documents"] >= 300
    assert len([c for c in stats["corpora"] if c not in ("seeds", "written")]) >= 4
    assert real["sentences_with_casualty"] >= 1200
    assert real["sentences_with"]["DENIAL"] >= 150
    assert real["spans"]["INJURED"] >= 300
    assert real["sentences_without_spans"] >= 800
    assert stats["corpora"]["seeds"] == 174  # every sentence of the five seed articles


def test_splits_are_by_document_and_test_is_real_and_large(stats):
    splits = stats["splits"]
    assert set(splits) == {"train", "dev", "test"}
    assert splits["test"]["sentences"] >= 450 and splits["test"]["written"] == 0
    assert splits["dev"]["written"] == 0
    assert splits["train"]["written"] <= 0.2 * splits["train"]["sentences"]


def test_double_annotation_and_agreement_reported(stats):
    assert stats["double_annotated"] >= 0.1 * stats["real"]["sentences"]
    assert set(stats["agreement"]) == {"KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE"}
    assert all(0.0 < f1 <= 1.0 for f1 in stats["agreement"].values())
