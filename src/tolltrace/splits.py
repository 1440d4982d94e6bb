"""Train / dev / test assignment by document, stable as data grows.

A document's split is a pure function of its group key (sha1 bucket), so adding
new documents never moves old ones, and no document can straddle two splits.
Written sentences (composed by the project) always go to train.

The test split is frozen: ``data/annotations/test-split.lock.json`` records a
fingerprint of every test sentence and its spans. ``tolltrace data check`` fails
when the test split no longer matches it, so a change is always a visible event,
made with ``tolltrace data freeze-test --reason "..."`` which bumps the version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from tolltrace.types import AnnotatedSentence

SPLIT_BUCKETS = (("train", 70), ("dev", 13), ("test", 17))
LOCK_FILE = "test-split.lock.json"


def split_for_group(group: str, written: bool = False) -> str:
    if written:
        return "train"
    bucket = int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % 100
    edge = 0
    for name, share in SPLIT_BUCKETS:
        edge += share
        if bucket < edge:
            return name
    return SPLIT_BUCKETS[-1][0]


def text_key(text: str) -> str:
    """A sentence's text reduced to lower-case letters and digits, to find the same sentence in two documents.

    Wire copy is reprinted: the same sentence turns up in articles from different
    outlets, which the document split puts in different splits.
    """
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def drop_held_out_twins(splits: Mapping[str, list[AnnotatedSentence]],
                        held_out: Iterable[str] = ("dev", "test")) -> tuple[dict[str, list[AnnotatedSentence]], int]:
    """Remove from ``train`` every sentence whose text also occurs in a held-out split.

    Splitting by document cannot stop a reprinted sentence from sitting in train
    and test at once; training on it would let the model recall rather than
    generalise on that test sentence. The held-out splits stay as they are (the
    test split is frozen), so the train copy is the one dropped. Returns the new
    splits and how many train sentences were dropped.
    """
    keys = {text_key(s.text) for name in held_out for s in splits.get(name, [])}
    out = {name: list(v) for name, v in splits.items()}
    train = out.get("train", [])
    out["train"] = [s for s in train if text_key(s.text) not in keys]
    return out, len(train) - len(out["train"])


def fingerprint(sentences: Iterable[AnnotatedSentence]) -> str:
    h = hashlib.sha1()
    for sent in sorted(sentences, key=lambda s: s.uid):
        spans = ";".join(f"{s.start}-{s.end}-{s.label}" for s in sent.spans)
        h.update(f"{sent.uid}|{hashlib.sha1(sent.text.encode()).hexdigest()}|{spans}\n".encode())
    return h.hexdigest()


def read_lock(annotations_dir: Path) -> dict | None:
    path = Path(annotations_dir) / LOCK_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_lock(annotations_dir: Path, test: list[AnnotatedSentence], reason: str) -> dict:
    old = read_lock(annotations_dir) or {"version": 0, "history": []}
    lock = {
        "version": old["version"] + 1,
        "sentences": len(test),
        "documents": len({s.group for s in test}),
        "fingerprint": fingerprint(test),
        "history": old.get("history", []) + [{"version": old["version"] + 1, "date": date.today().isoformat(),
                                              "sentences": len(test), "reason": reason}],
    }
    (Path(annotations_dir) / LOCK_FILE).write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    return lock


def check_lock(annotations_dir: Path, test: list[AnnotatedSentence]) -> str | None:
    """An error message if the test split differs from its lock, else ``None``."""
    lock = read_lock(annotations_dir)
    if lock is None:
        return None
    if lock["fingerprint"] != fingerprint(test):
        return (f"The frozen test split (version {lock['version']}, {lock['sentences']} sentences) changed: now "
                f"{len(test)} sentences with a different fingerprint. If intended, run "
                "`tolltrace data freeze-test --reason \"...\"` to version the change.")
    return None
