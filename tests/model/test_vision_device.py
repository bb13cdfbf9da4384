"""Tokenizer training on any device: the steps run there, the tokenizer comes back on the CPU.

No PyMuPDF here (the GPU check runs this file on machines without it): the tiles are drawn strokes.
"""

import numpy as np
import pytest
import torch

from docsynth.model.vision import VisionTokenizerConfig
from docsynth.model.vision.train import TrainConfig, train_tokenizer

CUDA = pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))


def stroke_tiles(n: int, size: int = 48, seed: int = 0) -> list[np.ndarray]:
    """White tiles with dark horizontal and vertical bars of random length, thickness and grey."""
    rng = np.random.default_rng(seed)
    tiles = []
    for _ in range(n):
        t = np.full((size, size), 255, np.uint8)
        for _ in range(12):
            y, x, length, width = rng.integers(0, size - 8), rng.integers(0, size - 8), rng.integers(4, 30), rng.integers(1, 4)
            if rng.random() < 0.5:
                t[y : y + width, x : x + length] = rng.integers(0, 90)
            else:
                t[y : y + length, x : x + width] = rng.integers(0, 90)
        tiles.append(t)
    return tiles


@pytest.mark.parametrize("device", ["cpu", CUDA])
def test_training_on_a_device_lowers_loss_and_hands_back_a_cpu_tokenizer(device, tmp_path):
    tiles = stroke_tiles(4)
    cfg = VisionTokenizerConfig(channels=1, patch=8, heads=8, widths=(8, 16, 32), latent=32)
    tc = TrainConfig(steps=40, batch_size=4, crop=48, lr=3e-3, warmup=5, pool_size=4, refresh=0, log_every=1000, save_every=20)
    out = tmp_path / "vt.pt"
    tok, losses = train_tokenizer(cfg, iter(tiles), seed=0, train=tc, out_path=out, log=lambda s: None, device=device)
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:4])
    assert all(p.device.type == "cpu" for p in tok.model.parameters()) and not tok.model.training
    white = np.mean((255.0 - tiles[0]) ** 2)
    assert np.mean((tok.reconstruct(tiles[0]).astype(np.float64) - tiles[0]) ** 2) < 0.8 * white  # the trained weights (a fresh model draws white)
    from docsynth.model.vision import VisionTokenizer

    saved = VisionTokenizer.load(out)  # the checkpoint holds the final weights, as CPU tensors
    assert np.array_equal(saved.encode(tiles[1]), tok.encode(tiles[1]))


@pytest.mark.parametrize("device", ["cpu", CUDA])
def test_vq_training_on_a_device(device):
    """VQ's k-means init, usage tracking and dead-code replacement run where the model is."""
    cfg = VisionTokenizerConfig(channels=1, patch=8, heads=4, quantizer="vq", codebook_size=16, code_dim=4, widths=(8, 16, 32), latent=32)
    tc = TrainConfig(steps=6, batch_size=2, crop=48, warmup=1, pool_size=4, refresh=0, log_every=1000, save_every=0, dead_every=2)
    tok, _ = train_tokenizer(cfg, iter(stroke_tiles(4)), seed=0, train=tc, log=lambda s: None, device=device)
    vq = tok.model.quantizer
    assert bool(vq.initialized) and not torch.equal(vq.usage, torch.ones_like(vq.usage))


def test_exported_pages_and_masks_round_trip_into_an_image_folder_run(tmp_path):
    """Pages made here, written with their word masks, train elsewhere from the folder (text weight on)."""
    from docsynth.model.vision.train import export_pages, image_folder

    tiles = stroke_tiles(3, size=64)
    masks = [(t < 128).astype(np.uint8) for t in tiles]
    assert export_pages(iter(zip(tiles, masks)), tmp_path / "pages", 3) == 3
    back = image_folder(tmp_path / "pages", masks=True)
    for t, m in zip(tiles, masks):
        img, mask = next(back)
        assert np.array_equal(img, t) and np.array_equal(mask, m)
    cfg = VisionTokenizerConfig(channels=1, patch=8, heads=4, widths=(8, 16, 32), latent=32)
    tc = TrainConfig(steps=3, batch_size=2, crop=32, warmup=1, pool_size=3, refresh=1, log_every=1000, save_every=0, text_weight=4.0)
    tok, losses = train_tokenizer(cfg, str(tmp_path / "pages"), seed=0, train=tc, log=lambda s: None)
    assert len(losses) == 3 and np.isfinite(losses).all()
    (tmp_path / "pages" / "page_00001.mask.png").unlink()
    with pytest.raises(ValueError, match=r"page_00001\.png has no page_00001\.mask\.png"):
        next(image_folder(tmp_path / "pages", masks=True))


def test_the_cli_trains_from_an_image_folder_without_pymupdf(tmp_path, monkeypatch):
    """A GPU machine has no PyMuPDF: an --image-dir run with no held-out pages never imports it."""
    import sys

    from docsynth.model.vision.train import export_pages, main

    tiles = stroke_tiles(3, size=64)
    export_pages(iter((t, (t < 128).astype(np.uint8)) for t in tiles), tmp_path / "pages", 3)
    monkeypatch.setitem(sys.modules, "pymupdf", None)  # import pymupdf now raises ImportError
    monkeypatch.delitem(sys.modules, "docsynth.model.vision.pages", raising=False)
    out = tmp_path / "vt.pt"
    assert main(["--out", str(out), "--image-dir", str(tmp_path / "pages"), "--text-weight", "4", "--steps", "2", "--crop", "32",
                 "--batch-size", "2", "--pool-size", "3", "--eval-pages", "0", "--heads", "4", "--widths", "8,16,32",
                 "--latent", "32"]) == 0  # fmt: skip
    assert out.is_file() and "docsynth.model.vision.pages" not in sys.modules
