import random

import numpy as np
import pytest
import torch
from docsynth.model.vision import (
    FSQ,
    VQ,
    MultiHeadAutoencoder,
    VisionTokenizer,
    VisionTokenizerConfig,
)
from docsynth.model.vision.pages import render_page, synthetic_pages
from docsynth.model.vision.train import TrainConfig, psnr, train_tokenizer

torch.set_num_threads(1)

SMALL = {
    "widths": (8, 16, 32),
    "latent": 32,
}  # untrained tiny models keep shape tests fast


def tiny_tokenizer(channels=1, quantizer="fsq", seed=0) -> VisionTokenizer:
    torch.manual_seed(seed)
    cfg = VisionTokenizerConfig(channels=channels, quantizer=quantizer, **SMALL)
    return VisionTokenizer(MultiHeadAutoencoder(cfg))


@pytest.fixture(scope="module")
def shipped():
    return VisionTokenizer.load("vision_tokenizer.pt")  # the 8x conv autoencoder: the default before issue 13, shipped still


@pytest.fixture(scope="module")
def fresh_pages():
    # a seed stream used neither for training (seed 0) nor for the recipe's held-out set (10**6)
    return list(synthetic_pages(424242, limit=3))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("shape", [(64, 48), (37, 61), (8, 8), (1, 9)])
def test_encode_decode_shapes_and_ranges(channels, shape):
    tok = tiny_tokenizer(channels)
    rng = np.random.default_rng(0)
    img = rng.integers(
        0, 256, size=shape + ((3,) if channels == 3 else ()), dtype=np.uint8
    )
    codes = tok.encode(img)
    h, w = tok.grid_size(*shape)
    assert codes.shape == (h, w, tok.G) and codes.dtype == np.int32
    assert codes.min() >= 0 and codes.max() < tok.K
    out = tok.decode(codes)
    assert out.dtype == np.uint8
    assert out.shape == (h * tok.patch, w * tok.patch) + ((3,) if channels == 3 else ())
    assert tok.reconstruct(img).shape == img.shape


def test_channel_conversion_and_lists():
    grey, rgb = tiny_tokenizer(1), tiny_tokenizer(3)
    page_rgb = np.full((24, 40, 3), 255, np.uint8)
    page_rgb[8:16, 8:30] = (200, 30, 30)
    page_grey = page_rgb.mean(2).astype(np.uint8)
    assert grey.encode(page_rgb).shape == (3, 5, 8)
    assert rgb.encode(page_grey).shape == (3, 5, 8)
    # a grey page given to an RGB tokenizer is the same as its channel repeat
    np.testing.assert_array_equal(
        rgb.encode(page_grey), rgb.encode(np.repeat(page_grey[..., None], 3, 2))
    )
    outs = grey.encode([page_grey, page_rgb, page_grey[:9]])
    assert isinstance(outs, list) and [o.shape for o in outs] == [
        (3, 5, 8),
        (3, 5, 8),
        (2, 5, 8),
    ]


def test_bad_inputs_raise():
    tok = tiny_tokenizer()
    with pytest.raises(ValueError, match="uint8"):
        tok.encode(np.zeros((16, 16), np.float32))
    with pytest.raises(ValueError, match="expected"):
        tok.encode(np.zeros((16, 16, 2), np.uint8))
    with pytest.raises(ValueError, match="values must lie"):
        tok.decode(np.full((2, 2, tok.G), tok.K, np.int32))
    with pytest.raises(ValueError, match="codes"):
        tok.decode(np.zeros((2, 2, tok.G + 1), np.int32))
    with pytest.raises(ValueError, match="quantizer"):
        VisionTokenizerConfig(quantizer="rvq")
    with pytest.raises(ValueError, match="widths"):
        VisionTokenizerConfig(patch=16, widths=(8, 16, 32))
    with pytest.raises(ValueError, match="channels"):
        VisionTokenizerConfig(channels=2)
    with pytest.raises(FileNotFoundError, match="not found"):
        VisionTokenizer.load("/nonexistent/tok.pt")
    with pytest.raises(FileNotFoundError, match=r"vision_tokenizer_p17.pt \(a path, or one of the shipped .*vision_tokenizer_p16.pt"):
        VisionTokenizer.load("vision_tokenizer_p17.pt")


def test_fsq_indices_round_trip_exactly():
    fsq = FSQ(heads=3, levels=(8, 8, 4, 4))
    assert fsq.K == 1024
    idx = (
        torch.arange(1024).view(-1, 1).expand(-1, 3)
    )  # (K, G): every index in every head
    codes = fsq.indices_to_codes(idx)  # (K, G, D) integer levels
    assert torch.equal(fsq.codes_to_indices(codes), idx)
    assert len({tuple(c) for c in codes[:, 0].tolist()}) == 1024  # a bijection
    z = torch.randn(500, 3, 4) * 3
    zq, ids, aux = fsq(z)
    assert ids.min() >= 0 and ids.max() < 1024 and float(aux) == 0.0
    torch.testing.assert_close(fsq.embed(ids), zq, rtol=0, atol=0)


def test_vq_straight_through_gradient_and_commitment():
    torch.manual_seed(0)
    vq = VQ(heads=2, codebook_size=16, dim=4).train()
    z = torch.randn(64, 2, 4, requires_grad=True)
    zq, idx, aux = vq(z)
    assert bool(vq.initialized) and idx.shape == (64, 2) and idx.max() < 16
    target = torch.randn_like(zq)
    ((zq - target) ** 2).sum().backward(retain_graph=True)
    assert z.grad is not None and z.grad.abs().sum() > 0  # flows through the rounding
    aux.backward()
    assert vq.codebook.grad is not None and vq.codebook.grad.abs().sum() > 0


def test_vq_dead_code_replacement_replaces_unused_codes():
    torch.manual_seed(0)
    vq = VQ(heads=2, codebook_size=32, dim=4, decay=0.5).train()
    vq(torch.randn(512, 2, 4))  # k-means init over the whole sphere
    cluster = torch.tensor([1.0, 0.0, 0.0, 0.0]) + 0.05 * torch.randn(
        256, 2, 4
    )  # data in one spot
    for _ in range(20):
        _, idx, _ = vq(cluster)
    used = set(idx[:, 0].tolist())
    dead = vq.usage[0] < vq.dead_threshold
    assert dead.sum() > len(vq.usage[0]) // 2 and not dead[list(used)].any()
    before = vq.codebook.detach().clone()
    n = vq.replace_dead(torch.nn.functional.normalize(cluster, dim=-1))
    assert n == int((before != vq.codebook).any(-1).sum()) > 0
    moved = torch.nn.functional.normalize(vq.codebook[0][dead], dim=-1)
    assert (moved[:, 0] > 0.9).all()  # the dead codes now sit on the data
    assert torch.equal(vq.codebook[0][~dead], before[0][~dead])


@pytest.mark.parametrize("quantizer", ["fsq", "vq", "default", "vision_tokenizer.pt"])
def test_encode_deterministic_and_batch_invariant(quantizer, fresh_pages):
    if quantizer in ("default", "vision_tokenizer.pt"):  # the shipped default (codebook) and the 8x autoencoder
        tok = VisionTokenizer.load(quantizer)
    else:
        tok = tiny_tokenizer(3, quantizer)
    if (
        quantizer == "vq"
    ):  # give the codebook data-driven codes so ties are not trivially absent
        tok.model.train()
        tok.model(torch.rand(2, 3, 64, 64))
        tok.model.eval()
    page = fresh_pages[0][:200, :160]
    others = [np.roll(page, 7 * k, axis=1) for k in (1, 2)]
    alone = tok.encode(page)
    np.testing.assert_array_equal(alone, tok.encode(page))
    batch = tok.encode([others[0], page, others[1]])
    np.testing.assert_array_equal(alone, batch[1])


def test_encode_ignores_caller_thread_count(fresh_pages):
    tok = tiny_tokenizer(1)
    page = fresh_pages[0][:160, :128]
    ref = tok.encode(page)
    prev = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        np.testing.assert_array_equal(tok.encode(page), ref)
        assert torch.get_num_threads() == 2  # the caller's setting is restored
    finally:
        torch.set_num_threads(prev)


def test_save_load_round_trip(tmp_path, fresh_pages):
    tok = tiny_tokenizer(1, "vq")
    tok.recipe["note"] = "round trip"
    tok.save(tmp_path / "tok.pt")
    back = VisionTokenizer.load(tmp_path / "tok.pt")
    assert (back.G, back.K, back.patch, back.channels) == (
        tok.G,
        tok.K,
        tok.patch,
        tok.channels,
    )
    assert back.cfg == tok.cfg and back.recipe["note"] == "round trip"
    page = fresh_pages[1][:120, :96]
    np.testing.assert_array_equal(back.encode(page), tok.encode(page))
    tok.save(tmp_path / "half.pt", half=True)
    assert VisionTokenizer.load(tmp_path / "half.pt").encode(page).shape == (15, 12, 8)


def _as_channels(page: np.ndarray, channels: int) -> np.ndarray:
    if channels == 1 and page.ndim == 3:
        luma = page.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.round(luma).astype(np.uint8)
    if channels == 3 and page.ndim == 2:
        return np.repeat(page[..., None], 3, 2)
    return page


def test_shipped_checkpoint_reconstructs_fresh_page(shipped, fresh_pages):
    assert (shipped.G, shipped.K, shipped.patch) == (8, 1024, 8)
    assert shipped.recipe["heldout"]["psnr_mean_db"] >= 22
    for page in fresh_pages[:2]:
        rec, ref = shipped.reconstruct(page), _as_channels(page, shipped.channels)
        assert rec.shape == ref.shape
        assert psnr(rec, ref) > 18.0
        # a real check: the reconstruction is far closer to this page than a blank page is
        assert psnr(rec, ref) > psnr(np.full_like(ref, 255), ref) + 5


def test_shipped_checkpoint_uses_many_codes(shipped, fresh_pages):
    codes = shipped.encode(fresh_pages[2])
    for g in range(shipped.G):
        assert len(np.unique(codes[..., g])) > 20


def test_tiny_training_run_lowers_loss():
    page = render_page(random.Random(3), rgb=False)
    ys, xs = np.nonzero(page < 128)  # start the tiles where the ink is
    tiles = [page[y : y + 48, x : x + 48] for y, x in zip(ys[::997][:4], xs[::997][:4])]
    tiles = [
        np.pad(t, ((0, 48 - t.shape[0]), (0, 48 - t.shape[1])), constant_values=255)
        for t in tiles
    ]
    cfg = VisionTokenizerConfig(channels=1, **SMALL)
    # crop == tile size: every step sees the same 4 tiles, so the loss must fall quickly
    tc = TrainConfig(
        steps=40,
        batch_size=4,
        crop=48,
        lr=3e-3,
        warmup=5,
        pool_size=4,
        refresh=0,
        log_every=1000,
        save_every=0,
    )
    tok, losses = train_tokenizer(
        cfg, iter(tiles), seed=0, train=tc, log=lambda s: None
    )
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:4])
    assert tok.encode(tiles[0]).shape == (6, 6, 8)


def test_vq_training_initializes_and_tracks_usage_from_the_first_step():
    """Regression: wrapping the model in a VisionTokenizer switched it to eval mode, so VQ's
    k-means init and usage tracking only began after the first periodic save."""
    cfg = VisionTokenizerConfig(channels=1, quantizer="vq", codebook_size=16, code_dim=4, **SMALL)
    tiles = [render_page(random.Random(s), rgb=False)[:48, :48].copy() for s in range(4)]
    tc = TrainConfig(steps=3, batch_size=2, crop=48, warmup=1, pool_size=4, refresh=0, log_every=1000, save_every=0)
    tok, _ = train_tokenizer(cfg, iter(tiles), seed=0, train=tc, log=lambda s: None)
    vq = tok.model.quantizer
    assert bool(vq.initialized)
    assert not torch.equal(vq.usage, torch.ones_like(vq.usage))
    assert not tok.model.training  # handed back ready for inference


def test_fine_tuning_starts_from_the_given_weights(tmp_path):
    cfg = VisionTokenizerConfig(channels=1, **SMALL)
    torch.manual_seed(7)
    start = MultiHeadAutoencoder(cfg).state_dict()
    tiles = [render_page(random.Random(s), rgb=False)[:48, :48].copy() for s in range(2)]
    tc = TrainConfig(steps=1, batch_size=2, crop=48, lr=1e-9, warmup=1, pool_size=2, refresh=0, log_every=1000, save_every=0)
    tok, _ = train_tokenizer(cfg, iter(tiles), seed=0, train=tc, log=lambda s: None, init_state=start)
    for k, v in tok.model.state_dict().items():
        torch.testing.assert_close(v, start[k], atol=1e-6, rtol=0, msg=k)


def test_text_weighted_loss_and_masked_crops():
    """Word masks travel with their crops, and pixels inside word boxes weigh more in the loss."""
    from docsynth.model.vision.train import CropSampler, reconstruction_loss

    page = np.full((40, 40), 255, np.uint8)
    page[10:20, 5:35] = 0  # a "word" of ink
    mask = np.zeros((40, 40), np.uint8)
    mask[10:20, 5:35] = 1
    sampler = CropSampler(iter([(page, mask)] * 4), channels=1, pool_size=2, seed=0, masks=True)
    x, m = sampler.batch(3, 16)
    assert x.shape == m.shape == (3, 1, 16, 16)
    assert torch.equal(m.bool(), x < 0.5)  # the mask crop sits exactly on the ink crop
    target = torch.rand(2, 1, 8, 8)
    recon = target.clone()
    recon[..., :4, :] += 0.2  # an error only in the top half
    top = torch.zeros(2, 1, 8, 8)
    top[..., :4, :] = 1
    plain = reconstruction_loss(recon, target, 0.1, 0.0)
    assert reconstruction_loss(recon, target, 0.1, 0.0, torch.ones_like(top)) == pytest.approx(float(plain))
    assert reconstruction_loss(recon, target, 0.1, 0.0, 1 + 4 * top) > plain  # the error lies where the text is
    assert reconstruction_loss(recon, target, 0.1, 0.0, 1 + 4 * (1 - top)) < plain


def test_paper_pages_leave_the_held_out_pages_and_mask_their_words(tmp_path):
    """`--papers`: real pages rasterized for training, never the ones bench/tokenizer.py evaluates on."""
    import itertools

    import pymupdf

    from docsynth.model.vision.pages import held_out_page, interleave, paper_pages

    doc = pymupdf.open()
    for k in range(5):
        page = doc.new_page(width=200, height=120)
        page.insert_text((20, 40 + 10 * k), f"page {k}", fontsize=12)  # the text's height tells the pages apart
    doc.save(tmp_path / "paper.pdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    seen = set()
    for img, mask in itertools.islice(paper_pages(tmp_path, seed=0, word_masks=True), 12):
        assert img.shape == (120, 200) and mask.shape == img.shape and img.dtype == np.uint8
        ink = np.nonzero((img < 128).any(axis=1))[0]
        seen.add(int(round((ink.min() - 30) / 10)))
        assert mask[img < 128].all() and 0 < mask.mean() < 0.2  # every dark pixel lies in a word box
    assert seen == {k for k in range(5) if not held_out_page(k)}
    mixed = list(itertools.islice(interleave([itertools.repeat("a"), itertools.repeat("b")], [0.75, 0.25], seed=1), 2000))
    assert abs(mixed.count("b") / len(mixed) - 0.25) < 0.03
    with pytest.raises(ValueError, match="no training pages"):
        next(paper_pages(tmp_path / "nothing", seed=0))


@pytest.mark.parametrize("name, kind, G, floor", [("vision_tokenizer_p16.pt", "MultiHeadAutoencoder", 32, 20.0),
                                                  ("vision_tokenizer_pq16.pt", "PatchCodebook", 33, 25.0)])  # fmt: skip
def test_the_shipped_wide_patch_checkpoints_spend_a_third_of_the_positions(name, kind, G, floor, tmp_path, monkeypatch):
    """The wide-patch checkpoints (issue 13): the conv autoencoder (G = 32) and the RGB codebook one (32
    block heads and a colour head; the default), patch 16, K = 1024; a letter page is under 2,000
    positions, and a page rebuilt from its codes is close to the page. A shipped checkpoint loads by
    its bare name from any folder, and "default" is always the shipped default."""
    from docsynth.model.vision.tokenizer import DEFAULT_CHECKPOINT

    monkeypatch.chdir(tmp_path)
    assert DEFAULT_CHECKPOINT == "vision_tokenizer_pq16.pt"
    (tmp_path / DEFAULT_CHECKPOINT).write_bytes(b"a file of the default's name here is not the default")
    default = VisionTokenizer.load("default")
    assert type(default.model).__name__ == "PatchCodebook" and (default.G, default.patch) == (33, 16)
    (tmp_path / DEFAULT_CHECKPOINT).unlink()  # by its bare name, a file in the working folder comes first
    tok = VisionTokenizer.load(name)
    assert type(tok.model).__name__ == kind
    assert (tok.patch, tok.G, tok.K) == (16, G, 1024)
    page = np.full((792, 612), 255, np.uint8)
    page[100:700:14, 72:540] = 40  # text-like rows of ink
    codes = tok.encode(page)
    assert codes.shape == (50, 39, G) and codes.shape[0] * codes.shape[1] <= 2000
    rebuilt = np.asarray(tok.decode(codes))[:792, :612]
    if rebuilt.ndim == 3:  # RGB: a grey page comes back grey
        assert (rebuilt == rebuilt[..., :1]).all()
        rebuilt = rebuilt[..., 0]
    assert psnr(page, rebuilt) > floor


def _codebook_model(post_depth=0, k=16, seed=0):
    from docsynth.model.vision.codebook import CodebookConfig, PatchCodebook

    torch.manual_seed(seed)
    model = PatchCodebook(CodebookConfig(codebook_size=k, post_depth=post_depth))
    model.codebook.copy_(torch.rand(k, 8))
    return model


def test_codebook_blocks_tile_the_patch_and_codes_are_the_nearest_pattern():
    """A patch of 16 x 16 is 32 blocks of 4 rows x 2 columns, head g the g-th block row-major; each
    block's code is the nearest codebook row (brute force, on ink ** 0.7), and a page made of codebook
    patterns codes back to the same ids."""
    model = _codebook_model()
    x = torch.rand(1, 1, 40, 35)  # padded white to 48 x 48: 3 x 3 patches
    v = model.blocks(x)
    assert v.shape == (1, 3, 3, 32, 8)
    assert torch.equal(v[0, 0, 0, 0], x[0, 0, 0:4, 0:2].reshape(-1))
    assert torch.equal(v[0, 0, 0, 1], x[0, 0, 0:4, 2:4].reshape(-1))
    assert torch.equal(v[0, 1, 2, 8], x[0, 0, 20:24, 32:34].reshape(-1))  # patch (1, 2), block row 1, column 0
    assert (v[0, 2, 2, -1] == 1.0).all()  # the white pad
    assert torch.equal(model.unblocks(v)[..., :40, :35], x)
    idx = model.encode(x)
    ink = (1 - v) ** 0.7  # codes are chosen on ink ** ink_power
    assert torch.allclose(model.ink(x), ink)
    brute = ((ink.reshape(-1, 1, 8) - model.codebook[None]) ** 2).sum(-1).argmin(1)
    assert torch.equal(idx.reshape(-1), brute)
    assert idx[0, 2, 2, -1] == int((model.codebook**2).sum(1).argmin())  # a blank block: the code nearest white
    model.codebook[5] = 0.0  # now a pure white pattern
    assert (model.encode(torch.ones(1, 1, 16, 16)) == 5).all()
    assert torch.allclose(model.lookup(idx), 1 - model.unblocks(model.codebook[idx] ** (1 / 0.7)))  # grey back from ink
    assert torch.equal(model.encode(model.decode(idx)), idx)  # lookup pages re-encode to themselves


def test_codebook_tokenizer_fits_saves_loads_and_reads(tmp_path):
    """k-means lowers the blocks' error from its random start and the post filter lowers the loss; the
    checkpoint keeps its kind, so load gives the same codes and pages; a checkpoint of another kind is
    refused by name."""
    from docsynth.model.vision.codebook import CodebookConfig, fit

    rng = np.random.default_rng(0)
    pages = []
    for _ in range(3):
        page = np.full((128, 96), 255, np.uint8)
        for y in range(8, 120, 9):
            for x in range(6, 90, 5):
                page[y : y + 6, x : x + rng.integers(1, 4)] = rng.integers(0, 120)  # strokes of glyph-like runs
        pages.append(page)
    logs = []
    tok = fit(CodebookConfig(codebook_size=32, post_depth=1, post_width=4), pages, iters=10, steps=40, crop=32, batch_size=4, log=logs.append)
    errors = [float(line.split("error ")[1].split(",")[0]) for line in logs if "squared error" in line]
    assert errors == sorted(errors, reverse=True) and errors[-1] < errors[0]
    assert any(line.startswith("post filter 40/40") for line in logs)
    assert (tok.G, tok.K, tok.patch) == (32, 32, 16)
    codes = tok.encode(pages[0])
    assert codes.shape == (8, 6, 32) and codes.dtype == np.int32 and codes.max() < 32
    assert psnr(pages[0], tok.reconstruct(pages[0])) > 15.0
    tok.save(tmp_path / "pq.pt")
    again = VisionTokenizer.load(tmp_path / "pq.pt")
    assert type(again.model).__name__ == "PatchCodebook" and again.recipe["pages"] == 3
    assert np.array_equal(again.encode(pages[0]), codes) and np.array_equal(again.decode(codes), tok.decode(codes))
    ck = torch.load(tmp_path / "pq.pt", weights_only=True)
    ck["kind"] = "wavelet"
    torch.save(ck, tmp_path / "odd.pt")
    with pytest.raises(ValueError, match="odd.pt: unknown vision tokenizer kind 'wavelet'"):
        VisionTokenizer.load(tmp_path / "odd.pt")
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        CodebookConfig(channels=2)
    with pytest.raises(ValueError, match="divide patch"):
        CodebookConfig(block=(3, 2))
    with pytest.raises(ValueError, match="ink_power"):
        CodebookConfig(ink_power=0)


def test_a_corpus_made_with_the_codebook_tokenizer_validates(tmp_path):
    """`--set vision.checkpoint=…/vision_tokenizer_pq16.pt`: the corpus has G = 33 rows and validates, and
    its codes rebuild its pages."""
    from pathlib import Path

    import docsynth
    from tests.model.test_train import generated_with

    ckpt = Path(docsynth.__file__).parent / "assets" / "vision_tokenizer_pq16.pt"
    sample = generated_with(ckpt, tmp_path / "c", num_docs=1, G=33)
    page = sample.image()
    rebuilt = VisionTokenizer.load(ckpt).decode(sample.codes())[: page.shape[0], : page.shape[1]]
    assert psnr(page.reshape(rebuilt.shape[:2] + (-1,)), rebuilt.reshape(rebuilt.shape[:2] + (-1,))) > 20.0


def test_codebook_colour_head_recolours_the_grey_with_each_patch_ink():
    """channels = 3: head 32 codes a patch's ink colour as the ratio of its ink per channel to its luma
    ink, which anti-aliasing keeps; decoding darkens that colour as the grey says. Grey ink and blank
    patches are (1, 1, 1), and come back exactly grey."""
    from docsynth.model.vision.codebook import CodebookConfig, PatchCodebook, fit, ink_ratio, luma

    red = torch.tensor([0.8, 0.1, 0.1]).view(1, 3, 1, 1)
    page = torch.ones(1, 3, 32, 48)
    page[:, :, :16, :16] = red  # patch (0, 0): red ink
    page[:, :, 2:14:3, 18:30] = 1 - 0.5 * (1 - red)  # patch (0, 1): strokes of the same red, half covered (anti-aliased)
    page[:, :, 18:30:3, 2:14] = 0.3  # patch (1, 0): grey ink; patch (1, 1), (0, 2), (1, 2): blank
    ratio = ink_ratio(page, 16)
    want = (1 - red.view(3)) / (1 - luma(red).view(1))
    assert torch.allclose(ratio[0, 0, 0], want) and torch.allclose(ratio[0, 0, 1], want)
    assert torch.allclose(ratio[0, 1, 0], torch.ones(3)) and (ratio[0, :, 2] == 1).all()
    model = PatchCodebook(CodebookConfig(channels=3, codebook_size=4, post_depth=0))
    assert model.cfg.heads == 33
    model.codebook.copy_(torch.tensor([[0.0] * 8, [1.0] * 8, [0.5] * 8, [0.8] * 8]))
    model.palette.copy_(torch.stack([torch.ones(3), want, torch.tensor([0.2, 1.0, 2.0]), torch.tensor([2.0, 0.5, 0.5])]))
    codes = model.encode(page)
    assert codes.shape == (1, 2, 3, 33) and codes[0, 0, 0, 32] == 1 and codes[0, 0, 1, 32] == 1 and codes[0, 1, 0, 32] == 0
    rgb = model.decode(codes)
    grey = model.lookup(codes)
    assert torch.allclose(rgb[..., :16, :16], 1 - (1 - grey[..., :16, :16]) * want.view(1, 3, 1, 1))
    assert torch.allclose(rgb[0, :, 5, 5], 1 - 0.8 ** (1 / 0.7) * want)  # solid red: its blocks take code 3 (ink 0.8)
    assert rgb[0, 0, 5, 5] > 0.75 and rgb[0, 1, 5, 5] < 0.1
    assert torch.equal(rgb[0, 0, 16:], rgb[0, 1, 16:]) and torch.equal(rgb[0, 1, 16:], rgb[0, 2, 16:])  # grey row
    pages = []
    for k in range(3):
        p = np.full((64, 64, 3), 255, np.uint8)
        p[4:60:4, 4:60] = (200, 20 + 60 * k, 20)
        p[30:60:5, 4:30] = 60
        pages.append(p)
    tok = fit(CodebookConfig(channels=3, codebook_size=8, post_depth=0), pages, iters=4, white_keep=1.0, log=lambda s: None)
    assert (tok.model.palette == 1).all(1).sum() == 1  # exactly grey is one of the colours
    rebuilt = tok.reconstruct(pages[0]).astype(int)
    assert rebuilt.shape == (64, 64, 3) and (rebuilt[4, 10, 0] - rebuilt[4, 10, 1]) > 60  # red stays red
