"""Helpers of the render tests, in a uniquely named module (`from conftest import` is ambiguous
once several folders have a conftest.py)."""

import numpy as np

from docsynth import config as C
from docsynth.doc import Document
from docsynth.fonts import FontPool
from docsynth.render.step import Render
from docsynth.sources.faker import faker_document
from docsynth.steps import ShardContext
from docsynth.text import normalize

LOCALES = ("en_US", "de_DE", "ru_RU", "el_GR", "zh_CN", "ja_JP")


def make_doc(docid: str, paragraphs: list[str], locale: str = "en_US") -> Document:
    return Document("test", docid, "\n\n".join(paragraphs), meta={"locale": locale}, paragraphs=list(paragraphs))


def faker_docs(locale: str, n: int, seed: int = 0) -> list[Document]:
    src = C.SourceConfig(locales=(locale,))
    ctx = ShardContext(0, seed)
    docs = []
    for i in range(n):
        doc = faker_document(i, src, ctx)
        doc.docid = f"{locale}-{seed}-{i}"
        doc.paragraphs, _ = normalize(doc.text)
        docs.append(doc)
    return docs


def render(docs, cfg: C.PipelineConfig | None = None, seed: int = 0):
    """(pages, ctx) of the Render step over docs."""
    cfg = cfg or C.PipelineConfig(seed=seed)
    ctx = ShardContext(0, seed)
    pages = list(Render(cfg).run(iter(docs), ctx))
    return pages, ctx


def config(**layout) -> C.PipelineConfig:
    """Layout knobs by name; `render_*` and `degrade_*` go to those sections (no degraded pages unless asked)."""
    render_kw = {k[7:]: layout.pop(k) for k in list(layout) if k.startswith("render_")}
    degrade_kw = {"prob": 0.0} | {k[8:]: layout.pop(k) for k in list(layout) if k.startswith("degrade_")}
    return C.PipelineConfig(layout=C.LayoutConfig(**layout), render=C.RenderConfig(**render_kw), degrade=C.DegradeConfig(**degrade_kw))


def words_of(page):
    return [w for el in page.elements for ln in el.lines for w in ln.words]


def _box_mask(boxes, shape, sx: float, sy: float) -> np.ndarray:
    """(H, W) bool: boxes in points mapped to pixels and dilated by 1 px (anti-aliasing)."""
    H, W = shape
    mask = np.zeros((H, W), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        c0, r0 = max(int(np.floor(x0 * sx)) - 1, 0), max(int(np.floor(y0 * sy)) - 1, 0)
        c1, r1 = min(int(np.ceil(x1 * sx)) + 1, W), min(int(np.ceil(y1 * sy)) + 1, H)
        mask[r0:r1, c0:c1] = True
    return mask


INK_TYPES = ("table", "math")  # drawn ink that is no glyph: a table's rules, a formula's outlines


def dark_pixels(page, threshold: int = 128, grey=None) -> tuple[int, int, int]:
    """(dark pixels in word boxes or rule/formula boxes, dark pixels outside figure boxes, dark pixels in all)
    of a page raster (or of `grey`, the page filtered)."""
    if grey is None:
        grey = page.image if page.image.ndim == 2 else page.image.mean(axis=2)
    sx, sy = grey.shape[1] / page.width, grey.shape[0] / page.height
    boxes = [w.bbox for w in words_of(page)] + [e.bbox for e in page.elements if e.type in INK_TYPES]
    words = _box_mask(boxes, grey.shape, sx, sy)
    figures = _box_mask([e.bbox for e in page.elements if e.is_image], grey.shape, sx, sy)
    dark = grey < threshold
    return int((dark & words & ~figures).sum()), int((dark & ~figures).sum()), int(dark.sum())
