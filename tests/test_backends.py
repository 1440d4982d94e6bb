"""Precision backends: bf16 and int8 load and tag like fp32 on the seed sentences, ``auto`` picks bf16 only
where the hardware has it, and bad backends are coded errors."""

import pytest

from tolltrace.config import DEFAULT_MODEL_DIR, SAMPLES_DIR
from tolltrace.errors import TolltraceError
from tolltrace.reader import iter_articles
from tolltrace.segment import segment_article
from tolltrace.tagger import Tagger, resolve_backend


def test_unknown_backend_is_refused():
    with pytest.raises(TolltraceError, match=r"\[E062\]"):
        Tagger.load(DEFAULT_MODEL_DIR, backend="fp8")


def test_int8_quantises_the_linear_layers_and_agrees_with_fp32_on_the_seeds():
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    import torch

    fp32, int8 = Tagger.load(DEFAULT_MODEL_DIR, backend="fp32"), Tagger.load(DEFAULT_MODEL_DIR, backend="int8")
    linear = [m for m in int8.model_.modules() if type(m) is torch.nn.Linear]
    quantised = [m for m in int8.model_.modules() if "quantized" in type(m).__module__]
    assert not linear and len(quantised) >= 36          # 6 layers x (q, k, v, o, up, down) + classifier
    texts = [s.text for a in iter_articles(SAMPLES_DIR) for s in segment_article(a)]
    a = [{(s.start, s.end, s.label) for s in spans} for spans in fp32.predict(texts)]
    b = [{(s.start, s.end, s.label) for s in spans} for spans in int8.predict(texts)]
    total = sum(len(x | y) for x, y in zip(a, b))
    same = sum(len(x & y) for x, y in zip(a, b))
    assert total > 100 and same / total >= 0.95, (same, total)


def _seed_spans(tagger) -> list[set]:
    texts = [s.text for a in iter_articles(SAMPLES_DIR) for s in segment_article(a)]
    return [{(s.start, s.end, s.label) for s in spans} for spans in tagger.predict(texts)]


def test_bf16_runs_in_bfloat16_and_agrees_with_fp32_on_the_seeds():
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    import torch

    bf16 = Tagger.load(DEFAULT_MODEL_DIR, backend="bf16")
    assert {p.dtype for p in bf16.model_.parameters()} == {torch.bfloat16}
    a, b = _seed_spans(Tagger.load(DEFAULT_MODEL_DIR, backend="fp32")), _seed_spans(bf16)
    total = sum(len(x | y) for x, y in zip(a, b))
    same = sum(len(x & y) for x, y in zip(a, b))
    assert total > 100 and same / total >= 0.97, (same, total)


def test_auto_picks_bf16_only_where_the_hardware_computes_it(monkeypatch):
    import torch

    assert resolve_backend("int8") == "int8" and resolve_backend("fp32") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert resolve_backend("auto", "cpu") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    assert resolve_backend("auto", "cpu") == "bf16"
