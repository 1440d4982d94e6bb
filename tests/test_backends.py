"""The int8 CPU backend: loads, tags like fp32 on the seed sentences, and bad backends are coded errors."""

import pytest

from tolltrace.config import DEFAULT_MODEL_DIR, SAMPLES_DIR
from tolltrace.errors import TolltraceError
from tolltrace.reader import iter_articles
from tolltrace.segment import segment_article
from tolltrace.tagger import Tagger


def test_unknown_backend_is_refused():
    with pytest.raises(TolltraceError, match=r"\[E062\]"):
        Tagger.load(DEFAULT_MODEL_DIR, backend="fp8")


def test_int8_quantises_the_linear_layers_and_agrees_with_fp32_on_the_seeds():
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    import torch

    fp32, int8 = Tagger.load(DEFAULT_MODEL_DIR), Tagger.load(DEFAULT_MODEL_DIR, backend="int8")
    linear = [m for m in int8.model_.modules() if type(m) is torch.nn.Linear]
    quantised = [m for m in int8.model_.modules() if "quantized" in type(m).__module__]
    assert not linear and len(quantised) >= 36          # 6 layers x (q, k, v, o, up, down) + classifier
    texts = [s.text for a in iter_articles(SAMPLES_DIR) for s in segment_article(a)]
    a = [{(s.start, s.end, s.label) for s in spans} for spans in fp32.predict(texts)]
    b = [{(s.start, s.end, s.label) for s in spans} for spans in int8.predict(texts)]
    total = sum(len(x | y) for x, y in zip(a, b))
    same = sum(len(x & y) for x, y in zip(a, b))
    assert total > 100 and same / total >= 0.95, (same, total)
