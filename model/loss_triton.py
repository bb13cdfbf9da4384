"""Triton fast path of ``docsynth.model.loss.mixed_target_cross_entropy`` for CUDA.

One program per row walks the vocabulary in ``BLOCK_V`` chunks:
- forward: online softmax (running max ``m`` and ``s = Σ exp(l - m)``, both fp32) plus the
  weighted target dot ``Σ_g w_g · l[id_g]`` from ``G`` scalar loads. The host combines
  ``(m, s, dot)`` exactly as the PyTorch path does (``loss.combine_row_stats``), so the
  vocab-parallel all-reduces are shared.
- backward: ``(exp(l - lse) - p) · g`` in fp32, rounded once to the logits' dtype and stored
  in place (``grad`` may be the logits' own buffer: each element is read, then written, by the
  same program). ``p`` is built per chunk by comparing the columns with the ``G`` target ids
  and summing their weights, so duplicated ids add up like ``scatter_add_``.

The running max starts at -3e38 rather than -inf so a chunk (or a whole vocab slice) of
-inf logits never evaluates ``exp(-inf - -inf)``. Offsets are int64 (N·V passes 2**31 at
realistic sizes). Importing this module never fails: without Triton, ``available()`` is False
and only the host helpers exist (they are tested on CPU).
"""

from __future__ import annotations

import torch

try:  # Triton ships with CUDA builds of PyTorch; CPU installs do without it.
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None
    tl = None

MAX_BLOCK_V = 4096  # vocab columns per chunk: 16 fp32 values per thread at 8 warps
_NEG_START = -3.0e38  # finite "minus infinity" for the running max


def available() -> bool:
    return triton is not None


def next_power_of_2(n: int) -> int:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return 1 << (n - 1).bit_length()


def launch_config(v_local: int) -> tuple[int, int]:
    """(BLOCK_V, num_warps) for a vocabulary slice of v_local columns."""
    if v_local < 1:
        raise ValueError(f"v_local must be >= 1, got {v_local}")
    block = min(MAX_BLOCK_V, next_power_of_2(v_local))
    num_warps = 8 if block >= 2048 else 4 if block >= 512 else 1
    return block, num_warps


def check_kernel_inputs(logits, grad, ids_local, w_local) -> None:
    """Layout the kernels assume: unit column stride, contiguous (N, G) ids and fp32 weights."""
    if logits.stride(1) != 1 or (grad is not None and grad.stride(1) != 1):
        raise ValueError("logits and grad must have unit stride along the vocabulary")
    if not (ids_local.is_contiguous() and ids_local.dtype == torch.long):
        raise ValueError(f"ids_local must be contiguous int64, got {ids_local.dtype}")
    if not (w_local.is_contiguous() and w_local.dtype == torch.float32):
        raise ValueError(f"w_local must be contiguous float32, got {w_local.dtype}")
    if ids_local.shape != w_local.shape or ids_local.shape[0] != logits.shape[0]:
        raise ValueError(
            f"ids_local {tuple(ids_local.shape)} and w_local {tuple(w_local.shape)} must be "
            f"[N, G] with N = {logits.shape[0]}"
        )


def forward_stats(logits, ids_local, w_local):
    """(m, s, dot), each fp32 (N,), of the local vocabulary slice."""
    ids_local, w_local = ids_local.contiguous(), w_local.float().contiguous()
    check_kernel_inputs(logits, None, ids_local, w_local)
    n, v = logits.shape
    m = torch.empty(n, dtype=torch.float32, device=logits.device)
    s, dot = torch.empty_like(m), torch.empty_like(m)
    block, warps = launch_config(v)
    if n > 0:
        _forward_kernel[(n,)](
            logits, logits.stride(0), ids_local, w_local, m, s, dot, v,
            G=ids_local.shape[1], BLOCK_V=block, num_warps=warps,
        )
    return m, s, dot


def backward_into(logits, grad, ids_local, w_local, lse, g):
    """grad[row] = (exp(logits[row] - lse[row]) - p[row]) · g[row]; grad may alias logits."""
    ids_local, w_local = ids_local.contiguous(), w_local.float().contiguous()
    check_kernel_inputs(logits, grad, ids_local, w_local)
    n, v = logits.shape
    block, warps = launch_config(v)
    if n > 0:
        _backward_kernel[(n,)](
            logits, logits.stride(0), grad, grad.stride(0), ids_local, w_local,
            lse.float().contiguous(), g.float().contiguous(), v,
            G=ids_local.shape[1], BLOCK_V=block, num_warps=warps,
        )
    return grad


if triton is not None:

    @triton.jit
    def _forward_kernel(
        x_ptr, x_row_stride, ids_ptr, w_ptr, m_ptr, s_ptr, dot_ptr, n_cols,
        G: tl.constexpr, BLOCK_V: tl.constexpr,
    ):
        row = tl.program_id(0).to(tl.int64)
        x_row = x_ptr + row * x_row_stride
        m = -3.0e38  # running max (fp32), see _NEG_START
        s = 0.0  # running Σ exp(x - m)
        for start in range(0, n_cols, BLOCK_V):
            cols = start + tl.arange(0, BLOCK_V)
            x = tl.load(x_row + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
            m_new = tl.maximum(m, tl.max(x, axis=0))
            s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
            m = m_new
        dot = 0.0
        for k in tl.static_range(G):  # G scalar gathers; out-of-slice ids carry weight 0
            col = tl.load(ids_ptr + row * G + k)
            w = tl.load(w_ptr + row * G + k)
            xv = tl.load(x_row + col).to(tl.float32)
            dot += tl.where(w != 0.0, w * xv, 0.0)
        tl.store(m_ptr + row, m)
        tl.store(s_ptr + row, s)
        tl.store(dot_ptr + row, dot)

    @triton.jit
    def _backward_kernel(
        x_ptr, x_row_stride, grad_ptr, grad_row_stride, ids_ptr, w_ptr, lse_ptr, g_ptr, n_cols,
        G: tl.constexpr, BLOCK_V: tl.constexpr,
    ):
        row = tl.program_id(0).to(tl.int64)
        x_row = x_ptr + row * x_row_stride
        grad_row = grad_ptr + row * grad_row_stride
        lse = tl.load(lse_ptr + row)
        g = tl.load(g_ptr + row)  # 0 for ignored rows
        for start in range(0, n_cols, BLOCK_V):
            cols = start + tl.arange(0, BLOCK_V)
            in_row = cols < n_cols
            x = tl.load(x_row + cols, mask=in_row, other=float("-inf")).to(tl.float32)
            p = tl.zeros([BLOCK_V], dtype=tl.float32)  # sparse target of this chunk
            for k in tl.static_range(G):
                col = tl.load(ids_ptr + row * G + k)
                w = tl.load(w_ptr + row * G + k)
                p += tl.where(cols == col, w, 0.0)
            d = (tl.exp(x - lse) - p) * g
            d = tl.where(g != 0.0, d, 0.0)  # exact zeros at ignored rows, even for inf logits
            tl.store(grad_row + cols, d.to(grad_ptr.dtype.element_ty), mask=in_row)
