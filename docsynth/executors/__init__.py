"""Executors schedule shard tasks; `docsynth.shard.run_shard` computes them.

An executor is a callable `tasks -> iterator of shard records` (records may come back in
any order). Only `executors/ray.py` imports `ray`.
"""

from __future__ import annotations

EXECUTORS = ("local", "ray")


def make_executor(kind: str, *, workers: int = 1, **kwargs):
    if kind == "local":
        from docsynth.executors.local import LocalExecutor

        return LocalExecutor(workers=workers)
    if kind == "ray":
        from docsynth.executors.ray import RayExecutor

        return RayExecutor(workers=workers, **kwargs)
    raise ValueError(f"--executor: unknown executor {kind!r}; known: {EXECUTORS}")
