"""Vision tokenizers side by side: positions per page, legibility of rebuilt pages, PSNR, code usage, cost.

    python bench/tokenizer.py [CKPT ...] [--pages 8] [--real-pages 6] [--seed 1000003]

CKPT: checkpoint paths (`default`, the shipped default, is always included, first; without CKPT every
checkpoint shipped in docsynth/assets is measured, the 8x `vision_tokenizer.pt` among them). For each:

  positions/page  image positions of a page, (H/patch)·(W/patch), mean over held-out renderer pages
                  at their default knobs (page sizes letter, A4, A5, B5; structure), clean (no scan),
                  English text (the installed Tesseract reads English only)
  legibility      characters Tesseract reads back in place (docsynth.model.vision.legibility; pages
                  upscaled 3x), on the stored page and on the page rebuilt from its codes, and the gap;
                  renderer pages use their elements (formulas and figures left out), real paper pages
                  (../shared/real_pdfs, rasterized at 72 dpi, every few pages, never trained on) the
                  blocks of their text layer
  PSNR            of rebuilt against stored pages (grey), renderer and real
  usage           share of each head's K codes used over these pages (min-max over heads)
  ms/page         encode, one CPU thread, per page
  colour          on held-out RGB renderer pages (the renderer colours text and figures): mean absolute
                  error in 0-255 units over ink pixels (darker than 200 in some channel), and the share
                  of the stored chroma (max - min channel) the rebuilt page keeps on coloured ink
                  pixels (chroma > 40); a grey checkpoint keeps 0 %

The baseline is the 8x conv autoencoder (`vision_tokenizer.pt`, the default before issue 13), measured
in the same run; the stored pages' own legibility is beside each row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from docsynth.model.vision.legibility import available, legibility
from docsynth.model.vision.pages import held_out_page
from docsynth.model.vision.tokenizer import VisionTokenizer

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real_pdfs"


def renderer_pages(n: int, seed: int, rgb: bool = False) -> list[tuple[np.ndarray, float, list]]:
    """(grey or RGB image, width in points, regions) of held-out renderer pages at the default knobs."""
    from itertools import count

    from docsynth import config as C
    from docsynth.render.step import Render
    from docsynth.sources import get_source
    from docsynth.steps import ShardContext
    from docsynth.text import Normalize

    # English only: the Tesseract these machines install reads English (eng) and nothing else
    # clean pages: what a scan's blur costs a reader is the renderer's business, not the tokenizer's
    cfg = C.PipelineConfig(num_docs=1 << 30, seed=seed, render=C.RenderConfig(mode="RGB" if rgb else "L"), source=C.SourceConfig(locales=("en_US",)),
                           degrade=C.DegradeConfig(prob=0.0))  # fmt: skip
    source, ctx = get_source(cfg), ShardContext(shard=0, seed=seed)
    docs = (doc for i in count() for doc in source.read({"kind": "faker", "start": i, "stop": i + 1}, ctx))
    out = []
    for page in Render(cfg)(Normalize(cfg)(docs, ctx), ctx):
        regions = [(e.bbox, " ".join(w.text for ln in e.lines for w in ln.words)) for e in page.elements if not e.is_image and e.type != "math"]
        out.append((page.image, page.width, regions))
        if len(out) >= n:
            break
    return out


def real_pages(n: int) -> list[tuple[np.ndarray, float, list]]:
    """Every few pages of the real papers, rasterized grey at 72 dpi, with their text layer's blocks."""
    import pymupdf

    paths = sorted(REAL.glob("*.pdf")) if REAL.is_dir() else []
    picks = [(p, k) for p in paths for k in range(pymupdf.open(p).page_count) if held_out_page(k)]
    out = []
    for p, k in picks[:: max(1, len(picks) // max(n, 1))][:n]:
        with pymupdf.open(p) as d:
            page = d[k]
            pix = page.get_pixmap(dpi=72, colorspace=pymupdf.csGRAY)
            img = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w).copy()
            regions = [((b[0], b[1], b[2], b[3]), b[4]) for b in page.get_text("blocks") if b[6] == 0]
            out.append((img, page.rect.width, regions))
    return out


def measure(tok: VisionTokenizer, pages: list, ocr: bool) -> dict:
    torch.set_num_threads(1)
    positions, psnrs, times, stored, rebuilt = [], [], [], [0, 0], [0, 0]
    used = np.zeros((tok.G, tok.K), dtype=bool)
    for img, width, regions in pages:
        t0 = time.perf_counter()
        codes = tok.encode(img)
        times.append(time.perf_counter() - t0)
        rec = np.asarray(tok.decode(codes))[: img.shape[0], : img.shape[1]]
        rec = rec if rec.ndim == 2 else rec.mean(axis=2).astype(np.uint8)
        positions.append(codes.shape[0] * codes.shape[1])
        mse = float(np.mean((rec.astype(np.float64) - img.astype(np.float64)) ** 2))
        psnrs.append(10 * np.log10(255.0**2 / max(mse, 1e-10)))
        for g in range(tok.G):
            used[g, np.unique(codes[..., g])] = True
        if ocr:
            for acc, im in ((stored, img), (rebuilt, rec)):
                got, total = legibility(im, width, regions)
                acc[0] += got
                acc[1] += total
    out = {"positions": statistics.fmean(positions), "psnr": statistics.fmean(psnrs), "ms": 1e3 * statistics.median(times),
           "usage": (float(used.mean(axis=1).min()), float(used.mean(axis=1).max()))}  # fmt: skip
    if ocr:
        out.update(stored=stored[0] / max(stored[1], 1), rebuilt=rebuilt[0] / max(rebuilt[1], 1))
    return out


def colour(tok: VisionTokenizer, pages: list) -> dict:
    """Colour error of pages rebuilt from codes against the stored RGB pages (see the module docstring)."""
    abs_err, ink, kept, chroma = 0.0, 0, 0.0, 0.0
    for img, _, _ in pages:
        rec = np.asarray(tok.decode(tok.encode(img)))[: img.shape[0], : img.shape[1]]
        rec = np.repeat(rec[..., None], 3, axis=2) if rec.ndim == 2 else rec[..., :3]
        a, b = img.astype(np.float64), rec.astype(np.float64)
        dark = (a < 200).any(axis=2)
        abs_err += np.abs(a - b)[dark].sum() / 3
        ink += int(dark.sum())
        c_stored = a.max(axis=2) - a.min(axis=2)
        coloured = dark & (c_stored > 40)
        kept += float((b.max(axis=2) - b.min(axis=2))[coloured].sum())
        chroma += float(c_stored[coloured].sum())
    return {"mae_ink": abs_err / max(ink, 1), "chroma_kept": kept / max(chroma, 1e-9)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="*")
    ap.add_argument("--pages", type=int, default=8, help="held-out renderer pages")
    ap.add_argument("--real-pages", type=int, default=6, help="real paper pages (skipped where ../shared/real_pdfs is absent)")
    ap.add_argument("--seed", type=int, default=1_000_003, help="renderer seed (far from every training stream)")
    ap.add_argument("--colour-pages", type=int, default=4, help="held-out RGB renderer pages for the colour error (0: skip)")
    args = ap.parse_args()
    ocr = available()
    if not args.checkpoints:  # every shipped checkpoint beside the default, by its shipped name
        from docsynth.model.vision.tokenizer import DEFAULT_CHECKPOINT, shipped_checkpoints

        args.checkpoints = [name for name in shipped_checkpoints() if name != DEFAULT_CHECKPOINT]
    sets = {"renderer": renderer_pages(args.pages, args.seed)}
    if args.real_pages:
        sets["real papers"] = real_pages(args.real_pages)
    print(f"held-out pages: {', '.join(f'{k} {len(v)}' for k, v in sets.items())}; Tesseract {'on' if ocr else 'not installed: legibility skipped'}")
    head = f"{'checkpoint':34s} {'set':12s} {'G':>3s} {'patch':>5s} {'positions':>9s} {'legible stored':>14s} {'rebuilt':>7s} {'gap':>6s} {'PSNR':>6s} {'usage':>11s} {'ms/page':>8s}"
    print(head)
    for ck in ["default", *args.checkpoints]:
        tok = VisionTokenizer.load(ck)
        for name, pages in sets.items():
            if not pages:
                continue
            m = measure(tok, pages, ocr)
            leg = f"{m['stored']:14.3f} {m['rebuilt']:7.3f} {m['rebuilt'] - m['stored']:+6.3f}" if ocr else f"{'-':>14s} {'-':>7s} {'-':>6s}"
            print(f"{Path(ck).name:34s} {name:12s} {tok.G:3d} {tok.patch:5d} {m['positions']:9.0f} {leg} {m['psnr']:6.2f} "
                  f"{m['usage'][0]:5.0%}-{m['usage'][1]:4.0%} {m['ms']:8.1f}")  # fmt: skip
    if args.colour_pages:
        rgb = renderer_pages(args.colour_pages, args.seed + 1, rgb=True)
        print(f"\ncolour, {len(rgb)} held-out RGB renderer pages: {'checkpoint':34s} {'channels':>8s} {'MAE on ink':>10s} {'chroma kept':>11s}")
        for ck in ["default", *args.checkpoints]:
            tok = VisionTokenizer.load(ck)
            c = colour(tok, rgb)
            print(f"{'':46s}{Path(ck).name:34s} {tok.cfg.channels:8d} {c['mae_ink']:10.1f} {c['chroma_kept']:11.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
