"""The per-shard body, written once: run the pipeline on one shard spec, write the tar atomically.

Every executor (in-process, process pool, Ray) calls `run_shard`; only the executor
differs. A shard task writes its tar under a temporary name and renames it; the driver
writes the `done` record after the rename, so a record never points at a partial shard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import webdataset as wds

from docsynth import config as C
from docsynth.pipeline import build_pipeline
from docsynth.steps import ShardContext
from docsynth.storage import HashingFile, Storage

TAR_MTIME = 0  # fixed member metadata: same plan and seed -> same bytes


@dataclass(frozen=True)
class ShardTask:
    index: int
    name: str  # file name under data/, e.g. train-00003-of-00016.tar
    inputs: dict  # the source's spec for this shard (from the plan)
    config: dict  # PipelineConfig as JSON
    out: str  # corpus root (path or URL)
    storage_options: dict | None = None
    encoder: Callable | None = None  # crops -> codes from elsewhere (Ray's vision actor pool); None: encode in-task


def shard_name(split: str, index: int, total: int) -> str:
    return f"{split}-{index:05d}-of-{total:05d}.tar"


def run_shard(task: ShardTask) -> dict:
    """Run one shard task; returns its record (written by the driver as done/NNNNN.json)."""
    cfg = C.from_dict(C.PipelineConfig, task.config)
    pipe = build_pipeline(cfg)
    store = Storage(task.out, **(task.storage_options or {}))
    ctx = ShardContext(shard=task.index, seed=cfg.seed, encoder=task.encoder)
    keys: list[str] = []
    with store.atomic_writer(f"data/{task.name}") as f:
        hw = HashingFile(f)
        with wds.TarWriter(hw, mtime=TAR_MTIME, user="", group="", mode=0o644, encoder=False) as tw:
            for sample in pipe.samples(task.inputs, ctx):
                tw.write(sample)
                keys.append(sample["__key__"])
                ctx.wrote(*sample["__doc__"], pages=sample.get("__pages__", 1))
    stats = ctx.finish()
    return {
        "index": task.index,
        "name": task.name,
        "samples": len(keys),
        "bytes": hw.n,
        "sha256": hw.hexdigest(),
        "first_key": keys[0] if keys else None,
        "stats": stats,
        "dropped": [d.to_json(task.index) for d in ctx.drops],
    }


def record_json(record: dict) -> str:
    return json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
