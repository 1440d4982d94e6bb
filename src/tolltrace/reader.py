"""Read articles from a folder of ``.txt``/``.html`` files or from a JSONL file.

A batch over a scraped archive meets empty files, binary files, other encodings
and giant pages. Each becomes an :class:`~tolltrace.errors.InputError` naming the
file or line, yielded in place of the article, so the caller reports it and
carries on with the rest: one bad page never loses the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def iter_articles(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | InputError]:
    """Yield each article of ``path`` in a stable order, or the error that stopped it."""
    path = Path(path)
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES):
            try:
                yield read_article_file(file, max_bytes)
            except InputError as err:
                yield err
    elif path.is_file() and path.suffix.lower() == ".jsonl":
        yield from _iter_jsonl_articles(path, max_bytes)
    elif path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES:
        try:
            yield read_article_file(path, max_bytes)
        except InputError as err:
            yield err
    else:
        raise InputError(Errors.E036.format(path=path))


def _iter_jsonl_articles(path: Path, max_bytes: int) -> Iterator[Article | InputError]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                line = decode_article(raw, where, max_bytes)
                rec = json.loads(line)
            except InputError as err:
                yield err
                continue
            except json.JSONDecodeError as err:
                yield InputError(Errors.E035.format(where=where, reason=err.msg))
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                yield InputError(Errors.E034.format(where=where))
                continue
            article_id = str(rec.get("id", f"{path.stem}-{lineno}"))
            try:
                yield make_article(article_id, rec["text"], f"{where} (id {article_id})", metadata=rec,
                                   source_path=where)
            except InputError as err:
                yield err
