"""The ``tolltrace`` command line: thin wrappers that parse options and call the package."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tolltrace import config
from tolltrace.errors import InputError, TolltraceError

app = typer.Typer(help="Auditable casualty claims from conflict news.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
data_app = typer.Typer(help="Gold data: validate, statistics, agreement.", no_args_is_help=True)
ls_app = typer.Typer(help="Label Studio round-trip.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(ls_app, name="ls")

log = logging.getLogger("tolltrace")

AnnotationsOpt = Annotated[Path, typer.Option("--annotations", help="Annotation folder.")]
CorporaOpt = Annotated[Path, typer.Option("--corpora", help="Folder with the shared corpora (or $TOLLTRACE_CORPORA).")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Model directory (default: the bundled model).")]
BatchSizeOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Sentences per forward pass.")]
OverridesOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Config override, e.g. training.epochs=3.")]
GpuOpt = Annotated[Optional[int], typer.Option("--gpu-id", help="CUDA device; a GPU is used when present.")]
BackendOpt = Annotated[str, typer.Option("--backend", help="Inference precision: auto (bf16 where the hardware "
                                                       "computes it natively, else fp32), fp32, bf16, or int8 "
                                                       "(dynamic quantisation; see the README).")]


def _fail(err: Exception) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=2)


def _load_config(path: Path, overrides: list[str] | None):
    """The training config with ``--set`` overrides; a bad file or override ends the command with its message."""
    from tolltrace.train_config import load_config

    try:
        return load_config(path, overrides)
    except (ValueError, OSError) as err:
        _fail(err)


def _check_label(label: str) -> None:
    from tolltrace.labels import SPAN_LABELS

    if label not in SPAN_LABELS:
        _fail(TolltraceError(f"unknown label {label!r}; known: {list(SPAN_LABELS)}"))


def _check_work_dir(work_dir: Path, example: str) -> None:
    """Experiments write many models; none may overwrite the default one."""
    from tolltrace.train import resolve_path

    if resolve_path(str(work_dir), config.DEFAULT_MODEL_DIR).resolve() == config.DEFAULT_MODEL_DIR.resolve():
        _fail(ValueError(f"--work-dir must not be the default model directory; pick e.g. {example}"))


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")


@app.command()
def segment(
    input: Annotated[Path, typer.Option("--input", help="Folder of .txt/.html articles or a .jsonl file.")],
    output: Annotated[Path, typer.Option("--output", help="JSONL file of sentences to write.")],
    max_bytes: Annotated[int, typer.Option(help="Refuse articles larger than this.")] = 2_000_000,
) -> None:
    """Clean and split articles into sentences (the text pipeline alone)."""
    from tolltrace.reader import iter_articles
    from tolltrace.segment import segment_article

    n_articles = n_sentences = n_errors = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        articles = iter_articles(input, max_bytes)
        with output.open("w", encoding="utf-8") as fh:
            for item in articles:
                if isinstance(item, InputError):
                    n_errors += 1
                    typer.echo(f"skipped: {item}", err=True)
                    continue
                n_articles += 1
                for sent in segment_article(item):
                    raw_start, raw_end = item.raw_range(sent.start, sent.end)
                    fh.write(json.dumps({
                        "article_id": sent.article_id, "index": sent.index, "start": sent.start,
                        "end": sent.end, "raw_start": raw_start, "raw_end": raw_end, "text": sent.text,
                    }, ensure_ascii=False) + "\n")
                    n_sentences += 1
    except TolltraceError as err:
        _fail(err)
    typer.echo(f"articles {n_articles}  sentences {n_sentences}  errors {n_errors}  -> {output}")


@data_app.command("check")
def data_check(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the data card's tables.")] = False,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
) -> None:
    """Validate every annotation and print counts per label, split and corpus."""
    from tolltrace.datacheck import data_stats, format_markdown, format_stats

    try:
        stats = data_stats(annotations, corpora)
    except TolltraceError as err:
        _fail(err)
    if as_json:
        typer.echo(json.dumps(stats, indent=1))
    else:
        typer.echo(format_markdown(stats) if markdown else format_stats(stats))
    if stats["errors"]:
        raise typer.Exit(code=1)


@data_app.command("agreement")
def data_agreement(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
) -> None:
    """Strict and overlap span F1 per label between the two annotation passes."""
    from tolltrace.agreement import agreement

    try:
        result = agreement(annotations, corpora)
    except TolltraceError as err:
        _fail(err)
    if as_json:
        typer.echo(json.dumps(result, indent=1))
        return
    typer.echo(f"{result['sentences']} sentences annotated twice")
    typer.echo(f"{'label':<10}{'strict F1':>10}{'overlap F1':>12}{'spans A':>9}{'spans B':>9}")
    for lab, strict in result["strict"].items():
        typer.echo(f"{lab:<10}{strict['f1']:>10.3f}{result['overlap'][lab]['f1']:>12.3f}"
                   f"{strict['support']:>9}{strict['predicted']:>9}")


@data_app.command("conflicts")
def data_conflicts(
    label: Annotated[str, typer.Option(help="Span label to compare across sentences.")] = "DENIAL",
    min_words: Annotated[int, typer.Option(help="Shortest phrase to check.")] = 3,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
) -> None:
    """List phrases labelled in one real sentence and not in another that holds them (a review list)."""
    from tolltrace.annotations import load_gold
    from tolltrace.consistency import phrase_conflicts

    _check_label(label)
    try:
        gold = load_gold(annotations, corpora).sentences
    except TolltraceError as err:
        _fail(err)
    real = [s for s in gold if not s.written]
    conflicts = phrase_conflicts(real, label, min_words)
    if as_json:
        typer.echo(json.dumps([c.to_dict() for c in conflicts], indent=1))
        return
    split_of = {s.uid: s.split for s in real}
    for c in conflicts:
        typer.echo(f"{c.phrase!r}: {label} in " + ", ".join(f"{u} ({split_of[u]})" for u in c.labelled))
        for uid in c.unlabelled:
            typer.echo(f"    not in {uid} ({split_of[uid]})")
    typer.echo(f"{len(conflicts)} phrase(s) to review")


@data_app.command("label-issues")
def data_label_issues(
    config_path: Annotated[Path, typer.Option("--config", help="YAML training config for the fold taggers.")],
    output: Annotated[Path, typer.Option("--output", help="JSONL review list, worst sentence first.")] = Path(
        "reports/label-issues.jsonl"),
    folds: Annotated[int, typer.Option(help="Cross-validation folds over the training documents.")] = 2,
    label: Annotated[Optional[str], typer.Option(help="Keep only words given or predicted this label.")] = None,
    work_dir: Annotated[Path, typer.Option("--work-dir", help="Where the fold models go.")] = Path(
        "models/label-issues"),
    overrides: OverridesOpt = None,
    gpu_id: GpuOpt = None,
) -> None:
    """Train one tagger per fold and list training sentences whose gold the unseen tagger doubts (cleanlab)."""
    from tolltrace.label_issues import cross_validated_scores, find_label_issues
    from tolltrace.train import load_splits

    if label is not None:
        _check_label(label)
    cfg = _load_config(config_path, overrides)
    _check_work_dir(work_dir, "models/label-issues")
    logging.getLogger("tolltrace").setLevel(logging.INFO)
    try:
        splits = load_splits(cfg)
        scores = cross_validated_scores(cfg, splits, folds, work_dir, gpu_id)
        records = find_label_issues(splits["train"], scores, label)
    except (TolltraceError, ValueError) as err:
        _fail(err)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    words = sum(len(r["issues"]) for r in records)
    typer.echo(f"{len(records)} of {len(scores)} training sentence(s) flagged ({words} word(s)) -> {output}")


@data_app.command("freeze-test")
def data_freeze_test(
    reason: Annotated[str, typer.Option(help="Why the test split changes (kept in the lock history).")],
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
) -> None:
    """Record (or re-version) the fingerprint of the frozen test split."""
    from tolltrace.annotations import load_gold
    from tolltrace.splits import write_lock

    gold = load_gold(annotations, corpora).sentences
    lock = write_lock(annotations, [s for s in gold if s.split == "test"], reason)
    typer.echo(f"test split version {lock['version']}: {lock['sentences']} sentences, {lock['documents']} documents")


def _credentials(url: str | None, api_key: str | None) -> tuple[str | None, str | None]:
    return url or os.environ.get("LABEL_STUDIO_URL"), api_key or os.environ.get("LABEL_STUDIO_API_KEY")


UrlOpt = Annotated[Optional[str], typer.Option("--url", help="Label Studio URL (or $LABEL_STUDIO_URL).")]
KeyOpt = Annotated[Optional[str], typer.Option("--api-key", help="API key (or $LABEL_STUDIO_API_KEY); never printed.",
                                               show_default=False)]


def read_task_sentences(path: Path) -> list:
    """Sentences to push: JSONL lines with ``text`` and optional provenance and ``spans``."""
    from tolltrace.annotations import iter_jsonl, sentence_uid
    from tolltrace.errors import Errors
    from tolltrace.types import AnnotatedSentence, Span

    out = []
    for lineno, rec in iter_jsonl(path):
        where = f"{path}:{lineno}"
        if isinstance(rec, InputError):
            raise rec
        if not isinstance(rec.get("text"), str) or not rec["text"].strip():
            raise InputError(Errors.E034.format(where=where))
        corpus = rec.get("corpus") or "tasks"
        doc_id = str(rec.get("doc_id") or rec.get("id") or lineno)
        uid = rec.get("uid") or (sentence_uid(corpus, doc_id, rec["doc_start"], rec["doc_end"])
                                 if rec.get("doc_start") is not None else f"{corpus}:{doc_id}")
        spans = tuple(Span(int(s["start"]), int(s["end"]), s["label"], s.get("score")) for s in rec.get("spans", []))
        out.append(AnnotatedSentence(uid=uid, corpus=corpus, doc_id=doc_id, group=rec.get("group") or f"{corpus}:{doc_id}",
                                     text=rec["text"], spans=spans, split=rec.get("split"),
                                     written=bool(rec.get("written", False)), doc_start=rec.get("doc_start"),
                                     doc_end=rec.get("doc_end")))
    return out


@ls_app.command("push")
def ls_push(
    project: Annotated[str, typer.Option(help="Project title; created if absent, reused otherwise.")],
    input: Annotated[Path, typer.Option("--input", help="JSONL of sentences: text, optional uid/corpus/doc_id/doc_start/doc_end/spans.")],
    predictions: Annotated[bool, typer.Option("--predictions/--no-predictions",
                                              help="Import each record's 'spans' as pre-annotations.")] = False,
    predict: Annotated[bool, typer.Option("--predict", help="Tag each sentence with --model and import its spans, "
                                          "scores and model version as pre-annotations.")] = False,
    model: ModelOpt = None,
    model_version: Annotated[Optional[str], typer.Option(
        help="Model version shown on pre-annotations (default: 'input-spans', or the model's own).")] = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Create or reuse a Label Studio project and import sentences as tasks."""
    from tolltrace import labelstudio

    try:
        client = labelstudio.connect(*_credentials(url, api_key))
        sentences = read_task_sentences(input)
        pid = labelstudio.get_or_create_project(client, project)
        if predict:
            from tolltrace.active_learning import model_tasks
            from tolltrace.tagger import Tagger

            tasks = model_tasks(Tagger.load(model or config.DEFAULT_MODEL_DIR), sentences, model_version)
        else:
            tasks = [labelstudio.sentence_to_task(s, list(s.spans) if predictions else None,
                                                  model_version or "input-spans") for s in sentences]
        ids = labelstudio.push(client, pid, tasks)
    except TolltraceError as err:
        _fail(err)
    typer.echo(f"project {pid} '{project}': imported {len(ids)} new task(s) of {len(sentences)}")


@ls_app.command("pull")
def ls_pull(
    project: Annotated[str, typer.Option(help="Project title.")],
    name: Annotated[str, typer.Option(help="File name for owned-text exports under labelstudio/.")] = "pulled",
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Export annotated tasks into data/annotations (stand-off for shared-corpus text)."""
    from tolltrace import labelstudio
    from tolltrace.annotations import merge_pulled

    try:
        client = labelstudio.connect(*_credentials(url, api_key))
        pid = labelstudio.get_or_create_project(client, project)
        sentences = labelstudio.pull_sentences(client, pid)
        written = merge_pulled(sentences, annotations, name)
    except TolltraceError as err:
        _fail(err)
    typer.echo(f"pulled {len(sentences)} annotated task(s) from project {pid}")
    for path, n in written.items():
        typer.echo(f"  {n:>5} -> {path}")


@app.command("train")
def train_cmd(
    config_path: Annotated[Path, typer.Option("--config", help="YAML training config (see training/configs/).")],
    overrides: OverridesOpt = None,
    gpu_id: GpuOpt = None,
) -> None:
    """Fine-tune the tagger; writes weights, tokenizer, config, metrics.json and MODEL_CARD.md."""
    from tolltrace.model_card import write_model_card
    from tolltrace.train import train
    cfg = _load_config(config_path, overrides)
    logging.getLogger("tolltrace").setLevel(logging.INFO)
    out_dir = train(cfg, gpu_id)
    metrics = json.loads((out_dir / "metrics.json").read_text())
    write_model_card(out_dir)
    dev = metrics["dev"]
    typer.echo(f"model -> {out_dir}  ({metrics['train_seconds']:.0f}s, {metrics['epochs_run']} epochs, "
               f"best epoch {metrics['best_epoch']})")
    typer.echo("dev overlap F1: " + "  ".join(f"{k} {v['f1']:.3f}" for k, v in dev["overlap"].items()))


@app.command("learning-curve")
def learning_curve_cmd(
    config_path: Annotated[Path, typer.Option("--config", help="YAML training config, e.g. "
                                              "training/configs/learning-curve.yaml.")],
    fractions: Annotated[str, typer.Option("--fractions", help="Comma-separated shares of the training documents, "
                                           "e.g. 0.1,0.25,0.5,1.0.")],
    output: Annotated[Path, typer.Option("--output", help="JSON result file.")] = Path("reports/learning-curve.json"),
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Where the per-fraction models go "
                                                     "(default: the config's model.output_dir).")] = None,
    overrides: OverridesOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Keep points already in OUTPUT made with this config.")] = False,
    gpu_id: GpuOpt = None,
) -> None:
    """Train on fractions of the training documents and score each on dev (never test)."""
    from tolltrace.learning_curve import learning_curve, parse_fractions
    from tolltrace.train import resolve_path
    cfg = _load_config(config_path, overrides)
    _check_work_dir(work_dir or Path(cfg.model.output_dir), "models/learning-curve")
    logging.getLogger("tolltrace").setLevel(logging.INFO)
    command = "tolltrace " + " ".join(sys.argv[1:])
    try:
        result = learning_curve(cfg, parse_fractions(fractions), resolve_path(str(work_dir or cfg.model.output_dir),
                                                             config.DEFAULT_MODEL_DIR),
                                output, command=command, resume=resume, gpu_id=gpu_id)
    except TolltraceError as err:
        _fail(err)
    typer.echo(f"{'fraction':>9}{'docs':>6}{'sents':>7}{'strict macro F1':>17}{'overlap macro F1':>18}  (dev)")
    for p in result["points"]:
        typer.echo(f"{p['fraction']:>9g}{p['train_documents'] or 0:>6}{p['train_sentences']:>7}"
                   f"{p['dev']['strict']['macro']:>17.3f}{p['dev']['overlap']['macro']:>18.3f}")
    typer.echo(f"written to {output}")


@app.command("notebooks")
def notebooks_cmd(
    names: Annotated[Optional[list[str]], typer.Argument(help="Notebook name prefixes, e.g. 01 03 (default: all).")] = None,
    output: Annotated[Path, typer.Option("--output", help="Folder for the executed copies.")] = Path("outputs/notebooks"),
    timeout: Annotated[int, typer.Option(help="Seconds one cell may run.")] = 600,
) -> None:
    """Run the notebooks top to bottom in a fresh kernel; write executed copies (committed ones stay clean)."""
    from tolltrace.notebooks import execute_all

    done = execute_all(output, names, timeout)
    if not done:
        _fail(ValueError(f"no notebook matches {names}"))
    typer.echo(f"executed {len(done)} notebook(s) in {sum(t for _, t in done):.0f}s -> {output}")


@app.command("evaluate")
def evaluate_cmd(
    model: ModelOpt = None,
    split: Annotated[str, typer.Option(help="dev or test (never train).")] = "test",
    output: Annotated[Optional[Path], typer.Option(help="JSON file to write (default: MODEL/eval-SPLIT.json); "
                                                       "the error table goes next to it.")] = None,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
    backend: BackendOpt = "fp32",
    compare: Annotated[Optional[Path], typer.Option(
        "--compare", help="Another model directory: also print the paired bootstrap difference of F1, "
                          "MODEL minus this one, on the same documents.")] = None,
) -> None:
    """Score the model and the rule baseline on a held-out split.

    fp32 by default: the model's reference numbers (README, model card). ``--backend auto``
    or ``bf16`` / ``int8`` scores the faster inference paths, written with a suffix.
    Intervals are 95% percentile bootstraps over documents; ``--compare`` answers
    "is the new model better?" with a paired bootstrap instead of two separate scores.
    """
    from tolltrace.annotations import load_gold
    from tolltrace.baseline import RuleTagger
    from tolltrace.evaluate import (
        compare_predictions,
        error_table,
        evaluate_model,
        failure_examples_markdown,
        format_comparison,
        format_report,
        score_predictions,
    )
    from tolltrace.tagger import Tagger

    if split not in ("dev", "test"):
        _fail(ValueError(f"--split must be dev or test, got {split!r}: evaluation never touches training data"))
    model = model or config.DEFAULT_MODEL_DIR
    try:
        sentences = [s for s in load_gold(annotations, corpora).sentences if s.split == split]
        tagger = Tagger.load(model, backend=backend)
        other = Tagger.load(compare, backend=backend) if compare is not None else None
    except TolltraceError as err:
        _fail(err)
    backend = tagger.backend  # auto -> what it resolved to here
    predictions = tagger.predict([s.text for s in sentences])
    result = {"model": str(model), "split": split, "backend": backend,
              "tolltrace": score_predictions(sentences, predictions),
              "baseline": evaluate_model(RuleTagger(), sentences)}
    if other is not None:
        result["comparison"] = {"other_model": str(compare), **compare_predictions(
            sentences, predictions, other.predict([s.text for s in sentences]))}
    suffix = "" if backend == "fp32" else f"-{backend}"
    output = output or model / f"eval-{split}{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    rows = error_table(sentences, predictions)
    (output.parent / f"errors-{split}{suffix}.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    if split == "test" and backend == "fp32":
        (output.parent / "failure_examples.md").write_text(failure_examples_markdown(rows), encoding="utf-8")
    output.write_text(json.dumps(result, indent=1) + "\n")
    if (model / "metrics.json").is_file() and output.parent.resolve() == model.resolve() and backend == "fp32":
        from tolltrace.model_card import write_model_card

        write_model_card(model)
    typer.echo(format_report(f"tolltrace ({model.name}, {backend}) on {split}", result["tolltrace"]))
    typer.echo("")
    typer.echo(format_report(f"rule baseline on {split}", result["baseline"]))
    if other is not None:
        typer.echo("")
        typer.echo(format_comparison(f"{model.name} minus {compare.name} on {split}", result["comparison"]))
    typer.echo(f"\nwritten to {output}")


@app.command("tag")
def tag_cmd(
    input: Annotated[Path, typer.Option("--input", help="JSONL, one {\"id\", \"text\"} sentence per line.")],
    output: Annotated[Path, typer.Option("--output", help="JSONL to write, one line per good input line.")],
    model: ModelOpt = None,
    batch_size: BatchSizeOpt = 64,
    backend: BackendOpt = "auto",
) -> None:
    """Tag sentences: spans with offsets, labels and scores, plus the derived sentence labels."""
    from tolltrace.tag_io import tag_jsonl
    from tolltrace.tagger import Tagger

    try:
        tagger = Tagger.load(model or config.DEFAULT_MODEL_DIR, batch_size=batch_size, backend=backend)
        written, errors = tag_jsonl(tagger, input, output)
    except TolltraceError as err:
        _fail(err)
    for err in errors:
        typer.echo(f"skipped: {err}", err=True)
    typer.echo(f"tagged {written} sentence(s), skipped {len(errors)} -> {output}")


@app.command("run")
def run_cmd(
    input: Annotated[Path, typer.Option("--input", help="Folder of .txt/.html articles (+ optional NAME.json), "
                                                        "a .jsonl file or a .parquet file.")],
    output: Annotated[Path, typer.Option("--output", help="Folder for sentences/claims/incidents/articles/report.")],
    model: ModelOpt = None,
    policy: Annotated[str, typer.Option(help="Aggregation policy: conservative, ucdp or range.")] = "conservative",
    window_days: Annotated[int, typer.Option(help="Days apart two reports of one place may be and still merge.")] = 0,
    batch_size: BatchSizeOpt = 64,
    max_bytes: Annotated[int, typer.Option(help="Refuse articles larger than this.")] = 2_000_000,
    backend: BackendOpt = "auto",
    engine: Annotated[str, typer.Option(help="local (this process) or ray (Ray Data; pip install "
                                             "'tolltrace[ray]').")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (--engine ray); default: start "
                                                        "a local Ray instance.")] = None,
    num_actors: Annotated[int | None, typer.Option(min=1, help="Ray actors, each with one model "
                                                                  "(default: one per CPU).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Output records as jsonl or parquet.")] = "jsonl",
    shard_size: Annotated[int, typer.Option(min=1, help="Articles per shard (the unit of resuming).")] = 1000,
    restart: Annotated[bool, typer.Option(help="Discard the shards of an earlier run in --output.")] = False,
) -> None:
    """The batch job: tag articles, extract claims, aggregate them per incident, write a report.

    Stage 1 writes shards under OUTPUT/shards; run the same command again after an
    interruption and finished shards are kept. Stage 2 merges them.
    """
    from tolltrace.batch import run
    from tolltrace.policies import POLICIES
    from tolltrace.tagger import Tagger, TaggerSpec

    if policy not in POLICIES:
        _fail(ValueError(f"--policy must be one of {sorted(POLICIES)}, got {policy!r}"))
    try:
        model_dir = model or config.DEFAULT_MODEL_DIR
        if engine == "ray":  # each actor loads the model; check it loads here first, for a clear error
            Tagger.load(model_dir, batch_size=batch_size, backend=backend)
            tagger = TaggerSpec(str(Path(model_dir).resolve()), backend, batch_size)
        else:
            tagger = Tagger.load(model_dir, batch_size=batch_size, backend=backend)
        summary = run(input, output, tagger, policy=policy, window_days=window_days, max_bytes=max_bytes,
                      on_error=lambda err: typer.echo(f"skipped: {err}", err=True), shard_size=shard_size,
                      fmt=fmt, engine=engine, address=address, restart=restart, num_actors=num_actors)
    except TolltraceError as err:
        _fail(err)
    typer.echo(summary.line() + f"  shards {summary.shards_done} written, {summary.shards_skipped} resumed"
               + f"  -> {output}")


from tolltrace import cli_active  # noqa: F401  (registers select, retrain, simulate, ls backend)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
