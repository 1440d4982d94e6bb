"""Read articles from a folder of ``.txt``/``.html`` files, a JSONL file or a Parquet file.

A batch over a scraped archive meets empty files, binary files, other encodings
and giant pages. Each becomes an :class:`~tolltrace.errors.InputError` naming the
file or line, yielded in place of the article, so the caller reports it and
carries on with the rest: one bad page never loses the others.

:func:`iter_article_refs` lists the input without reading it: each
:class:`ArticleRef` is a small picklable pointer (a file, a byte offset in a JSONL
file, a row of a Parquet row group) whose ``load`` reads and cleans one article. A
resumed run skips finished shards without reading their articles, and a Ray worker
loads the articles it was handed from the same pointers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tolltrace.clean import html_to_text, looks_like_html, remove_boilerplate
from tolltrace.errors import Errors, InputError
from tolltrace.types import Article

DEFAULT_MAX_BYTES = 2_000_000
ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
METADATA_FIELDS = ("title", "published", "outlet", "url")


def decode_article(data: bytes, where: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Bytes to text, refusing what is not a UTF-8 text article."""
    if len(data) > max_bytes:
        raise InputError(Errors.E033.format(where=where, size=len(data), limit=max_bytes))
    if b"\x00" in data[:65536]:
        raise InputError(Errors.E031.format(where=where))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(Errors.E032.format(where=where, offset=err.start)) from None
    sample = text[:65536]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and control / len(sample) > 0.05:
        raise InputError(Errors.E031.format(where=where))
    return text


def make_article(
    article_id: str,
    text: str,
    where: str,
    *,
    html: bool | None = None,
    metadata: dict | None = None,
    source_path: str | None = None,
) -> Article:
    """Clean one article's text; raise if nothing is left."""
    if html or (html is None and looks_like_html(text)):
        text = html_to_text(text)
    clean, offsets, _ = remove_boilerplate(text)
    if not clean.strip():
        raise InputError(Errors.E030.format(where=where))
    meta = {k: (metadata or {}).get(k) for k in METADATA_FIELDS}
    return Article(id=article_id, text=clean, raw=text, offsets=offsets, source_path=source_path, **meta)


def _read_sidecar(path: Path) -> dict:
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(Errors.E035.format(where=str(sidecar), reason=err)) from None
    return meta if isinstance(meta, dict) else {}


def read_article_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(Errors.E015.format(file=where, reason=err)) from None
    text = decode_article(data, where, max_bytes)
    html = path.suffix.lower() in (".html", ".htm")
    return make_article(path.stem, text, where, html=html or None, metadata=_read_sidecar(path),
                        source_path=where)


@dataclass(frozen=True)
class ArticleRef:
    """Where one input article lives: ``kind`` is ``file``, ``line`` (JSONL) or ``row`` (Parquet).

    ``offset`` is the byte offset of a JSONL line or the row inside a Parquet row group;
    ``number`` is the line number or the row group.
    """

    kind: str
    path: str
    offset: int = 0
    number: int = 0

    def load(self, max_bytes: int = DEFAULT_MAX_BYTES) -> Article | InputError:
        """The cleaned article, or the error naming this input record (never raised)."""
        try:
            if self.kind == "file":
                return read_article_file(Path(self.path), max_bytes)
            if self.kind == "line":
                return _load_jsonl_line(self, max_bytes)
            return _load_parquet_row(self, max_bytes)
        except InputError as err:
            return err


def iter_article_refs(path: Path) -> Iterator[ArticleRef]:
    """Pointers to each article of ``path`` in a stable order; reads no article text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES):
            yield ArticleRef("file", str(file))
    elif path.is_file() and suffix == ".jsonl":
        with path.open("rb") as fh:
            offset = 0
            for lineno, raw in enumerate(fh, 1):
                if raw.strip():
                    yield ArticleRef("line", str(path), offset, lineno)
                offset += len(raw)
    elif path.is_file() and suffix == ".parquet":
        for group, rows in enumerate(_parquet_row_groups(str(path))):
            for row in range(rows):
                yield ArticleRef("row", str(path), row, group)
    elif path.is_file() and suffix in ARTICLE_SUFFIXES:
        yield ArticleRef("file", str(path))
    else:
        raise InputError(Errors.E036.format(path=path))


def iter_articles(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | InputError]:
    """Yield each article of ``path`` in a stable order, or the error that stopped it."""
    for ref in iter_article_refs(path):
        yield ref.load(max_bytes)


def _record_article(rec: object, where: str, default_id: str, max_bytes: int) -> Article:
    """One JSONL or Parquet record (``id``, ``text``, metadata) to a cleaned article."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        raise InputError(Errors.E034.format(where=where))
    if len(rec["text"].encode("utf-8")) > max_bytes:
        raise InputError(Errors.E033.format(where=where, size=len(rec["text"].encode("utf-8")), limit=max_bytes))
    article_id = str(rec["id"]) if rec.get("id") is not None else default_id
    # Parquet may type a date column as a date or timestamp; every metadata field is text downstream
    meta = {k: v if v is None or isinstance(v, str) else (v.isoformat() if hasattr(v, "isoformat") else str(v))
            for k, v in ((k, rec.get(k)) for k in METADATA_FIELDS)}
    return make_article(article_id, rec["text"], f"{where} (id {article_id})", metadata=meta, source_path=where)


def _load_jsonl_line(ref: ArticleRef, max_bytes: int) -> Article:
    where = f"{ref.path}:{ref.number}"
    with open(ref.path, "rb") as fh:
        fh.seek(ref.offset)
        raw = fh.readline()
    line = decode_article(raw, where, max_bytes)
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(Errors.E035.format(where=where, reason=err.msg)) from None
    return _record_article(rec, where, f"{Path(ref.path).stem}-{ref.number}", max_bytes)


def _parquet_row_groups(path: str) -> list[int]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow ships with the project's dependencies
        raise InputError(Errors.E066.format(where=path)) from None
    meta = pq.ParquetFile(path).metadata
    names = meta.schema.names
    if "text" not in names:
        raise InputError(Errors.E065.format(where=path, columns=", ".join(names)))
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@lru_cache(maxsize=2)
def _parquet_group(path: str, group: int):
    """One row group as an Arrow table, kept while its rows are read one by one (rows come in order)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read_row_group(group)


def _load_parquet_row(ref: ArticleRef, max_bytes: int) -> Article:
    where = f"{ref.path}:row-group {ref.number}:row {ref.offset}"
    rec = _parquet_group(ref.path, ref.number).slice(ref.offset, 1).to_pylist()[0]
    return _record_article(rec, where, f"{Path(ref.path).stem}-{ref.number}-{ref.offset}", max_bytes)
