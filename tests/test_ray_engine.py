"""``--engine ray``: the same outputs as the local engine, on a local Ray instance (skipped without Ray)."""

import importlib.util

import pytest

from tolltrace.batch import run
from tolltrace.config import DEFAULT_MODEL_DIR, SAMPLES_DIR
from tolltrace.errors import TolltraceError
from tolltrace.tagger import Tagger, TaggerSpec

OUTPUTS = ("sentences.jsonl", "claims.jsonl", "incidents.jsonl", "incidents.csv", "articles.jsonl", "errors.jsonl",
           "report.html")


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_engine_matches_the_local_engine_on_the_samples(tmp_path, local_ray):
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    spec = TaggerSpec(str(DEFAULT_MODEL_DIR.resolve()))
    local = run(SAMPLES_DIR, tmp_path / "local", Tagger.load(DEFAULT_MODEL_DIR), shard_size=2)
    on_ray = run(SAMPLES_DIR, tmp_path / "ray", spec, shard_size=2, engine="ray", num_actors=2)
    assert on_ray.shards_done == 3 and local.shards_done == 3 and on_ray.claims == local.claims > 0
    for name in OUTPUTS:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    # same arguments, other engine: the finished shards are reused, not redone
    again = run(SAMPLES_DIR, tmp_path / "ray", Tagger.load(DEFAULT_MODEL_DIR), shard_size=2)
    assert again.shards_done == 0 and again.shards_skipped == 3


def test_missing_ray_is_a_coded_error(monkeypatch, tmp_path):
    if importlib.util.find_spec("ray") is not None:
        import builtins

        real_import = builtins.__import__

        def no_ray(name, *args, **kwargs):
            if name == "ray" or name.startswith("ray."):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_ray)
    from test_claims_incidents import PHRASES, PhraseTagger

    with pytest.raises(TolltraceError, match=r"\[E061\]"):
        run(SAMPLES_DIR, tmp_path / "out", PhraseTagger(PHRASES), engine="ray")
