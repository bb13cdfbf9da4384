"""Train the multi-head vision tokenizer on random crops of rendered pages.

    python -m docsynth.model.vision.train --out vision_tokenizer.pt --steps 3000 --seed 0

The data source is any iterator of uint8 page arrays (default: `pages.synthetic_pages`) or a
folder of page images. Evaluation uses full held-out pages, never crops.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .autoencoder import MultiHeadAutoencoder, VisionTokenizerConfig, to_channels
from .quantizers import VQ
from .tokenizer import VisionTokenizer

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


@dataclass(kw_only=True)
class TrainConfig:
    steps: int = 3000  # optimizer steps
    batch_size: int = 8  # crops per step
    crop: int = 128  # crop side in pixels (a multiple of the patch)
    lr: float = 2e-3  # peak Adam learning rate
    warmup: int = 100  # linear warm-up steps; cosine decay to 10% afterwards
    l1_weight: float = 0.1  # weight of the L1 term beside the MSE
    grad_weight: float = 0.1  # weight of the MSE on image gradients (sharp strokes)
    text_weight: float = 0.0  # pixels inside word boxes weigh 1 + this in the MSE and L1 (pages with word masks)
    pool_size: int = 192  # pages held in memory to crop from
    refresh: int = 1  # pages replaced in the pool every step
    dead_every: int = 50  # VQ: steps between dead-code replacements
    log_every: int = 100  # steps between progress lines
    save_every: int = 500  # steps between checkpoint writes (0: only at the end)

    def __post_init__(self):
        for name in (
            "steps",
            "batch_size",
            "crop",
            "pool_size",
            "log_every",
            "dead_every",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if (
            self.lr <= 0
            or min(self.warmup, self.l1_weight, self.grad_weight, self.refresh, self.text_weight) < 0
        ):
            raise ValueError(
                "lr must be > 0 and warmup, l1_weight, grad_weight, refresh >= 0"
            )
        if self.save_every < 0:
            raise ValueError(f"save_every must be >= 0, got {self.save_every}")


MASK_SUFFIX = ".mask.png"  # beside a page image: its word mask (nonzero inside word boxes)


def _mask_path(page: Path) -> Path:
    return page.with_name(page.name[: -len(page.suffix)] + MASK_SUFFIX)


def image_folder(path: str | Path, masks: bool = False) -> Iterator:
    """Cycle over the page images in a folder (sorted, so runs are reproducible); with `masks`,
    (page, word mask) pairs, each page's mask read from `NAME.mask.png` beside it (`export_pages`
    writes both). A page without its mask, or of another size, raises ValueError naming it."""
    from PIL import Image

    files = sorted(p for p in Path(path).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.endswith(MASK_SUFFIX))
    if not files:
        raise ValueError(f"image_dir {path} holds no images ({sorted(IMAGE_SUFFIXES)})")
    if masks:
        missing = [f for f in files if not _mask_path(f).is_file()]
        if missing:
            raise ValueError(f"image_dir {path}: {len(missing)} page(s) without a word mask, e.g. {missing[0]} "
                             f"has no {_mask_path(missing[0]).name} (--text-weight needs one per page)")  # fmt: skip
    while True:
        for f in files:
            with Image.open(f) as im:
                img = np.asarray(im.convert("RGB" if im.mode not in ("L", "1") else "L"))
            if not masks:
                yield img
                continue
            with Image.open(_mask_path(f)) as im:
                mask = (np.asarray(im.convert("L")) > 0).astype(np.uint8)
            if mask.shape != img.shape[:2]:
                raise ValueError(f"{_mask_path(f)}: mask {mask.shape} does not match its page {img.shape[:2]}")
            yield img, mask


def export_pages(stream: Iterator, out: str | Path, n: int) -> int:
    """Write the first `n` pages of a training stream into `out` as PNGs (`page_00000.png`), each
    (page, mask) pair's mask beside it (`page_00000.mask.png`, 255 inside word boxes), for
    `--image-dir` on a machine that cannot make pages (a GPU machine without PyMuPDF). Returns n."""
    from PIL import Image

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        item = next(stream)
        img, mask = item if isinstance(item, tuple) else (item, None)
        Image.fromarray(img).save(out / f"page_{k:05d}.png", optimize=True)
        if mask is not None:
            Image.fromarray(np.asarray(mask, np.uint8) * 255).save(out / f"page_{k:05d}{MASK_SUFFIX}", optimize=True)
    return n


class CropSampler:
    """A pool of pages refreshed from a stream; draws crops that mostly contain ink. With `masks`, the
    stream yields (page, word mask) pairs and `batch` returns (crops, mask crops)."""

    def __init__(
        self, pages: Iterator, channels: int, pool_size: int, seed: int, masks: bool = False
    ):
        self.pages, self.channels, self.masks = pages, channels, masks
        self.rng = np.random.default_rng(seed)
        self.pool = [self._load(next(self.pages)) for _ in range(pool_size)]

    def _load(self, item) -> np.ndarray:
        """(channels [+ 1 mask], H, W) float32."""
        if not self.masks:
            return to_channels(item, self.channels)
        img, mask = item
        return np.concatenate([to_channels(img, self.channels), np.asarray(mask, np.float32)[None]])

    def refresh(self, n: int) -> None:
        for _ in range(n):
            self.pool[int(self.rng.integers(len(self.pool)))] = self._load(next(self.pages))

    def _crop(self, page: np.ndarray, size: int) -> np.ndarray:
        _, H, W = page.shape
        if H < size or W < size:  # pad small pages with white (and no words)
            pad = np.ones((page.shape[0], max(H, size), max(W, size)), dtype=page.dtype)
            pad[self.channels :] = 0.0
            pad[:, :H, :W] = page
            page = pad
            _, H, W = page.shape
        best = None
        for _ in range(4):  # prefer crops with some ink; blank margins teach little
            y, x = (
                int(self.rng.integers(H - size + 1)),
                int(self.rng.integers(W - size + 1)),
            )
            crop = page[:, y : y + size, x : x + size]
            if (crop[: self.channels] < 0.8).mean() > 0.02:
                return crop
            best = crop
        return best

    def batch(self, n: int, size: int):
        picks = self.rng.integers(len(self.pool), size=n)
        x = torch.from_numpy(np.stack([self._crop(self.pool[i], size) for i in picks]))  # (B, C[+1], S, S)
        return (x[:, : self.channels].contiguous(), x[:, self.channels :].contiguous()) if self.masks else x


def reconstruction_loss(
    recon: torch.Tensor, x: torch.Tensor, l1_weight: float, grad_weight: float, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """MSE + L1 (weighted per pixel by `weight` (B, 1, H, W) when given: text counts more) + the MSE of
    the image gradients (sharp strokes)."""
    # MSE leads: with sparse ink a strong L1 term makes a blank white page a deep local minimum
    if weight is None:
        loss = F.mse_loss(recon, x) + l1_weight * F.l1_loss(recon, x)
    else:
        w = weight.expand_as(x)
        loss = ((recon - x) ** 2 * w).sum() / w.sum() + l1_weight * ((recon - x).abs() * w).sum() / w.sum()
    if grad_weight:
        dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
        dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
        loss = loss + grad_weight * (
            F.mse_loss(dx(recon), dx(x)) + F.mse_loss(dy(recon), dy(x))
        )
    return loss


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255.0**2 / mse)


def evaluate(tok: VisionTokenizer, pages: Iterable[np.ndarray]) -> dict:
    """Full-page PSNR (mean over pages, and over all pixels) and per-head code usage."""
    psnrs, sq_err, n_px = [], 0.0, 0
    counts = np.zeros((tok.G, tok.K), dtype=np.int64)
    for page in pages:
        codes = tok.encode(page)  # (h, w, G)
        H, W = page.shape[:2]
        ref = (
            (to_channels(page, tok.channels).transpose(1, 2, 0) * 255)
            .round()
            .astype(np.uint8)
        )
        rec = tok.decode(codes)[:H, :W].reshape(ref.shape)
        psnrs.append(psnr(rec, ref))
        sq_err += float(np.sum((rec.astype(np.float64) - ref) ** 2))
        n_px += ref.size
        for g in range(tok.G):
            counts[g] += np.bincount(codes[..., g].ravel(), minlength=tok.K)
    p = counts / np.maximum(counts.sum(1, keepdims=True), 1)  # (G, K)
    entropy = -(p * np.log(np.where(p > 0, p, 1))).sum(1)  # (G,)
    return {
        "pages": len(psnrs),
        "psnr_mean_db": float(np.mean(psnrs)),
        "psnr_pooled_db": 10 * math.log10(255.0**2 / (sq_err / n_px)),
        "usage_fraction": [float(u) for u in (counts > 0).mean(1)],
        "perplexity": [float(v) for v in np.exp(entropy)],
    }


def _lr_at(step: int, tc: TrainConfig) -> float:
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def train_tokenizer(
    cfg: VisionTokenizerConfig,
    images: Iterable[np.ndarray] | str | Path | None = None,
    steps: int | None = None,
    out_path: str | Path | None = None,
    seed: int = 0,
    train: TrainConfig | None = None,
    eval_pages: list[np.ndarray] | None = None,
    recipe: dict | None = None,
    log=print,
    init_state: dict | None = None,
    device: str | torch.device = "cpu",
) -> tuple[VisionTokenizer, list[float]]:
    """Train a tokenizer; returns it and the per-step losses. Writes `out_path` if given.

    `init_state`: a state_dict of a model with this `cfg` to start from (fine-tuning).
    `device`: where the steps run ("cuda" on a GPU machine; fp32 with TF32 matmuls). Crops are drawn
    on the CPU; the returned tokenizer, its checkpoints and the held-out evaluation are on the CPU,
    where codes are made.
    """
    device = torch.device(device)
    tc = train or TrainConfig()
    if steps is not None:
        tc = TrainConfig(**{**tc.__dict__, "steps": steps})
    if tc.crop % cfg.patch:
        raise ValueError(f"crop ({tc.crop}) must be a multiple of patch ({cfg.patch})")
    torch.manual_seed(seed)
    random.seed(seed)
    if images is None:
        from .pages import PageGenConfig, synthetic_pages  # PyMuPDF: only where pages are made here

        images = synthetic_pages(seed, PageGenConfig())
    stream = image_folder(images, masks=tc.text_weight > 0) if isinstance(images, (str, Path)) else iter(images)
    sampler = CropSampler(stream, cfg.channels, tc.pool_size, seed, masks=tc.text_weight > 0)
    model = MultiHeadAutoencoder(cfg).train()
    if init_state is not None:
        model.load_state_dict(init_state)  # copies into the fp32 parameters whatever the stored dtype
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    # the tokenizer (eval mode, CPU) is a twin that takes the trained weights at each save and at the end;
    # the model trained stays in training mode (VQ's k-means init and usage tracking need it)
    tok = VisionTokenizer(MultiHeadAutoencoder(cfg), {**(recipe or {}), "seed": seed, "train": tc.__dict__})
    model = model.to(device, memory_format=torch.channels_last).train()  # NHWC: oneDNN's fast convolutions on the CPU
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, betas=(0.9, 0.99))

    def snapshot() -> VisionTokenizer:
        tok.model.load_state_dict({k: v.detach().cpu() for k, v in model.state_dict().items()})
        return tok

    losses, t0, gen = [], time.time(), torch.Generator().manual_seed(seed)
    for step in range(tc.steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, tc)
        x = sampler.batch(tc.batch_size, tc.crop)  # (B, C, S, S), and (B, 1, S, S) word masks
        x, weight = (x[0].to(device), 1.0 + tc.text_weight * x[1].to(device)) if isinstance(x, tuple) else (x.to(device), None)
        recon, _, aux = model(x)
        loss = reconstruction_loss(recon, x, tc.l1_weight, tc.grad_weight, weight) + aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if isinstance(model.quantizer, VQ) and step and step % tc.dead_every == 0:
            with torch.no_grad():
                zn = F.normalize(model._head_vectors(x), dim=-1).reshape(
                    -1, cfg.heads, cfg.head_dim
                )
            model.quantizer.replace_dead(zn, gen)
        sampler.refresh(tc.refresh)
        if (step + 1) % tc.log_every == 0 or step + 1 == tc.steps:
            mse = float(F.mse_loss(recon.detach().clamp(0, 1), x))
            log(
                f"step {step + 1}/{tc.steps} loss {np.mean(losses[-tc.log_every :]):.4f} "
                f"crop-psnr {10 * math.log10(1 / max(mse, 1e-10)):.2f} dB lr {_lr_at(step, tc):.2e} "
                f"{time.time() - t0:.0f}s"
            )
        if out_path and tc.save_every and (step + 1) % tc.save_every == 0:
            snapshot().save(out_path)
    snapshot()
    tok.recipe.update({"steps": tc.steps, "train_seconds": round(time.time() - t0, 1)})
    if eval_pages:
        tok.recipe["heldout"] = evaluate(tok, eval_pages)
        log(f"held-out: {tok.recipe['heldout']}")
    if out_path:
        tok.save(out_path)
    return tok, losses


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="docsynth tokenizer train", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--out", required=True, help="checkpoint path to write")
    ap.add_argument(
        "--image-dir", help="folder of page images (overrides --data)"
    )
    ap.add_argument(
        "--data",
        default="generated",
        choices=("generated", "render"),
        help="training pages: this module's quick generator, or docsynth's synth renderer",
    )
    ap.add_argument("--papers", default=None, metavar="DIR",
                    help="also train on real paper pages: the PDFs in DIR at 72 dpi, every third page (from the second) "
                         "kept out for bench/tokenizer.py")  # fmt: skip
    ap.add_argument("--paper-share", type=float, default=0.25, help="share of training pages drawn from --papers")
    ap.add_argument("--channels", type=int, default=1, choices=(1, 3))
    ap.add_argument("--quantizer", default="fsq", choices=("fsq", "vq"))
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--patch", type=int, default=8, help="pixels per patch side (a power of two): one code row per patch")
    ap.add_argument("--widths", default=None, help="conv widths, one stride-2 stage each, log2(patch) of them (default: 16,48,128 for patch 8, "
                    "16,32,64,128 for 16, 16,32,64,128,192 for 32)")  # fmt: skip
    ap.add_argument("--latent", type=int, default=128, help="latent width per patch, before the heads")
    ap.add_argument("--levels", default="8,8,4,4", help="FSQ levels per head dimension (K = their product)")
    ap.add_argument("--text-weight", type=float, default=0.0,
                    help="pixels inside word boxes weigh 1 + this in the loss (needs --data render: it knows the boxes)")  # fmt: skip
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument(
        "--pool-size", type=int, default=192, help="pages held in memory to crop from"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--eval-pages", type=int, default=40, help="held-out generated full pages"
    )
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--device", default="cpu", help="where training steps run: cpu, cuda, cuda:1 ... (checkpoints are CPU weights)")
    ap.add_argument("--refresh", type=int, default=1, help="pages of the pool replaced every step (more for large batches on a GPU)")
    ap.add_argument("--export-pages", type=int, default=0, metavar="N",
                    help="write the first N training pages (and word masks with --text-weight) into --out as a folder "
                         "for --image-dir, and train nothing")  # fmt: skip
    ap.add_argument(
        "--init",
        default=None,
        metavar="CKPT",
        help="fine-tune from this checkpoint ('default': the shipped one); its config is kept",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    widths = args.widths or {8: "16,48,128", 16: "16,32,64,128", 32: "16,32,64,128,192"}.get(args.patch, "")
    cfg = VisionTokenizerConfig(
        channels=args.channels, quantizer=args.quantizer, heads=args.heads, patch=args.patch,
        widths=tuple(int(v) for v in widths.split(",") if v), latent=args.latent,
        levels=tuple(int(v) for v in args.levels.split(",")),
    )  # fmt: skip
    init_state = None
    if args.init:
        start = VisionTokenizer.load(args.init)
        for name in ("channels", "quantizer", "heads", "patch"):
            if getattr(start.cfg, name) != getattr(cfg, name):
                raise ValueError(
                    f"--init {args.init}: its {name} is {getattr(start.cfg, name)!r}, "
                    f"--{name} asks for {getattr(cfg, name)!r}"
                )
        cfg, init_state = start.cfg, start.model.state_dict()
    tc = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        crop=args.crop,
        lr=args.lr,
        pool_size=args.pool_size,
        text_weight=args.text_weight,
        refresh=args.refresh,
        log_every=50,
        save_every=100,
    )
    rgb = args.channels == 3
    if args.export_pages and args.image_dir:
        raise ValueError("--export-pages writes pages made here; it takes no --image-dir")
    if args.text_weight and not args.image_dir and args.data != "render":
        raise ValueError("--text-weight needs --data render or an --image-dir with word masks (word boxes come with the renderer's pages)")
    if args.papers and (args.image_dir or args.data != "render" or not 0 < args.paper_share < 1):
        raise ValueError("--papers mixes real paper pages into --data render pages, at a --paper-share in (0, 1)")
    gen = None  # the page generator (PyMuPDF): not needed for an --image-dir run without held-out pages
    if not args.image_dir or args.eval_pages:
        from .pages import interleave, paper_pages, rendered_pages, synthetic_pages

        gen = rendered_pages if args.data == "render" else synthetic_pages
    # held-out pages come from a seed stream the training stream never uses
    held = list(gen(10**6 + args.seed, rgb=rgb, limit=args.eval_pages)) if args.eval_pages else None
    recipe = {
        "command": "python -m docsynth.model.vision.train " + " ".join(argv or sys.argv[1:]),
        "data": args.image_dir or f"docsynth.model.vision.pages.{gen.__name__}(seed)",
        "heldout_data": f"{gen.__name__}({10**6 + args.seed}, rgb={rgb}), {args.eval_pages} full pages" if held else "none",
    }
    if args.image_dir:
        images = args.image_dir
    elif args.data == "render":
        images = gen(args.seed, rgb=rgb, word_masks=args.text_weight > 0)
    else:
        images = None  # train_tokenizer's default stream: this module's quick generator
    if args.papers:
        papers = paper_pages(args.papers, args.seed, rgb=rgb, word_masks=args.text_weight > 0)
        images = interleave([images, papers], [1 - args.paper_share, args.paper_share], args.seed)
        recipe["data"] += f" + {args.paper_share:.0%} paper_pages({args.papers}) (held out: pages.held_out_page)"
    if args.export_pages:
        stream = images if images is not None else synthetic_pages(args.seed)
        print(f"wrote {export_pages(stream, args.out, args.export_pages)} pages to {args.out}")
        return 0
    train_tokenizer(
        cfg,
        images,
        out_path=args.out,
        seed=args.seed,
        train=tc,
        eval_pages=held,
        recipe={**recipe, "init": args.init} if args.init else recipe,
        log=lambda s: print(s, flush=True),
        init_state=init_state,
        device=args.device,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
