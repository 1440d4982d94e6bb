"""The ``tolltrace tag`` contract: JSONL sentences in, JSONL spans out, in input order.

Input lines are ``{"id", "text"}``; each is tagged as one sentence. A line that is
not JSON or has no text is reported with its line number and skipped, and every
good line is still written. Sentences are tagged in chunks so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from tolltrace.errors import Errors, InputError
from tolltrace.labels import sentence_labels

CHUNK = 2048


def _records(path: Path) -> Iterator[tuple[int, dict | InputError]]:
    with Path(path).open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as err:
                yield lineno, InputError(Errors.E032.format(where=where, offset=err.start))
                continue
            except json.JSONDecodeError as err:
                yield lineno, InputError(Errors.E035.format(where=where, reason=err.msg))
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
                yield lineno, InputError(Errors.E034.format(where=where))
                continue
            yield lineno, rec


def tagged_record(rec: dict, spans) -> dict:
    text = rec["text"]
    return {"id": rec.get("id"), "text": text,
            "spans": [s.to_dict(text) for s in spans],
            "labels": sentence_labels(s.label for s in spans)}


def tag_jsonl(tagger, input_path: Path, output_path: Path) -> tuple[int, list[InputError]]:
    errors: list[InputError] = []
    written = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with Path(output_path).open("w", encoding="utf-8") as out:
        chunk: list[dict] = []

        def flush() -> None:
            nonlocal written
            for rec, spans in zip(chunk, tagger.predict([r["text"] for r in chunk])):
                out.write(json.dumps(tagged_record(rec, spans), ensure_ascii=False) + "\n")
                written += 1
            chunk.clear()

        for _, rec in _records(input_path):
            if isinstance(rec, InputError):
                errors.append(rec)
                continue
            chunk.append(rec)
            if len(chunk) >= CHUNK:
                flush()
        flush()
    return written, errors
