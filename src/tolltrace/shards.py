"""Shards of a batch run: written atomically, resumed without redoing finished ones.

Stage 1 of ``tolltrace run`` writes the results of each block of ``shard_size``
input articles to ``shards/part-NNNNN.{sentences,claims,articles,errors}.<fmt>``,
each through a temporary file and ``os.replace``, and only then the shard's
``part-NNNNN.done.json``: a shard counts as finished exactly when its done file
exists, so a run killed at any moment leaves finished shards whole and the rest
absent or partial (partial files are removed on the next start).

``manifest.json`` records the arguments that decide stage 1's output (input
fingerprint, model weights, backend, batch size, shard size, format, limits). A run
into a folder whose manifest differs is refused with E060 instead of mixing two
runs; ``restart=True`` discards the old shards explicitly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from tolltrace.errors import Errors, TolltraceError
from tolltrace.recordio import read_records, write_records

MANIFEST = "manifest.json"
SHARD_DIR = "shards"
# file name -> record kind (recordio.SCHEMAS)
SHARD_FILES = {"sentences": "sentences", "claims": "shard-claims", "articles": "shard-articles", "errors": "errors"}


def input_fingerprint(path: Path) -> dict:
    """Identifies the input without reading it: path, and size and mtime of each file."""
    path = Path(path).resolve()
    if path.is_dir():
        digest = hashlib.sha1()
        n = 0
        for p in sorted(path.iterdir()):
            if p.is_file():
                st = p.stat()
                digest.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                n += 1
        return {"path": str(path), "files": n, "sha1": digest.hexdigest()}
    st = path.stat() if path.exists() else None
    return {"path": str(path), "size": st.st_size if st else None, "mtime_ns": st.st_mtime_ns if st else None}


class ShardStore:
    """The shard folder of one output directory; ``open`` checks or writes the manifest."""

    def __init__(self, output_dir: Path, fmt: str = "jsonl"):
        self.output_dir = Path(output_dir)
        self.fmt = fmt
        self.folder = self.output_dir / SHARD_DIR

    # ---------------------------------------------------------------- manifest
    def open(self, fingerprint: dict, restart: bool = False) -> ShardStore:
        """Refuse (E060) a folder holding another run's shards, unless ``restart``; tidy partial files."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        fingerprint = json.loads(json.dumps(fingerprint))  # tuples -> lists, as the manifest will hold them
        manifest = self.output_dir / MANIFEST
        if manifest.is_file() and not restart:
            old = json.loads(manifest.read_text(encoding="utf-8")).get("stage1", {})
            if old != fingerprint:
                diff = sorted(k for k in set(old) | set(fingerprint) if old.get(k) != fingerprint.get(k))
                raise TolltraceError(Errors.E060.format(path=self.output_dir, diff=", ".join(diff)))
        elif restart and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        if not manifest.is_file() or restart:
            self._write_json(manifest, {"stage1": fingerprint})
        for p in self.folder.iterdir():  # partial work of a killed run: not finished, so not kept
            shard = p.name.split(".")[0]
            if p.name.endswith(".tmp") or not (self.folder / f"{shard}.done.json").is_file():
                p.unlink()
        return self

    def record_stage2(self, settings: dict) -> dict | None:
        """Store stage 2's settings; return the previous run's if they differ (the caller says so)."""
        manifest = self.output_dir / MANIFEST
        data = json.loads(manifest.read_text(encoding="utf-8"))
        previous = data.get("stage2")
        data["stage2"] = settings
        self._write_json(manifest, data)
        return previous if previous not in (None, settings) else None

    # ------------------------------------------------------------------ shards
    def name(self, shard: int) -> str:
        return f"part-{shard:05d}"

    def path(self, shard: int, file: str) -> Path:
        return self.folder / f"{self.name(shard)}.{file}.{self.fmt}"

    def done(self, shard: int) -> bool:
        return (self.folder / f"{self.name(shard)}.done.json").is_file()

    def write(self, shard: int, rows: dict[str, list[dict]], counts: dict) -> None:
        """Write one shard's files, then its done marker (the commit point)."""
        for file, kind in SHARD_FILES.items():
            write_records(self.path(shard, file), rows.get(file, []), kind, self.fmt)
        self._write_json(self.folder / f"{self.name(shard)}.done.json", {"shard": shard, **counts})

    def finished(self) -> list[int]:
        return sorted(int(p.name[5:10]) for p in self.folder.glob("part-*.done.json"))

    def records(self, file: str, shards: list[int] | None = None) -> Iterator[dict]:
        """All records of one file kind over the finished shards, in shard order."""
        for shard in self.finished() if shards is None else shards:
            path = self.path(shard, file)
            try:
                yield from read_records(path, SHARD_FILES[file], self.fmt)
            except (OSError, ValueError) as err:
                raise TolltraceError(Errors.E064.format(shard=shard, path=self.folder, file=path.name,
                                                        reason=err)) from None

    @staticmethod
    def _write_json(path: Path, data: dict) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def log(message: str) -> None:
    """Progress lines on stderr (the resume test reads them)."""
    print(message, file=sys.stderr, flush=True)
