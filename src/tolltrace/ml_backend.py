"""A Label Studio ML backend serving the tagger's spans as live pre-annotations.

Label Studio calls a connected backend over HTTP (its ``ml/api_connector.py``):

``GET /health``
    liveness; Label Studio checks it before every prediction round.
``POST /setup``
    ``{"project": "<id>.<ts>", "schema": <label config>, ...}``; we answer the model version.
``POST /predict``
    ``{"tasks": [...], "project": ..., "label_config": ...}``; we answer one prediction per
    task, in order: ``{"results": [{"result": [...], "score": ..., "model_version": ...}]}``.
``POST /webhook``
    Label Studio's events. ``START_TRAINING`` (the project's "Start training" button)
    runs ``retrain`` in the background when the backend was given a trainer (``--retrain``);
    annotation events are counted so ``/health`` shows how much is new since the last training.
``POST /train``
    the older training call (``{"annotations": [...], "project": ...}``), treated as START_TRAINING.

The server is the standard library's ``ThreadingHTTPServer``: one request per thread,
and the model is guarded by a lock so a retrain can swap it under live traffic.
All Label Studio JSON is built and parsed by :mod:`tolltrace.labelstudio`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tolltrace import labelstudio
from tolltrace.errors import Errors, InputError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024
TRAINING_ACTIONS = ("START_TRAINING",)
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "ANNOTATIONS_DELETED")


class TaggerBackend:
    """The backend's logic, apart from HTTP: predict, setup, and training events.

    ``trainer(project_id)`` runs one retrain and returns True when the default model
    was replaced; the backend then reloads the model from ``model_dir``.
    """

    def __init__(self, model_dir: Path, batch_size: int = 32,
                 trainer: Callable[[int | None], bool] | None = None):
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.trainer = trainer

    def load(self) -> TaggerBackend:
        from tolltrace.tagger import Tagger

        self.lock_ = threading.Lock()
        self.tagger_ = Tagger.load(self.model_dir, batch_size=self.batch_size)
        self.events_: dict[str, int] = {}
        self.annotations_since_training_ = 0
        self.training_: threading.Thread | None = None
        self.last_training_: dict[str, Any] | None = None
        return self

    @property
    def model_version(self) -> str:
        return self.tagger_.model_version_

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": type(self).__name__, "model_version": self.model_version,
                "training": bool(self.training_ and self.training_.is_alive()), "events": dict(self.events_),
                "annotations_since_training": self.annotations_since_training_,
                "last_training": self.last_training_}

    def setup(self, payload: Any) -> dict[str, Any]:
        return {"model_version": self.model_version}

    def predict(self, payload: Any) -> dict[str, Any]:
        from tolltrace.active_learning import predict_with_confidence

        texts = labelstudio.predict_request_texts(payload)
        with self.lock_:
            version = self.model_version
            predicted = predict_with_confidence(self.tagger_, texts)
        results = [labelstudio.prediction(text, spans, version, confidence)
                   for text, (spans, confidence) in zip(texts, predicted)]
        return labelstudio.predict_response(results, version)

    def webhook(self, payload: Any) -> dict[str, Any]:
        action, project = labelstudio.webhook_event(payload)
        self.events_[action] = self.events_.get(action, 0) + 1
        if action in ANNOTATION_ACTIONS:
            self.annotations_since_training_ += 1
        if action not in TRAINING_ACTIONS:
            return {"status": "ok", "action": action}
        return self.start_training(project)

    def start_training(self, project: int | None) -> dict[str, Any]:
        if self.trainer is None:
            return {"status": "ignored", "action": "START_TRAINING",
                    "reason": "backend started without --retrain; run `tolltrace retrain` by hand"}
        if self.training_ is not None and self.training_.is_alive():
            return {"status": "busy", "action": "START_TRAINING", "job": self.training_.name}
        job = f"retrain-{sum(self.events_.get(a, 0) for a in TRAINING_ACTIONS)}"
        self.training_ = threading.Thread(target=self._train, args=(project, job), name=job, daemon=True)
        self.training_.start()
        return {"status": "started", "action": "START_TRAINING", "job": job}

    def _train(self, project: int | None, job: str) -> None:
        from tolltrace.tagger import Tagger

        try:
            replaced = bool(self.trainer(project))  # type: ignore[misc]
            if replaced:
                tagger = Tagger.load(self.model_dir, batch_size=self.batch_size)
                with self.lock_:
                    self.tagger_ = tagger
            self.annotations_since_training_ = 0
            self.last_training_ = {"job": job, "replaced": replaced, "model_version": self.model_version}
        except Exception as err:
            log.exception("training job %s failed", job)
            self.last_training_ = {"job": job, "error": str(err)}


def _handler(backend: TaggerBackend) -> type[BaseHTTPRequestHandler]:
    routes_post: dict[str, Callable[[Any], dict]] = {
        "/setup": backend.setup, "/predict": backend.predict, "/webhook": backend.webhook,
        # the pre-webhook training call: {"annotations": [...], "project": ...}; same as START_TRAINING
        "/train": lambda payload: backend.webhook({"action": "START_TRAINING", "project": (
            payload.get("project") if isinstance(payload, dict) else None)}),
    }

    class Handler(BaseHTTPRequestHandler):
        server_version = "tolltrace-ml-backend"

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if path in ("/", "/health"):
                self._send(200, backend.health())
            elif path == "/versions":
                self._send(200, {"versions": [backend.model_version]})
            else:
                self._send(404, {"error": f"no route GET {path}"})

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            route = routes_post.get(path)
            if route is None:
                self._send(404, {"error": f"no route POST {path}"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    raise InputError(Errors.E085.format(where=path, reason=f"body of {length} bytes is too large"))
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    payload = json.loads(raw or b"{}")
                except json.JSONDecodeError as err:
                    raise InputError(Errors.E085.format(where=path, reason=f"body is not JSON: {err.msg}")) from None
                self._send(200 if path != "/webhook" else 201, route(payload))
            except InputError as err:
                self._send(400, {"error": str(err)})

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def make_server(backend: TaggerBackend, host: str = "127.0.0.1", port: int = 9090) -> ThreadingHTTPServer:
    """An HTTP server for a loaded backend; call ``serve_forever()`` on it."""
    server = ThreadingHTTPServer((host, port), _handler(backend))
    server.daemon_threads = True
    return server
