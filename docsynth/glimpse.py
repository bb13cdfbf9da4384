"""Glimpse samples (`tokens.unit = glimpse`): a page seen as a global view, then looks at regions.

Every view is an image of the same fixed size `S x S` pixels, so the positions per view never
change. A view of a box (in page points) is the page raster inside that box, scaled by
`s = min(S / box_w_px, S / box_h_px, max_zoom)` and placed at the view's top-left corner on
white; the global view is the view of the whole page. That one rule renders any box, the ones
this step chooses and the ones a model asks for.

Looks follow reading order. Consecutive text elements share a look while their union still
fits the view at the page raster's own scale (`s >= 1`: the crop is never less legible than the
stored page); a figure or a table gets a look of its own. An element larger than the view on its
own is shown whole, downscaled (`s < 1`, recorded per view).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

from docsynth import config as C
from docsynth.doc import Box, Page, View, box_union
from docsynth.steps import ShardContext, Step

MARGIN_PT = 4.0  # room around a look's elements, so strokes at their edges stay inside
OWN_LOOK = ("figure", "image", "table")  # element types that get a look of their own


def view_scale(box: Box, px_per_pt: float, size: int, max_zoom: float) -> float:
    w, h = (box[2] - box[0]) * px_per_pt, (box[3] - box[1]) * px_per_pt
    return min(size / max(w, 1e-6), size / max(h, 1e-6), max_zoom)


def render_view(image: np.ndarray, width: float, height: float, box: Box, size: int, max_zoom: float) -> tuple[np.ndarray, float]:
    """(view (S, S[, 3]) uint8, scale): the page raster inside `box` (points), scaled to fit, top-left, on white."""
    H, W = image.shape[:2]
    sx, sy = W / width, H / height
    scale = view_scale(box, sx, size, max_zoom)
    src = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)  # pixel box (float: Pillow samples sub-pixel)
    out_w = max(1, min(size, round((src[2] - src[0]) * scale)))
    out_h = max(1, min(size, round((src[3] - src[1]) * scale)))
    pil = Image.fromarray(image)
    resample = Image.Resampling.BICUBIC if scale >= 1 else Image.Resampling.LANCZOS
    crop = np.asarray(pil.resize((out_w, out_h), resample, box=src))
    view = np.full((size, size, *image.shape[2:]), 255, dtype=np.uint8)
    view[:out_h, :out_w] = crop
    return view, scale


def plan_looks(page: Page, size: int, max_zoom: float) -> list[View]:
    """The looks of a page in reading order (boxes in points, clipped to the page)."""
    px_per_pt = page.image.shape[1] / page.width
    limit = size / px_per_pt  # the largest side (points) a look shows at the raster's own scale

    def box_of(idx: list[int]) -> Box:
        b = box_union(page.elements[i].bbox for i in idx)
        return (max(0.0, b[0] - MARGIN_PT), max(0.0, b[1] - MARGIN_PT),
                min(page.width, b[2] + MARGIN_PT), min(page.height, b[3] + MARGIN_PT))  # fmt: skip

    def fits(idx: list[int]) -> bool:
        b = box_of(idx)
        return b[2] - b[0] <= limit and b[3] - b[1] <= limit

    groups: list[list[int]] = []
    for i, el in enumerate(page.elements):
        alone = el.type in OWN_LOOK
        if groups and not alone and not any(page.elements[j].type in OWN_LOOK for j in groups[-1]) and fits(groups[-1] + [i]):
            groups[-1].append(i)
        else:
            groups.append([i])
    looks = []
    for idx in groups:
        b = box_of(idx)
        looks.append(View(box=b, scale=view_scale(b, px_per_pt, size, max_zoom), elements=idx))
    return looks


class Glimpse(Step):
    """Fills `page.views`: the global view, then one view per look (encoded later by `Encode`)."""

    name = "glimpse"

    def __init__(self, cfg: C.PipelineConfig):
        self.size, self.max_zoom = cfg.tokens.glimpse_size, cfg.tokens.glimpse_max_zoom

    def run(self, pages: Iterator[Page], ctx: ShardContext) -> Iterator[Page]:
        for page in pages:
            with ctx.timer(self.name):
                whole = View(box=(0.0, 0.0, float(page.width), float(page.height)), scale=1.0, kind="global")
                page.views = [whole, *plan_looks(page, self.size, self.max_zoom)]
                for v in page.views:
                    v.image, v.scale = render_view(page.image, page.width, page.height, v.box, self.size, self.max_zoom)
            ctx.counters["looks"] += len(page.views) - 1
            ctx.counters["looks_downscaled"] += sum(v.scale < 1 for v in page.views[1:])
            yield page
