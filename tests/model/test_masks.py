import random
import warnings

import pytest
import torch
import torch.nn.functional as F
from docsynth.model import masks as M
from hypothesis import given, settings
from hypothesis import strategies as st

PAD_ID = 0
STRATS = ["causal", "block"]


def random_layout(seed, B=3, L=24, G=3, text_only=False):
    """Packed rows of random documents, some ending in padding, with random image blocks.

    Every position's token row is unique (ids from 1 up), so a target row names its position.
    """
    rng = random.Random(seed)
    doc = torch.full((B, L), -1, dtype=torch.int32)
    blk = torch.full((B, L), -1, dtype=torch.int32)
    tb = torch.zeros(B, L, dtype=torch.bool)
    for b in range(B):
        p, d, next_block = 0, 0, 0
        while p < L and rng.random() > 0.15:
            n = rng.randint(1, L - p)
            q = p
            while q < p + n:
                if not text_only and rng.random() < 0.3:
                    k = rng.randint(1, p + n - q)
                    blk[b, q : q + k] = next_block
                    tb[b, q : q + k] = rng.random() < 0.5
                    next_block, q = next_block + 1, q + k
                else:
                    q += 1
            doc[b, p : p + n] = d
            d, p = d + 1, p + n
    tokens = 1 + torch.arange(B * L * G).view(B, L, G)  # (B, L, G) unique rows, never PAD_ID
    return tokens, doc, blk, tb


def leaks(mask, inputs, targets):
    """(b, q, kv) where q's visible input row at kv equals q's target row."""
    found = []
    B, _, L, _ = mask.shape
    for b in range(B):
        for q in range(L):
            if (targets[b, q] == M.IGNORE_INDEX).all():
                continue
            same = (inputs[b] == targets[b, q]).all(dim=1)  # (L,)
            hits = (same & mask[b, 0, q]).nonzero().flatten().tolist()
            found += [(b, q, kv) for kv in hits]
    return found


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_no_position_sees_its_own_target(seed):
    tokens, doc, blk, tb = random_layout(seed)
    for strat in STRATS:
        inputs, targets = M.make_targets(strat, tokens, doc, blk, tb, PAD_ID)
        assert leaks(M.dense_mask(strat, doc, blk), inputs, targets) == []


def test_leak_check_catches_unshifted_targets_under_block_attention():
    tokens, doc, blk, _ = random_layout(0, B=1, L=10)
    doc[:] = 0
    blk[:] = torch.tensor([-1, -1, 0, 0, 0, -1, -1, -1, -1, -1], dtype=torch.int32)
    inputs, targets = M.make_targets("causal", tokens, doc, blk, None, PAD_ID)  # next-row targets
    assert leaks(M.dense_mask("block", doc, blk), inputs, targets) != []


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_strategies_agree_on_text_only_rows(seed):
    tokens, doc, blk, tb = random_layout(seed, text_only=True)
    assert torch.equal(M.dense_mask("causal", doc, blk), M.dense_mask("block", doc, blk))
    a = M.make_targets("causal", tokens, doc, blk, tb, PAD_ID)
    b = M.make_targets("block", tokens, doc, blk, tb, PAD_ID)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(STRATS))
def test_no_attention_across_documents_or_into_padding(seed, strat):
    _, doc, blk, _ = random_layout(seed)
    mask = M.dense_mask(strat, doc, blk)[:, 0]  # (B, L, L)
    same_doc = doc[:, :, None] == doc[:, None, :]  # (B, L, L)
    eye = torch.eye(doc.shape[1], dtype=torch.bool).expand_as(mask)
    assert not (mask & ~same_doc).any()
    into_pad = mask & (doc[:, None, :] < 0) & ~eye  # a key in padding, other than itself
    assert not into_pad.any()
    assert mask[eye.clone()].all()  # the diagonal: no all-masked rows
    pad_rows = mask[doc < 0]  # (P, L)
    assert (pad_rows.sum(dim=1) == 1).all()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(STRATS))
def test_dense_mask_equals_flex_mask_mod_on_grids(seed, strat):
    from torch.nn.attention.flex_attention import create_mask

    _, doc, blk, _ = random_layout(seed)
    B, L = doc.shape
    vmapped = create_mask(M.mask_mod(strat, doc, blk), B, 1, L, L, device="cpu")  # (B, 1, L, L)
    assert torch.equal(vmapped, M.dense_mask(strat, doc, blk))


def test_block_strategy_worked_example():
    doc = torch.tensor([[0, 0, 0, 0, 0, 0, 1, 1, 1, -1]], dtype=torch.int32)
    blk = torch.tensor([[-1, -1, 0, 0, 0, -1, -1, 1, 1, -1]], dtype=torch.int32)
    tb = torch.tensor([[0, 0, 1, 1, 1, 0, 0, 0, 0, 0]], dtype=torch.bool)  # block 0 written
    tokens = torch.arange(10).view(1, 10, 1).expand(1, 10, 2) + 10  # row p holds p + 10
    inputs, targets = M.make_targets("block", tokens, doc, blk, tb, PAD_ID)
    assert inputs[0, :, 0].tolist() == [10, 11, 0, 0, 0, 15, 16, 17, 18, 19]
    # 1, just before the block (`</size>`), has no target (the design's NULL); the written block
    # targets itself; 5 (`</image>`) would target the next text row (none in its document); the
    # context block [7, 9), 6 before it and padding have no target
    assert targets[0, :, 0].tolist() == [11, -100, 12, 13, 14, -100, -100, -100, -100, -100]
    mask = M.dense_mask("block", doc, blk)[0, 0].int()
    expected = torch.tensor(
        [
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ]
    )
    assert torch.equal(mask, expected)
    _, causal_targets = M.make_targets("A", tokens, doc, blk, tb, PAD_ID)
    assert causal_targets[0, :, 0].tolist() == [11, 12, 13, 14, 15, -100, 17, 18, -100, -100]


@pytest.mark.parametrize("strat", STRATS)
def test_sdpa_with_dense_mask_has_no_nan(strat):
    torch.manual_seed(0)
    _, doc, blk, _ = random_layout(3, B=4, L=32)
    doc[0, -5:] = -1  # make sure some padding exists
    blk[0, -5:] = -1
    q, k, v = torch.randn(3, 4, 2, 32, 8).unbind(0)  # (B, H, L, D) each
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=M.dense_mask(strat, doc, blk))
    assert torch.isfinite(out).all()
    pad = doc < 0  # a padding query attends only to itself
    assert torch.allclose(out.transpose(1, 2)[pad], v.transpose(1, 2)[pad])


@pytest.mark.parametrize("strat", STRATS)
def test_flex_attention_forward_matches_sdpa_on_cpu(strat):
    from torch.nn.attention.flex_attention import flex_attention

    torch.manual_seed(0)
    _, doc, blk, _ = random_layout(5, B=2, L=40)
    q, k, v = torch.randn(3, 2, 2, 40, 8).unbind(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eager flex_attention warns that it is unfused
        out = flex_attention(q, k, v, block_mask=M.flex_block_mask(strat, doc, blk))
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=M.dense_mask(strat, doc, blk))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="FlexAttention kernels need CUDA")
@pytest.mark.parametrize("strat", STRATS)
def test_flex_attention_on_cuda_matches_sdpa(strat):
    from torch.nn.attention.flex_attention import flex_attention

    torch.manual_seed(0)
    _, doc, blk, _ = random_layout(7, B=2, L=256)
    doc, blk = doc.cuda(), blk.cuda()
    q, k, v = torch.randn(3, 2, 4, 256, 64, device="cuda", requires_grad=True).unbind(0)
    out = torch.compile(flex_attention)(q, k, v, block_mask=M.flex_block_mask(strat, doc, blk))
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=M.dense_mask(strat, doc, blk))
    torch.testing.assert_close(out, ref, atol=2e-3, rtol=2e-3)
    out.sum().backward()  # the backward exists on CUDA


def test_positions_from_block_flags():
    blk = torch.tensor([[-1, 0, 0, -1, 1, 1, 2]], dtype=torch.int32)
    flags = torch.tensor([[True, False, True]])
    assert M.positions_from_block_flags(blk, flags).tolist() == [[False, True, True, False, False, False, True]]
    with pytest.raises(ValueError, match="nblocks"):
        M.positions_from_block_flags(blk, flags[:, :2])


def _bad(doc, blk):
    return torch.tensor([doc], dtype=torch.int32), torch.tensor([blk], dtype=torch.int32)


@pytest.mark.parametrize(
    "doc, blk, match",
    [
        ([0, 0, 0, 0], [0, -1, 0, -1], "contiguous"),
        ([0, 0, 1, 1], [-1, 3, 3, -1], "spans two documents"),
        ([0, 0, -1, -1], [-1, -1, 2, 2], "padding"),
    ],
)
def test_bad_layouts_raise(doc, blk, match):
    d, b = _bad(doc, blk)
    with pytest.raises(ValueError, match=match):
        M.dense_mask("block", d, b)


def test_bad_arguments_raise():
    d, b = _bad([0, 0, 0, 0], [-1, 1, 1, -1])
    tokens = torch.ones(1, 4, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="strategy"):
        M.mask_mod("sideways", d, b)
    with pytest.raises(ValueError, match="tokens"):
        M.make_targets("block", tokens[:, :3], d, b, None, PAD_ID)
    with pytest.raises(ValueError, match="text or padding"):
        M.make_targets("block", tokens, d, b, torch.tensor([[True, False, False, False]]), PAD_ID)
    with pytest.raises(ValueError, match="one image block"):
        M.make_targets("block", tokens, d, b, torch.tensor([[False, True, False, False]]), PAD_ID)
    with pytest.raises(ValueError, match="doc_ids"):
        M.dense_mask("causal", d.float(), b)


@pytest.mark.parametrize("written", [True, False])
def test_the_row_before_a_block_has_no_target_and_image_end_predicts_the_next_text(written):
    """DESIGN §8: `</size>` (just before a block) has the design's NULL target, whether the block is
    written or given; `</image>` predicts the row after it."""
    doc = torch.zeros(1, 7, dtype=torch.int32)
    blk = torch.tensor([[-1, -1, 0, 0, -1, -1, -1]], dtype=torch.int32)
    tb = torch.tensor([[0, 0, written, written, 0, 0, 0]], dtype=torch.bool)
    tokens = torch.arange(7).view(1, 7, 1).expand(1, 7, 3) + 10
    _, targets = M.make_targets("block", tokens, doc, blk, tb, PAD_ID)
    block = [12, 13] if written else [-100, -100]
    assert targets[0, :, 0].tolist() == [11, -100, *block, 15, 16, -100]
