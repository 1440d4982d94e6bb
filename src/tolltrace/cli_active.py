"""Active-learning commands: ``select``, ``retrain``, ``simulate`` and ``ls backend``.

They live apart from :mod:`tolltrace.cli` (which imports this module to register
them on its ``app`` and ``ls`` sub-app) so that the loop around Label Studio can
grow without touching the batch commands. Like the rest of the CLI they only parse
options and call the package.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from tolltrace import config
from tolltrace.cli import (
    AnnotationsOpt,
    CorporaOpt,
    GpuOpt,
    KeyOpt,
    ModelOpt,
    OverridesOpt,
    UrlOpt,
    _credentials,
    _fail,
    app,
    ls_app,
)
from tolltrace.errors import TolltraceError

ConfigOpt = Annotated[Path, typer.Option("--config", help="YAML training config.")]


@app.command("simulate")
def simulate_cmd(
    strategies: Annotated[list[str], typer.Option("--strategies", help="Strategies to compare (repeat the option).")
                          ] = ["uncertainty", "random", "diversity"],  # noqa: B006 - typer reads the default
    rounds: Annotated[int, typer.Option(min=1, help="Batches each strategy adds.")] = 4,
    batch: Annotated[int, typer.Option(min=1, help="Sentences per batch.")] = 150,
    initial_fraction: Annotated[float, typer.Option(help="Share of training documents labelled at the start.")] = 0.2,
    pool_size: Annotated[int | None, typer.Option(min=1, help="Cap on pool sentences (seeded sample).")] = None,
    seeds: Annotated[list[int], typer.Option("--seeds", help="One run per seed (repeat the option).")
                     ] = [13, 14, 15],  # noqa: B006
    model: Annotated[str, typer.Option("--model", help="probe (frozen encoder + logistic regression, seconds a "
                                       "model) or finetune (the real tagger, minutes a model).")] = "probe",
    output: Annotated[Path, typer.Option(help="JSON result file.")] = Path("reports/active-learning.json"),
    resume: Annotated[bool, typer.Option("--resume", help="Keep the seeds OUTPUT already completed (same design "
                                         "and data) and run only the new ones.")] = False,
    config_path: ConfigOpt = Path("training/configs/default.yaml"),
    overrides: OverridesOpt = None,
) -> None:
    """Simulated annotator: F1 on dev against labels used, per selection strategy (answers from gold)."""
    import tempfile

    from tolltrace.simulate import SIMULATION_OVERRIDES, FinetuneLearner, ProbeLearner, simulate
    from tolltrace.train import load_splits
    from tolltrace.train_config import load_config

    if model not in ("probe", "finetune"):
        _fail(ValueError(f"--model must be probe or finetune, got {model!r}"))
    try:
        cfg = load_config(config_path, [*SIMULATION_OVERRIDES, *(overrides or [])])
        splits = load_splits(cfg)
        logging.getLogger("tolltrace").setLevel(logging.INFO)
        if model == "probe":
            learner = ProbeLearner(splits["dev"], max_length=cfg.model.max_length)
            settings = {"encoder": "all-MiniLM-L6-v2, frozen", "classifier": "LogisticRegression(C=1.0)",
                        "max_length": cfg.model.max_length}
        else:
            learner = FinetuneLearner(cfg, splits["dev"], Path(tempfile.mkdtemp(prefix="tolltrace-al-")))
            settings = cfg.model_dump()
        previous = json.loads(output.read_text(encoding="utf-8")) if resume and output.is_file() else None
        try:
            result = simulate(learner, splits, strategies, rounds, batch, seeds, initial_fraction, pool_size, output,
                              settings, previous)
        finally:
            if model == "finetune":
                import shutil

                shutil.rmtree(learner.work, ignore_errors=True)
    except (TolltraceError, ValueError) as err:
        _fail(err)
    for strategy, row in result["summary"].items():
        typer.echo(f"{strategy:<12} {row['final_sentences']:>6.0f} sentences  final dev macro F1 "
                   f"{row['final_macro_f1']:.3f}  mean over curve {row['mean_macro_f1_over_curve']:.3f}")
    typer.echo(f"written to {output}")


@app.command("select")
def select_cmd(
    corpus: Annotated[str, typer.Option(help="Shared corpus to draw from (fakes, gaza, satp, fnc1, wikievents, rams).")],
    strategy: Annotated[str, typer.Option(help="uncertainty, diversity or random.")] = "uncertainty",
    n: Annotated[int, typer.Option("--n", min=1, help="Sentences to pick.")] = 50,
    output: Annotated[Path, typer.Option(help="Task file (JSONL) to write.")] = Path("outputs/select/tasks.jsonl"),
    model: ModelOpt = None,
    seed: Annotated[int, typer.Option(help="Seed for random sampling, k-means and the candidate cap.")] = 0,
    max_candidates: Annotated[int | None, typer.Option(min=1, help="Score at most this many candidates "
                                                         "(a seeded sample; scoring is the slow part).")] = 5000,
    include_heldout: Annotated[bool, typer.Option(help="Also pick from dev/test documents (off: they would "
                                                  "never be trained on).")] = False,
    push: Annotated[bool, typer.Option("--push", help="Import the picked sentences into Label Studio, with the "
                                       "model's pre-annotations.")] = False,
    project: Annotated[str | None, typer.Option(help="Label Studio project title for --push.")] = None,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Pick the next sentences to annotate from a shared corpus, skipping what is already annotated."""
    from tolltrace import labelstudio
    from tolltrace.active_learning import model_tasks, predict_with_confidence, select
    from tolltrace.annotations import load_gold
    from tolltrace.selection import corpus_candidates, write_tasks
    from tolltrace.tagger import Tagger

    if push and not project:
        _fail(ValueError("--push needs --project NAME"))
    try:
        client = labelstudio.connect(*_credentials(url, api_key)) if push else None
        gold = load_gold(annotations, corpora).sentences
        candidates = corpus_candidates(corpus, corpora, gold, include_heldout, max_candidates, seed)
        tagger = Tagger.load(model or config.DEFAULT_MODEL_DIR)
        picked = [candidates[i] for i in select(strategy, tagger, [s.text for s in candidates], n, seed)]
        predicted = predict_with_confidence(tagger, [s.text for s in picked])
        write_tasks(output, picked, strategy, predicted)
        typer.echo(f"picked {len(picked)} of {len(candidates)} candidate sentence(s) by {strategy} -> {output}")
        if push:
            pid = labelstudio.get_or_create_project(client, project)
            ids = labelstudio.push(client, pid, model_tasks(tagger, picked))
            typer.echo(f"project {pid} '{project}': imported {len(ids)} new task(s) with pre-annotations")
    except (TolltraceError, ValueError) as err:
        _fail(err)


@app.command("retrain")
def retrain_cmd(
    project: Annotated[str | None, typer.Option(help="Label Studio project to pull annotations from first "
                                                   "(omit to retrain on the annotations as they are).")] = None,
    name: Annotated[str, typer.Option(help="File name for pulled owned-text exports under labelstudio/.")] = "pulled",
    config_path: ConfigOpt = Path("training/configs/default.yaml"),
    overrides: OverridesOpt = None,
    model_dir: Annotated[Path, typer.Option("--model-dir", help="The default model, replaced only if the guard "
                                            "passes.")] = config.DEFAULT_MODEL_DIR,
    candidate: Annotated[Path | None, typer.Option(help="Where the new model is trained (default: "
                                                      "MODEL_DIR.candidate).")] = None,
    max_drop: Annotated[float, typer.Option(help="Largest allowed fall of any label's test F1.")] = 0.02,
    force: Annotated[bool, typer.Option("--force", help="Replace the default model even if the guard fails.")
                     ] = False,
    train: Annotated[bool, typer.Option("--train/--no-train", help="--no-train: compare an already trained "
                                        "--candidate.")] = True,
    report: Annotated[Path | None, typer.Option(help="Also copy the comparison table (Markdown) here.")] = None,
    gpu_id: GpuOpt = None,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Pull new annotations, retrain, compare with the default model on the frozen test split, promote if no
    label's F1 drops by more than --max-drop."""
    from tolltrace import labelstudio
    from tolltrace.retrain import REPORT_NAME, format_table, pull_annotations, retrain
    from tolltrace.train_config import load_config

    candidate = candidate or model_dir.with_name(model_dir.name + ".candidate")
    try:
        cfg = load_config(config_path, overrides)
        if project:
            client = labelstudio.connect(*_credentials(url, api_key))
            pid = labelstudio.get_or_create_project(client, project)
            written, held = pull_annotations(client, pid, annotations, corpora, name)
            typer.echo(f"pulled from project {pid}: " + (", ".join(f"{n} -> {p}" for p, n in written.items())
                                                         or "nothing new"))
            if held:
                typer.echo(f"held back {len(held)} sentence(s) of held-out test documents (e.g. {held[0]}): the "
                           "frozen test split changes only through `tolltrace data freeze-test`", err=True)
        if train:
            logging.getLogger("tolltrace").setLevel(logging.INFO)
        result = retrain(cfg, model_dir, candidate, annotations, corpora, max_drop, force, train, gpu_id)
    except (TolltraceError, ValueError, OSError) as err:
        _fail(err)
    table = format_table(result.rows, max_drop)
    typer.echo(f"strict span F1 on the frozen test split ({result.test_sentences} sentences):\n{table}")
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text((result.model_dir if result.replaced else result.candidate).joinpath(
            f"{REPORT_NAME}.md").read_text())
    if result.accepted:
        typer.echo(f"guard passed: {model_dir} replaced (previous model kept as {model_dir.name}.previous)")
    elif result.replaced:
        typer.echo(f"guard failed ({'; '.join(result.failures)}) but --force given: {model_dir} replaced")
    else:
        from tolltrace.errors import Errors

        typer.echo("error: " + Errors.E083.format(model=model_dir, reason="; ".join(result.failures),
                                                  candidate=candidate), err=True)
        raise typer.Exit(code=1)


@ls_app.command("backend")
def ls_backend(
    model: ModelOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9090,
    retrain_project: Annotated[str | None, typer.Option(
        "--retrain", help="On Label Studio's START_TRAINING, run `retrain --project THIS` in the background and "
                          "reload the model if the guard passes.")] = None,
    config_path: ConfigOpt = Path("training/configs/default.yaml"),
    overrides: OverridesOpt = None,
    annotations: AnnotationsOpt = config.ANNOTATIONS_DIR,
    corpora: CorporaOpt = config.CORPORA_DIR,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Serve live pre-annotations to Label Studio (its ML backend protocol) until interrupted."""
    from tolltrace.ml_backend import TaggerBackend, make_server

    model_dir = model or config.DEFAULT_MODEL_DIR
    trainer = None
    if retrain_project:
        from tolltrace import labelstudio
        from tolltrace.retrain import pull_annotations, retrain
        from tolltrace.train_config import load_config

        cfg = load_config(config_path, overrides)
        creds = _credentials(url, api_key)

        def trainer(project_id: int | None) -> bool:
            client = labelstudio.connect(*creds)
            pid = labelstudio.get_or_create_project(client, retrain_project)
            pull_annotations(client, pid, annotations, corpora, "pulled")
            return retrain(cfg, model_dir, model_dir.with_name(model_dir.name + ".candidate"), annotations,
                           corpora).replaced
    try:
        backend = TaggerBackend(model_dir, trainer=trainer).load()
    except TolltraceError as err:
        _fail(err)
    server = make_server(backend, host, port)
    typer.echo(f"tolltrace ML backend on http://{host}:{server.server_port} (model {backend.model_version})",
               err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
