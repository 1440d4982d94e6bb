"""Stage 1 of ``tolltrace run`` on Ray Data (``--engine ray [--address ADDR]``).

The dataset has one row per unfinished shard: the shard number and the pointers
to its articles (:class:`~tolltrace.reader.ArticleRef`, a few bytes each, never
the text). ``map_batches`` runs :class:`ShardActor` on a fixed pool of actors;
each actor loads the tagger and the gazetteer once, in its constructor, then
reads, tags and extracts the claims of whole shards (an article never leaves its
shard, so pronoun resolution sees the whole article, exactly as the local engine
does). The driver writes each returned shard with the same atomic writer as the
local engine, so outputs are identical and a killed run resumes the same way.
Stage 2 (incidents over all claims) runs on the driver.

Ray is optional (``pip install 'tolltrace[ray]'``) and imported only here, only
when this engine is chosen. The input and output folders must be reachable at
the same paths from every node (a shared file system) when ``address`` names a
multi-node cluster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict

from tolltrace.errors import Errors, InputError, TolltraceError
from tolltrace.reader import ArticleRef
from tolltrace.shards import ShardStore, log
from tolltrace.tagger import TaggerSpec


class ShardActor:
    """The callable class of ``map_batches``: built once per actor, then called on batches of shards."""

    def __init__(self, tagger_source, max_bytes: int, threads: int | None = None):
        import torch

        from tolltrace.batch import ShardProcessor

        if threads:
            torch.set_num_threads(threads)
        tagger = tagger_source.load() if isinstance(tagger_source, TaggerSpec) else tagger_source
        self.processor = ShardProcessor(tagger)
        self.max_bytes = max_bytes

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        shards, results = [], []
        for shard, refs_json in zip(batch["shard"], batch["refs"]):
            items = [ArticleRef(**r).load(self.max_bytes) for r in json.loads(refs_json)]
            rows = self.processor(items)
            shards.append(int(shard))
            results.append(json.dumps(rows, ensure_ascii=False))
        return {"shard": np.array(shards, dtype=np.int64), "rows": np.array(results, dtype=object)}


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise TolltraceError(Errors.E061) from None
    return ray


def run_ray(plan: list[tuple[int, list[ArticleRef]]], store: ShardStore, tagger, max_bytes: int,
            address: str | None = None, num_actors: int | None = None,
            on_error: Callable[[InputError], None] | None = None) -> tuple[int, int]:
    """Run the unfinished shards of ``plan`` on Ray; returns (shards written, shards skipped)."""
    ray = _import_ray()
    todo = []
    for shard, refs in plan:
        if store.done(shard):
            log(f"shard {store.name(shard)} already finished, skipped")
        else:
            todo.append((shard, refs))
    skipped = len(plan) - len(todo)
    if not todo:
        return 0, skipped
    # a loaded Tagger is shipped as its spec, so each actor loads the weights itself, once
    source = getattr(tagger, "spec_", tagger)
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count()}))
    try:
        return _run_dataset(ray, todo, store, source, max_bytes, num_actors, on_error), skipped
    finally:
        if started:
            ray.shutdown()


def _run_dataset(ray, todo, store: ShardStore, source, max_bytes: int, num_actors: int | None,
                 on_error: Callable[[InputError], None] | None) -> int:
    from tolltrace.batch import shard_counts

    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors = max(1, min(num_actors or cpus, len(todo)))
    ds = ray.data.from_items([{"shard": shard, "refs": json.dumps([asdict(r) for r in refs])}
                              for shard, refs in todo])
    tagged = ds.map_batches(ShardActor, batch_size=1, compute=ray.data.ActorPoolStrategy(size=actors),
                            fn_constructor_kwargs={"tagger_source": source, "max_bytes": max_bytes, "threads": 1},
                            num_cpus=1)
    done = 0
    for row in tagged.iter_rows():
        shard, rows = int(row["shard"]), json.loads(row["rows"])
        if on_error:
            for err in rows["errors"]:
                on_error(InputError(err["error"]))
        store.write(shard, rows, shard_counts(rows))
        log(f"shard {store.name(shard)} written by a Ray actor")
        done += 1
    return done
