"""Reference transformer: shapes, the merged code embedding, the mask properties, sampling."""

from __future__ import annotations

import pytest
import torch
from docsynth.model.transformer import (
    ModelConfig,
    Transformer,
    attention_mask,
    generate,
    pick_rows,
)

from docsynth.vocab import VocabSpec

torch.set_num_threads(1)
VOCAB = VocabSpec(text_vocab_size=50, num_sizes=16, coord_bins=16, G=4, K=8)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(ModelConfig.from_vocab(VOCAB, dim=32, n_layers=2, n_heads=2, code_dim=16)).eval()


def text_row(t: int) -> list[int]:
    return [t] * VOCAB.G


def code_row(codes) -> list[int]:
    return [VOCAB.code_base + g * VOCAB.K + c for g, c in enumerate(codes)]


def layout(rows: list[list[int]], doc_ids: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ids = torch.tensor([rows])  # (1, L, G)
    is_code = ids[0, :, 0] >= VOCAB.code_base
    starts = is_code & ~torch.cat([torch.tensor([False]), is_code[:-1]])
    block_ids = torch.where(is_code, starts.cumsum(0) - 1, -1).int()[None]  # (1, L)
    return ids, torch.tensor([doc_ids], dtype=torch.int32), block_ids


def sample_rows(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    text = [text_row(int(t)) for t in torch.randint(0, VOCAB.code_base, (5,), generator=g)]
    image = [code_row(torch.randint(0, VOCAB.K, (VOCAB.G,), generator=g).tolist()) for _ in range(4)]
    return text[:3] + image + text[3:]  # 3 text, a block of 4, 2 text


def test_shapes_and_parameter_count(model):
    ids, doc, blk = layout(sample_rows(), [0] * 9)
    hidden = model(ids, attention_mask("causal", doc, blk))
    assert hidden.shape == (1, 9, 32)
    assert model.logits(hidden).shape == (1, 9, VOCAB.size)
    assert 0 < model.num_params(embeddings=False) < model.num_params()


def test_text_row_embeds_as_its_text_embedding(model):
    ids = torch.tensor([[text_row(7), text_row(VOCAB.special("<image_pad>"))]])
    emb = model.embed(ids)  # (1, 2, D)
    torch.testing.assert_close(emb[0, 0], model.tok_emb.weight[7])
    torch.testing.assert_close(emb[0, 1], model.tok_emb.weight[VOCAB.special("<image_pad>")])


def test_image_row_merges_its_g_codes(model):
    codes = [3, 0, 7, 5]
    emb = model.embed(torch.tensor([[code_row(codes)]]))[0, 0]
    rows = torch.tensor([g * VOCAB.K + c for g, c in enumerate(codes)])
    expected = model.code_proj(model.code_emb.weight[rows].mean(0))
    torch.testing.assert_close(emb, expected)
    swapped = model.embed(torch.tensor([[code_row([3, 0, 7, 6])]]))[0, 0]
    assert not torch.allclose(emb, swapped)  # every pool counts


def test_causal_mask_hides_the_future_and_other_documents(model):
    rows = sample_rows()
    doc_ids = [0] * 7 + [1] * 2
    ids, doc, blk = layout(rows, doc_ids)
    base = model.logits(model(ids, attention_mask("causal", doc, blk)))
    changed = [r[:] for r in rows]
    changed[6] = code_row([1, 1, 1, 1])  # the last row of document 0
    ids2, _, _ = layout(changed, doc_ids)
    out = model.logits(model(ids2, attention_mask("causal", doc, blk)))
    torch.testing.assert_close(out[0, :6], base[0, :6])  # the past does not see it
    torch.testing.assert_close(out[0, 7:], base[0, 7:])  # nor does the next document
    assert not torch.allclose(out[0, 6], base[0, 6])


def test_block_mask_is_bidirectional_inside_a_block_only(model):
    rows = sample_rows()
    ids, doc, blk = layout(rows, [0] * 9)
    base = model(ids, attention_mask("block", doc, blk))
    changed = [r[:] for r in rows]
    changed[6] = code_row([2, 2, 2, 2])  # the last row of the block at [3, 7)
    ids2, _, _ = layout(changed, [0] * 9)
    out = model(ids2, attention_mask("block", doc, blk))
    torch.testing.assert_close(out[0, :3], base[0, :3])  # text before the block does not see it
    assert not torch.allclose(out[0, 3], base[0, 3])  # the first block row does


def test_text_only_rows_agree_under_both_strategies(model):
    ids, doc, blk = layout([text_row(t) for t in range(6)], [0, 0, 0, 1, 1, 1])
    a = model(ids, attention_mask("causal", doc, blk))
    b = model(ids, attention_mask("block", doc, blk))
    torch.testing.assert_close(a, b)


def test_pick_rows_takes_the_best_code_of_each_pool():
    cfg = ModelConfig.from_vocab(VOCAB, dim=8, n_layers=1, n_heads=2)
    logits = torch.randn(3, VOCAB.size)
    rows = pick_rows(logits, torch.tensor([True, False, True]), cfg)
    for n in (0, 2):
        for g in range(VOCAB.G):
            pool = logits[n, VOCAB.code_base + g * VOCAB.K : VOCAB.code_base + (g + 1) * VOCAB.K]
            assert rows[n, g] == VOCAB.code_base + g * VOCAB.K + pool.argmax()
    assert (rows[1] == logits[1, : VOCAB.code_base].argmax()).all()


@pytest.mark.parametrize("strategy", ["causal", "block"])
def test_generate_fills_an_announced_image_block_and_closes_it(model, strategy):
    sp = VOCAB.special
    prompt = [sp("<bos>"), sp("<image>"), sp("<size>"), VOCAB.size_id(3), VOCAB.size_id(2), sp("</size>")]
    out = generate(model, torch.tensor([text_row(t) for t in prompt]), VOCAB, max_new=8, strategy=strategy)
    block = out[len(prompt) : len(prompt) + 6]  # 3 x 2 code rows
    pools = (block - VOCAB.code_base) // VOCAB.K  # (6, G)
    assert (block >= VOCAB.code_base).all() and (pools == torch.arange(VOCAB.G)).all()
    assert (out[len(prompt) + 6] == sp("</image>")).all()
    assert len(out) <= len(prompt) + 8


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="vocab_size"):
        ModelConfig(vocab_size=10, code_base=5, G=2, K=4)
    with pytest.raises(ValueError, match="attention"):
        ModelConfig.from_vocab(VOCAB, attention="magic")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (FlexAttention block mask)")
def test_flex_attention_matches_sdpa_on_cuda(model):
    m = model.to("cuda")
    rows = sample_rows(1) * 16  # 144 rows: four documents of four samples (blocks never straddle them)
    ids, doc, blk = (t.cuda() for t in layout(rows, [i // 36 for i in range(len(rows))]))
    for strategy in ("causal", "block"):
        dense = m(ids, attention_mask(strategy, doc, blk, "sdpa"))
        flex = m(ids, attention_mask(strategy, doc, blk, "flex"))
        torch.testing.assert_close(flex, dense, atol=2e-5, rtol=2e-5)
    model.to("cpu")


def test_compiled_blocks_with_flex_attention_match_eager_sdpa_on_cpu():
    """The gpu-small path (compiled blocks, FlexAttention block masks, bf16 autocast) as far as CPU
    runs it: forward only (FlexAttention has no CPU backward). It caught a layout bug: compiled
    CPU FlexAttention returned wrong values for a v whose strides differed from q's and k's."""
    torch.manual_seed(0)
    cfg = ModelConfig.from_vocab(VOCAB, dim=64, n_layers=1, n_heads=4, code_dim=16)
    eager = Transformer(cfg).eval()
    compiled = Transformer(cfg).eval()
    compiled.load_state_dict(eager.state_dict())
    for block in compiled.blocks:
        block.compile()
    rows = sample_rows(1) * 16
    ids, doc, blk = layout(rows, [i // 36 for i in range(len(rows))])
    with torch.no_grad():
        for strategy in ("causal", "block"):
            dense = eager(ids, attention_mask(strategy, doc, blk, "sdpa"))
            flex = compiled(ids, attention_mask(strategy, doc, blk, "flex"))
            torch.testing.assert_close(flex, dense, atol=2e-5, rtol=2e-5)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                low = compiled(ids, attention_mask(strategy, doc, blk, "flex"))
            assert low.dtype == torch.float32  # the final RMSNorm runs in fp32 under autocast
            assert (low - dense).abs().max() < 0.1 * dense.abs().max()


def test_pixel_input_replaces_code_embeddings_at_image_positions():
    """`pixels` go through a linear projection at positions whose input is a code row; text positions
    ignore them; a model built without `pixel_dim` refuses them."""
    torch.manual_seed(0)
    m = Transformer(ModelConfig.from_vocab(VOCAB, dim=32, n_layers=1, n_heads=2, code_dim=16, pixel_dim=12)).eval()
    ids, doc, blk = layout(sample_rows(), [0] * 9)
    mask = attention_mask("causal", doc, blk)
    pix = torch.rand(1, 9, 12)
    with torch.no_grad():
        a, b = m(ids, mask, pix), m(ids, mask, pix * 0.5)
        text_only = m(ids[:, :3], attention_mask("causal", doc[:, :3], blk[:, :3]), pix[:, :3])
        codes = m(ids, mask)
    torch.testing.assert_close(a[:, :3], b[:, :3])  # text before the block never sees its pixels
    torch.testing.assert_close(a[:, :3], text_only)
    assert not torch.allclose(a[:, 3:7], b[:, 3:7]) and not torch.allclose(a[:, 3:7], codes[:, 3:7])
    with pytest.raises(ValueError, match="pixel_dim"):
        Transformer(ModelConfig.from_vocab(VOCAB, dim=32, n_layers=1, n_heads=2))(ids, mask, pix)
