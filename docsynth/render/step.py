"""`Render`: documents in, rendered pages (ground truth + raster) out."""

from __future__ import annotations

from collections.abc import Iterator

import pymupdf

from docsynth import config as C
from docsynth.doc import Document, Page
from docsynth.fonts import FontPool
from docsynth.render import pdf
from docsynth.render.degrade import degrade, draw_warp, warp_elements
from docsynth.render.figures import figure_pixels
from docsynth.render.layout import PagePlan, flow
from docsynth.render.plan import DocPlan, Rejected, plan_document
from docsynth.render.structure import place_heads
from docsynth.render.raster import raster_size, rasterize, rasterize_affine
from docsynth.render.verify import verify_page
from docsynth.steps import ShardContext, Step


SOURCE_FIELDS = ("id", "url", "file", "row", "index")  # where a page's text came from (the row's own id: "id")


class Render(Step):
    """Lays out each document within `cfg.layout`, draws it with PyMuPDF, checks and rasterizes every page."""

    name = "render"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def run(self, docs: Iterator[Document], ctx: ShardContext) -> Iterator[Page]:
        pool = FontPool.from_config(self.cfg.fonts)
        for doc in docs:
            with ctx.timer(self.name):
                pages = self.render(doc, pool, ctx)
            yield from pages

    def render(self, doc: Document, pool, ctx: ShardContext) -> list[Page]:
        """The verified pages of one document (dropped documents and pages go to `ctx.drop`)."""
        plans = self.layout(doc, pool, ctx)
        if plans is None:
            return []
        plan, pages = plans
        host = pdf.host()
        host.begin()
        try:
            out = [self.page(doc, plan, pages, i, pool, host, ctx) for i in range(len(pages))]
        except (RuntimeError, pymupdf.mupdf.FzErrorBase) as e:  # MuPDF failing on one document must not end the shard
            ctx.drop(doc.source, doc.docid, "render_error", f"{type(e).__name__}: {e}", step=self.name)
            return []
        finally:
            host.end()
        ctx.counters["pages_rendered"] += len(pages)
        return [p for p in out if p is not None]

    def layout(self, doc: Document, pool, ctx: ShardContext) -> tuple[DocPlan, list[PagePlan]] | None:
        """The document's plan and pages, or None when it is dropped (empty, bad input, too long)."""

        def drop(reason: str, detail: str) -> None:
            ctx.drop(doc.source, doc.docid, reason, detail, step=self.name)

        if not doc.paragraphs:
            drop("empty_text", "no paragraphs to render")
            return None
        try:
            with ctx.timer("render.layout"):
                plan = plan_document(doc.paragraphs, self.cfg.layout, pool, ctx.rng(doc, "layout"), doc.meta.get("locale"))
                heads = plan.heads
                pages = flow(plan.style, plan.blocks, *(heads.room(heads.head.style if heads.head else None),
                                                        heads.room(heads.number_style)) if heads else ())
                if heads:
                    place_heads(pages, plan.style, heads, pool)
                for kind, n in plan.skipped.items():
                    ctx.counters[f"structures_skipped_{kind}"] += n
        except Rejected as e:
            drop(e.reason, e.detail)
            return None
        if len(pages) > self.cfg.layout.max_pages:  # cut, like source.max_chars cuts text: what is kept fits
            ctx.counters["docs_cut_to_max_pages"] += 1
            doc.meta["pages_cut"] = len(pages) - self.cfg.layout.max_pages
            pages = pages[: self.cfg.layout.max_pages]
        return plan, pages

    def page(self, doc: Document, plan: DocPlan, pages: list[PagePlan], i: int, pool, host, ctx: ShardContext) -> Page | None:
        """Draw, verify and rasterize page i; None when verification drops it."""
        rcfg, st, pp = self.cfg.render, plan.style, pages[i]
        with ctx.timer("render.draw"):
            images = [figure_pixels(f.kind, ctx.rng(doc, "figure", f.stream), f.rect[2] - f.rect[0],
                                    f.rect[3] - f.rect[1], rcfg.dpi) for f in pp.figures]  # fmt: skip
            page, fonts = pdf.draw_page(host, pp, st.width, st.height, pool, images)
            dlist = page.get_displaylist()  # interpreted once for both the check and the raster
        if rcfg.verify:
            with ctx.timer("render.verify"):
                verdict = verify_page(dlist, pp.elements, fonts)
            ctx.counters["words_checked"] += verdict.total
            ctx.counters["words_matched"] += verdict.matched
            if verdict.fraction < rcfg.min_word_match:
                ctx.drop(doc.source, doc.docid, "verify_mismatch", verdict.detail(i), step=self.name, page=i)
                return None
        meta = {**st.meta(), "font_family": plan.family, "locale": doc.meta.get("locale"), "dpi": rcfg.dpi,
                "mode": rcfg.mode, "num_pages": len(pages), "pages_cut": doc.meta.get("pages_cut", 0),
                "doc": {k: doc.meta[k] for k in SOURCE_FIELDS if k in doc.meta}}  # fmt: skip
        rng = ctx.rng(doc, "degrade", i)
        warp = None
        if rng.random() < self.cfg.degrade.prob:
            warp = draw_warp(rng, self.cfg.degrade, *raster_size(st.width, st.height, rcfg.dpi))
        with ctx.timer("render.raster"):
            image = rasterize(dlist, rcfg.dpi, rcfg.mode) if warp is None else rasterize_affine(dlist, rcfg.dpi, rcfg.mode, warp.affine)
        meta["degradations"] = []
        if warp is not None:
            with ctx.timer("render.degrade"):
                image, meta["degradations"] = degrade(image, rng, self.cfg.degrade, rcfg.dpi, warp)
                warp_elements(pp.elements, warp.homography, image.shape[1] / st.width, image.shape[0] / st.height, st.width, st.height)
            ctx.counters["pages_degraded"] += 1
        return Page(doc.source, doc.docid, i, st.width, st.height, elements=pp.elements, image=image, meta=meta)
