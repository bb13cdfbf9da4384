"""Mixed-target cross-entropy: one softmax over the vocabulary, a target row of G weighted ids.

Every sequence position carries a row of ``G`` target ids (DESIGN §4): a text position is
``[t] * G`` and an image position holds one code from each of the ``G`` pools. With weights
``w`` (default ``1/G`` each; duplicated ids add up, so a text row is one-hot) the loss of a row is

    loss = logsumexp(l) - Σ_g w_g · l[id_g],        d loss / d l = softmax(l) - p,

where ``p`` is the sparse target ``p[id_g] += w_g``. ``p`` is never materialised densely: the
forward gathers the ``G`` target logits and saves only the per-row log-sum-exp (fp32); the
backward writes ``exp(l - lse) · grad`` chunk by chunk and adds ``-w · grad`` at the target
ids with ``scatter_add_`` (``grad[row, idx] -= w`` is undefined for duplicated ids).

Vocab-parallel (``process_group`` given): each rank holds the logits of the ids
``[rank·V_local, (rank+1)·V_local)``. The row max is all-reduced with MAX, then the rescaled
``[sum_exp, target_dot]`` pair is all-reduced with one SUM; each rank gathers and scatters only
the target ids of its own slice. No term depends on the vocabulary size, so the local/global
vocabulary confusion of Megatron's vocab-parallel label smoothing cannot arise here.

Logging: an image position whose ``G`` codes are distinct has a loss floor of ``log G``
(``image_loss_floor``); logs report ``loss - log G`` for image positions so 0 is perfect.
"""

from __future__ import annotations

import math

import torch

IGNORE_INDEX = -100
_REDUCTIONS = ("mean", "sum", "none")
_CHUNK_ELEMS = 1 << 18  # logits elements per row chunk of the PyTorch path (1 MiB fp32: in L2)


def image_loss_floor(G: int) -> float:
    """Lowest loss of an image position with G distinct codes of weight 1/G: log G."""
    if G < 1:
        raise ValueError(f"G must be >= 1, got {G}")
    return math.log(G)


def mixed_target_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    reduction: str = "mean",
    process_group=None,
    inplace_backward: bool = False,
) -> torch.Tensor:
    """Cross-entropy of ``logits [N, V_local]`` against rows of G weighted target ids.

    targets: ``[N, G]`` global ids; ``-100`` entries get weight 0 and a row of only ``-100``
    is ignored (loss 0, zero gradient, not counted by "mean"; a mean over no rows is 0).
    weights: ``[N, G]`` float, default ``1/G``; no gradient flows to them.
    reduction: "mean" over non-ignored rows, "sum", or "none" (``[N]``, 0 at ignored rows).
    process_group: vocab-parallel group; rank r holds the ids ``[r·V_local, (r+1)·V_local)``.
    inplace_backward: write the gradient into the logits' storage instead of a new buffer.
    Safe when nothing reads the logits after backward, e.g. the head's matmul output passed
    straight in (a matmul's backward needs its inputs, not its output). If another autograd
    op saved the logits, autograd raises at its backward (version counter) rather than
    silently reading the gradient. The logits' values are destroyed by the backward.
    """
    world, rank = _group_layout(process_group)
    ids, w, valid = _prepare_targets(logits, targets, weights, reduction, world)
    if logits.stride(-1) != 1:
        logits = logits.contiguous()  # (N, V_local) kernels index rows with unit column stride
    ids_local, w_local = _local_targets(ids, w, rank * logits.shape[1], logits.shape[1])
    use_triton = logits.is_cuda and logits.dtype != torch.float64 and _triton_module() is not None
    return _MixedTargetCrossEntropy.apply(
        logits, ids_local, w_local, valid, reduction, process_group, inplace_backward, use_triton
    )


def dense_soft_target_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    reduction: str = "mean",
) -> torch.Tensor:
    """Reference: builds the dense target p with scatter_add_ and lets autograd differentiate."""
    ids, w, valid = _prepare_targets(logits, targets, weights, reduction, 1)
    ids_safe = ids.clamp_min(0)  # (N, G) -100 entries carry weight 0
    cdtype = _compute_dtype(logits.dtype)
    x = logits.to(cdtype)  # (N, V)
    p = torch.zeros_like(x).scatter_add_(1, ids_safe, w.to(cdtype))  # (N, V) dense target
    rows = torch.logsumexp(x, dim=1) - (p * x).sum(dim=1)  # (N,)
    rows = torch.where(valid, rows, torch.zeros_like(rows))
    return _reduce(rows, valid, reduction)


class _MixedTargetCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, ids_local, w_local, valid, reduction, group, inplace, use_triton):
        if use_triton:
            m, s, dot = _triton_module().forward_stats(logits, ids_local, w_local)
        else:
            m, s, dot = _torch_forward_stats(logits, ids_local, w_local)
        lse, dot = combine_row_stats(m, s, dot, group)  # (N,), (N,) global over the vocab
        rows = torch.where(valid, lse - dot, torch.zeros_like(lse))  # (N,)
        ctx.save_for_backward(logits, ids_local, w_local, valid, lse)
        ctx.reduction, ctx.inplace, ctx.use_triton = reduction, inplace, use_triton
        return _reduce(rows, valid, reduction)  # fp32 (fp64 for fp64 logits)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        logits, ids_local, w_local, valid, lse = ctx.saved_tensors
        g = row_grad_scale(grad_out, valid, ctx.reduction)  # (N,) d loss / d row loss
        grad = logits if ctx.inplace else torch.empty_like(logits)
        if ctx.use_triton:
            _triton_module().backward_into(logits, grad, ids_local, w_local, lse, g)
        else:
            _torch_backward_into(logits, grad, ids_local, w_local, lse, g)
        return grad, None, None, None, None, None, None, None


def combine_row_stats(m, s, dot, group=None):
    """(row max, Σ exp(l - max), target dot) of the local slice -> global (lse, dot).

    Vocab-parallel: one MAX all-reduce of the row max, one SUM all-reduce of the stacked
    rescaled ``[sum_exp, dot]``. Shared by the PyTorch and the Triton paths.
    """
    if group is not None:
        import torch.distributed as dist

        m_global = m.clone()
        dist.all_reduce(m_global, op=dist.ReduceOp.MAX, group=group)
        stacked = torch.stack([s * torch.exp(m - m_global), dot])  # (2, N)
        dist.all_reduce(stacked, op=dist.ReduceOp.SUM, group=group)
        m, s, dot = m_global, stacked[0], stacked[1]
    return m + torch.log(s), dot


def row_grad_scale(grad_out: torch.Tensor, valid: torch.Tensor, reduction: str) -> torch.Tensor:
    """d loss / d row_loss for each row (N,), zero at ignored rows, in fp32 (fp64 for fp64)."""
    cdtype = _compute_dtype(grad_out.dtype)
    vmask = valid.to(cdtype)  # (N,)
    if reduction == "none":
        return grad_out.to(cdtype) * vmask
    if reduction == "mean":
        vmask = vmask / vmask.sum().clamp_min(1.0)
    return grad_out.to(cdtype) * vmask


def _torch_forward_stats(logits, ids_local, w_local):
    """Row max, Σ exp(l - max) and Σ w·l[id] in row chunks, fp32 math (fp64 for fp64)."""
    n, v = logits.shape
    cdtype = _compute_dtype(logits.dtype)
    m = torch.empty(n, dtype=cdtype, device=logits.device)
    s = torch.empty_like(m)
    for r0, r1 in _row_chunks(n, v):
        x = logits[r0:r1].to(cdtype)  # (C, V) a view for fp32/fp64 inputs
        mc = torch.amax(x, dim=1).clamp_min_(torch.finfo(cdtype).min)  # (C,) finite if all -inf
        e = torch.sub(x, mc[:, None])  # (C, V) scratch of one chunk
        s[r0:r1] = e.exp_().sum(dim=1)
        m[r0:r1] = mc
    picked = logits.gather(1, ids_local).to(cdtype)  # (N, G)
    wl = w_local.to(cdtype)
    dot = torch.where(wl != 0, wl * picked, torch.zeros_like(picked)).sum(dim=1)  # (N,)
    return m, s, dot


def _torch_backward_into(logits, grad, ids_local, w_local, lse, g):
    """grad = (exp(l - lse) - p) · g, chunk by chunk; grad may be logits itself.

    For g >= 0 (every reduction with a non-negative upstream gradient) the scale folds into
    the exponent, exp(l - (lse - log g)), which saves a pass; g = 0 gives exact zeros.
    """
    n, v = logits.shape
    cdtype = lse.dtype
    neg_wg = -w_local.to(cdtype) * g[:, None]  # (N, G)
    fold = not bool((g < 0).any())
    shift = lse - torch.log(g) if fold else lse  # (N,)
    same_dtype = logits.dtype == cdtype
    for r0, r1 in _row_chunks(n, v):
        if same_dtype:  # compute straight into the output rows
            e = torch.sub(logits[r0:r1], shift[r0:r1, None], out=grad[r0:r1])  # (C, V)
        else:  # bf16/fp16: fp32 scratch of one chunk, rounded once at the end
            e = logits[r0:r1].to(cdtype).sub_(shift[r0:r1, None])  # (C, V) fp32
        e.exp_()
        if not fold:
            e.mul_(g[r0:r1, None])
        e.scatter_add_(1, ids_local[r0:r1], neg_wg[r0:r1])  # duplicated ids add up
        if not same_dtype:
            grad[r0:r1].copy_(e)


def _prepare_targets(logits, targets, weights, reduction, world):
    """Validate the inputs; return (ids (N, G) int64, weights (N, G) with 0 at -100, valid (N,))."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        raise ValueError(f"logits must be a 2-D tensor [N, V_local], got {_describe(logits)}")
    if not logits.is_floating_point():
        raise ValueError(f"logits must be floating point, got dtype {logits.dtype}")
    if not isinstance(targets, torch.Tensor) or targets.dim() != 2 or targets.shape[1] < 1:
        raise ValueError(f"targets must be a 2-D tensor [N, G] with G >= 1, got {_describe(targets)}")
    if targets.shape[0] != logits.shape[0]:
        raise ValueError(f"targets has {targets.shape[0]} rows but logits has {logits.shape[0]}")
    if targets.dtype.is_floating_point or targets.dtype == torch.bool:
        raise ValueError(f"targets must hold integer ids, got dtype {targets.dtype}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    ids = targets.to(device=logits.device, dtype=torch.long)
    _check_ids(ids, logits.shape[1] * world)
    ignored = ids == IGNORE_INDEX  # (N, G)
    w = _default_or_checked_weights(weights, ids, logits)
    w = w.masked_fill(ignored, 0.0)  # (N, G)
    return ids, w, ~ignored.all(dim=1)


def _default_or_checked_weights(weights, ids, logits):
    n, G = ids.shape
    device = logits.device
    if weights is None:  # 1/G in the compute dtype, so G equal weights sum to 1 in fp64 too
        return torch.full((n, G), 1.0 / G, dtype=_compute_dtype(logits.dtype), device=device)
    if not isinstance(weights, torch.Tensor) or tuple(weights.shape) != (n, G):
        raise ValueError(f"weights must be a tensor of shape {(n, G)}, got {_describe(weights)}")
    if not weights.is_floating_point():
        raise ValueError(f"weights must be floating point, got dtype {weights.dtype}")
    dtype = torch.float64 if weights.dtype == torch.float64 else torch.float32
    return weights.detach().to(device=device, dtype=dtype)


def _check_ids(ids, vocab):
    bad = ((ids < 0) | (ids >= vocab)) & (ids != IGNORE_INDEX)  # (N, G)
    if bool(bad.any()):
        first = ids[bad][0].item()
        raise ValueError(
            f"targets must be ids in [0, {vocab}) or {IGNORE_INDEX}; found {first} "
            f"({int(bad.sum())} bad entries)"
        )


def _local_targets(ids, w, vocab_start, v_local):
    """Ids of this rank's slice as local columns (others clamped, weight 0)."""
    local = ids - vocab_start  # (N, G)
    mine = (local >= 0) & (local < v_local)
    return local.clamp(0, v_local - 1), torch.where(mine, w, torch.zeros_like(w))


def _group_layout(group):
    if group is None:
        return 1, 0
    import torch.distributed as dist

    return dist.get_world_size(group), dist.get_rank(group)


def _reduce(rows, valid, reduction):
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / valid.sum().clamp_min(1).to(rows.dtype)


def _row_chunks(n, v):
    step = max(1, _CHUNK_ELEMS // max(v, 1))
    return [(r0, min(n, r0 + step)) for r0 in range(0, n, step)]


def _compute_dtype(dtype):
    return torch.float64 if dtype == torch.float64 else torch.float32


def _describe(x):
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    return type(x).__name__


def _triton_module():
    """docsynth.model.loss_triton when Triton imports, else None (checked once per call site)."""
    from . import loss_triton

    return loss_triton if loss_triton.available() else None
