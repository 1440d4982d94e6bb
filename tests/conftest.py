from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tolltrace import config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tagger():
    """The trained default model, loaded once for every test that reads its predictions."""
    from tolltrace.tagger import Tagger

    if not (config.DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {config.DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    return Tagger.load(config.DEFAULT_MODEL_DIR)


@pytest.fixture(scope="session")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(config.default_base_model())


@pytest.fixture()
def tiny_corpora(tmp_path: Path) -> Path:
    """A corpora folder with one small Gaza-format file, for loader tests."""
    folder = tmp_path / "corpora"
    folder.mkdir()
    with (folder / "gaza_casualty_sentences.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["outlet", "article_title", "article_date", "sentence"])
        w.writerow(["nyt", "Strike hits camp", "10/12/2023", "At least 12 people were killed, officials said."])
        w.writerow(["nyt", "Strike hits camp", "10/12/2023", "The army denied the report."])
    return folder
