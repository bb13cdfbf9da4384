import importlib.util
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from docsynth.model import loss as L
from docsynth.model import loss_triton as LT
from hypothesis import given, settings
from hypothesis import strategies as st

F64 = torch.float64
REDUCTIONS = ["mean", "sum", "none"]


def make_case(n=9, v=23, G=4, seed=0, dtype=F64):
    """Random logits and targets with duplicated ids, an all-same (text) row and ignored rows."""
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, v, generator=gen) * 2).to(dtype)
    targets = torch.randint(0, v, (n, G), generator=gen)
    targets[0] = targets[0, 0]  # a text row [t] * G: one-hot
    if n > 2:
        targets[1, : G // 2 + 1] = targets[1, 0]  # duplicated ids inside an image row
        targets[2] = L.IGNORE_INDEX  # an ignored row
    if n > 3 and G > 1:
        targets[3, -1] = L.IGNORE_INDEX  # one ignored entry: weight 0
    return logits, targets


def value_and_grad(fn, logits, targets, weights=None, reduction="mean", upstream=None, **kw):
    x = logits.detach().clone().requires_grad_()
    out = fn(x, targets, weights, reduction=reduction, **kw)
    out.backward(upstream if upstream is not None else torch.ones_like(out))
    return out.detach(), x.grad


def assert_matches_reference(logits, targets, weights=None, reduction="mean", upstream=None, **kw):
    ours = value_and_grad(L.mixed_target_cross_entropy, logits, targets, weights, reduction, upstream, **kw)
    ref = value_and_grad(L.dense_soft_target_cross_entropy, logits, targets, weights, reduction, upstream)
    torch.testing.assert_close(ours[0], ref[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(ours[1], ref[1], atol=1e-6, rtol=0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_float64(reduction):
    logits, targets = make_case(n=6, v=11, G=3)
    weights = torch.rand(6, 3, dtype=F64, generator=torch.Generator().manual_seed(1))
    x = logits.clone().requires_grad_()
    fn = lambda z: L.mixed_target_cross_entropy(z, targets, weights, reduction=reduction)
    assert torch.autograd.gradcheck(fn, (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_dense_reference(reduction):
    logits, targets = make_case()
    assert_matches_reference(logits, targets, reduction=reduction)


def test_matches_reference_with_custom_weights_and_signed_upstream():
    logits, targets = make_case(n=12, v=31, G=5, seed=3)
    weights = torch.rand(12, 5, dtype=F64, generator=torch.Generator().manual_seed(4))  # Σw != 1
    upstream = torch.randn(12, dtype=F64, generator=torch.Generator().manual_seed(5))
    assert_matches_reference(logits, targets, weights, reduction="none", upstream=upstream)
    assert_matches_reference(logits, targets, weights, reduction="sum", upstream=torch.tensor(-2.0, dtype=F64))


def test_all_same_ids_is_one_hot_cross_entropy():
    logits, _ = make_case(n=8, v=17)
    ids = torch.randint(0, 17, (8,), generator=torch.Generator().manual_seed(2))
    targets = ids[:, None].expand(8, 6)  # text rows [t] * G
    ours = value_and_grad(L.mixed_target_cross_entropy, logits, targets)
    onehot = value_and_grad(lambda x, t, w, reduction: torch.nn.functional.cross_entropy(x, ids), logits, targets)
    torch.testing.assert_close(ours, onehot, atol=1e-12, rtol=0)


def test_ignored_rows_have_zero_loss_and_grad_and_are_not_counted():
    logits, targets = make_case()
    rows, grad = value_and_grad(L.mixed_target_cross_entropy, logits, targets, reduction="none")
    assert rows[2] == 0 and (grad[2] == 0).all()
    mean, _ = value_and_grad(L.mixed_target_cross_entropy, logits, targets)
    torch.testing.assert_close(mean, rows.sum() / (len(rows) - 1))
    all_ignored = torch.full_like(targets, L.IGNORE_INDEX)
    mean, grad = value_and_grad(L.mixed_target_cross_entropy, logits, all_ignored)
    assert mean == 0 and (grad == 0).all()


def test_chunked_and_inplace_paths_match(monkeypatch):
    monkeypatch.setattr(L, "_CHUNK_ELEMS", 50)  # 2 rows per chunk at V = 23
    logits, targets = make_case(n=11)
    assert_matches_reference(logits, targets, reduction="sum")
    x = logits.clone().requires_grad_()
    y = x * 1.0  # a temporary, as the head's matmul output would be
    loss = L.mixed_target_cross_entropy(y, targets, inplace_backward=True)
    (grad_y,) = torch.autograd.grad(loss, y)
    assert grad_y.data_ptr() == y.data_ptr()  # the gradient lives in the logits' buffer
    _, ref = value_and_grad(L.dense_soft_target_cross_entropy, logits, targets)
    torch.testing.assert_close(grad_y, ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_inputs_close_to_float32(dtype):
    logits, targets = make_case(n=32, v=300, G=8, dtype=torch.float32)
    half = logits.to(dtype)
    val16, grad16 = value_and_grad(L.mixed_target_cross_entropy, half, targets)
    val32, grad32 = value_and_grad(L.mixed_target_cross_entropy, half.float(), targets)
    assert grad16.dtype == dtype and val16.dtype == torch.float32
    torch.testing.assert_close(val16, val32, atol=1e-5, rtol=1e-5)  # same inputs, fp32 math
    torch.testing.assert_close(grad16.float(), grad32, atol=1e-3, rtol=1e-2)


def test_image_floor_is_log_g():
    G, v = 8, 40
    targets = torch.arange(G)[None] * 5  # distinct codes
    logits = torch.full((1, v), -1e4, dtype=F64)
    logits[0, targets[0]] = 3.0  # all mass spread evenly on the G codes: the best possible
    loss = L.mixed_target_cross_entropy(logits, targets)
    assert math.isclose(loss.item(), L.image_loss_floor(G), abs_tol=1e-9)
    assert L.image_loss_floor(1) == 0.0


def test_empty_batch():
    logits = torch.zeros(0, 7, requires_grad=True)
    loss = L.mixed_target_cross_entropy(logits, torch.zeros(0, 2, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0 and logits.grad.shape == (0, 7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"logits": torch.zeros(3)}, "logits must be a 2-D"),
        ({"logits": torch.zeros(3, 5, dtype=torch.long)}, "floating point"),
        ({"targets": torch.zeros(3, dtype=torch.long)}, "targets must be a 2-D"),
        ({"targets": torch.zeros(4, 2, dtype=torch.long)}, "4 rows"),
        ({"targets": torch.zeros(3, 2)}, "integer ids"),
        ({"targets": torch.full((3, 2), 5)}, r"\[0, 5\)"),
        ({"targets": torch.full((3, 2), -1)}, "found -1"),
        ({"weights": torch.ones(3, 3)}, "weights must be a tensor of shape"),
        ({"reduction": "max"}, "reduction"),
    ],
)
def test_bad_inputs_raise(kwargs, match):
    args = {"logits": torch.zeros(3, 5), "targets": torch.zeros(3, 2, dtype=torch.long), "weights": None}
    reduction = kwargs.pop("reduction", "mean")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        L.mixed_target_cross_entropy(args["logits"], args["targets"], args["weights"], reduction=reduction)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    v=st.integers(1, 40),
    G=st.integers(1, 6),
    reduction=st.sampled_from(REDUCTIONS),
    custom_weights=st.booleans(),
    chunk=st.sampled_from([1, 7, 1 << 18]),
    seed=st.integers(0, 2**31 - 1),
)
def test_property_random_shapes_match_reference(n, v, G, reduction, custom_weights, chunk, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, v, generator=gen, dtype=F64) * 3
    targets = torch.randint(0, v, (n, G), generator=gen)
    targets[torch.rand(n, G, generator=gen) < 0.2] = L.IGNORE_INDEX
    weights = torch.rand(n, G, generator=gen, dtype=F64) if custom_weights else None
    old, L._CHUNK_ELEMS = L._CHUNK_ELEMS, chunk
    try:
        assert_matches_reference(logits, targets, weights, reduction=reduction)
    finally:
        L._CHUNK_ELEMS = old


# --- Triton path: host-side logic on CPU, kernels on CUDA (or in Triton's interpreter) ---


def test_triton_host_launch_config():
    assert LT.next_power_of_2(1) == 1 and LT.next_power_of_2(1000) == 1024 and LT.next_power_of_2(1024) == 1024
    assert LT.launch_config(40192) == (LT.MAX_BLOCK_V, 8)
    assert LT.launch_config(300) == (512, 4)
    assert LT.launch_config(3)[0] == 4
    with pytest.raises(ValueError, match="v_local"):
        LT.launch_config(0)


def test_triton_host_checks_layout():
    logits = torch.zeros(4, 10)
    ids, w = torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2)
    LT.check_kernel_inputs(logits, logits, ids, w)
    with pytest.raises(ValueError, match="unit stride"):
        LT.check_kernel_inputs(logits.t(), None, ids, w)
    with pytest.raises(ValueError, match="int64"):
        LT.check_kernel_inputs(logits, None, ids.int(), w)
    with pytest.raises(ValueError, match="N = 4"):
        LT.check_kernel_inputs(logits, None, ids[:3], w[:3])


def test_combined_slice_stats_equal_whole_vocab():
    """The host combine the Triton path shares: per-slice (m, s, dot) -> global lse and dot."""
    logits, targets = make_case(n=7, v=24, G=3)
    logits[4, :12] = float("-inf")  # a slice with no finite logit in one row
    ids, w, _ = L._prepare_targets(logits, targets, None, "mean", 1)
    parts = []
    for start in (0, 12):
        il, wl = L._local_targets(ids, w, start, 12)
        parts.append(L._torch_forward_stats(logits[:, start : start + 12].contiguous(), il, wl))
    m = torch.maximum(parts[0][0], parts[1][0])
    s = sum(p[1] * torch.exp(p[0] - m) for p in parts)
    lse, dot = L.combine_row_stats(m, s, parts[0][2] + parts[1][2])
    torch.testing.assert_close(lse, torch.logsumexp(logits, 1))
    il, wl = L._local_targets(ids, w, 0, 24)
    torch.testing.assert_close(dot, L._torch_forward_stats(logits, il, wl)[2])


_INTERPRETER_SCRIPT = textwrap.dedent(
    """
    import torch
    from docsynth.model import loss as L, loss_triton as LT
    for dtype, v in [(torch.float32, 37), (torch.float32, 5000), (torch.bfloat16, 4500)]:
        gen = torch.Generator().manual_seed(v)
        x = (torch.randn(6, v, generator=gen) * 3).to(dtype)
        t = torch.randint(0, v, (6, 4), generator=gen)
        t[0] = t[0, 0]; t[1, :3] = t[1, 0]; t[2] = -100
        ids, w, valid = L._prepare_targets(x, t, None, "mean", 1)
        il, wl = L._local_targets(ids, w, 0, v)
        m, s, dot = LT.forward_stats(x, il, wl)
        m2, s2, dot2 = L._torch_forward_stats(x, il, wl)
        lse = L.combine_row_stats(m, s, dot)[0]
        torch.testing.assert_close(lse, L.combine_row_stats(m2, s2, dot2)[0])
        torch.testing.assert_close(dot, dot2)
        g = torch.rand(6, generator=gen); g[2] = 0
        grad, ref = x.clone(), torch.empty_like(x)
        LT.backward_into(grad, grad, il, wl, lse, g)  # in place
        L._torch_backward_into(x, ref, il, wl, lse, g)
        tol = dict(atol=4e-3, rtol=1e-2) if dtype == torch.bfloat16 else dict(atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(grad.float(), ref.float(), **tol)
    # the last rank of a vocab-parallel head: a slice [v, 2v) of the vocabulary whose padding
    # columns are -inf, and targets of which about half fall in other ranks' slices (weight 0)
    v = 300
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(5, v, generator=gen) * 3
    x[:, -40:] = float("-inf")
    t = torch.randint(0, 2 * v - 40, (5, 3), generator=gen)
    t[0] = -100
    ids, w, valid = L._prepare_targets(x, t, None, "mean", 2)
    il, wl = L._local_targets(ids, w, v, v)
    m, s, dot = LT.forward_stats(x, il, wl)
    m2, s2, dot2 = L._torch_forward_stats(x, il, wl)
    torch.testing.assert_close(m, m2); torch.testing.assert_close(s, s2); torch.testing.assert_close(dot, dot2)
    lse = L.combine_row_stats(m, s, dot)[0]
    g = torch.rand(5, generator=gen); g[0] = 0
    grad, ref = torch.empty_like(x), torch.empty_like(x)
    LT.backward_into(x, grad, il, wl, lse, g)
    L._torch_backward_into(x, ref, il, wl, lse, g)
    assert torch.isfinite(grad).all() and (grad[:, -40:] == 0).all()
    torch.testing.assert_close(grad, ref, atol=1e-6, rtol=1e-5)
    print("interpreter ok")
    """
)


def _triton_importable():
    return importlib.util.find_spec("triton") is not None


@pytest.mark.skipif(not _triton_importable(), reason="triton is not installed")
def test_triton_kernels_in_interpreter_mode_on_cpu():
    env = dict(os.environ, TRITON_INTERPRET="1", OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", _INTERPRETER_SCRIPT], env=env, capture_output=True, check=False,
                         text=True, timeout=300, cwd=Path(__file__).parent)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "interpreter ok" in res.stdout


cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda_only
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("v", [300, 40192])
def test_triton_path_matches_reference_on_cuda(dtype, v):
    assert LT.available(), "CUDA builds of PyTorch ship Triton"
    logits, targets = make_case(n=64, v=v, G=8, dtype=torch.float32)
    logits, targets = logits.cuda().to(dtype), targets.cuda()
    ours = value_and_grad(L.mixed_target_cross_entropy, logits, targets)
    ref = value_and_grad(L.dense_soft_target_cross_entropy, logits.float(), targets)
    torch.testing.assert_close(ours[0], ref[0], atol=1e-4, rtol=1e-4)
    tol = {"atol": 1e-3, "rtol": 1e-2} if dtype == torch.bfloat16 else {"atol": 1e-6, "rtol": 1e-4}
    torch.testing.assert_close(ours[1].float(), ref[1], **tol)
    assert ours[1].dtype == dtype


@cuda_only
def test_triton_inplace_backward_on_cuda():
    logits, targets = make_case(n=33, v=5000, G=8, dtype=torch.float32)
    y = logits.cuda().to(torch.bfloat16).requires_grad_()
    z = y * 1
    (grad,) = torch.autograd.grad(L.mixed_target_cross_entropy(z, targets.cuda(), inplace_backward=True), z)
    assert grad.data_ptr() == z.data_ptr()
    _, ref = value_and_grad(L.dense_soft_target_cross_entropy, logits.cuda().to(torch.bfloat16).float(), targets.cuda())
    torch.testing.assert_close(grad.float(), ref, atol=1e-3, rtol=1e-2)


def test_one_code_per_patch_is_plain_cross_entropy():
    """G = 1 (single-codebook tokenizers): value and gradient equal `F.cross_entropy`, ignored rows too."""
    logits, _ = make_case(n=9, v=23)
    ids = torch.randint(0, 23, (9,), generator=torch.Generator().manual_seed(3))
    ids[4] = -100
    targets = ids[:, None]  # (N, 1)
    ours = value_and_grad(L.mixed_target_cross_entropy, logits, targets)
    ref = value_and_grad(lambda x, t, w, reduction: torch.nn.functional.cross_entropy(x, ids, ignore_index=-100), logits, targets)
    torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)
    assert L.image_loss_floor(1) == 0.0
