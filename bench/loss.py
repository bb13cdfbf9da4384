"""Forward+backward time and peak memory of the mixed-target loss against two baselines.

    python bench/loss.py                      # CPU, N=8192, V=32000+8*1024, G=8, 1 thread
    python bench/loss.py --device cuda        # bf16 on CUDA (the Triton path)

Methods: ``onehot`` is ``F.cross_entropy`` against the first id of each row (the floor: it
cannot express a soft target); ``dense`` is the dense soft-target PyTorch reference; ``ours``
is ``mixed_target_cross_entropy`` with a fresh gradient buffer; ``ours_inplace`` writes the
gradient into the logits' buffer. Half the rows are text rows ``[t] * G``, half image rows.

Each method returns the gradient of the logits with ``torch.autograd.grad`` (as the head's
matmul backward would consume it), so no ``.grad`` accumulation copies it. Peak memory is the
memory beyond the logits (and the targets): on CPU the RSS high-water mark
of a fresh subprocess per method minus its RSS once the logits exist; on CUDA
``max_memory_allocated`` minus the allocation after the logits. Times are medians over
``--repeats`` runs after one warm-up, with the same thread setting; on CPU the methods run
round-robin in one process so that other load on the machine hits them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

METHODS = ("onehot", "dense", "ours", "ours_inplace")


def make_targets(n, v_text, G, K, device):
    """(N, G): even rows text [t]*G, odd rows image codes B + g*K + c_g with B = v_text."""
    gen = torch.Generator().manual_seed(0)
    text = torch.randint(0, v_text, (n, 1), generator=gen).expand(n, G)  # (N, G)
    codes = torch.randint(0, K, (n, G), generator=gen) + v_text + torch.arange(G) * K  # (N, G)
    rows = torch.where((torch.arange(n) % 2 == 0)[:, None], text, codes)
    return rows.contiguous().to(device)


def loss_fn(method):
    from docsynth.model.loss import (
        dense_soft_target_cross_entropy,
        mixed_target_cross_entropy,
    )

    return {
        "onehot": lambda x, t: F.cross_entropy(x, t[:, 0]),
        "dense": lambda x, t: dense_soft_target_cross_entropy(x, t),
        "ours": lambda x, t: mixed_target_cross_entropy(x, t),
        "ours_inplace": lambda x, t: mixed_target_cross_entropy(x, t, inplace_backward=True),
    }[method]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_cpu_worker(args):
    """In a fresh process: peak memory of one method (--worker), or the times of all methods
    run round-robin (--worker timing) so that load on a shared machine hits them alike."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # the same logits in every worker: the loss column must agree
    targets = make_targets(args.n, args.v_text, args.G, args.K, "cpu")
    x = torch.randn(args.n, args.v_text + args.G * args.K).requires_grad_()  # (N, V)
    base = rss_bytes()
    if args.worker != "timing":
        value, _ = fwd_bwd(loss_fn(args.worker), x, targets)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
        print(json.dumps({"method": args.worker, "peak_bytes": peak, "loss": value,
                              "logits_bytes": x.numel() * x.element_size()}))
        return
    times = {m: [] for m in METHODS}
    for i in range(args.repeats + 1):
        for method in METHODS:
            times[method].append(fwd_bwd(loss_fn(method), x, targets)[1])
    print(json.dumps({m: statistics.median(t[1:]) for m, t in times.items()}))


def fwd_bwd(fn, x, targets):
    """(loss value, seconds) of one forward+backward on fresh logits values."""
    with torch.no_grad():
        x.normal_(generator=torch.Generator().manual_seed(1))  # ours_inplace overwrote them
    t0 = time.perf_counter()
    loss = fn(x, targets)
    (grad,) = torch.autograd.grad(loss, x)  # what a head's matmul backward would consume
    seconds = time.perf_counter() - t0
    value = loss.item()
    del loss, grad
    return value, seconds


def run_cpu(args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    results = [_cpu_subprocess(args, env, m) for m in METHODS + ("timing",)]
    times = results.pop()
    return [dict(r, time_s=times[r["method"]]) for r in results]


def _cpu_subprocess(args, env, worker):
    cmd = [sys.executable, __file__, "--worker", worker] + _shared_flags(args)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench worker {worker} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cuda(args):
    torch.manual_seed(0)
    targets = make_targets(args.n, args.v_text, args.G, args.K, "cuda")
    x = torch.randn(args.n, args.v_text + args.G * args.K, device="cuda", dtype=torch.bfloat16)
    x.requires_grad_()
    rows = []
    for method in METHODS:
        fn = loss_fn(method)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        times = []
        for i in range(args.repeats + 3):
            with torch.no_grad():
                x.normal_()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            loss = fn(x, targets)
            (grad,) = torch.autograd.grad(loss, x)
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
            value = loss.item()
            del loss, grad
        peak = torch.cuda.max_memory_allocated() - base
        rows.append({"method": method, "time_s": statistics.median(times[3:]), "peak_bytes": peak,
                         "logits_bytes": x.numel() * x.element_size(), "loss": value})
    return rows


def print_table(rows, header):
    floor = next(r for r in rows if r["method"] == "onehot")
    print(header)
    print(f"logits: {rows[0]['logits_bytes'] / 2**20:.0f} MiB")
    print(f"{'method':14s} {'time s':>8s} {'x onehot':>9s} {'peak MiB':>9s} {'x onehot':>9s} {'loss':>9s}")
    for r in rows:
        print(
            f"{r['method']:14s} {r['time_s']:8.3f} {r['time_s'] / floor['time_s']:9.2f} "
            f"{r['peak_bytes'] / 2**20:9.0f} {r['peak_bytes'] / max(floor['peak_bytes'], 1):9.2f} "
            f"{r['loss']:9.4f}"
        )


def _shared_flags(args):
    return ["--n", str(args.n), "--v-text", str(args.v_text), "--G", str(args.G), "--K", str(args.K),
            "--threads", str(args.threads), "--repeats", str(args.repeats)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=8192, help="rows")
    p.add_argument("--v-text", type=int, default=32000, help="text part of the vocabulary")
    p.add_argument("--G", type=int, default=8, help="code pools (ids per row)")
    p.add_argument("--K", type=int, default=1024, help="codes per pool")
    p.add_argument("--threads", type=int, default=1, help="torch threads for every method")
    p.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up")
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu")
    p.add_argument("--worker", choices=METHODS + ("timing",), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return run_cpu_worker(args)
    shape = f"N={args.n} V={args.v_text}+{args.G}*{args.K} G={args.G}"
    if args.device in ("cpu", "all"):
        print_table(run_cpu(args), f"CPU fp32, {args.threads} thread(s), {shape}")
    if args.device in ("cuda", "all"):
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device")
        print_table(run_cuda(args), f"CUDA bf16 ({torch.cuda.get_device_name()}), {shape}")


if __name__ == "__main__":
    main()
