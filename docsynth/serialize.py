"""Pages -> WebDataset samples: image, meta.json, codes.npy, tokens_{a,b}.npy, {a,b}.txt.

`tokens.unit` sets what a sample is:
- `page`: one page; `page.{ext}`, `codes.npy` `(h, w, G)`.
- `document`: a document's pages in order; `pages.{ext}` (the pages stacked top to bottom, each
  page's `image.top` in meta), `codes.npy` `(P, h, w, G)` (each page's codes at the top-left,
  -1 beyond its grid), `meta.pages` the per-page metadata of the page unit.
- `glimpse`: one page as views; `page.{ext}`, `views.{ext}` (the views, each `S x S`, stacked top
  to bottom), `codes.npy` `(V, h, w, G)`, `meta.views` (box, scale, the elements each holds).

Every sample has the same lower-case members, and every meta.json the same keys with the
same types (`datasets` fixes its columns from the first samples and cannot widen a column
that was all null there): optional parts are null rather than absent, and free-form parts
(element `attrs` — including an image element's code `grid` — and page `layout`) are JSON
object strings.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator

import numpy as np

from docsynth import __version__
from docsynth import config as C
from docsynth import text_tokenizer as tt
from docsynth.doc import Page, sample_key
from docsynth.formats import ReservedTokenError, check_text, document_elements, glimpse_elements, page_elements, serialize
from docsynth.pipeline import vocab_for
from docsynth.render.raster import encode_image
from docsynth.steps import ShardContext, Step


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def element_meta(page: Page, bins: int) -> list[dict]:
    out = []
    for e in page.elements:
        d = e.to_dict(page.width, page.height, bins)
        d.setdefault("font", None)
        d["attrs"] = json.dumps(d.pop("attrs", {}), sort_keys=True, ensure_ascii=False)
        out.append(d)
    return out


def stack(images: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """Images stacked top to bottom at the left edge on white -> (canvas, each image's top row)."""
    tops = np.cumsum([0] + [im.shape[0] for im in images]).tolist()
    canvas = np.full((tops[-1], max(im.shape[1] for im in images), *images[0].shape[2:]), 255, dtype=np.uint8)
    for im, top in zip(images, tops):
        canvas[top : top + im.shape[0], : im.shape[1]] = im
    return canvas, tops[:-1]


def stack_codes(codes: list[np.ndarray]) -> np.ndarray:
    """(V, h_max, w_max, G) int32: each image's (h, w, G) codes at the top-left, -1 where it has none."""
    h, w = max(c.shape[0] for c in codes), max(c.shape[1] for c in codes)
    out = np.full((len(codes), h, w, codes[0].shape[2]), -1, dtype=np.int32)
    for i, c in enumerate(codes):
        out[i, : c.shape[0], : c.shape[1]] = c
    return out


def document_key(source: str, docid: str) -> str:
    """A document sample's key: the page key's form with `doc` for the page number."""
    return sample_key(source, docid, 0)[:-4] + "doc"


class Serialize(Step):
    """Pages -> samples, one per page (`tokens.unit` page or glimpse) or one per document (document: the
    pages of a document arrive together, in order, from the steps before)."""

    name = "serialize"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def run(self, pages: Iterator[Page], ctx: ShardContext) -> Iterator[dict]:
        vocab, tok = vocab_for(self.cfg), tt.load(self.cfg.tokens.tokenizer)
        if self.cfg.tokens.unit == "document":
            for (source, docid), group in itertools.groupby(pages, key=lambda p: (p.source, p.docid)):
                with ctx.timer(self.name):
                    sample = self._document_sample(source, docid, list(group), vocab, tok, ctx)
                if sample is not None:
                    yield sample
            return
        seen: set[str] = set()
        for page in pages:
            if page.key in seen:
                ctx.drop(page.source, page.docid, "duplicate_key", f"sample key {page.key} repeats in shard {ctx.shard}",
                         step=self.name, page=page.page)  # fmt: skip
                continue
            seen.add(page.key)
            with ctx.timer(self.name):
                sample = self._page_sample(page, vocab, tok, ctx)
            if sample is not None:
                yield sample

    # ------------------------------------------------------------------ checks shared by the units

    def _fits(self, page: Page, vocab, ctx: ShardContext) -> bool:
        """False (and the page dropped with its reason) when a grid exceeds M or a text spells a special."""
        images = [v.codes for v in page.views] if page.views else [page.codes, *(e.codes for e in page.elements if e.is_image)]
        grids = [c.shape[:2] for c in images]
        if max(max(g) for g in grids) > vocab.num_sizes:
            ctx.drop(page.source, page.docid, "grid_too_large", f"code grid {max(grids)} exceeds M={vocab.num_sizes}",
                     step=self.name, page=page.page)  # fmt: skip
            return False
        try:
            for e in page.elements:
                check_text(e.text, vocab)
        except ReservedTokenError as e:
            ctx.drop(page.source, page.docid, "reserved_token", str(e), step=self.name, page=page.page)
            return False
        return True

    def _direction(self, ctx: ShardContext, docid: str, *stream) -> str:
        return "read" if ctx.rng(docid, "direction", *stream).random() < self.cfg.tokens.read_prob else "write"

    def _sequences(self, sample: dict, elems_for_format, vocab, tok) -> dict:
        """Writes {a,b}.txt and tokens_{a,b}.npy into `sample`; returns num_tokens per format."""
        num_tokens = {}
        for fmt in self.cfg.tokens.formats:
            text, tokens = serialize(elems_for_format(fmt), vocab, tok)
            sample[f"{fmt.lower()}.txt"] = text.encode()
            sample[f"tokens_{fmt.lower()}.npy"] = npy_bytes(tokens)
            num_tokens[fmt] = int(tokens.shape[0])
        return {f: num_tokens.get(f) for f in ("A", "B")}

    def _common(self, key: str, page: Page, direction: str, vocab) -> dict:
        return {"key": key, "source": page.source, "docid": page.docid, "unit": self.cfg.tokens.unit,
                "direction": direction, "formats": list(self.cfg.tokens.formats), "coord_bins": vocab.coord_bins,
                "pipeline": self.cfg.name, "docsynth_version": __version__}  # fmt: skip

    def _page_meta(self, page: Page, vocab, grid: tuple[int, int], top: int | None = None) -> dict:
        H, W = page.image.shape[:2]
        image = {"width": W, "height": H, "mode": "RGB" if page.image.ndim == 3 else "L",
                 "format": self.cfg.render.image_format, "dpi": float(page.meta.get("dpi", self.cfg.render.dpi))}  # fmt: skip
        if top is not None:
            image["top"] = top
        return {
            "page": page.page,
            "width": float(page.width),
            "height": float(page.height),
            "image": image,
            "grid": [int(grid[1]), int(grid[0])],
            "elements": element_meta(page, vocab.coord_bins),
            "layout": json.dumps(page.meta, sort_keys=True, ensure_ascii=False),
        }

    def _image(self, arr: np.ndarray) -> bytes:
        return encode_image(arr, self.cfg.render.image_format, self.cfg.render.quality)

    # ------------------------------------------------------------------ the units

    def _page_sample(self, page: Page, vocab, tok, ctx: ShardContext) -> dict | None:
        if not self._fits(page, vocab, ctx):
            return None
        ext, bins = self.cfg.render.extension, vocab.coord_bins
        direction = self._direction(ctx, page.docid, page.page)
        sample = {"__key__": page.key, "__doc__": (page.source, page.docid)}
        sample[f"page.{ext}"] = self._image(page.image)
        if page.views:  # glimpse
            num_tokens = self._sequences(sample, lambda fmt: glimpse_elements(page, fmt, direction, bins), vocab, tok)
            sample[f"views.{ext}"] = self._image(stack([v.image for v in page.views])[0])
            sample["codes.npy"] = npy_bytes(np.stack([v.codes for v in page.views]).astype(np.int32))
            grid = page.views[0].codes.shape[:2]
            extra = {"views": [v.to_dict(page.width, page.height, bins) for v in page.views],
                     "view_size": self.cfg.tokens.glimpse_size}  # fmt: skip
        else:
            num_tokens = self._sequences(sample, lambda fmt: page_elements(page, fmt, direction, bins), vocab, tok)
            sample["codes.npy"] = npy_bytes(page.codes.astype(np.int32))
            grid, extra = page.codes.shape[:2], {}
        meta = {**self._common(page.key, page, direction, vocab), **self._page_meta(page, vocab, grid), **extra}
        sample["meta.json"] = json_bytes({**meta, "num_tokens": num_tokens})
        return sample

    def _document_sample(self, source: str, docid: str, pages: list[Page], vocab, tok, ctx: ShardContext) -> dict | None:
        pages = [p for p in pages if self._fits(p, vocab, ctx)]
        if not pages:
            return None
        key, bins, ext = document_key(source, docid), vocab.coord_bins, self.cfg.render.extension
        direction = self._direction(ctx, docid)
        sample = {"__key__": key, "__doc__": (source, docid), "__pages__": len(pages)}
        num_tokens = self._sequences(sample, lambda fmt: document_elements(pages, fmt, direction, bins), vocab, tok)
        canvas, tops = stack([p.image for p in pages])
        sample[f"pages.{ext}"] = self._image(canvas)
        sample["codes.npy"] = npy_bytes(stack_codes([p.codes for p in pages]))
        meta = {**self._common(key, pages[0], direction, vocab), "num_tokens": num_tokens,
                "pages": [self._page_meta(p, vocab, p.codes.shape[:2], top) for p, top in zip(pages, tops)]}  # fmt: skip
        sample["meta.json"] = json_bytes(meta)
        return sample
