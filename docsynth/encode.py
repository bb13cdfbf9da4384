"""Vision codes for pages and image elements (DESIGN §6), with the shipped or a given tokenizer."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from docsynth import config as C
from docsynth.coords import crop_slices
from docsynth.doc import Page
from docsynth.pipeline import load_vision
from docsynth.steps import ShardContext, Step


def crop_px(page: Page, bbox) -> tuple[slice, slice]:
    """Point box -> pixel slices of the page raster (at least one pixel each way)."""
    return crop_slices(page.image.shape, page.width, page.height, bbox)


class Encode(Step):
    """Fills `page.codes` (h, w, G) and `element.codes` for image elements, batching pages; a page with
    `views` (glimpse unit) gets its views' codes instead, the only images its sample holds."""

    name = "encode"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def run(self, pages: Iterator[Page], ctx: ShardContext) -> Iterator[Page]:
        batch: list[Page] = []
        for page in pages:
            batch.append(page)
            if len(batch) == self.cfg.vision.batch_size:
                yield from self._encode(batch, ctx)
                batch = []
        if batch:
            yield from self._encode(batch, ctx)

    def _encode(self, pages: list[Page], ctx: ShardContext) -> list[Page]:
        encode = ctx.encoder or load_vision(self.cfg.vision.checkpoint).encode  # the executor may encode elsewhere
        crops, owners = [], []
        for page in pages:
            if page.views:
                crops += [v.image for v in page.views]
                owners += [(page, v) for v in page.views]
                continue
            crops.append(page.image)
            owners.append((page, None))
            for el in page.elements:
                if el.is_image:
                    ys, xs = crop_px(page, el.bbox)
                    crops.append(page.image[ys, xs])
                    owners.append((page, el))
        with ctx.timer(self.name):
            codes = encode(crops)
        for (page, el), c in zip(owners, codes):
            if el is None:
                page.codes = c
            else:
                el.codes = c
        ctx.counters["pages_encoded"] += len(pages)
        return pages
