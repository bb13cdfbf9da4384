"""The randomized look of a document and of each paragraph, drawn within `LayoutConfig` ranges."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from docsynth.config import PAGE_SIZES, LayoutConfig

RGB = tuple[int, int, int]
MIN_COLUMN_EMS = 12.0  # a column narrower than this many body ems drops to fewer columns
HEADING_MAX_UNITS = 12  # only paragraphs of at most this many break units (words; CJK characters) may become headings
HEADING_MAX_CHARS = 100


@dataclass
class DocStyle:
    page_size: str  # name in PAGE_SIZES
    landscape: bool
    width: float  # points
    height: float
    margins: tuple[float, float, float, float]  # left, top, right, bottom
    columns: int
    gap: float  # points between columns
    align: str  # left | justify | center | right
    size: float  # body size in points
    line_spacing: float  # line height / size
    para_spacing: float  # space between paragraphs, in body line heights
    color: RGB  # body colour

    @property
    def text_width(self) -> float:
        """All columns and their gaps: the width of a block that spans them."""
        return self.width - self.margins[0] - self.margins[2]

    @property
    def column_width(self) -> float:
        return (self.text_width - self.gap * (self.columns - 1)) / self.columns

    def column_x(self, col: int) -> float:
        return self.margins[0] + col * (self.column_width + self.gap)

    def meta(self) -> dict:
        return {
            "page_size": self.page_size,
            "landscape": self.landscape,
            "columns": self.columns,
            "column_gap": round(self.gap, 3),
            "margins": [round(m, 3) for m in self.margins],
            "alignment": self.align,
            "font_size": self.size,
            "line_spacing": round(self.line_spacing, 4),
            "para_spacing": round(self.para_spacing, 4),
            "color": hex_color(self.color),
        }


@dataclass
class ParaStyle:
    kind: str  # para | heading
    face: object  # fonts.FontFace
    size: float
    color: RGB
    align: str
    line_spacing: float

    @property
    def ascent(self) -> float:  # points above the baseline
        return self.face.ascender * self.size

    @property
    def descent(self) -> float:  # points below the baseline (positive)
        return -self.face.descender * self.size

    @property
    def line_step(self) -> float:
        """Baseline to baseline; never less than the box height, so line boxes do not overlap."""
        return max(self.size * self.line_spacing, self.ascent + self.descent)

    def font_record(self) -> dict:
        f = self.face
        return {"family": f.family, "style": f.style, "ref": f.ref, "size": self.size,
                "weight": f.weight, "italic": f.italic, "color": hex_color(self.color)}  # fmt: skip


def hex_color(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def uniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1])) if lo_hi[1] > lo_hi[0] else float(lo_hi[0])


def dark_color(rng: np.random.Generator) -> RGB:
    """A saturated colour dark enough to read as text (value <= 0.55)."""
    r, g, b = colorsys.hsv_to_rgb(rng.random(), uniform(rng, (0.45, 1.0)), uniform(rng, (0.2, 0.55)))
    return (round(r * 255), round(g * 255), round(b * 255))


def draw_doc_style(rng: np.random.Generator, cfg: LayoutConfig) -> DocStyle:
    name = cfg.page_sizes[int(rng.integers(len(cfg.page_sizes)))]
    landscape = bool(rng.random() < cfg.landscape_prob)
    w, h = PAGE_SIZES[name]
    if landscape:
        w, h = h, w
    margins = tuple(round(uniform(rng, cfg.margins), 1) for _ in range(4))
    size = round(uniform(rng, cfg.font_size) * 2) / 2
    style = DocStyle(
        page_size=name, landscape=landscape, width=w, height=h, margins=margins,
        columns=int(rng.integers(cfg.columns[0], cfg.columns[1] + 1)), gap=round(uniform(rng, cfg.column_gap), 1),
        align=cfg.alignments[int(rng.integers(len(cfg.alignments)))], size=size,
        line_spacing=uniform(rng, cfg.line_spacing), para_spacing=uniform(rng, cfg.para_spacing),
        color=dark_color(rng) if rng.random() < cfg.color_prob else (0, 0, 0),
    )  # fmt: skip
    while style.columns > 1 and style.column_width < MIN_COLUMN_EMS * size:
        style.columns -= 1
    return style


def draw_para_look(rng: np.random.Generator, cfg: LayoutConfig, doc: DocStyle, chars: int, units: int) -> dict:
    """Kind, size, colour, alignment and the asked style of a paragraph of `chars` characters in `units`
    break units (its face is picked afterwards)."""
    short = chars <= HEADING_MAX_CHARS and units <= HEADING_MAX_UNITS
    heading = short and rng.random() < cfg.heading_prob
    if heading:
        size = doc.size * uniform(rng, cfg.heading_scale)
        bold, italic = bool(rng.random() < 0.85), bool(rng.random() < 0.1)
        align = doc.align if doc.align in ("center", "right") else "left"
    else:
        size = doc.size * (1.0 + uniform(rng, (-cfg.size_jitter, cfg.size_jitter)))
        bold, italic = bool(rng.random() < cfg.bold_prob), bool(rng.random() < cfg.italic_prob)
        align = doc.align
    color = dark_color(rng) if rng.random() < cfg.color_prob else doc.color
    return {"kind": "heading" if heading else "para", "size": max(4.0, round(size, 1)), "bold": bold,
            "italic": italic, "align": align, "color": color,
            "line_spacing": min(doc.line_spacing, 1.25) if heading else doc.line_spacing}  # fmt: skip
