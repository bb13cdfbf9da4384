"""Pages per second per core of the synthetic render path, against the raw PyMuPDF floor for the same pages.

    python bench/render.py [--docs 60] [--seed 0] [--dpi 72] [--mode RGB]

Synth path: normalize + layout + draw + verify + rasterize + degrade + PNG encode (the `Render` step
and `encode_image`; structured elements and degradations at their defaults), once more with no page
degraded (the degradation step's own cost is printed too), then again with the vision tokenizer encoding each page when the shipped
checkpoint loads. Floor, for the very same pages: the same text runs at the same positions and
the same (already generated) figure pixels, table rules and formula outlines drawn into a PDF, rasterized and PNG-encoded, nothing
else; no layout, no verification. Three floors:

- `floor, PyMuPDF PNG`: the tightest PyMuPDF path known here: one reused in-memory PDF (fonts
  embedded once), text filled through `fz_show_string` into TextWriters, `get_pixmap`,
  `Pixmap.tobytes("png")`;
- `floor, docsynth PNG writer`: the same with the PNG writer the synth path uses (the strict floor);
- `naive floor`: what a plain PyMuPDF script does: a new PDF per document, `TextWriter.append`
  per run (every face embedded again per document), `Pixmap.tobytes("png")`.

Everything runs in this one process with one torch thread; an unmeasured first pass over the
same documents warms font loading and caches so both sides are measured warm. Timings are CPU
seconds of this process (pages/s/core), with wall seconds beside them.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import time
from collections import Counter

import pymupdf

from docsynth import config as C
from docsynth.doc import Document
from docsynth.fonts import FontPool
from docsynth.render import pdf
from docsynth.render.figures import figure_pixels
from docsynth.render.raster import COLORSPACES, encode_image, pixmap_array, png_bytes
from docsynth.render.step import Render
from docsynth.sources import get_source
from docsynth.steps import ShardContext
from docsynth.text import Normalize

def faker_docs(n: int, seed: int) -> list[Document]:
    """The first n documents of the faker source (all its locales: Latin, Cyrillic, Greek, CJK)."""
    cfg = C.PipelineConfig(num_docs=n, seed=seed)
    src, ctx = get_source(cfg), ShardContext(0, seed)
    return [d for spec in src.plan(cfg) for d in src.read(spec, ctx)][:n]


def normalizer(cfg: C.PipelineConfig):
    step = Normalize(cfg)
    return lambda docs, ctx: list(step.run(iter(docs), ctx))


class Clock:
    """Wall and CPU seconds of a block (CPU time is what one core spent, robust to a busy machine)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def synth(cfg: C.PipelineConfig, docs: list[Document], vision=None) -> tuple[Clock, int]:
    """normalize + render + PNG (+ vision codes) over fresh copies of `docs`: (clock, pages); the clock
    also carries the wall seconds of the degradation step (`clock.degrade`) and the pages it degraded."""
    norm, render, pool = normalizer(cfg), Render(cfg), FontPool.from_config(cfg.fonts)
    docs = [Document(d.source, d.docid, d.text, dict(d.meta)) for d in docs]
    ctx = ShardContext(0, cfg.seed)
    pages = 0
    with Clock() as clock:
        for doc in norm(docs, ctx):
            for page in render.render(doc, pool, ctx):
                encode_image(page.image, "png")
                if vision is not None:
                    vision.encode([page.image])
                pages += 1
    clock.degrade, clock.degraded = ctx.timings["render.degrade"], ctx.counters["pages_degraded"]
    return clock, pages


def floor_inputs(cfg: C.PipelineConfig, docs: list[Document]) -> list[list[tuple]]:
    """Per document, per page: (width, height, plan, figure pixels) exactly as the synth path drew them."""
    norm, render, pool = normalizer(cfg), Render(cfg), FontPool.from_config(cfg.fonts)
    docs = [Document(d.source, d.docid, d.text, dict(d.meta)) for d in docs]
    ctx = ShardContext(0, cfg.seed)
    out = []
    for doc in norm(docs, ctx):
        laid = render.layout(doc, pool, ctx)
        if laid is None:
            continue
        plan, pages = laid
        st = plan.style
        out.append([(st.width, st.height, pp, [figure_pixels(f.kind, ctx.rng(doc, "figure", f.stream),
                    f.rect[2] - f.rect[0], f.rect[3] - f.rect[1], cfg.render.dpi) for f in pp.figures])
                    for pp in pages])  # fmt: skip
    return out


def floor(cfg: C.PipelineConfig, inputs: list[list[tuple]], host: pdf.PdfHost, png=None) -> tuple[Clock, int]:
    """Draw the same runs and figures into `host`, rasterize, PNG-encode (`png`: encoder, default PyMuPDF's)."""
    pool, cs = FontPool.from_config(cfg.fonts), COLORSPACES[cfg.render.mode]
    pages = 0
    with Clock() as clock:
        for doc in inputs:
            host.begin()
            for w, h, pp, images in doc:
                page, _ = pdf.draw_page(host, pp, w, h, pool, images)
                pix = page.get_pixmap(dpi=cfg.render.dpi, colorspace=cs, alpha=False)
                pix.tobytes("png") if png is None else png(pixmap_array(pix))
                pages += 1
            host.end()
    return clock, pages


def naive_floor(cfg: C.PipelineConfig, inputs: list[list[tuple]]) -> tuple[Clock, int]:
    """A new PDF per document, public `TextWriter.append` per run, PyMuPDF PNG."""
    pool, cs = FontPool.from_config(cfg.fonts), COLORSPACES[cfg.render.mode]
    pages = 0
    with Clock() as clock:
        for doc in inputs:
            pdoc = pymupdf.open()
            for w, h, pp, images in doc:
                page = pdoc.new_page(width=w, height=h)
                for fig, img in zip(pp.figures, images):
                    pix = pymupdf.Pixmap(pymupdf.csRGB, img.shape[1], img.shape[0], img.tobytes(), 0)
                    page.insert_image(pymupdf.Rect(fig.rect), pixmap=pix)
                writers: dict = {}
                for r in pp.runs:
                    tw = writers.setdefault(r.color, pymupdf.TextWriter(page.rect))
                    tw.append((r.x, r.baseline), r.text, font=pool.font(r.face), fontsize=r.size)
                for color, tw in writers.items():
                    tw.write_text(page, color=tuple(c / 255 for c in color))
                page.get_pixmap(dpi=cfg.render.dpi, colorspace=cs, alpha=False).tobytes("png")
                pages += 1
            pdoc.close()
    return clock, pages


def load_vision():
    try:
        from docsynth.model.vision import VisionTokenizer

        return VisionTokenizer.load("default")
    except (ImportError, OSError, RuntimeError, ValueError) as e:  # the checkpoint ships separately: say why it is skipped
        print(f"vision tokenizer: not measured ({type(e).__name__}: {e})")
        return None


def line(name: str, clock: Clock, pages: int, base: Clock | None = None, base_pages: int = 0) -> str:
    text = (f"{name:44s} {pages:4d} pages  {pages / clock.cpu:6.1f} pages/s/core  {1e3 * clock.cpu / pages:6.1f} ms/page cpu"
            f"  ({1e3 * clock.wall / pages:6.1f} wall)")  # fmt: skip
    if base is not None:
        text += f"  synth/this {(base.cpu / base_pages) / (clock.cpu / pages):.2f}x"
    return text


def best(fn, repeats: int) -> tuple[Clock, int]:
    """The run with the least CPU time of `repeats` (the machine is shared: noise only adds time)."""
    runs = [fn() for _ in range(repeats)]
    return min(runs, key=lambda r: r[0].cpu)


def pin_fonts() -> list[str]:
    """Let the font caches of `docsynth.fonts` hold every face: with more faces in use than they
    keep, faces are evicted and reloaded (a CJK face cut from its collection costs ~0.1-0.25 s),
    and those reloads land at random on whichever side is running. Returns what was widened."""
    from docsynth import fonts

    widened = []
    for name in ("_load_font", "_load_collection_face"):
        fn = getattr(fonts, name, None)
        if fn is not None and hasattr(fn, "cache_info"):
            widened.append(f"{name} (maxsize {fn.cache_info().maxsize})")
            setattr(fonts, name, functools.lru_cache(maxsize=None)(fn.__wrapped__))
    return widened


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dpi", type=int, default=72)
    ap.add_argument("--mode", default="RGB", choices=("L", "RGB"))
    ap.add_argument("--repeats", type=int, default=2, help="measured runs per side; the least CPU time counts")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    cfg = C.PipelineConfig(seed=args.seed, render=C.RenderConfig(dpi=args.dpi, mode=args.mode))
    docs, host = faker_docs(args.docs, args.seed), pdf.PdfHost()
    inputs = floor_inputs(cfg, docs)
    faces = len({r.face.ref for doc in inputs for _, _, pp, _ in doc for r in pp.runs})
    structures = Counter(e.type for doc in inputs for _, _, pp, _ in doc for e in pp.elements)
    widened = pin_fonts()
    synth(cfg, docs)  # an unmeasured pass warms both sides alike: fonts loaded and embedded, metrics cached
    floor(cfg, inputs, host)
    s_clock, n = best(lambda: synth(cfg, docs), args.repeats)
    clean = dataclasses.replace(cfg, degrade=C.DegradeConfig(prob=0.0))
    c_clock, nc = best(lambda: synth(clean, docs), args.repeats)
    f_clock, nf = best(lambda: floor(cfg, inputs, host), args.repeats)
    e_clock, _ = best(lambda: floor(cfg, inputs, host, png_bytes), args.repeats)
    v_clock, _ = best(lambda: naive_floor(cfg, inputs), args.repeats)
    print(f"{args.docs} faker docs, {args.dpi} dpi {args.mode}, PNG; one process, torch threads {torch.get_num_threads()}")
    print(f"faces drawn: {faces}; font caches widened to hold them all: {', '.join(widened)}")
    print(f"structure at its defaults: {dict(structures)}; degradations at prob {cfg.degrade.prob}")
    print(line("synth: normalize+render+verify+raster+png", s_clock, n))
    print(line("synth without degradations", c_clock, nc))
    print(f"{'  degradation step alone':44s} {s_clock.degraded:4d} pages  {1e3 * s_clock.degrade / max(s_clock.degraded, 1):6.1f} ms/degraded page wall,"
          f" {100 * s_clock.degrade / s_clock.wall:.1f}% of the synth wall time")  # fmt: skip
    print(line("floor: same pages, PyMuPDF PNG", f_clock, nf, s_clock, n))
    print(line("floor: same pages, docsynth PNG writer", e_clock, nf, s_clock, n))
    print(line("naive floor: PDF per doc, TextWriter.append", v_clock, nf, s_clock, n))
    vision = load_vision()
    if vision is not None:
        t_clock, nt = best(lambda: synth(cfg, docs, vision), args.repeats)
        print(line("synth + vision tokenizer", t_clock, nt))


if __name__ == "__main__":
    main()
