"""Throughput benchmark: tolltrace's tagging path against the plain ``transformers`` pipeline.

One run measures, on the same sentences and the same trained model:

* (a) tolltrace's tagging path: ``tag_articles`` (segment, then tag the sentences of
  all articles together, sorted by length, ``--batch-size`` per forward pass), for the
  fp32, bf16 and int8 backends (the default is what ``--backend auto`` picks here);
* (b) ``pipeline("token-classification", aggregation_strategy="simple")`` fed one
  sentence at a time;
* the machine's compute limit: achievable matmul GFLOP/s measured with torch on the
  model's own layer shapes, divided by the model's FLOPs per sentence;
* a scaling curve: the whole ``tolltrace run`` job on 1x, 4x and 16x inputs, with
  time and peak memory for each (time should grow linearly, memory stay flat).

Each measurement runs in a fresh child process so its peak RSS is its own.

    python benchmarks/throughput.py [--json] [--quick] [--model DIR] [--batch-size N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ("fp32", "bf16", "int8")  # measured side by side; the default is whichever `auto` picks here
sys.path.insert(0, str(REPO / "src"))


# ------------------------------------------------------------------ children
def _threads() -> int:
    import torch

    n = os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


def _articles(copies: int):
    """The seed articles, ``copies`` times (new ids), as cleaned articles."""
    from dataclasses import replace

    from tolltrace.config import SAMPLES_DIR
    from tolltrace.reader import iter_articles

    base = [a for a in iter_articles(SAMPLES_DIR)]
    return [replace(a, id=f"{a.id}-{k}") for k in range(copies) for a in base]


def child_tolltrace(args: dict) -> dict:
    from tolltrace.batch import tag_articles
    from tolltrace.segment import segment_article
    from tolltrace.tagger import Tagger

    _threads()
    tagger = Tagger.load(args["model"], batch_size=args["batch_size"], backend=args["backend"])
    tagger.max_tokens = args["max_tokens"]
    articles = _articles(args["copies"])
    tag_articles(tagger, articles[:5])  # warm-up
    t0 = time.perf_counter()
    tagged = tag_articles(tagger, articles)
    seconds = time.perf_counter() - t0
    n_sent = sum(len(t.sentences) for t in tagged)
    texts = [s.text for a in articles for s in segment_article(a)]
    tokens = sum(len(ids) for ids in tagger.tokenizer_(texts, truncation=True,
                                                       max_length=tagger.max_length_)["input_ids"])
    return {"seconds": seconds, "sentences": n_sent, "articles": len(articles), "tokens": tokens,
            "spans": sum(len(s) for t in tagged for s in t.spans)}


def child_pipeline(args: dict) -> dict:
    import transformers
    from transformers import pipeline

    from tolltrace.segment import segment_article

    _threads()
    transformers.logging.set_verbosity_error()
    pipe = pipeline("token-classification", model=args["model"], aggregation_strategy="simple", device=-1)
    articles = _articles(args["copies"])
    texts = [s.text for a in articles for s in segment_article(a)]
    for text in texts[:10]:  # warm-up
        pipe(text)
    t0 = time.perf_counter()
    entities = 0
    for text in texts:
        entities += len(pipe(text))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "sentences": len(texts), "articles": len(articles), "spans": entities}


def child_matmul(args: dict) -> dict:
    """Achievable GFLOP/s on this machine for the encoder's own GEMM shapes (fp32, bf16 and dynamic int8)."""
    import torch

    from tolltrace.tagger import quantize_int8

    threads = _threads()
    h, inter, rows = args["hidden"], args["intermediate"], args["rows"]
    out = {"threads": threads}
    with torch.inference_mode():
        x = torch.randn(rows, h)
        for name, shape in (("qkvo", (h, h)), ("ffn_up", (h, inter)), ("ffn_down", (inter, h))):
            inp = x if shape[0] == h else torch.randn(rows, inter)
            for backend in BACKENDS:
                layer = torch.nn.Sequential(torch.nn.Linear(*shape)).eval()
                x_in = inp
                if backend == "int8":
                    layer = quantize_int8(layer)
                elif backend == "bf16":
                    layer, x_in = layer.to(torch.bfloat16), inp.to(torch.bfloat16)
                for _ in range(5):
                    layer(x_in)
                reps, t0 = 30, time.perf_counter()
                for _ in range(reps):
                    layer(x_in)
                dt = time.perf_counter() - t0
                out[f"{backend}_{name}_gflops"] = 2 * rows * shape[0] * shape[1] * reps / dt / 1e9
    for backend in BACKENDS:
        # weighted by how many FLOPs each shape contributes per layer (4 h*h, 1 h*i, 1 i*h)
        flops = {"qkvo": 4 * h * h, "ffn_up": h * inter, "ffn_down": inter * h}
        total_time = sum(flops[k] / out[f"{backend}_{k}_gflops"] for k in flops)
        out[f"{backend}_gflops"] = sum(flops.values()) / total_time
    return out


def child_run(args: dict) -> dict:
    from tolltrace.batch import run
    from tolltrace.gazetteer import default_gazetteer
    from tolltrace.tagger import Tagger

    _threads()
    tagger = Tagger.load(args["model"], batch_size=args["batch_size"], backend=args["backend"])
    tagger.max_tokens = args["max_tokens"]
    gazetteer = default_gazetteer()  # a fixed start-up cost (about 5 s), kept out of the per-input time
    t0 = time.perf_counter()
    summary = run(Path(args["input"]), Path(args["output"]), tagger, shard_size=args["shard_size"],
                  gazetteer=gazetteer)
    return {"seconds": time.perf_counter() - t0, "articles": summary.articles, "sentences": summary.sentences,
            "claims": summary.claims, "incidents": summary.incidents}


CHILDREN = {"tolltrace": child_tolltrace, "pipeline": child_pipeline, "matmul": child_matmul, "run": child_run}


def _spawn(kind: str, args: dict) -> dict:
    """Run one measurement in a fresh interpreter; add its own peak RSS (MB)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind, json.dumps(args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {kind} failed ({proc.returncode}); run it by hand: "
                           f"{sys.executable} {__file__} --child {kind} '{json.dumps(args)}'")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


# ------------------------------------------------------------------ the model's FLOPs
def flops_per_token(config: dict, mean_len: float) -> float:
    """Multiply-adds x 2 per token of a BERT encoder plus its token-classification head.

    Per layer: Q, K, V and output projections (4 h^2), the feed-forward block (2 h i),
    and attention scores and mixing (2 L h, L = sequence length). The embedding lookup
    and softmax / layer norm are memory-bound and not counted.
    """
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    per_layer = 4 * h * h + 2 * h * i + 2 * mean_len * h
    return 2 * (layers * per_layer + h * len(config["id2label"]))


# ------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--quick", action="store_true", help="fewer sentences and a smaller scaling curve")
    parser.add_argument("--model", default=str(REPO / "models" / "tolltrace-minilm"))
    parser.add_argument("--batch-size", type=int, default=64, help="most sentences per forward pass")
    parser.add_argument("--max-tokens", type=int, default=None, help="most padded tokens per forward pass "
                                                                      "(default: the tagger's)")
    parser.add_argument("--copies", type=int, default=None, help="copies of the 5 seed articles to tag")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(CHILDREN[opts.child[0]](json.loads(opts.child[1]))))
        return

    from tolltrace.tagger import DEFAULT_BACKEND, MAX_TOKENS, resolve_backend

    default_backend = resolve_backend(DEFAULT_BACKEND)  # auto -> bf16 or fp32 on this machine

    copies = opts.copies or (2 if opts.quick else 8)
    base = {"model": opts.model, "batch_size": opts.batch_size, "copies": copies,
            "max_tokens": opts.max_tokens or MAX_TOKENS}
    say = (lambda *a: None) if opts.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"tagging {copies}x the 5 seed articles on {os.cpu_count()} core(s) ...")
    results = {name: _spawn("tolltrace", {**base, "backend": name}) for name in BACKENDS}
    say("plain pipeline, one sentence at a time ...")
    pipe = _spawn("pipeline", base)
    config = json.loads((Path(opts.model) / "config.json").read_text())
    say("matmul GFLOP/s ...")
    mm = _spawn("matmul", {"hidden": config["hidden_size"], "intermediate": config["intermediate_size"],
                           "rows": 2048})

    fp = results["fp32"]
    tokens_per_sentence = fp["tokens"] / fp["sentences"]
    per_token = flops_per_token(config, tokens_per_sentence)
    per_sentence = per_token * tokens_per_sentence
    limit = {b: mm[f"{b}_gflops"] * 1e9 / per_sentence for b in BACKENDS}

    say("scaling curve: the whole `tolltrace run` job on 1x, 4x, 16x inputs ...")
    scaling = []
    unit = 1 if opts.quick else 2
    with tempfile.TemporaryDirectory(prefix="tolltrace-bench-") as tmp:
        for factor in (1, 4, 16):
            src = Path(tmp) / f"in-{factor}.jsonl"
            with src.open("w", encoding="utf-8") as fh:
                for a in _articles(unit * factor):
                    fh.write(json.dumps({"id": a.id, "text": a.text, "title": a.title, "published": a.published,
                                         "outlet": a.outlet, "url": a.url}) + "\n")
            r = _spawn("run", {**base, "backend": DEFAULT_BACKEND, "input": str(src),
                               "output": str(Path(tmp) / f"out-{factor}"), "shard_size": 5 * unit})
            scaling.append({"factor": factor, **r})

    default = results[default_backend]
    report = {
        "machine": {"cpus": os.cpu_count(), "torch_threads": mm["threads"], "gpu": None},
        "sentences": fp["sentences"], "articles": fp["articles"], "batch_size": opts.batch_size,
        "max_tokens": base["max_tokens"],
        "default_backend": default_backend,
        "tolltrace_sentences_per_s": default["sentences"] / default["seconds"],
        "tolltrace_articles_per_s": default["articles"] / default["seconds"],
        "pipeline_sentences_per_s": pipe["sentences"] / pipe["seconds"],
        "pipeline_articles_per_s": pipe["articles"] / pipe["seconds"],
        "ratio": (default["sentences"] / default["seconds"]) / (pipe["sentences"] / pipe["seconds"]),
        "peak_rss_mb": default["peak_rss_mb"], "pipeline_peak_rss_mb": pipe["peak_rss_mb"],
        "backends": {b: {"sentences_per_s": r["sentences"] / r["seconds"], "articles_per_s": r["articles"] / r["seconds"],
                         "peak_rss_mb": r["peak_rss_mb"], "spans": r["spans"],
                         "compute_limit_sentences_per_s": limit[b],
                         "fraction_of_limit": (r["sentences"] / r["seconds"]) / limit[b]}
                     for b, r in results.items()},
        "compute_limit": {"tokens_per_sentence": tokens_per_sentence, "mflops_per_token": per_token / 1e6,
                          "gflops_per_sentence": per_sentence / 1e9, "matmul": mm,
                          **{f"{b}_sentences_per_s": limit[b] for b in BACKENDS}},
        "scaling": scaling,
    }
    if opts.json:
        print(json.dumps(report, indent=1))
        return
    print(f"{report['sentences']} sentences / {report['articles']} articles, {os.cpu_count()} CPU core(s), no GPU, "
          f"batch size {opts.batch_size}, max tokens {base['max_tokens']}")
    print(f"{'path':<34}{'sent/s':>9}{'art/s':>8}{'peak MB':>9}{'limit sent/s':>14}{'of limit':>10}")
    for b, r in report["backends"].items():
        print(f"{'tolltrace ' + b + (' (default)' if b == default_backend else ''):<34}{r['sentences_per_s']:>9.1f}"
              f"{r['articles_per_s']:>8.2f}{r['peak_rss_mb']:>9.0f}{r['compute_limit_sentences_per_s']:>14.1f}"
              f"{r['fraction_of_limit']:>10.2f}")
    print(f"{'pipeline, one sentence at a time':<34}{report['pipeline_sentences_per_s']:>9.1f}"
          f"{report['pipeline_articles_per_s']:>8.2f}{report['pipeline_peak_rss_mb']:>9.0f}")
    print(f"ratio tolltrace / pipeline: {report['ratio']:.2f}x")
    c = report["compute_limit"]
    print(f"compute limit: {c['mflops_per_token']:.1f} MFLOP/token x {c['tokens_per_sentence']:.1f} tokens/sentence "
          f"= {c['gflops_per_sentence']:.3f} GFLOP/sentence; matmul fp32 {mm['fp32_gflops']:.0f} GFLOP/s, "
          f"bf16 {mm['bf16_gflops']:.0f} GFLOP/s, int8 {mm['int8_gflops']:.0f} GOP/s")
    print("scaling (whole `tolltrace run`, local engine):")
    print(f"{'input':>7}{'articles':>10}{'sentences':>11}{'seconds':>9}{'s/article':>11}{'peak MB':>9}")
    for s in scaling:
        print(f"{str(s['factor']) + 'x':>7}{s['articles']:>10}{s['sentences']:>11}{s['seconds']:>9.1f}"
              f"{s['seconds'] / s['articles']:>11.3f}{s['peak_rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
