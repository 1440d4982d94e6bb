"""The one boundary with Label Studio: labeling config, task JSON, and the SDK calls.

Nothing outside this module sees Label Studio's JSON. Tasks carry our provenance
(``uid``, corpus, document id, offsets) in ``data`` so that a pulled annotation
can be written back as a stand-off record for shared-corpus text, or kept as a
Label Studio export for text the project owns.

The URL and API key are passed in by the caller (CLI options or the environment
variables ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``) and are never logged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from tolltrace.errors import Errors, InputError
from tolltrace.labels import SPAN_LABELS
from tolltrace.types import AnnotatedSentence, Span

FROM_NAME = "label"
TO_NAME = "text"
LABEL_COLORS = {"KILLED": "#d62728", "INJURED": "#ff7f0e", "SOURCE": "#1f77b4", "DENIAL": "#9467bd",
                "HEDGE": "#2ca02c"}


def label_config(labels: Sequence[str] = SPAN_LABELS) -> str:
    """Labeling interface: one text, non-overlapping span labels at word granularity."""
    items = "\n".join(
        f'    <Label value="{lab}" background="{LABEL_COLORS.get(lab, "#888888")}"/>' for lab in labels
    )
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{items}\n  </Labels>\n'
        f'  <Text name="{TO_NAME}" value="$text" granularity="word"/>\n'
        "</View>\n"
    )


def spans_to_result(text: str, spans: Iterable[Span]) -> list[dict[str, Any]]:
    out = []
    for i, span in enumerate(sorted(spans)):
        region = {
            "id": hashlib.sha1(f"{span.start}-{span.end}-{span.label}-{i}".encode()).hexdigest()[:10],
            "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": text[span.start:span.end],
                      "labels": [span.label]},
        }
        if span.score is not None:
            region["score"] = float(span.score)
        out.append(region)
    return out


def result_to_spans(result: Iterable[dict[str, Any]], where: str) -> list[Span]:
    spans = []
    for region in result:
        if region.get("type") != "labels" or region.get("from_name") != FROM_NAME:
            continue
        value = region.get("value", {})
        try:
            start, end, labels = int(value["start"]), int(value["end"]), value["labels"]
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(Errors.E014.format(file=where, record=region.get("id"), reason=err)) from None
        for label in labels:
            spans.append(Span(start, end, label))
    return spans


def prediction(text: str, spans: Sequence[Span], model_version: str | None = None,
               score: float | None = None) -> dict[str, Any]:
    """One Label Studio prediction (pre-annotation): regions with span scores, a task score, the model version.

    Without an explicit ``score`` the task scores as its least confident span (1.0 when
    there is none), so Label Studio's "sort by prediction score" puts doubtful tasks first.
    """
    if score is None:
        scores = [s.score for s in spans if s.score is not None]
        score = min(scores) if scores else 1.0
    return {"model_version": model_version or "unknown", "score": round(float(score), 4),
            "result": spans_to_result(text, spans)}


def sentence_to_task(sent: AnnotatedSentence, predicted: Sequence[Span] | None = None,
                     model_version: str | None = None, with_annotation: bool = False,
                     score: float | None = None) -> dict[str, Any]:
    """A Label Studio task for one sentence, optionally with a prediction (pre-annotation)."""
    task: dict[str, Any] = {"data": {
        "text": sent.text, "uid": sent.uid, "corpus": sent.corpus, "doc_id": sent.doc_id,
        "group": sent.group, "doc_start": sent.doc_start, "doc_end": sent.doc_end,
        "split": sent.split, "written": sent.written,
    }}
    if predicted is not None:
        task["predictions"] = [prediction(sent.text, predicted, model_version, score)]
    if with_annotation:
        task["annotations"] = [{"result": spans_to_result(sent.text, sent.spans),
                                "completed_by": sent.annotator}]
    return task


def _latest_annotation(task: dict[str, Any]) -> dict[str, Any] | None:
    annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not annotations:
        return None
    return max(annotations, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0))


def task_to_sentence(task: dict[str, Any], where: str) -> AnnotatedSentence:
    """Convert an exported task (its latest non-cancelled annotation) to a gold sentence."""
    data = task.get("data", {})
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError(Errors.E051.format(task=f"{where} (task {task.get('id')})"))
    annotation = _latest_annotation(task)
    spans = result_to_spans(annotation["result"], where) if annotation else []
    completed = annotation.get("completed_by") if annotation else None
    if isinstance(completed, dict):
        completed = completed.get("email") or completed.get("id")
    corpus = data.get("corpus") or "labelstudio"
    doc_id = str(data.get("doc_id") or task.get("id"))
    return AnnotatedSentence(
        uid=data.get("uid") or f"{corpus}:{doc_id}", corpus=corpus, doc_id=doc_id,
        group=data.get("group") or f"{corpus}:{doc_id}", text=text, spans=tuple(sorted(spans)),
        split=data.get("split"), written=bool(data.get("written", False)),
        annotator=None if completed is None else str(completed),
        doc_start=data.get("doc_start"), doc_end=data.get("doc_end"),
    )


def has_annotation(task: dict[str, Any]) -> bool:
    return _latest_annotation(task) is not None


# ------------------------------------------------- ML backend protocol payloads


def predict_request_texts(payload: Any) -> list[str]:
    """The sentence of each task in an ML backend ``/predict`` request (``{"tasks": [{"data": {"text"}}]}``)."""
    tasks = payload.get("tasks") if isinstance(payload, dict) else None
    if not isinstance(tasks, list):
        raise InputError(Errors.E085.format(where="/predict", reason="no 'tasks' list in the body"))
    texts = []
    for i, task in enumerate(tasks):
        text = task.get("data", {}).get("text") if isinstance(task, dict) else None
        if not isinstance(text, str):
            raise InputError(Errors.E085.format(where=f"/predict task {i}", reason="no data.text string"))
        texts.append(text)
    return texts


def predict_response(predictions: Sequence[dict[str, Any]], model_version: str) -> dict[str, Any]:
    """The ``/predict`` answer: one prediction per task, in request order."""
    return {"results": list(predictions), "model_version": model_version}


def project_id(value: Any) -> int | None:
    """Label Studio names a project ``"<id>.<created timestamp>"`` in backend calls, or sends it as a dict."""
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(str(value).split(".", 1)[0])
    except (TypeError, ValueError):
        return None


def webhook_event(payload: Any) -> tuple[str, int | None]:
    """``(action, project id)`` of a webhook body (``START_TRAINING``, ``ANNOTATION_CREATED``, ...)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
        raise InputError(Errors.E085.format(where="/webhook", reason="no 'action' string in the body"))
    return payload["action"], project_id(payload.get("project"))


def pull_sentences(client, project_id_: int) -> list[AnnotatedSentence]:
    """Every annotated task of a project as a checked gold sentence (latest non-cancelled annotation)."""
    from tolltrace.validation import check_spans

    sentences = []
    for task in export_tasks(client, project_id_):
        if not has_annotation(task):
            continue
        where = f"Label Studio project {project_id_}, task {task.get('id')}"
        sent = task_to_sentence(task, where)
        check_spans(sent.text, sent.spans, where)
        sentences.append(sent)
    return sentences


# ---------------------------------------------------------------- server calls


def connect(url: str | None, api_key: str | None):
    """A ``label_studio_sdk.LabelStudio`` client; fails with E050 when credentials are missing."""
    if not url or not api_key:
        raise InputError(Errors.E050)
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url.rstrip("/"), api_key=api_key)


def get_or_create_project(client, title: str, labels: Sequence[str] = SPAN_LABELS) -> int:
    """Reuse the project with this title if it exists, so a second push adds tasks to it."""
    for project in client.projects.list():
        if project.title == title:
            return int(project.id)
    project = client.projects.create(title=title, label_config=label_config(labels))
    return int(project.id)


def push(client, project_id: int, tasks: Sequence[dict[str, Any]], skip_existing: bool = True) -> list[int]:
    """Import tasks (with any predictions); tasks whose uid is already in the project are skipped."""
    if skip_existing:
        existing = {t["data"].get("uid") for t in export_tasks(client, project_id)}
        tasks = [t for t in tasks if t["data"].get("uid") not in existing]
    if not tasks:
        return []
    response = client.projects.import_tasks(id=project_id, request=list(tasks), return_task_ids=True)
    return list(getattr(response, "task_ids", None) or [])


def export_tasks(client, project_id: int) -> list[dict[str, Any]]:
    """All tasks of a project with their annotations, as Label Studio's JSON export gives them."""
    tasks = []
    for task in client.tasks.list(project=project_id, fields="all"):
        item = task.dict() if hasattr(task, "dict") else dict(task)
        tasks.append(item)
    return tasks
