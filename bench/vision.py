"""Vision tokenizer encoding: time per page and code agreement against NCHW on one CPU thread.

    python bench/vision.py                   # CPU: channels-last (what docsynth runs) vs NCHW
    python bench/vision.py --device cuda     # also CUDA fp32 (TF32 off), as the Ray vision actors run
    python bench/vision.py --checkpoint P16.pt  # also other checkpoints (a wide-patch one) on the same pages

The baseline is the 8x conv autoencoder (`vision_tokenizer.pt`, the default before issue 13) run
NCHW on one CPU thread, measured in the same run; the same checkpoint channels-last is how docsynth
runs a conv checkpoint. The default (the patch-16 codebook, `vision_tokenizer_pq16.pt`) and other
checkpoints run on one thread like docsynth; their "speed-up" is against the same baseline, and their
codes are not compared (another tokenizer, other codes): the positions per page are printed instead.
"codes differ" counts codes that differ from the baseline's (float rounding at FSQ level boundaries).
Pages come from docsynth's renderer when PyMuPDF is installed, else from a numpy page of text-like
ink strokes (so the CUDA check runs on a bare PyTorch image).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import torch

from docsynth.model.vision.tokenizer import VisionTokenizer


def pages(n: int, seed: int) -> tuple[list[np.ndarray], str]:
    try:
        from docsynth.model.vision.pages import rendered_pages

        return list(rendered_pages(seed, rgb=False, limit=n)), "docsynth renderer"
    except ImportError:
        return [ink_page(np.random.default_rng(seed + i)) for i in range(n)], "numpy text-like strokes"


def ink_page(rng: np.random.Generator, h: int = 792, w: int = 612) -> np.ndarray:
    """A grey Letter page at 72 dpi with lines of word-like dark strokes."""
    page = np.full((h, w), 255, dtype=np.uint8)
    y = 40
    while y < h - 40:
        size = int(rng.integers(6, 14))
        x = 40
        while x < w - 60:
            n = int(rng.integers(2, 10)) * size // 2
            page[y : y + size, x : x + n] = rng.integers(0, 80)
            page[y + 1 : y + size - 1 : 2, x : x + n : 3] = 255  # strokes, not solid blocks
            x += n + size // 2
        y += int(size * 1.6)
    return page


def encode_all(model, device: str, arrays: list[torch.Tensor], sync) -> tuple[float, list[torch.Tensor]]:
    """Median seconds per page and the codes, one page per forward pass."""
    times, out = [], []
    with torch.inference_mode():
        model.encode(arrays[0].to(device))  # warm-up (cuDNN autotuning, allocator)
        sync()
        for x in arrays:
            t0 = time.perf_counter()
            c = model.encode(x.to(device)).cpu()
            sync()
            times.append(time.perf_counter() - t0)
            out.append(c)
    return statistics.median(times), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=12)
    p.add_argument("--seed", type=int, default=10**6)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--checkpoint", action="append", default=[], help="another checkpoint to time on the same pages (repeatable)")
    args = p.parse_args()
    torch.set_num_threads(1)
    tok = VisionTokenizer.load("vision_tokenizer.pt")  # the 8x conv autoencoder: NCHW vs channels-last
    imgs, source = pages(args.pages, args.seed)
    nchw = copy.deepcopy(tok.model).to(memory_format=torch.contiguous_format)
    arrays = [torch.from_numpy(tok._to_chw(im, i))[None] for i, im in enumerate(imgs)]
    cl = [x.contiguous(memory_format=torch.channels_last) for x in arrays]
    none = lambda: None  # noqa: E731
    t_base, base = encode_all(nchw, "cpu", arrays, none)
    rows = [("cpu NCHW, 1 thread (baseline)", t_base, base)]
    rows.append(("cpu channels-last, 1 thread (docsynth)", *encode_all(tok.model, "cpu", cl, none)))
    if args.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        gpu = copy.deepcopy(tok.model).to("cuda")
        rows.append((f"cuda fp32 ({torch.cuda.get_device_name()})", *encode_all(gpu, "cuda", cl, torch.cuda.synchronize)))
    others = []
    for ck in ["default", *args.checkpoint]:
        other = VisionTokenizer.load(ck)
        xs = [torch.from_numpy(other._to_chw(im, i))[None].contiguous(memory_format=torch.channels_last) for i, im in enumerate(imgs)]
        t, codes = encode_all(other.model, "cpu", xs, none)
        others.append((f"{ck} (G={other.G}, patch {other.patch})", t, codes))
    n = sum(c.numel() for c in base)
    print(f"{len(imgs)} pages ({source}), {imgs[0].shape[1]}x{imgs[0].shape[0]} px first; {n} codes")
    print(f"{'encoder':42s} {'ms/page':>8s} {'speed-up':>9s} {'codes differ':>14s}")
    for name, t, codes in rows:
        diff = sum(int((a != b).sum()) for a, b in zip(codes, base))
        print(f"{name:42s} {t * 1e3:8.1f} {t_base / t:8.2f}x {diff:>8d} ({diff / n:.1e})")
    for name, t, codes in others:
        positions = statistics.fmean(c.shape[-3] * c.shape[-2] for c in codes)
        print(f"{name:42s} {t * 1e3:8.1f} {t_base / t:8.2f}x {'-':>8s}  {positions:.0f} positions/page")


if __name__ == "__main__":
    main()
