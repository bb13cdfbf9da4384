"""Scaling of `docsynth generate` on Ray: pages/s with 1, 2, … N workers against the in-process executor.

Weak scaling: each run gives every worker the same number of documents, so a run takes about
as long at every width. Each width gets a fresh local Ray cluster of exactly that many CPUs,
and one untimed warm-up run of other documents first (worker start, imports, font and tokenizer
loading are paid once per process, not per shard). Only the executor phase is timed (first
task submitted to last record back), so planning and the corpus card do not blur the ratio.
The baseline is the in-process executor on one core, measured in the same run before and after
the Ray runs, after its own warm-up. Each configuration keeps its best of `--repeats` timed runs
(other load on a shared machine only ever slows a run down). Parallel efficiency at w workers
= rate(w) / (w × rate(in-process)). On a machine shared with other work, wall-clock efficiency
also measures the neighbours; the CPU columns do not: `cpu s/page` counts the CPU time of the
driver and every process it started (Ray's raylet, GCS and workers included), and `cpu eff`
= cpu/page in-process ÷ cpu/page on Ray, the share of Ray's CPU time that did the in-process
work (100%: no overhead from distribution).

    python bench/scale.py                      # 1 and 2 workers (a 2-core machine)
    python bench/scale.py --workers 1,2,4,8,16 --docs-per-worker 32
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import psutil

os.environ.setdefault("OMP_NUM_THREADS", "1")

SMALL = ["layout.page_sizes=a5", "render.dpi=72", "layout.max_pages=2", "source.paragraphs=2,8"]


@dataclass(order=True)
class Run:
    rate: float  # pages/s (first field: runs compare by it)
    pages: int
    seconds: float  # wall time of the executor phase
    cpu: float  # CPU seconds of this process and all its descendants (Ray's raylet, GCS, workers) meanwhile

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / max(self.pages, 1)


def cpu_seconds() -> dict[int, float]:
    """user + system CPU seconds of this process and each live descendant, by pid."""
    out = {}
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            t = proc.cpu_times()
            out[proc.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


class Timed:
    """Wraps an executor; measures the executor phase (first submission to last record): wall, CPU, pages."""

    def __init__(self, executor):
        self.executor, self.run = executor, None

    def __call__(self, tasks):
        pages, cpu0, t0 = 0, cpu_seconds(), time.perf_counter()
        for rec in self.executor(tasks):
            pages += rec["stats"]["pages_written"]
            yield rec
        seconds, cpu1 = time.perf_counter() - t0, cpu_seconds()
        cpu = sum(v - cpu0.get(pid, 0.0) for pid, v in cpu1.items())  # processes started meanwhile count from 0
        self.run = Run(pages / seconds, pages, seconds, cpu)


def config(num_docs: int, per_shard: int, seed: int, overrides: list[str]):
    from docsynth import config as C
    from docsynth.pipelines import synth

    return C.apply_overrides(synth.config(num_docs=num_docs, seed=seed), SMALL + [f"shards.docs_per_shard={per_shard}", *overrides])


def measure(executor, num_docs: int, per_shard: int, overrides: list[str], repeats: int) -> Run:
    """The fastest of `repeats` timed runs, after one untimed warm-up run of other documents."""
    from docsynth.runner import generate

    root = tempfile.mkdtemp(prefix="docsynth-scale-")
    try:
        generate(config(num_docs, per_shard, 10**6, overrides), f"{root}/warm", executor)  # fonts, models, imports
        runs = []
        for r in range(repeats):
            timed = Timed(executor)
            generate(config(num_docs, per_shard, 0, overrides), f"{root}/run{r}", timed)
            runs.append(timed.run)
        return max(runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def row(name: str, w: int, run: Run, base: Run) -> str:
    speedup = run.rate / base.rate
    cpu_eff = base.cpu_per_page / run.cpu_per_page
    return (f"{name:<12}{w:>8}{run.pages:>7}{run.seconds:>9.2f}{run.rate:>9.2f}{speedup:>9.2f}{speedup / w:>11.0%}"
            f"{run.cpu_per_page:>11.3f}{cpu_eff:>10.0%}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", default="1,2", help="comma-separated Ray worker counts (default 1,2)")
    p.add_argument("--docs-per-worker", type=int, default=16, help="documents each worker renders in the timed run")
    p.add_argument("--docs-per-shard", type=int, default=2, help="documents per shard task")
    p.add_argument("--repeats", type=int, default=2, help="timed runs per configuration; the fastest counts (shared machines are noisy)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = p.parse_args(argv)
    widths = [int(w) for w in args.workers.split(",")]
    import ray
    import torch

    from docsynth.executors.local import LocalExecutor
    from docsynth.executors.ray import RayExecutor

    torch.set_num_threads(1)
    per, shard, reps = args.docs_per_worker, args.docs_per_shard, args.repeats
    print(f"cpus={os.cpu_count()} docs/worker={per} docs/shard={shard} repeats={reps} overrides={SMALL + args.overrides}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    base = measure(LocalExecutor(1), per, shard, args.overrides, reps)
    rows = []
    for w in widths:
        ray.shutdown()
        executor = RayExecutor(w, log_to_driver=False)
        executor.connect()  # a fresh local cluster of exactly w CPUs
        rows.append((w, measure(executor, w * per, shard, args.overrides, reps)))
    ray.shutdown()
    base = max(base, measure(LocalExecutor(1), per, shard, args.overrides, reps))  # load may have changed meanwhile
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(f"{'executor':<12}{'workers':>8}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'speedup':>9}{'efficiency':>11}"
          f"{'cpu s/page':>11}{'cpu eff':>10}")  # fmt: skip
    print(row("in-process", 1, base, base))
    for w, run in rows:
        print(row("ray", w, run, base))


if __name__ == "__main__":
    main()
