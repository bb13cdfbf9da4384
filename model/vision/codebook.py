"""A codebook tokenizer for wide patches (issue 13): G small blocks per patch, each coded by k-means.

    python -m docsynth.model.vision.codebook --out pq16.pt --papers ../shared/real_pdfs --seed 0

A 16 x 16 patch is cut into G = 32 blocks of 4 x 2 pixels (4 rows, 2 columns). Head g codes block
g (row-major inside the patch) by the nearest of K = 1024 patterns in its pool, so a patch is
G ids, as DESIGN §6 asks: a head is a linear projection of the patch (the pixels of its block) and
its quantizer a learned codebook. The pools hold the same patterns (one k-means over all blocks of
the training pages; a block's statistics do not depend on where in the patch it lies) and stay
separate pools in the vocabulary. Decoding looks each block up and a small residual conv net, the
post filter, trained after the codebook on (looked-up page, page) pairs, smooths the block seams.
Blocks are matched on ink ** `ink_power` (ink = 1 - grey), not on grey: a power under 1 spreads the
faint greys of thin strokes (an e's bar at 7 pt), which plain squared error lets k-means average away.

Colour (channels = 3): the blocks code the page's luma, and one more head (G = 33, the last) codes each
patch's ink colour from a palette of K, fitted by k-means as well. The colour is a ratio: a patch's ink
summed per channel (1 - rgb) over its luma ink (1 - luma). Ink anti-aliased against white keeps that
ratio, so decoding recolours the grey: 1 - rgb = (1 - grey) * ratio. Black and grey ink is (1, 1, 1),
one exact palette entry, so a grey page comes back grey. A patch holding two ink colours gets a blend.

Why blocks and not the conv autoencoder: at the same bits per pixel (10 bits per 8 pixels, as the
8 x 8 tokenizer's 80 bits per 64) the learned patch-16 autoencoder reached legibility 0.864 after
~115,000 CPU steps (8 h); k-means gives exact nearest-neighbour codes, trains in minutes and reads
better (`bench/tokenizer.py`; the asset card has the curve). Of the shapes tried in session 12 (2 x 4,
1 x 8, 4 x 4 in two residual stages, 8 x 8 in eight, 16 x 16 in 32), blocks of 4 x 2 read best on real
pages and within 0.013 of the best on renderer pages.

k-means is written here (torch, Lloyd's iterations with dead codes reseeded) rather than taken from
scikit-learn or faiss: neither is a dependency, and it is 20 lines on tensors already in memory.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .autoencoder import LUMA, pad_white, to_channels


@dataclass(kw_only=True)
class CodebookConfig:
    channels: int = 1  # 1 grey; 3 RGB: the blocks code the luma and one more head codes each patch's ink colour
    patch: int = 16  # pixels per patch side; one row of G codes per patch
    block: tuple[int, int] = (4, 2)  # (rows, columns) of pixels one code covers
    codebook_size: int = 1024  # K: patterns per pool
    ink_power: float = 0.7  # blocks are coded as ink ** this (ink = 1 - grey): < 1 spreads the faint grey of thin strokes
    post_width: int = 32  # channels of the post filter's convolutions
    post_depth: int = 4  # hidden 3x3 convolutions of the post filter (0: lookup only)

    def __post_init__(self):
        self.block = tuple(self.block)
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if len(self.block) != 2 or min(self.block) < 1 or self.patch % self.block[0] or self.patch % self.block[1]:
            raise ValueError(f"block {self.block} must be two positive sizes that divide patch {self.patch}")
        if self.codebook_size < 2 or self.post_width < 1 or self.post_depth < 0 or not 0 < self.ink_power <= 4:
            raise ValueError("codebook_size must be >= 2, post_width >= 1, post_depth >= 0 and ink_power in (0, 4]")

    @property
    def block_heads(self) -> int:
        return (self.patch // self.block[0]) * (self.patch // self.block[1])

    @property
    def heads(self) -> int:
        return self.block_heads + (self.channels == 3)  # the colour head last

    @property
    def K(self) -> int:
        return self.codebook_size

    def to_dict(self) -> dict:
        return asdict(self)


class PatchCodebook(nn.Module):
    """encode: (B, 1, H, W) in [0, 1] -> (B, h, w, G) ids; decode: ids -> (B, 1, h*patch, w*patch)."""

    kind = "codebook"  # the checkpoint's "kind": VisionTokenizer.load picks the model class by it

    def __init__(self, cfg: CodebookConfig):
        super().__init__()
        self.cfg = cfg
        bh, bw = cfg.block
        self.register_buffer("codebook", torch.zeros(cfg.K, bh * bw))  # (K, block pixels) of ink ** ink_power; 0 = white
        if cfg.channels == 3:  # (K, 3) ink colours as ratios: 1 - rgb = (1 - luma) * ratio; (1, 1, 1) is black or grey
            self.register_buffer("palette", torch.ones(cfg.K, 3))
        layers: list[nn.Module] = []
        if cfg.post_depth:
            layers = [nn.Conv2d(1, cfg.post_width, 3, padding=1)]
            for _ in range(cfg.post_depth):
                layers += [nn.SiLU(), nn.Conv2d(cfg.post_width, cfg.post_width, 3, padding=1)]
            layers += [nn.SiLU(), nn.Conv2d(cfg.post_width, 1, 3, padding=1)]
            layers[-1].weight.data.mul_(0.1)  # starts near the identity: the lookup is already close
            nn.init.zeros_(layers[-1].bias)
        self.post = nn.Sequential(*layers)

    def blocks(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, h, w, G, block pixels), the page padded white to whole patches."""
        p, (bh, bw) = self.cfg.patch, self.cfg.block
        x = pad_white(x, p)
        B, _, H, W = x.shape
        h, w = H // p, W // p
        x = x.reshape(B, h, p // bh, bh, w, p // bw, bw).permute(0, 1, 4, 2, 5, 3, 6)
        return x.reshape(B, h, w, self.cfg.block_heads, bh * bw)

    def unblocks(self, v: torch.Tensor) -> torch.Tensor:
        """(B, h, w, G, block pixels) -> (B, 1, h*patch, w*patch)."""
        p, (bh, bw) = self.cfg.patch, self.cfg.block
        B, h, w = v.shape[:3]
        v = v.reshape(B, h, w, p // bh, p // bw, bh, bw).permute(0, 1, 3, 5, 2, 4, 6)
        return v.reshape(B, 1, h * p, w * p)

    def ink(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) grey in [0, 1] -> (B, h, w, G, block pixels) in the codebook's space."""
        return (1 - self.blocks(x.contiguous())).clamp(min=0) ** self.cfg.ink_power

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1 or 3, H, W) -> (B, h, w, G): the blocks' codes of the luma, then (RGB) the colour code."""
        idx = self.block_codes(luma(x) if x.shape[1] == 3 else x)
        if self.cfg.channels == 1:
            return idx
        ratio = ink_ratio(x.expand(-1, 3, -1, -1), self.cfg.patch)  # (B, h, w, 3); a grey page is (1, 1, 1)
        colour = nearest(ratio.reshape(-1, 3), self.palette).view(*ratio.shape[:3], 1)
        return torch.cat([idx, colour], dim=-1)

    def block_codes(self, grey: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, h, w, block heads)."""
        v = self.ink(grey)
        flat = v.reshape(-1, v.shape[-1])
        # a page is mostly blank blocks, and every blank block has the one code nearest to white
        blank = (flat == 0).all(1)
        idx = nearest(torch.zeros_like(flat[:1]), self.codebook).expand(len(flat)).clone()
        idx[~blank] = nearest(flat[~blank], self.codebook)
        return idx.view(v.shape[:4])

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        """Grey (B, 1, H, W) of the blocks' codes, before the post filter."""
        return 1 - self.unblocks(self.codebook[idx[..., : self.cfg.block_heads]].clamp(min=0) ** (1 / self.cfg.ink_power))

    def decode(self, idx: torch.Tensor) -> torch.Tensor:
        grey = self.refine(self.lookup(idx))
        if self.cfg.channels == 1:
            return grey
        p = self.cfg.patch
        ratio = self.palette[idx[..., -1]].permute(0, 3, 1, 2)  # (B, 3, h, w)
        ratio = ratio.repeat_interleave(p, dim=2).repeat_interleave(p, dim=3)
        return 1 - (1 - grey) * ratio  # the patch's ink colour, as dark as the grey says

    def refine(self, y: torch.Tensor) -> torch.Tensor:
        return y + self.post(y * 2 - 1) if len(self.post) else y


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W), by the weights `to_channels` makes grey pages with."""
    return (rgb * rgb.new_tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)


def ink_ratio(rgb: torch.Tensor, patch: int, floor: float = 0.5) -> torch.Tensor:
    """(B, 3, H, W) -> (B, h, w, 3): a patch's ink colour as the ratio of its summed ink per channel
    (1 - rgb) to its summed luma ink (1 - luma). Anti-aliased ink mixes a colour with white, which keeps
    this ratio, so one ratio per patch recolours the grey. A patch with under `floor` pixels' worth of
    ink is (1, 1, 1): grey."""
    rgb = pad_white(rgb, patch)
    ink = torch.nn.functional.avg_pool2d(1 - rgb, patch, divisor_override=1)  # (B, 3, h, w) summed
    grey = torch.nn.functional.avg_pool2d(1 - luma(rgb), patch, divisor_override=1)  # (B, 1, h, w)
    ratio = torch.where(grey > floor, ink / grey.clamp(min=1e-6), torch.ones_like(ink))
    return ratio.permute(0, 2, 3, 1)


def nearest(v: torch.Tensor, codebook: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """Index of the nearest codebook row (squared Euclidean) for each row of v (N, D) -> (N,) int64.

    In chunks of 1,024 rows: a chunk's distances to 1,024 codes (4 MB) stay in cache for the argmin;
    8,192-row chunks (32 MB) made encoding a page's blocks 2-3x slower, with the same codes."""
    c2 = (codebook * codebook).sum(1)
    return torch.cat([(c2 - 2 * part @ codebook.T).argmin(1) for part in v.split(chunk)]) if len(v) else v.new_zeros(0, dtype=torch.int64)


def kmeans(v: torch.Tensor, k: int, iters: int, gen: torch.Generator, log=print) -> torch.Tensor:
    """Lloyd's k-means from k rows drawn at random; a code no row chose is reseeded with a random row."""
    if len(v) < k:
        raise ValueError(f"k-means needs at least k={k} training vectors, got {len(v)}")
    c = v[torch.randperm(len(v), generator=gen)[:k]].clone()
    for it in range(iters):
        idx = nearest(v, c)
        count = torch.bincount(idx, minlength=k)
        total = torch.zeros_like(c).index_add_(0, idx, v)
        dead = count == 0
        c[~dead] = total[~dead] / count[~dead, None]
        c[dead] = v[torch.randint(len(v), (int(dead.sum()),), generator=gen)]
        if (it + 1) % 5 == 0 or it + 1 == iters:
            log(f"k-means {it + 1}/{iters}: mean squared error {float(((v - c[idx]) ** 2).mean()):.5f}, {int(dead.sum())} dead codes reseeded")
    return c


def training_pages(n: int, seed: int, papers: str | None, paper_share: float, rgb: bool = False) -> list[np.ndarray]:
    """n 72-dpi training pages (grey, or RGB): renderer pages of stream `seed`, and a share from `papers`
    (the pages `held_out_page` keeps for evaluation left out)."""
    from .pages import paper_pages, rendered_pages

    n_papers = round(n * paper_share) if papers else 0
    pages = list(rendered_pages(seed, limit=n - n_papers, rgb=rgb))
    if n_papers:
        pages += list(itertools.islice(paper_pages(papers, seed, rgb=rgb), n_papers))
    return pages


def fit(
    cfg: CodebookConfig,
    pages: list[np.ndarray],
    *,
    seed: int = 0,
    iters: int = 25,
    max_vectors: int = 1_500_000,
    white_keep: float = 0.02,
    steps: int = 3000,
    crop: int = 64,
    batch_size: int = 16,
    lr: float = 1e-3,
    log=print,
):
    """Fit the codebook by k-means on the pages' blocks (all inked blocks, `white_keep` of the blank
    ones), then train the post filter for `steps` on crops of (looked-up page, page). Returns the
    VisionTokenizer and its recipe's figures."""
    from .tokenizer import VisionTokenizer
    from .train import TrainConfig, _lr_at, reconstruction_loss

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = PatchCodebook(cfg)
    t0 = time.time()
    xs = [torch.from_numpy(to_channels(p, 1))[None] for p in pages]  # (1, 1, H, W) each
    v = torch.cat([model.ink(x).reshape(-1, model.codebook.shape[1]) for x in xs])
    blank = (v < 0.01**cfg.ink_power).all(1)
    keep = ~blank | (torch.rand(len(v), generator=gen) < white_keep)
    v = v[keep]
    v = v[torch.randperm(len(v), generator=gen)[:max_vectors]]
    log(f"k-means on {len(v):,} blocks of {len(pages)} pages")
    model.codebook.copy_(kmeans(v, cfg.K, iters, gen, log))
    recipe = {"pages": len(pages), "kmeans_vectors": len(v), "kmeans_iters": iters}
    if cfg.channels == 3:
        ratios = torch.cat([ink_ratio(torch.from_numpy(to_channels(p, 3))[None], cfg.patch).reshape(-1, 3) for p in pages])
        coloured = ratios[(ratios != 1).any(1)]  # patches with ink (grey ink is near (1, 1, 1), not at it)
        log(f"palette: k-means on the ink colours of {len(coloured):,} patches")
        palette = kmeans(torch.cat([coloured, torch.ones(1, 3)]), cfg.K, iters, gen, log)
        palette[nearest(torch.ones(1, 3), palette)] = 1.0  # grey pages come back exactly grey
        model.palette.copy_(palette)
        recipe["palette_vectors"] = len(coloured) + 1
    recipe["kmeans_seconds"] = round(time.time() - t0, 1)
    if cfg.post_depth and steps:
        with torch.no_grad():
            pairs = [(model.lookup(model.block_codes(x))[..., : x.shape[-2], : x.shape[-1]], x) for x in xs]
        pairs = [(a, b) for a, b in pairs if min(b.shape[-2:]) >= crop]
        tc = TrainConfig(steps=steps, lr=lr, batch_size=batch_size, crop=crop)
        opt = torch.optim.Adam(model.post.parameters(), lr=lr, betas=(0.9, 0.99))
        rng = np.random.default_rng(seed)
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = _lr_at(step, tc)
            got, want = _crops(pairs, crop, batch_size, rng)
            loss = reconstruction_loss(model.refine(got), want, tc.l1_weight, tc.grad_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if (step + 1) % 500 == 0 or step + 1 == steps:
                log(f"post filter {step + 1}/{steps}: loss {loss.item():.5f} ({time.time() - t0:.0f} s)")
        recipe.update(post_steps=steps, post_lr=lr, post_crop=crop, post_batch=batch_size)
    recipe["train_seconds"] = round(time.time() - t0, 1)
    return VisionTokenizer(model, recipe)


def _crops(pairs: list, size: int, n: int, rng: np.random.Generator):
    """n crops of (looked-up, stored) pages, mostly with ink: blank margins teach the filter nothing."""
    got, want = [], []
    while len(got) < n:
        a, b = pairs[int(rng.integers(len(pairs)))]
        y, x = int(rng.integers(b.shape[-2] - size + 1)), int(rng.integers(b.shape[-1] - size + 1))
        crop = b[0, :, y : y + size, x : x + size]
        if (crop < 0.8).float().mean() < 0.02 and rng.random() < 0.8:
            continue
        got.append(a[0, :, y : y + size, x : x + size])
        want.append(crop)
    return torch.stack(got), torch.stack(want)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m docsynth.model.vision.codebook", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="checkpoint path to write")
    ap.add_argument("--pages", type=int, default=150, help="training pages (renderer pages and --papers pages)")
    ap.add_argument("--papers", default=None, metavar="DIR", help="a folder of PDFs to draw --paper-share of the pages from")
    ap.add_argument("--paper-share", type=float, default=1 / 3)
    ap.add_argument("--channels", type=int, default=1, choices=(1, 3), help="3: RGB pages, one more head codes each patch's ink colour")
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--block", default="4,2", help="rows,columns of pixels one code covers")
    ap.add_argument("--codebook-size", type=int, default=1024)
    ap.add_argument("--ink-power", type=float, default=0.7, help="blocks are coded as (1 - grey) ** this")
    ap.add_argument("--iters", type=int, default=25, help="k-means iterations")
    ap.add_argument("--max-vectors", type=int, default=1_500_000, help="blocks k-means runs on, drawn at random from the pages'")
    ap.add_argument("--steps", type=int, default=3000, help="post-filter steps (0: lookup only)")
    ap.add_argument("--post-depth", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = CodebookConfig(channels=args.channels, patch=args.patch, block=tuple(int(s) for s in args.block.split(",")), codebook_size=args.codebook_size,
                         ink_power=args.ink_power, post_depth=args.post_depth if args.steps else 0)  # fmt: skip
    pages = training_pages(args.pages, args.seed, args.papers, args.paper_share, rgb=args.channels == 3)
    tok = fit(cfg, pages, seed=args.seed, iters=args.iters, max_vectors=args.max_vectors, steps=args.steps)
    tok.recipe["command"] = "python -m docsynth.model.vision.codebook " + " ".join(argv if argv is not None else sys.argv[1:])
    tok.save(args.out, half=True)
    print(f"wrote {args.out}: G={cfg.heads}, K={cfg.K}, patch {cfg.patch}; {tok.recipe}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
