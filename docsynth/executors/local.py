"""In-process executor: one process, or a pool of `workers` spawned processes."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from docsynth.shard import ShardTask, run_shard


def init_worker() -> None:
    """One intra-op thread per worker: parallelism comes from shards, and codes stay bit-stable."""
    import torch

    torch.set_num_threads(1)


class LocalExecutor:
    def __init__(self, workers: int = 1):
        if workers < 1:
            raise ValueError(f"--workers: must be at least 1, got {workers}")
        self.workers = workers

    def __call__(self, tasks: list[ShardTask]) -> Iterator[dict]:
        if self.workers == 1 or len(tasks) <= 1:
            init_worker()
            for task in tasks:
                yield run_shard(task)
            return
        ctx = mp.get_context("spawn")  # torch and fork do not mix
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=init_worker) as pool:
            pending = iter(tasks)
            running = {pool.submit(run_shard, t) for t in _take(pending, 2 * self.workers)}
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
                running |= {pool.submit(run_shard, t) for t in _take(pending, len(finished))}


def _take(it, n: int) -> list:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out
