"""Every use of torch.distributed: process setup, DDP wrapping, collectives for logs and
checkpoints, and the vocab-parallel output head. Model code never imports torch.distributed.

Vocab-parallel head (data parallel underneath): rank r keeps rows [r·n, (r+1)·n) of the
output matrix, padded to world·n rows (padding ids get logits of -inf). The ranks all-gather
the hidden rows that carry a target (and their targets), each computes the logits of its
vocabulary slice for every rank's rows, and `mixed_target_cross_entropy(..., process_group)`
combines the slices. The loss is then the mean over all ranks' rows, the same on every rank.
Backward of the gather reduce-scatters the hidden-row gradient and multiplies it by the world
size, because DDP averages the trunk gradients (a sum is what the global mean needs); the
head slice is excluded from DDP, its gradient is already complete on its rank.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Dist:
    rank: int = 0  # global rank
    world_size: int = 1  # processes
    local_rank: int = 0  # rank on this machine (selects the GPU)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))  # this process's device

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str) -> Dist:
    """Dist for this process; under `torchrun` (WORLD_SIZE > 1) joins the process group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"--device {device}: CUDA is not available on this machine")
    if world == 1:
        return Dist(device=torch.device(device))
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return Dist(rank=rank, world_size=world, local_rank=local, device=dev)


def shutdown(d: Dist) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()


def wrap_ddp(model: nn.Module, d: Dist, ignore: tuple[str, ...] = ()) -> nn.Module:
    """DDP around the model (the model itself on one process); `ignore` names unsynced parameters."""
    if not d.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    if ignore:
        DDP._set_params_and_buffers_to_ignore_for_model(model, list(ignore))
    return DDP(model, device_ids=[d.local_rank] if d.device.type == "cuda" else None)


def all_sum(values: list[float], d: Dist) -> list[float]:
    """Sums of scalar metrics over ranks (one all-reduce); ratios of such sums are global means."""
    if not d.enabled:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=d.device)
    dist.all_reduce(t)
    return t.tolist()


def gather_objects(obj, d: Dist) -> list:
    """Every rank's `obj`, in rank order (the loader states of a checkpoint)."""
    if not d.enabled:
        return [obj]
    out = [None] * d.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()


# --------------------------------------------------------------------------- vocab-parallel head


class _GatherRows(torch.autograd.Function):
    """(n, ...) per rank -> (world·n, ...) in rank order; backward: reduce-scatter × world."""

    @staticmethod
    def forward(ctx, x, world: int, rank: int):
        ctx.world, ctx.rank = world, rank
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)  # (world·n, ...)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad)  # sum of every rank's partial gradient (works on gloo and nccl)
        n = grad.shape[0] // ctx.world
        return grad[ctx.rank * n : (ctx.rank + 1) * n] * ctx.world, None, None


def gather_rows(x: torch.Tensor, d: Dist, pad_value=0) -> torch.Tensor:
    """Rows of every rank in rank order, each rank's padded with `pad_value` to the largest count."""
    n = torch.tensor([x.shape[0]], device=x.device)
    sizes = [torch.zeros_like(n) for _ in range(d.world_size)]
    dist.all_gather(sizes, n)
    n_max = int(max(s.item() for s in sizes))
    padded = torch.cat([x, x.new_full((n_max - x.shape[0], *x.shape[1:]), pad_value)])  # (n_max, ...)
    if x.requires_grad:
        return _GatherRows.apply(padded, d.world_size, d.rank)  # (world·n_max, ...)
    parts = [torch.empty_like(padded) for _ in range(d.world_size)]
    dist.all_gather(parts, padded)
    return torch.cat(parts)


class VocabParallelHead:
    """Shards `model.head` over the vocabulary in place; `__call__` gives the loss inputs."""

    param_name = "head.weight"

    def __init__(self, model: nn.Module, d: Dist):
        if not d.enabled:
            raise ValueError("--vocab-parallel needs several processes (run under torchrun)")
        self.d, self.vocab = d, model.head.out_features
        self.shard = -(-self.vocab // d.world_size)  # rows per rank: ceil(V / world)
        full = model.head.weight.detach()  # (V, D), the same on every rank (same seed)
        model.head = nn.Linear(full.shape[1], self.shard, bias=False, device=full.device, dtype=full.dtype)
        with torch.no_grad():
            model.head.weight.copy_(self.take(full))
        self.model, self.group = model, dist.group.WORLD  # the loss combines the slices over this group

    def take(self, full: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a (V, ...) tensor, zero-padded to world·shard rows."""
        pad = full.new_zeros((self.shard * self.d.world_size - full.shape[0], *full.shape[1:]))
        return torch.cat([full, pad])[self.d.rank * self.shard : (self.d.rank + 1) * self.shard].clone()

    def full(self, shard: torch.Tensor) -> torch.Tensor:
        """Every rank's rows of a sharded tensor -> (V, ...) (a collective: all ranks call it)."""
        parts = [torch.empty_like(shard) for _ in range(self.d.world_size)]
        dist.all_gather(parts, shard.contiguous())
        return torch.cat(parts)[: self.vocab]

    def __call__(self, hidden: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor):
        """hidden (N, D), targets (N, G), row weights (N,) of this rank -> local logits
        (N_all, shard), targets (N_all, G) and row weights (N_all,) of every rank, in rank order."""
        h_all = gather_rows(hidden, self.d)  # (N_all, D)
        t_all = gather_rows(targets, self.d, pad_value=-100)  # (N_all, G); padding rows are ignored
        w_all = gather_rows(weights, self.d, pad_value=0.0)  # (N_all,)
        logits = self.model.head(h_all)  # (N_all, shard)
        ids = self.d.rank * self.shard + torch.arange(self.shard, device=logits.device)
        if ids[-1] >= self.vocab:  # padding ids of the last rank never win the softmax
            logits = logits.masked_fill(ids >= self.vocab, float("-inf"))
        return logits, t_all, w_all

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Clip by the norm of the whole model: the trunk's (the same on every rank after DDP)
        and every rank's head slice. A rank-local norm would clip ranks differently."""
        shard = self.model.head.weight
        trunk = [p for p in self.model.parameters() if p is not shard and p.grad is not None]
        head_sq = shard.grad.detach().float().pow(2).sum()
        dist.all_reduce(head_sq, group=self.group)
        total = (torch.nn.utils.get_total_norm(trunk).float().pow(2) + head_sq).sqrt()
        torch.nn.utils.clip_grads_with_norm_([*trunk, shard], max_norm, total)
        return total

    # ----------------------------------------------------------------- checkpoints

    def full_state(self, model_state: dict, optim_state: dict, param_index: int) -> tuple[dict, dict]:
        """Model and optimiser state with the head (and its AdamW moments) gathered to (V, D)."""
        model_state = {**model_state, self.param_name: self.full(model_state[self.param_name])}
        st = optim_state["state"].get(param_index, {})
        full = {k: (self.full(v) if torch.is_tensor(v) and v.dim() == 2 else v) for k, v in st.items()}
        return model_state, {**optim_state, "state": {**optim_state["state"], param_index: full}}

    def shard_state(self, model_state: dict, optim_state: dict, param_index: int) -> tuple[dict, dict]:
        """The inverse of `full_state` for this rank."""
        model_state = {**model_state, self.param_name: self.take(model_state[self.param_name])}
        st = optim_state["state"].get(param_index, {})
        mine = {k: (self.take(v) if torch.is_tensor(v) and v.dim() == 2 else v) for k, v in st.items()}
        return model_state, {**optim_state, "state": {**optim_state["state"], param_index: mine}}
