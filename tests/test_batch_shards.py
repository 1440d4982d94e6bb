"""Sharded batch runs: resume after kill -9, refusal of mixed runs, cross-shard incidents, Parquet."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_claims_incidents import PHRASES, PhraseTagger

from tolltrace.batch import run
from tolltrace.config import DEFAULT_MODEL_DIR, SAMPLES_DIR
from tolltrace.errors import TolltraceError
from tolltrace.reader import iter_articles

OUTPUTS = ("sentences.jsonl", "claims.jsonl", "incidents.jsonl", "incidents.csv", "articles.jsonl", "errors.jsonl",
           "report.html")
REPO = Path(__file__).resolve().parents[1]


def _sample_jsonl(path: Path, copies: int) -> Path:
    """The seed articles, each copied ``copies`` times under new ids (plus one broken line)."""
    articles = [a for a in iter_articles(SAMPLES_DIR)]
    with path.open("w", encoding="utf-8") as fh:
        for k in range(copies):
            for a in articles:
                fh.write(json.dumps({"id": f"{a.id}-{k}", "text": a.text, "title": a.title,
                                     "published": a.published, "outlet": a.outlet, "url": a.url}) + "\n")
        fh.write("{not json\n")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tolltrace", "run", *args]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_killed_run_resumes_without_redoing_shards_and_matches_an_uninterrupted_run(tmp_path):
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    src = _sample_jsonl(tmp_path / "in.jsonl", copies=3)   # 16 input lines -> 8 shards of 2
    args = ["--input", str(src), "--model", str(DEFAULT_MODEL_DIR), "--shard-size", "2"]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    subprocess.run(_cli(*args, "--output", str(whole)), env=_env(), check=True, capture_output=True, timeout=600)

    proc = subprocess.Popen(_cli(*args, "--output", str(broken)), env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    shards = broken / "shards"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(shards.glob("*.done.json")) and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted(shards.glob("*.done.json"))
    assert finished, "no shard finished before the kill"
    assert len(finished) < 8, "the run ended before it could be killed; nothing was resumed"
    assert not (broken / "claims.jsonl").exists()
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards.iterdir()
            if p.name.split(".")[0] in {f.name.split(".")[0] for f in finished}}

    resumed = subprocess.run(_cli(*args, "--output", str(broken)), env=_env(), check=True, capture_output=True,
                             text=True, timeout=600)
    for f in finished:
        assert f"shard {f.name.split('.')[0]} already finished, skipped" in resumed.stderr
    assert f"{len(finished)} resumed" in resumed.stdout
    after = {name: ((shards / name).stat().st_ino, (shards / name).stat().st_mtime_ns) for name in kept}
    assert after == kept                      # finished shards were neither rewritten nor replaced
    assert not list(shards.glob("*.tmp"))
    for name in OUTPUTS:
        assert (broken / name).read_bytes() == (whole / name).read_bytes(), name
    assert len((whole / "articles.jsonl").read_text().splitlines()) == 15
    assert "[E035]" in (whole / "errors.jsonl").read_text()


def test_other_arguments_into_the_same_folder_are_refused(tmp_path):
    out = tmp_path / "out"
    run(SAMPLES_DIR, out, PhraseTagger(PHRASES), shard_size=2)
    with pytest.raises(TolltraceError, match=r"\[E060\].*shard_size"):
        run(SAMPLES_DIR, out, PhraseTagger(PHRASES), shard_size=3)
    summary = run(SAMPLES_DIR, out, PhraseTagger(PHRASES), shard_size=3, restart=True)
    assert summary.shards_done == 2 and summary.shards_skipped == 0
    assert sorted(p.name for p in (out / "shards").glob("*.done.json")) == ["part-00000.done.json",
                                                                             "part-00001.done.json"]


def test_incidents_are_the_same_whatever_the_shard_size(tmp_path):
    one = run(SAMPLES_DIR, tmp_path / "one", PhraseTagger(PHRASES), shard_size=1)
    all_ = run(SAMPLES_DIR, tmp_path / "all", PhraseTagger(PHRASES), shard_size=100)
    assert one.shards_done == 5 and all_.shards_done == 1
    assert one.incidents >= 1
    for name in OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "all" / name).read_bytes(), name


def test_parquet_input_and_output_hold_the_same_records(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tolltrace.recordio import read_records

    src = _sample_jsonl(tmp_path / "in.jsonl", copies=1)
    rows = [json.loads(line) for line in src.read_text().splitlines()[:-1]]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet", row_group_size=2)
    run(src, tmp_path / "j", PhraseTagger(PHRASES), shard_size=2)
    run(tmp_path / "in.parquet", tmp_path / "p", PhraseTagger(PHRASES), shard_size=2, fmt="parquet")
    for name in ("sentences", "claims", "articles"):
        jsonl = list(read_records(tmp_path / "j" / f"{name}.jsonl", name))
        parquet = list(read_records(tmp_path / "p" / f"{name}.parquet", name, "parquet"))
        assert jsonl and parquet == jsonl, name
    # the JSONL input's broken last line is its only error; the Parquet input has none
    assert len(list(read_records(tmp_path / "j" / "errors.jsonl", "errors"))) == 1
    assert list(read_records(tmp_path / "p" / "errors.parquet", "errors", "parquet")) == []
    assert (tmp_path / "p" / "incidents.jsonl").read_bytes() == (tmp_path / "j" / "incidents.jsonl").read_bytes()


def test_parquet_input_without_text_column_is_a_coded_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"id": "a", "body": "Two died."}]), tmp_path / "in.parquet")
    with pytest.raises(TolltraceError, match=r"\[E065\]"):
        run(tmp_path / "in.parquet", tmp_path / "out", PhraseTagger(PHRASES))
