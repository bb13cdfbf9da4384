"""Ray executor: the plan's shard tasks on a local Ray cluster, or on any cluster by address.

The only module that imports `ray`. Each shard is one remote task that runs
`docsynth.shard.run_shard` (the same body as the in-process executor) and writes its own tar
atomically to the shared output; the task's record comes back to the driver, which writes the
`done` record and, at the end, the index. At most `2 * workers` tasks are in flight
(backpressure), and records stream back in the order tasks finish.

Faults: a task whose worker process dies (killed, out of memory, node lost) is retried by Ray
(`max_retries`); so is one that raised a transient I/O error (`RETRY_EXCEPTIONS`). A killed
attempt leaves no shard behind (the tar appears only by an atomic rename or upload commit),
and the retry writes the same bytes, so the corpus is identical to an uninterrupted run.

Vision encoding: by default each shard task encodes its own pages in-process (no transfers,
and with one intra-op thread the codes are bit-identical to the in-process executor). With
`vision_actors=N` a pool of N `VisionActor`s loads the vision tokenizer once each, on one GPU
each when the cluster has GPUs (else one CPU each), and shard tasks send each page batch to
the pool through `PoolEncoder`, a plain callable handed to the steps via `ShardTask.encoder`,
so no step imports ray.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import replace

import ray

from docsynth import shard as S
from docsynth.executors.local import init_worker

log = logging.getLogger("docsynth")
RETRY_EXCEPTIONS = (OSError, TimeoutError)  # transient I/O (ConnectionError is an OSError); other errors are bugs or bad input
TASK_NAME = "run_shard"  # a busy worker's process title is `ray::run_shard`


@ray.remote(num_cpus=1)
def run_shard(task: S.ShardTask) -> dict:
    init_worker()  # one intra-op thread: codes bit-identical to the in-process run
    return S.run_shard(task)


class ShardFailed(RuntimeError):
    pass


class RayExecutor:
    """`tasks -> records` on Ray; `workers` shard tasks run at once (0: one per CPU of the cluster)."""

    def __init__(
        self,
        workers: int = 1,
        address: str | None = None,
        *,
        max_retries: int = 3,
        vision_actors: int = 0,
        log_to_driver: bool = True,
    ):
        if workers < 0:
            raise ValueError(f"--workers: must be >= 0 (0: one per cluster CPU), got {workers}")
        if workers == 0 and address is None:
            raise ValueError("--workers 0 (one per cluster CPU) needs --ray-address; a local cluster needs a count")
        if max_retries < 0:
            raise ValueError(f"max_retries: must be >= 0, got {max_retries}")
        if vision_actors < 0:
            raise ValueError(f"--vision-actors: must be >= 0, got {vision_actors}")
        self.workers, self.address, self.max_retries = workers, address, max_retries
        self.vision_actors, self.log_to_driver = vision_actors, log_to_driver
        self.vision_batches = 0  # page batches the actor pool encoded in the last run

    def connect(self) -> None:
        """Join the cluster at `address`, or start a local one sized for the shard tasks and actors."""
        if ray.is_initialized():
            return
        if self.address is not None:
            ray.init(address=self.address, log_to_driver=self.log_to_driver)
            log.info("ray: joined %s (%s)", self.address, _resources())
            return
        ray.init(
            num_cpus=self.workers + self.vision_actors,  # CPU actors get their own cores
            include_dashboard=False,
            log_to_driver=self.log_to_driver,
            _node_ip_address="127.0.0.1",  # a private cluster: nothing listens beyond loopback
        )
        log.info("ray: started a local cluster (%s)", _resources())

    def __call__(self, tasks: list[S.ShardTask]) -> Iterator[dict]:
        if not tasks:
            return
        self.connect()
        workers = self.workers or int(ray.cluster_resources().get("CPU", 1))
        remote = run_shard.options(max_retries=self.max_retries, retry_exceptions=list(RETRY_EXCEPTIONS))
        pool = self._vision_pool(tasks[0].config)
        if pool is None:
            yield from _stream(remote, tasks, limit=2 * workers)
            return
        try:
            yield from _stream(remote, [replace(t, encoder=pool) for t in tasks], limit=2 * workers)
        finally:
            self.vision_batches = pool.close()
            log.info("ray: vision actors encoded %d page batches", self.vision_batches)

    def _vision_pool(self, cfg: dict) -> PoolEncoder | None:
        """Start `vision_actors` actors (one GPU each when the cluster has GPUs) and wait until they loaded."""
        if not self.vision_actors:
            return None
        res = ray.cluster_resources()
        gpus, cpus = res.get("GPU", 0), res.get("CPU", 0)
        if not gpus and self.vision_actors >= cpus:
            raise ValueError(f"--vision-actors {self.vision_actors}: CPU actors would hold all {cpus:g} CPUs of the "
                             "cluster and leave none for shard tasks")  # fmt: skip
        per_actor = min(1.0, gpus / self.vision_actors) if gpus else 0
        device = "cuda" if gpus else "cpu"
        opts = {"num_cpus": 1, "num_gpus": per_actor, "max_restarts": self.max_retries, "max_task_retries": self.max_retries}
        actors = [VisionActor.options(**opts).remote(cfg["vision"]["checkpoint"], device) for _ in range(self.vision_actors)]
        try:
            ray.get([a.ready.remote() for a in actors])
        except ray.exceptions.RayError as e:
            raise ShardFailed(f"vision actors: loading {cfg['vision']['checkpoint']!r} on {device} failed: {e}") from e
        log.info("ray: %d vision actor(s) on %s", len(actors), device)
        return PoolEncoder(actors)


@ray.remote
class VisionActor:
    """Holds one vision tokenizer; encodes the page batches that shard tasks send (the in-task call, remotely)."""

    def __init__(self, checkpoint: str, device: str):
        import torch

        from docsynth.pipeline import load_vision

        torch.set_num_threads(1)  # the in-process executor's setting: same codes on CPU
        self.tok = load_vision(checkpoint)
        if device != "cpu":
            # full fp32 convolutions and matmuls: TF32 (cuDNN's default) would move many codes
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
            self.tok.model = _OnDevice(self.tok.model, device)
        self.device, self.batches = device, 0

    def ready(self) -> str:
        return self.device

    def encode(self, crops: list) -> list:
        self.batches += 1
        return self.tok.encode(crops)  # uint8 (H, W[, C]) crops -> int32 (h, w, G) codes each

    def encoded(self) -> int:
        return self.batches


class _OnDevice:
    """The tokenizer's model on a device: inputs go there, codes come back to the CPU."""

    def __init__(self, model, device: str):
        self.inner, self.device, self.cfg = model.to(device), device, model.cfg

    def encode(self, x):
        return self.inner.encode(x.to(self.device)).cpu()  # (B, C, H, W) -> (B, h, w, G)


class PoolEncoder:
    """`crops -> codes` for the Encode step: one batch per call, to a random actor of the pool.

    Picklable (it holds actor handles), so it travels inside `ShardTask.encoder`.
    """

    def __init__(self, actors: list):
        self.actors = tuple(actors)

    def __call__(self, crops: list) -> list:
        actor = self.actors[random.randrange(len(self.actors))]
        return ray.get(actor.encode.remote(list(crops)))

    def close(self) -> int:
        """Stop the actors; returns how many batches they encoded."""
        try:
            return sum(ray.get([a.encoded.remote() for a in self.actors]))
        except ray.exceptions.RayError:
            return 0
        finally:
            for actor in self.actors:
                ray.kill(actor)


def _stream(remote, tasks: list[S.ShardTask], limit: int) -> Iterator[dict]:
    """Submit up to `limit` tasks, yield each record as its task finishes, refill; cancel the rest on exit."""
    queue = iter(tasks)
    pending: dict[ray.ObjectRef, S.ShardTask] = {}

    def fill() -> None:
        while len(pending) < limit and (task := next(queue, None)) is not None:
            pending[remote.remote(task)] = task

    fill()
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            task = pending.pop(ready[0])
            yield _result(ready[0], task)
            fill()
    finally:
        # The driver stopped early (a failed shard, Ctrl-C): stop the rest. force=True kills their worker
        # processes: a plain cancel raises KeyboardInterrupt inside the task, and one that lands during an
        # import leaves a half-initialised module in a worker that Ray then reuses (a resumed run failed
        # with "module 'matplotlib' has no attribute 'get_data_path'"). A shard's writes are atomic, so a
        # killed task leaves nothing that looks complete.
        for ref in pending:
            ray.cancel(ref, force=True)


def _result(ref: ray.ObjectRef, task: S.ShardTask) -> dict:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = e.cause
        raise ShardFailed(f"shard {task.index} ({task.name}) failed: {type(cause).__name__}: {cause}") from cause
    except ray.exceptions.RayError as e:  # worker or node died more often than max_retries allows
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ShardFailed(f"shard {task.index} ({task.name}) failed on Ray: {type(e).__name__}: {first}") from e


def _resources() -> str:
    res = ray.cluster_resources()
    return ", ".join(f"{k}={res[k]:g}" for k in ("CPU", "GPU") if k in res)
