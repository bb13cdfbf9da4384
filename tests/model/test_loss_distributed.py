"""Vocab-parallel mixed-target cross-entropy over gloo equals the single-process result."""

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from docsynth.model import loss as L

N, V_LOCAL, G = 10, 6, 4


def _case(world, dtype):
    gen = torch.Generator().manual_seed(world)
    v = V_LOCAL * world
    logits = (torch.randn(N, v, generator=gen) * 2).to(dtype)
    targets = torch.randint(0, v, (N, G), generator=gen)
    targets[0] = targets[0, 0]  # text row, one-hot
    targets[1, :3] = V_LOCAL * world - 1  # duplicates in the last rank's slice
    targets[2] = L.IGNORE_INDEX  # ignored row
    targets[3, 1] = L.IGNORE_INDEX  # one ignored entry
    targets[4] = torch.arange(G) * V_LOCAL % v  # ids spread across ranks
    weights = torch.rand(N, G, generator=gen, dtype=dtype)
    return logits, targets, weights


def _value_and_grad(logits, targets, weights, reduction, group=None):
    x = logits.clone().requires_grad_()
    out = L.mixed_target_cross_entropy(x, targets, weights, reduction=reduction, process_group=group)
    upstream = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out) if out.dim() else None
    out.backward(upstream)
    return out.detach(), x.grad


def _worker(rank, world, init_method):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world)
    try:
        for dtype, tol in [(torch.float64, 1e-10), (torch.float32, 1e-5)]:
            logits, targets, weights = _case(world, dtype)
            local = logits[:, rank * V_LOCAL : (rank + 1) * V_LOCAL].contiguous()
            for reduction in ("mean", "sum", "none"):
                for w in (None, weights):
                    want, want_grad = _value_and_grad(logits, targets, w, reduction)
                    got, got_grad = _value_and_grad(local, targets, w, reduction, dist.group.WORLD)
                    torch.testing.assert_close(got, want, atol=tol, rtol=tol)
                    want_slice = want_grad[:, rank * V_LOCAL : (rank + 1) * V_LOCAL]
                    torch.testing.assert_close(got_grad, want_slice, atol=tol, rtol=tol)
        with pytest.raises(ValueError, match=rf"\[0, {V_LOCAL * world}\)"):
            bad = torch.full((N, G), V_LOCAL * world)
            L.mixed_target_cross_entropy(torch.zeros(N, V_LOCAL), bad, process_group=dist.group.WORLD)
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("world", [2, 4])
def test_vocab_parallel_matches_single_process(world, tmp_path):
    init_method = f"file://{tmp_path / 'store'}"
    # fork skips re-importing torch in every rank (seconds each on a loaded 2-core machine);
    # the ranks run CPU-only gloo, as DataLoader workers fork from a parent that used torch
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    mp.start_processes(_worker, args=(world, init_method), nprocs=world, join=True, start_method=method)
