"""The records that flow between steps: documents in, pages of elements out.

Boxes are `[x0, y0, x1, y1]` in PDF points, origin top-left, y down (DESIGN §3).
Everything here serializes to plain JSON (`to_dict` / `from_dict`) for `meta.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Box = tuple[float, float, float, float]

IMAGE_TYPES = ("figure", "image")


@dataclass
class Document:
    """One input document, as a source yields it."""

    source: str  # source name: faker | fineweb | path | arxiv
    docid: str  # stable id within the source (ASCII letters, digits, '-')
    text: str  # raw text (may be empty for PDF inputs)
    meta: dict[str, Any] = field(default_factory=dict)  # locale, url, input file, row, ...
    paragraphs: list[str] = field(default_factory=list)  # filled by normalization


@dataclass
class Word:
    text: str
    bbox: Box


@dataclass
class Line:
    text: str
    bbox: Box
    words: list[Word] = field(default_factory=list)


@dataclass
class Element:
    """A paragraph-level unit in reading order: text (para, heading, …) or an image."""

    type: str  # para, heading, caption, header, footer, footnote, list, math, line, or one of IMAGE_TYPES
    bbox: Box  # points
    text: str = ""  # source text (never re-extracted) for text elements
    lines: list[Line] = field(default_factory=list)
    font: dict[str, Any] | None = None  # family, file, size, weight, italic, color: the font actually used
    codes: np.ndarray | None = None  # (h, w, G) int32 vision codes of an image element
    attrs: dict[str, Any] = field(default_factory=dict)  # free-form: column, figure kind, ocr flag, ...

    @property
    def is_image(self) -> bool:
        return self.type in IMAGE_TYPES

    def to_dict(self, width: float, height: float, bins: int) -> dict:
        d = {
            "type": self.type,
            "bbox": stored_box(self.bbox),
            "bbox_norm": norm_box(self.bbox, width, height, bins),
            "text": self.text,
            "lines": [
                {
                    "text": ln.text,
                    "bbox": stored_box(ln.bbox),
                    "words": [{"text": w.text, "bbox": stored_box(w.bbox)} for w in ln.words],
                }
                for ln in self.lines
            ],
        }
        if self.font is not None:
            d["font"] = self.font
        attrs = dict(self.attrs)
        if self.codes is not None:
            attrs["grid"] = [int(self.codes.shape[1]), int(self.codes.shape[0])]  # [w, h] of an image's codes
        if attrs:
            d["attrs"] = attrs
        return d


@dataclass
class View:
    """A fixed-size view of a page (glimpse unit): the global view (`box` the page's square, index 0), or a
    look at a region, its crop resized to the view size; `elements` are the page elements it holds."""

    box: Box  # points: the square the view shows (may reach past the page: padded white)
    scale: float  # view pixels per page-raster pixel (< 1: downsampled)
    elements: list[int] = field(default_factory=list)  # indices into page.elements, reading order
    kind: str = "look"  # "global" | "look"
    image: np.ndarray | None = None  # (S, S) or (S, S, 3) uint8
    codes: np.ndarray | None = None  # (h, w, G) int32

    def to_dict(self, width: float, height: float, bins: int) -> dict:
        return {"kind": self.kind, "bbox": stored_box(self.box), "bbox_norm": norm_box(self.box, width, height, bins),
                "scale": round(float(self.scale), 4), "elements": list(self.elements),
                "grid": [int(self.codes.shape[1]), int(self.codes.shape[0])]}  # fmt: skip


@dataclass
class Page:
    """One rendered (or extracted) page: the unit that becomes a sample."""

    source: str
    docid: str
    page: int  # 0-based page index within the document
    width: float  # points
    height: float  # points
    elements: list[Element] = field(default_factory=list)
    image: np.ndarray | None = None  # (H, W) or (H, W, 3) uint8 raster
    codes: np.ndarray | None = None  # (h, w, G) int32 vision codes of the page image
    meta: dict[str, Any] = field(default_factory=dict)  # layout params, locale, dpi, ...
    views: list[View] = field(default_factory=list)  # glimpse unit: the global view, then the looks

    @property
    def key(self) -> str:
        return sample_key(self.source, self.docid, self.page)


def stored_box(bbox) -> list[float]:
    """A box as stored in meta.json (points, 3 decimals)."""
    return [round(float(v), 3) for v in bbox]


def norm_box(bbox, width: float, height: float, bins: int) -> list[int]:
    """The normalized box of DESIGN §3, computed from the stored box so meta.json and Format A agree."""
    from docsynth.coords import normalize_box

    return normalize_box(stored_box(bbox), width, height, bins)


def sample_key(source: str, docid: str, page: int) -> str:
    """`{source}_{docid}_{page:04d}`: ASCII, no dots (webdataset splits keys at the first dot)."""
    safe = "".join(c if (c.isascii() and (c.isalnum() or c == "-")) else "-" for c in docid)
    return f"{source}_{safe[:64]}_{page:04d}"


def box_union(boxes) -> Box:
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def display_name(path: str) -> str:
    """A file name as text every JSON writer and terminal takes: bytes that are not UTF-8 (which Python
    keeps as surrogate escapes) are spelled \\xNN. Open files by their real name; show this one."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
