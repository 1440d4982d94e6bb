"""Write and read record files (JSONL or Parquet), always through a temporary file and ``os.replace``.

A reader never sees half a file: a batch run killed mid-write leaves only a
``*.tmp`` behind, which the next run removes. JSONL is the default; Parquet (through
pyarrow) is for archives whose outputs are too large for JSONL. Parquet needs one
schema per kind of record, declared in :data:`SCHEMAS`: scalar fields get their
Arrow type, and nested fields (spans, locations, dates, figures) are stored as JSON
text, so every shard of one kind has the same schema and records round-trip exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from tolltrace.errors import Errors, TolltraceError

FORMATS = ("jsonl", "parquet")
PARQUET_BATCH = 4096

_S, _I, _F, _B, _J = "str", "int", "float", "bool", "json"
SCHEMAS: dict[str, dict[str, str]] = {
    "sentences": {"article_id": _S, "sentence_index": _I, "start": _I, "end": _I, "text": _S, "spans": _J},
    "claims": {"claim_id": _S, "article_id": _S, "sentence_index": _I, "start": _I, "end": _I, "text": _S,
               "type": _S, "value": _I, "low": _I, "high": _I, "approximate": _B, "group": _S, "sources": _J,
               "hedges": _J, "denied": _B, "cumulative": _B, "score": _F, "location": _J, "date": _J, "event": _S,
               "incident_id": _S},
    # a claim before incident aggregation: also its sentence, outlet and the date's wording (see Claim.to_record)
    "shard-claims": {"claim_id": _S, "article_id": _S, "sentence_index": _I, "start": _I, "end": _I, "text": _S,
                     "type": _S, "value": _I, "low": _I, "high": _I, "approximate": _B, "group": _S,
                     "sources": _J, "hedges": _J, "denied": _B, "cumulative": _B, "score": _F, "location": _J,
                     "date": _J, "event": _S, "outlet": _S, "incident_id": _S, "sentence": _S},
    "articles": {"article_id": _S, "title": _S, "published": _S, "outlet": _S, "url": _S, "sentences": _I,
                 "main_incident": _S, "killed": _J, "injured": _J, "incidents": _J},
    "shard-articles": {"article_id": _S, "title": _S, "published": _S, "outlet": _S, "url": _S, "sentences": _I,
                       "text": _S},
    "errors": {"error": _S},
}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise TolltraceError(Errors.E063.format(what="format", value=fmt, known=", ".join(FORMATS)))
    return fmt


def record_path(folder: Path, name: str, fmt: str) -> Path:
    return Path(folder) / f"{name}.{fmt}"


def write_records(path: Path, rows: Iterable[dict], kind: str, fmt: str = "jsonl") -> int:
    """Write ``rows`` to ``path`` atomically; returns how many were written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    n = _write_parquet(tmp, rows, kind) if fmt == "parquet" else _write_jsonl(tmp, rows)
    os.replace(tmp, path)
    return n


def read_records(path: Path, kind: str, fmt: str = "jsonl") -> Iterator[dict]:
    """Records of a file written by :func:`write_records`, streamed (Parquet: a batch at a time)."""
    path = Path(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        nested = [k for k, t in SCHEMAS[kind].items() if t == _J]
        for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH):
            for row in batch.to_pylist():
                for k in nested:
                    row[k] = json.loads(row[k]) if row[k] is not None else None
                yield row
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def _arrow_schema(kind: str):
    import pyarrow as pa

    types = {_S: pa.string(), _I: pa.int64(), _F: pa.float64(), _B: pa.bool_(), _J: pa.string()}
    return pa.schema([(name, types[t]) for name, t in SCHEMAS[kind].items()])


def _write_parquet(path: Path, rows: Iterable[dict], kind: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(kind)
    fields = SCHEMAS[kind]
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        buf: list[dict] = []

        def flush() -> None:
            cols = {name: [r.get(name) if t != _J else (None if r.get(name) is None else
                                                         json.dumps(r[name], ensure_ascii=False))
                           for r in buf] for name, t in fields.items()}
            writer.write_table(pa.table(cols, schema=schema))
            buf.clear()

        for row in rows:
            buf.append(row)
            n += 1
            if len(buf) >= PARQUET_BATCH:
                flush()
        if buf or n == 0:
            flush()
    return n
