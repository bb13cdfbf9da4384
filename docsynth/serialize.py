"""Page -> WebDataset sample: image, meta.json, codes.npy, tokens_{a,b}.npy, {a,b}.txt.

Every sample has the same lower-case members, and every meta.json the same keys with the
same types (`datasets` fixes its columns from the first samples and cannot widen a column
that was all null there): optional parts are null rather than absent, and free-form parts
(element `attrs` — including an image element's code `grid` — and page `layout`) are JSON
object strings.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import numpy as np

from docsynth import __version__
from docsynth import config as C
from docsynth import text_tokenizer as tt
from docsynth.doc import Page
from docsynth.formats import ReservedTokenError, page_elements, serialize
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


class Serialize(Step):
    name = "serialize"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def run(self, pages: Iterator[Page], ctx: ShardContext) -> Iterator[dict]:
        vocab, tok = vocab_for(self.cfg), tt.load(self.cfg.tokens.tokenizer)
        seen: set[str] = set()
        for page in pages:
            if page.key in seen:
                ctx.drop(page.source, page.docid, "duplicate_key", f"sample key {page.key} repeats in shard {ctx.shard}",
                         step=self.name, page=page.page)  # fmt: skip
                continue
            seen.add(page.key)
            with ctx.timer(self.name):
                sample = self._sample(page, vocab, tok, ctx)
            if sample is not None:
                yield sample

    def _sample(self, page: Page, vocab, tok, ctx: ShardContext) -> dict | None:
        cfg = self.cfg
        direction = "read" if ctx.rng(page.docid, "direction", page.page).random() < cfg.tokens.read_prob else "write"
        grids = [page.codes.shape[:2]] + [e.codes.shape[:2] for e in page.elements if e.is_image]
        if max(max(g) for g in grids) > vocab.num_sizes:
            ctx.drop(page.source, page.docid, "grid_too_large", f"code grid {grids[0]} exceeds M={vocab.num_sizes}",
                     step=self.name, page=page.page)  # fmt: skip
            return None
        sample = {"__key__": page.key, "__doc__": (page.source, page.docid)}
        num_tokens = {}
        try:
            for fmt in cfg.tokens.formats:
                text, tokens = serialize(page_elements(page, fmt, direction, vocab.coord_bins), vocab, tok)
                sample[f"{fmt.lower()}.txt"] = text.encode()
                sample[f"tokens_{fmt.lower()}.npy"] = npy_bytes(tokens)
                num_tokens[fmt] = int(tokens.shape[0])
        except ReservedTokenError as e:
            ctx.drop(page.source, page.docid, "reserved_token", str(e), step=self.name, page=page.page)
            return None
        H, W = page.image.shape[:2]
        sample[f"page.{cfg.render.extension}"] = encode_image(page.image, cfg.render.image_format, cfg.render.quality)
        sample["codes.npy"] = npy_bytes(page.codes.astype(np.int32))
        sample["meta.json"] = json_bytes({
            "key": page.key,
            "source": page.source,
            "docid": page.docid,
            "page": page.page,
            "width": float(page.width),
            "height": float(page.height),
            "image": {"width": W, "height": H, "mode": "RGB" if page.image.ndim == 3 else "L",
                      "format": cfg.render.image_format, "dpi": float(page.meta.get("dpi", cfg.render.dpi))},
            "grid": [int(page.codes.shape[1]), int(page.codes.shape[0])],
            "direction": direction,
            "formats": list(cfg.tokens.formats),
            "num_tokens": {f: num_tokens.get(f) for f in ("A", "B")},
            "coord_bins": vocab.coord_bins,
            "elements": element_meta(page, vocab.coord_bins),
            "layout": json.dumps(page.meta, sort_keys=True, ensure_ascii=False),
            "pipeline": cfg.name,
            "docsynth_version": __version__,
        })  # fmt: skip
        return sample
