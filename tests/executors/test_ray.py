"""The Ray executor on a local 2-CPU cluster: the in-process bytes, through killed workers and drivers, to S3."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from docsynth import config as C
from docsynth.commands._common import Progress
from docsynth.executors.local import LocalExecutor
from docsynth.pipelines import synth
from docsynth.runner import generate
from docsynth.shard import ShardTask
from docsynth.storage import Storage

ray = pytest.importorskip("ray")
from docsynth.executors.ray import TASK_NAME, RayExecutor, ShardFailed, _stream  # noqa: E402

pytestmark = pytest.mark.usefixtures("ray_cluster")
NUM_DOCS, PER_SHARD = 6, 2  # 3 shards


def small_cfg(overrides: list[str]) -> C.PipelineConfig:
    return C.apply_overrides(synth.config(num_docs=NUM_DOCS, seed=0), overrides + [f"shards.docs_per_shard={PER_SHARD}"])


def corpus_files(out: str, storage_options: dict | None = None) -> dict[str, bytes]:
    """What a reader sees: every file under data/ (leftovers included), index, errors, vocab, card."""
    store = Storage(out, **(storage_options or {}))
    names = [f"data/{n}" for n in store.ls("data")] + [".docsynth/index.json", ".docsynth/errors.jsonl", "vocab.json", "README.md"]
    return {n: store.read_bytes(n) for n in names}


def cli(out: str, overrides: list[str], *extra: str) -> list[str]:
    sets = [a for kv in overrides for a in ("--set", kv)]
    return [sys.executable, "-m", "docsynth", "generate", "--source", "faker", "--num-docs", str(NUM_DOCS),
            "--docs-per-shard", str(PER_SHARD), "--seed", "0", "--out", out, "--executor", "ray", "--workers", "2",
            *sets, *extra]  # fmt: skip


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tiny_assets):
    out = str(tmp_path_factory.mktemp("ref") / "corpus")
    generate(small_cfg(tiny_assets), out, LocalExecutor(1))
    return corpus_files(out)


def test_ray_output_is_byte_identical_to_in_process(reference, tiny_assets, tmp_path):
    progress = Progress()
    try:
        index = generate(small_cfg(tiny_assets), str(tmp_path / "ray"), RayExecutor(2), progress=progress)
    finally:
        progress.close()
    assert corpus_files(str(tmp_path / "ray")) == reference
    assert index["num_shards"] == 3 and progress.bar.n == 3  # one display across out-of-order records
    assert progress.pages == index["totals"]["pages_written"] and progress.dropped == index["totals"]["docs_dropped"]


def test_vision_actor_pool_gives_the_same_corpus(reference, tiny_assets, tmp_path):
    executor = RayExecutor(2, vision_actors=1)
    generate(small_cfg(tiny_assets), str(tmp_path / "pool"), executor)
    assert executor.vision_batches > 0  # the pages went through the actor, not the tasks' own tokenizer
    assert corpus_files(str(tmp_path / "pool")) == reference


def test_bad_settings_are_refused_with_the_option_named():
    with pytest.raises(ValueError, match="--workers: must be >= 0"):
        RayExecutor(-1)
    with pytest.raises(ValueError, match="--workers 0 .* needs --ray-address"):
        RayExecutor(0)
    with pytest.raises(ValueError, match="--vision-actors 2: CPU actors would hold all 2 CPUs"):
        RayExecutor(2, vision_actors=2)._vision_pool({"vision": {"checkpoint": "default"}})


def test_at_most_twice_workers_in_flight():
    @ray.remote(num_cpus=1)
    def echo(task):
        time.sleep(0.01)
        return {"index": task}

    submitted, seen = [], []

    class Counting:
        def remote(self, task):
            submitted.append(task)
            return echo.remote(task)

    for rec in _stream(Counting(), list(range(12)), limit=4):
        assert len(submitted) - len(seen) <= 4  # in flight, this one included
        seen.append(rec["index"])
    assert sorted(seen) == list(range(12)) and len(submitted) == 12


def test_a_failing_task_names_its_shard():
    @ray.remote(num_cpus=1)
    def boom(task):
        raise ValueError(f"cannot read {task.inputs['doc']}")

    tasks = [ShardTask(i, f"train-{i:05d}-of-00002.tar", {"doc": f"doc{i}"}, {}, "unused") for i in range(2)]
    with pytest.raises(ShardFailed, match=r"shard \d \(train-0000\d-of-00002.tar\) failed: ValueError: cannot read doc\d"):
        list(_stream(boom.options(max_retries=0), tasks, limit=2))


def test_a_failed_shard_kills_the_workers_of_the_rest(tmp_path):
    """A plain cancel interrupts the other tasks with KeyboardInterrupt, and a worker interrupted inside an
    import keeps the half-initialised module and is reused (a resumed run then failed in CI with "module
    'matplotlib' has no attribute 'get_data_path'"). The still-running shards' workers must be gone."""
    pid_file = tmp_path / "pid"

    @ray.remote(num_cpus=1)
    def task(t):
        if t.index == 0:
            while not pid_file.exists():  # fail once the other shard is surely running
                time.sleep(0.01)
            raise ValueError("bad input")
        pid_file.write_text(str(os.getpid()))
        time.sleep(120)
        return {"index": t.index}

    tasks = [ShardTask(i, f"train-{i:05d}-of-00002.tar", {}, {}, "unused") for i in range(2)]
    with pytest.raises(ShardFailed, match=r"shard 0 .* ValueError: bad input"):  # a worker lost for another reason is retried
        list(_stream(task.options(max_retries=2), tasks, limit=2))
    worker = psutil.Process(int(pid_file.read_text()))
    deadline = time.monotonic() + 30
    while worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the cancelled shard's worker is still alive, to be reused"
        time.sleep(0.05)


def test_worker_killed_mid_shard_is_redone(reference, tiny_assets, tmp_path):
    out = str(tmp_path / "killed")
    result = {}
    run = threading.Thread(target=lambda: result.update(index=generate(small_cfg(tiny_assets), out, RayExecutor(2))))
    run.start()
    killed = _kill_a_shard_worker(lambda: run.is_alive())
    run.join(120)
    assert killed is not None, "no worker was seen running a shard"
    assert "index" in result, "the run did not finish after its worker was killed"
    assert corpus_files(out) == reference  # complete, identical, and nothing partial left under data/


def test_retries_exhausted_name_the_shard_and_resume_completes(reference, tiny_assets, tmp_path):
    out = str(tmp_path / "failed")
    errors = []

    def run():
        try:
            generate(small_cfg(tiny_assets), out, RayExecutor(2, max_retries=0))
        except ShardFailed as e:
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    killed = _kill_a_shard_worker(lambda: thread.is_alive())
    thread.join(120)
    assert killed is not None and len(errors) == 1
    assert "failed on Ray" in str(errors[0]) and "train-0000" in str(errors[0])
    _wait_for_idle_workers()
    generate(small_cfg(tiny_assets), out, RayExecutor(2), resume=True)
    assert corpus_files(out) == reference


def test_killed_driver_is_resumed(reference, tiny_assets, ray_cluster, tmp_path):
    out = tmp_path / "driver"
    args = cli(str(out), tiny_assets, "--ray-address", ray_cluster)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while not list(out.glob(".docsynth/done/*.json")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no shard record within 120 s"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert not (out / ".docsynth/index.json").exists(), "the run finished before it was killed"
    _wait_for_idle_workers()  # the dead driver's tasks are torn down with its job
    done = subprocess.run(args + ["--resume"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert corpus_files(str(out)) == reference


def test_cli_on_its_own_cluster_writes_to_s3(reference, tiny_assets, s3_server, tmp_path):
    url, opts = "s3://corpora/run1", s3_server
    storage = [f"key={opts['key']}", f"secret={opts['secret']}"] + [f"client_kwargs.{k}={v}" for k, v in opts["client_kwargs"].items()]
    args = cli(url, tiny_assets, *(a for kv in storage for a in ("--storage-option", kv)))  # no --ray-address: a local cluster
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ray: started a local cluster (CPU=2)" in done.stderr
    assert corpus_files(url, opts) == reference
    seen = []
    again = generate(small_cfg(tiny_assets), url, RayExecutor(2), resume=True, storage_options=opts, progress=_Recorder(seen))
    assert seen == [] and again["num_shards"] == 3  # every record and checksum held on S3: nothing redone
    _read_back_from_s3(url, storage, tmp_path)


def _read_back_from_s3(url: str, storage: list[str], tmp: Path) -> None:
    """The reading commands take the same --storage-option flags as generate."""
    from docsynth.cli import main

    opts = [a for kv in storage for a in ("--storage-option", kv)]
    assert main(["validate", url, *opts]) == 0
    assert main(["stats", url, "--json", str(tmp / "stats.json"), *opts]) == 0
    assert main(["inspect", url, "--format", "A", "--out", str(tmp / "page.png"), *opts]) == 0
    assert json.loads((tmp / "stats.json").read_text())["samples_read"] > 0 and (tmp / "page.png").stat().st_size > 0
    assert main(["train", "--data", url, "--steps", "2", "--seq-len", "64", "--out", str(tmp / "run"), *opts]) == 0
    assert [json.loads(line)["step"] for line in (tmp / "run" / "metrics.jsonl").open()] == [0, 1]


class _Recorder:
    def __init__(self, into: list):
        self.into = into

    def start(self, todo: int, total: int) -> None:
        pass

    def __call__(self, rec: dict) -> None:
        self.into.append(rec)


def _shard_workers() -> list[psutil.Process]:
    """Ray worker processes of this test's cluster that are running a shard task right now."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.cmdline()[:1] == [f"ray::{TASK_NAME}"]:
                found.append(proc)
        except psutil.Error:
            pass
    return found


def _kill_a_shard_worker(running, timeout: float = 90) -> int | None:
    """SIGKILL the first worker seen inside a shard task, a little after it started; returns its pid."""
    deadline = time.monotonic() + timeout
    while running() and time.monotonic() < deadline:
        for proc in _shard_workers():
            time.sleep(0.05)  # into the shard: rendering has begun (tiny shards take well under a second)
            try:
                if proc.cmdline()[:1] == [f"ray::{TASK_NAME}"]:
                    proc.kill()
                    return proc.pid
            except psutil.Error:  # it finished its shard and moved on, or exited
                pass
        time.sleep(0.005)
    return None


def _wait_for_idle_workers(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _shard_workers():
        assert time.monotonic() < deadline, "shard tasks still running"
        time.sleep(0.05)
