"""Extraction backends: one PDF page -> glyph words, images and vector paths in display points.

Two backends share one output (`RawPage`) and everything downstream of it:
- `pdfplumber` (the reference): pdfminer's characters with fonts, images, rects, lines, curves;
- `pymupdf` (the fast one): MuPDF's `rawdict` characters, `get_image_info`, `get_drawings`.
`BACKENDS` maps a name to its class; `--backend` picks one.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pymupdf
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import LIT, PSException

from docsynth.arxiv.geometry import Box, PageFrame, apply_box
from docsynth.arxiv.words import LIGATURES, PWord, build_rotated_words, build_words, direction_angle, is_unmapped


@dataclass
class RawPage:
    """What a backend found on one page, in the displayed page's top-left point space."""

    width: float
    height: float
    words: list[PWord]  # horizontal text, content-stream order
    rotated: dict[int, list[PWord]] = field(default_factory=dict)  # angle -> words in the turned frame
    glyphs: int = 0  # non-blank glyphs seen
    unmapped: int = 0  # glyphs without a Unicode mapping ((cid:N) / U+FFFD); left out of the words
    images: list[Box] = field(default_factory=list)  # embedded raster images
    paths: list[tuple[Box, str]] = field(default_factory=list)  # vector paths: (box, hline|vline|rect|fill|curve|background|glyph)
    fonts: dict[str, list[int]] = field(default_factory=dict)  # font name -> [glyphs, unmapped glyphs]
    hidden: int = 0  # glyphs pdfminer reads that no clip lets the page show (left out)


class _Glyphs:
    """Collects glyphs by direction and counts them (blank glyphs stay in as word breaks)."""

    def __init__(self):
        self.horiz: list = []
        self.rotated: dict[int, list] = {}
        self.n = self.unmapped = self.hidden = 0
        self.fonts: dict[str, list[int]] = {}
        self.marks: dict[str, list[Box]] = {}  # font -> boxes of its unmapped upright glyphs

    def add(self, angle: int, text: str, x0: float, y0: float, x1: float, y1: float, size: float, font: str) -> None:
        if not text.isspace():
            self.n += 1
            counts = self.fonts.get(font) or self.fonts.setdefault(font, [0, 0])
            counts[0] += 1
            if is_unmapped(text):  # no Unicode mapping: keep the gap, drop the glyph
                self.unmapped += 1
                counts[1] += 1
                text = " "
                if angle == 0:
                    self.marks.setdefault(font, []).append((x0, y0, x1, y1))
        g = (text, x0, y0, x1, y1, size, font)
        if angle == 0:
            self.horiz.append(g)
        else:
            self.rotated.setdefault(angle, []).append(g)

    def raw_page(self, width: float, height: float, images, paths) -> RawPage:
        rwords = {a: build_rotated_words(g, a) for a, g in self.rotated.items()}
        return RawPage(width, height, build_words(unflatten(self.horiz)), rwords, self.n, self.unmapped, images,
                       list(paths) + self.drawn_glyphs(), self.fonts, self.hidden)  # fmt: skip

    def drawn_glyphs(self) -> list[tuple[Box, str]]:
        """Glyphs of the page's symbol fonts (XY-pic arrows, chart symbols): drawings made with a font,
        so they take part in finding figures (kind `glyph`)."""
        if not self.marks:
            return []
        symbols = symbol_fonts(self.fonts)
        return [(b, "glyph") for f, boxes in self.marks.items() if f in symbols for b in boxes]


FLAT = 0.2  # a glyph box less high than this share of its advance is flat: a Type 3 font's size misread
TIMES_WIDTHS: dict[str, int] = {}  # Times-Roman's advance widths (per 1000 of the size), pdfminer's table


def unflatten(glyphs: list) -> list:
    """Glyphs (text, x0, y0, x1, y1, size, font) with the boxes of flat ones rebuilt. A Type 3 font whose
    FontMatrix is the identity and whose size is set tiny (pdfTeX's bitmap fonts: `/FontMatrix [1 0 0 -1 0 0]`,
    `0.12 Tf`) gives glyph boxes a tenth of a point high in both libraries, and words of no size. The true
    size of a run of such glyphs (one font, one baseline, in stream order) is their advances over Times'
    widths for the same characters (median): poppler guesses it from the width of an 'm' the same way."""
    flat = [g[4] - g[2] < FLAT * max(g[3] - g[1], 1.0) for g in glyphs]  # (a blank's box a tenth high too)
    if not any(f and g[3] - g[1] > 1.0 and not g[0].isspace() for f, g in zip(flat, glyphs)):
        return glyphs
    if not TIMES_WIDTHS:
        from pdfminer.fontmetrics import FONT_METRICS

        TIMES_WIDTHS.update({c: w for c, w in FONT_METRICS["Times-Roman"][1].items() if w > 0 and not c.isspace()})
    runs, i = [], 0
    while i < len(glyphs):
        if not flat[i]:
            i += 1
            continue
        j, base, font = i + 1, (glyphs[i][2] + glyphs[i][4]) / 2, glyphs[i][6]
        while j < len(glyphs) and flat[j] and glyphs[j][6] == font and abs((glyphs[j][2] + glyphs[j][4]) / 2 - base) < 0.5:
            j += 1
        sizes = [(g[3] - g[1]) * 1000 / TIMES_WIDTHS[g[0]] for g in glyphs[i:j] if g[0] in TIMES_WIDTHS and g[3] > g[1]]
        runs.append((i, j, statistics.median(sizes) if sizes else None))
        i = j
    known = [size for _, _, size in runs if size]
    if not known:
        return glyphs
    out = list(glyphs)
    for i, j, size in runs:
        size = size or statistics.median(known)  # symbols alone on their baseline: the page's Type 3 size
        for k in range(i, j):
            text, x0, y0, x1, y1, _, font = glyphs[k]
            base = (y0 + y1) / 2
            out[k] = (text, x0, base - (1 - TEXT_DESCENT) * size, x1, base + TEXT_DESCENT * size, size, font)
    return out


def symbol_fonts(fonts: dict[str, list[int]]) -> set[str]:
    """Fonts (name -> [glyphs, unmapped glyphs]) none of whose glyphs maps, other than the page's main
    font: they draw symbols or diagrams (XY-pic arrows, CMEX delimiters, chart glyphs), they set no text."""
    if not fonts:
        return set()
    body = max(fonts, key=lambda f: fonts[f][0])
    return {f for f, (n, unmapped) in fonts.items() if f != body and unmapped == n}


def _spelled(c: str) -> bool:
    """A character that spells something: not U+FFFD, blank, a control code (MuPDF passes a Type3 font's
    raw codes through as C0 controls), private use or unassigned."""
    return c != "\ufffd" and c.isprintable() and not c.isspace() and unicodedata.category(c) not in ("Co", "Cn", "Cs")


def _hides_text(chars: list[dict], mupdf: GlyphSpeller) -> bool:
    """Whether pdfminer sees clearly more mapped glyphs than MuPDF draws (HIDDEN_SHARE of them, HIDDEN_MIN
    at least): then each mapped glyph is kept only where MuPDF has a character. Most pages agree and are
    left alone."""
    # a glyph painted again in place (fake bold, a shadow) is one glyph to MuPDF
    ours = len({(ch["text"], round(ch["x0"]), round(ch["top"])) for ch in chars if not ch["text"].isspace() and not is_unmapped(ch["text"])})
    return ours - mupdf.count > max(HIDDEN_MIN, HIDDEN_SHARE * ours)


HIDDEN_MIN, HIDDEN_SHARE = 20, 0.02


def _partly_mapped(chars: list[dict]) -> set[str]:
    """Fonts some of whose glyphs pdfminer maps and some not (a text or math font missing a few entries,
    not a symbol font that maps nothing)."""
    seen: dict[str, list[bool]] = {}
    for ch in chars:
        seen.setdefault(ch["fontname"], [False, False])[is_unmapped(ch["text"])] = True
    return {f for f, (mapped, unmapped) in seen.items() if mapped and unmapped}


class GlyphSpeller:
    """MuPDF's reading of the page pdfminer reads, indexed by place (loaded once, on first use).

    - Spells glyphs pdfminer leaves as (cid:N) (its font handling maps ligatures and glyph names):
      ligatures always, any character where the font is partly mapped (`any_char`), never the glyphs of
      a font pdfminer maps none of (MuPDF's guesses for symbol fonts such as XY-pic's are noise).
    - Tells which glyphs are drawn: MuPDF leaves out text its clip paths hide, pdfminer keeps it (a
      document's earlier text layer under a clip, text overflowing a box). `holds(box)` is whether MuPDF
      has a character there; `count` how many characters that spell something it sees (mapped glyphs:
      symbol fonts' unmapped glyphs, which only mark drawings, are not compared).
    - Its words check that the two libraries read the same page (`text`)."""

    def __init__(self, fdoc, index: int):
        self.fdoc, self.page_index = fdoc, index
        self.index: dict[int, list[tuple[Box, str]]] | None = None
        self._words: list[str] | None = None

    def _load(self) -> dict[int, list[tuple[Box, str]]]:
        """MuPDF's characters by row (rawdict: the costly reading, done only for a page that needs it)."""
        if self.index is None:
            self.index = {}
            fpage = self.fdoc[self.page_index]
            rm = tuple(fpage.rotation_matrix)
            for blk in fpage.get_text("rawdict")["blocks"]:
                for ln in blk.get("lines", ()):
                    for sp in ln["spans"]:
                        for ch in sp["chars"]:
                            if not ch["c"].isspace():
                                b = apply_box(rm, tuple(ch["bbox"]))
                                self.index.setdefault(int((b[1] + b[3]) / 2 // SPELL_BUCKET), []).append((b, ch["c"]))
        return self.index

    def text(self) -> list[str]:
        """MuPDF's words of the page."""
        if self._words is None:
            self._words = [w[4] for w in self.fdoc[self.page_index].get_text("words")]
        return self._words

    @property
    def count(self) -> int:
        return sum(sum(map(_spelled, w)) for w in self.text())

    def _at(self, box: Box):
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        index = self._load()
        for k in (int(cy // SPELL_BUCKET) - 1, int(cy // SPELL_BUCKET), int(cy // SPELL_BUCKET) + 1):
            for b, c in index.get(k, ()):
                if b[0] - 0.5 <= cx <= b[2] + 0.5 and b[1] - 1 <= cy <= b[3] + 1:
                    yield c

    def __call__(self, box: Box, any_char: bool = False) -> str | None:
        return next((c for c in self._at(box) if _spelled(c) and (any_char or c in LIGATURES)), None)

    def holds(self, box: Box) -> bool:
        """Whether MuPDF draws a character here: one whose box holds this glyph's horizontal centre and
        overlaps it vertically (the two libraries' glyph heights differ, CJK fonts most)."""
        cx = (box[0] + box[2]) / 2
        index = self._load()
        for k in range(int(box[1] // SPELL_BUCKET) - 1, int(box[3] // SPELL_BUCKET) + 2):
            for b, _ in index.get(k, ()):
                if b[0] - 0.5 <= cx <= b[2] + 0.5 and b[1] - 1 <= box[3] and box[1] <= b[3] + 1:
                    return True
        return False


SPELL_BUCKET = 6.0  # points: rows of MuPDF's characters indexed by vertical centre


def _path_kind(box: Box, curved: bool, filled: bool, stroked: bool = True, fill_colour=None) -> str:
    """hline | vline | rect (a stroked box, or one filled white: a frame) | fill | curve | background
    (white paint with no stroke: a page or text-box background, never part of a figure)."""
    white = filled and _is_white(fill_colour)
    if white and not stroked:
        return "background"
    if curved:
        return "curve"
    if box[3] - box[1] < 1.5:
        return "hline"
    if box[2] - box[0] < 1.5:
        return "vline"
    return "fill" if filled and not white else "rect"


def _is_white(colour) -> bool:
    """Whether a fill colour (grey, RGB or CMYK components in [0, 1], as either library reports them) is paper white."""
    if isinstance(colour, (int, float)):
        colour = (colour,)
    if not isinstance(colour, (tuple, list)) or not colour or not all(isinstance(v, (int, float)) for v in colour):
        return False  # a pattern, a named colour space, or unknown: treat as ink
    if len(colour) == 4:
        return all(v <= 0.03 for v in colour)
    return all(v >= 0.97 for v in colour)


OPAQUE = 8  # a soft mask's value (of 255) above which an image's pixel shows
IMAGE_MATCH = 1.0  # points: a backend's image box is the image MuPDF places when every side is this close
MAX_MASK_PIXELS = 16_000_000  # a soft mask larger than this is not decoded (a hostile file's 40000 x 40000)
# A font's descriptor gives the descent of its deepest glyph, and pdfminer hangs every glyph's box that far below
# the baseline. Where that is deeper than DEEP_DESCENT of the size the box misses most of the font's glyphs:
# - a symbol font (TeX's CMSY says 0.96, Arial as a chart tool embeds it 1.0) sets most glyphs on the baseline
#   (x, calligraphic O, arrows, set signs): they get a text font's descent, so an inline symbol stays on its line
#   and is not a lone "math" line under it;
# - a font deeper than it is high (TeX's CMEX says 2.96, xy-pic's circles 3.2) hangs its glyphs from the baseline
#   (TeX gives its big operators and delimiters no height): the box is one size high from the baseline down, so
#   an inline sum stays on its line and not two lines further down.
DEEP_DESCENT, TEXT_DESCENT, HANGING = 0.75, 0.25, 1.05


def text_descent(descent: float, mapped: bool = True) -> float:
    """A font's descent below the baseline (a fraction of its size, >= 0) as its glyph boxes use it. A glyph
    nothing maps to text (xy-pic's circles, centred on their point) is a drawing's piece: it never hangs."""
    if descent > HANGING:
        return 1.0 if mapped else descent
    return TEXT_DESCENT if descent > DEEP_DESCENT else descent


def visible_images(page: pymupdf.Page, boxes: list[Box]) -> list[Box]:
    """A backend's image boxes (display points) cut to what each image shows. An image with a soft mask
    (an alpha channel) paints only where the mask is not zero: a page-wide image transparent but for a
    stamp in the margin (a proceedings' sidebar) must not make a figure of the prose it lies over, nor
    a plot's transparent margin reach over the gutter into the next column. A box that matches an image
    MuPDF places with a soft mask becomes the box of the mask's opaque pixels, or is left out where the
    mask is zero throughout; the rest stay as they are. An image is told by its pixel size where that
    is unique on the page; else MuPDF names each placement's image, which costs decoding the page's
    images (skipped where one is over MAX_MASK_PIXELS: the placements keep their whole boxes)."""
    listed = page.get_images(full=True)
    smask_of = {xref: smask for xref, smask, *_ in listed if smask > 0}
    if not smask_of:
        return boxes  # nearly every page: no masked image, nothing decoded
    sizes = Counter((w, h) for _, _, w, h, *_ in listed)
    if all(sizes[(w, h)] == 1 for xref, _, w, h, *_ in listed if xref in smask_of):
        by_size = {(w, h): smask for xref, smask, w, h, *_ in listed if smask > 0}
        placed = [(info, by_size.get((info["width"], info["height"]), 0)) for info in page.get_image_info()]
    elif all(w * h <= MAX_MASK_PIXELS for _, _, w, h, *_ in listed):
        placed = [(info, smask_of.get(info["xref"], 0)) for info in page.get_image_info(xrefs=True)]
    else:
        return boxes
    doc, rm = page.parent, page.rotation_matrix
    cut: dict[Box, Box | None] = {}
    for info, smask in placed:
        if smask > 0:
            full = apply_box(tuple(rm), tuple(info["bbox"]))
            cut[full] = _opaque_box(doc, smask, pymupdf.Matrix(info["transform"]) * rm, full)
    out = []
    for b in boxes:
        match = next((k for k in cut if all(abs(x - y) <= IMAGE_MATCH for x, y in zip(k, b))), None)
        if match is None:
            out.append(b)
        elif cut[match] is not None:
            out.append(cut[match])
    return out


def _mask_extent(doc: pymupdf.Document, xref: int) -> tuple[float, float, float, float] | None:
    """The opaque pixels' box in the image's unit square (top-left origin), or None where there are none."""
    mask = pymupdf.Pixmap(doc, xref)
    alpha = np.frombuffer(mask.samples, np.uint8).reshape(mask.h, mask.w, mask.n)[..., 0]
    rows, cols = np.flatnonzero(alpha.max(axis=1) > OPAQUE), np.flatnonzero(alpha.max(axis=0) > OPAQUE)
    if not len(rows):
        return None
    return cols[0] / mask.w, rows[0] / mask.h, (cols[-1] + 1) / mask.w, (rows[-1] + 1) / mask.h


def _opaque_box(doc: pymupdf.Document, xref: int, to_page: pymupdf.Matrix, full: Box) -> Box | None:
    try:
        w, h = (int(doc.xref_get_key(xref, k)[1]) for k in ("Width", "Height"))
        if w * h > MAX_MASK_PIXELS:
            return full
        unit = _mask_extent(doc, xref)
    except Exception:  # a mask MuPDF cannot decode: the whole box, as before
        return full
    return None if unit is None else tuple(pymupdf.Rect(unit) * to_page)


class PlumberBackend:
    name = "pdfplumber"

    def __init__(self, path: str):
        import pdfplumber

        self.pdf = pdfplumber.open(path)

    def __len__(self) -> int:
        return len(self.pdf.pages)

    def page(self, index: int, unmapped=None) -> RawPage:
        """Page `index`; `unmapped(box)` (optional) spells a glyph pdfminer cannot map, from another reader."""
        pp = self.pdf.pages[index]
        po = pp.page_obj
        frame = PageFrame.from_boxes(po.mediabox, po.cropbox, po.rotate, _user_unit(po.attrs.get("UserUnit")))
        m = frame.from_plumber(po.mediabox)
        mb0 = pp.mediabox[0]  # pdfplumber shifts x (only) by its mediabox origin
        try:
            glyphs = self._glyphs(pp.chars, m, mb0, unmapped)
            images = [apply_box(m, (o["x0"] - mb0, o["y0"], o["x1"] - mb0, o["y1"])) for o in pp.images]
            paths = [self._path(o, m, mb0) for o in (*pp.rects, *pp.lines, *pp.curves)]
            if isinstance(unmapped, GlyphSpeller) and _clips_matter(po, paths):
                paths = mupdf_paths(unmapped.fdoc[unmapped.page_index])
        finally:
            pp.close()  # drop pdfplumber's per-page caches
        return glyphs.raw_page(frame.width, frame.height, images, paths)

    @staticmethod
    def _glyphs(chars: list[dict], m, mb0: float, unmapped=None) -> _Glyphs:
        a, b, c, d, e, f = m
        out = _Glyphs()
        partly = None  # fonts pdfminer maps in part: found on the first unmapped glyph, most pages have none
        # text a clip path hides: pdfminer reads it, MuPDF (what the page image shows) does not
        seen = isinstance(unmapped, GlyphSpeller) and _hides_text(chars, unmapped)
        for ch in chars:
            x0, x1, y0, y1 = ch["x0"] - mb0, ch["x1"] - mb0, ch["y0"], ch["y1"]
            xa, ya, xb, yb = a * x0 + c * y0 + e, b * x0 + d * y0 + f, a * x1 + c * y1 + e, b * x1 + d * y1 + f
            ma, mb = ch["matrix"][0], ch["matrix"][1]
            angle = direction_angle(a * ma + c * mb, b * ma + d * mb)  # advance direction on the displayed page
            size = ch["size"] if ch["upright"] else ch["width"]
            box = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
            text = ch["text"]
            if seen and not text.isspace() and not is_unmapped(text) and not unmapped.holds(box):
                out.hidden += 1
                continue
            if unmapped is not None and is_unmapped(text):  # a glyph pdfminer cannot spell: MuPDF may
                partly = _partly_mapped(chars) if partly is None else partly
                text = unmapped(box, any_char=ch["fontname"] in partly) or text
            mx = ch["matrix"]
            if y1 - y0 < FLAT * (x1 - x0) and mx[1] == mx[2] == 0:  # a tiny size (a Type 3 font): on its baseline,
                box = apply_box(m, (x0, mx[5], x1, mx[5]))  # as MuPDF's origin puts it; `unflatten` sizes it
            elif mx[1] == mx[2] == 0 and mx[3] > 0 and y1 > y0:  # upright, the box hangs (f - y0) below the baseline f
                depth = (mx[5] - y0) / (y1 - y0)
                if depth > DEEP_DESCENT and (fit := text_descent(depth, not is_unmapped(text))) != depth:
                    box = apply_box(m, (x0, y0 + (depth - fit) * (y1 - y0), x1, y1 + (depth - fit) * (y1 - y0)))
            out.add(angle, text, *box, size, ch["fontname"])
        return out

    @staticmethod
    def _path(o: dict, m, mb0: float) -> tuple[Box, str]:
        box = apply_box(m, (o["x0"] - mb0, o["y0"], o["x1"] - mb0, o["y1"]))
        curved = o["object_type"] == "curve" and len(o.get("pts", ())) > 2
        return box, _path_kind(box, curved, bool(o.get("fill")), bool(o.get("stroke")), o.get("non_stroking_color"))

    def close(self) -> None:
        self.pdf.close()


LIT_FORM = LIT("Form")  # a form XObject's /Subtype, as pdfminer interns it
BIG_PATH = 100.0  # points: a page with a frame, fill or curve this long takes MuPDF's clipped drawings (a figure's frame)


def clipped_drawings(page) -> list[tuple[dict, Box | None]]:
    """MuPDF's drawings of a page, each with its box cut to the clip paths around it (unrotated page space),
    None where they clip it away altogether. An included figure's frame or background runs far past the
    clip that shows only part of it; unclipped, it made a figure over the text around it."""
    clips: list[Box] = []  # the clip in force at each nesting level (MuPDF's `level`)
    out = []
    for d in page.get_drawings(extended=True):
        level = d.get("level", 0)
        del clips[level:]
        if d["type"] in ("clip", "group"):
            outer = clips[-1] if clips else None
            own = tuple(d["scissor"]) if d["type"] == "clip" and d.get("scissor") is not None else outer
            clips.append(_meet(own, outer) if own is not None and outer is not None else own)
            continue
        rect = tuple(d["rect"])
        out.append((d, _meet(rect, clips[-1]) if clips and clips[-1] is not None else rect))
    return out


def _meet(a: Box, b: Box) -> Box | None:
    """Two boxes' intersection (a segment's zero-high box kept), or None where they do not meet."""
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else None


def _big(box: Box, kind: str) -> bool:
    """A long frame, fill or curve (a rule's clip never matters; a white background is no figure's)."""
    return kind in ("rect", "fill", "curve") and max(box[2] - box[0], box[3] - box[1]) >= BIG_PATH


def _clips_matter(page_obj, paths: list[tuple[Box, str]]) -> bool:
    """Whether pdfminer's paths of a page may hold drawings a clip hides: pdfminer knows no clip paths and
    no form's /BBox, so it keeps what they cut away (on science-parse's pedersen04 p4, two included
    diagrams' hidden curves, above the page and on it). A page that draws a form (an included figure) or a
    long frame, fill or curve (`_big`) is read with MuPDF's clipped drawings; other pages' paths are the
    same in both libraries, and MuPDF's drawings cost about 15 ms a page."""
    if any(_big(b, k) for b, k in paths):
        return True
    try:
        xobjects = resolve1((page_obj.resources or {}).get("XObject")) or {}
        return any(getattr(resolve1(x), "attrs", {}).get("Subtype") == LIT_FORM for x in xobjects.values())
    except (PSException, AttributeError, TypeError, ValueError, KeyError):  # damaged resources: MuPDF's reading
        return True


def mupdf_paths(page) -> list[tuple[Box, str]]:
    """MuPDF's drawings of a page as (box cut to its clips, kind), in unrotated page space; what a clip
    hides altogether is left out."""
    rm = tuple(page.rotation_matrix)
    return [MupdfBackend._path(d, rm, box) for d, box in clipped_drawings(page) if box is not None]


def _user_unit(value) -> float:
    """A page's /UserUnit as pdfminer gives it (a number, or a reference to one); 1 when absent or absurd."""
    from pdfminer.pdftypes import resolve1

    try:
        u = float(resolve1(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
    return u if 0.0 < u <= 75_000.0 and math.isfinite(u) else 1.0  # PDF 2.0: up to 75,000 (MuPDF's limit too)


class MupdfBackend:
    name = "pymupdf"
    FLAGS = pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP

    def __init__(self, path: str):
        self.doc = pymupdf.open(path)
        self._descent_cache: dict[str, float | None] = {}

    @classmethod
    def from_doc(cls, doc: pymupdf.Document) -> "MupdfBackend":
        """Share an already open document (the one the page is rasterized from)."""
        self = cls.__new__(cls)
        self.doc, self._descent_cache = doc, {}
        return self

    def __len__(self) -> int:
        return self.doc.page_count

    def page(self, index: int) -> RawPage:
        page = self.doc[index]
        rm = tuple(page.rotation_matrix)
        raw = page.get_text("rawdict", flags=self.FLAGS)
        glyphs = self._glyphs(raw, rm, self._descents(page))
        images = [apply_box(rm, tuple(info["bbox"])) for info in page.get_image_info()]
        return glyphs.raw_page(page.rect.width, page.rect.height, images, mupdf_paths(page))

    def _descents(self, page) -> dict[str, float]:
        """Font name -> descent (fraction of the size) as pdfminer reads it: the descriptor's /Descent,
        or the standard-14 metrics; MuPDF's own `descender` differs (it prefers the font program's)."""
        out = {}
        for xref, _ext, _type, basefont, *_ in page.get_fonts():
            key = _font_key(basefont)
            if key not in self._descent_cache:
                self._descent_cache[key] = _descriptor_descent(self.doc, xref, basefont)
            out[key] = self._descent_cache[key]
        return out

    @staticmethod
    def _glyphs(raw: dict, rm, descents: dict[str, float]) -> _Glyphs:
        out = _Glyphs()
        upright = tuple(rm) == (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        for block in raw["blocks"]:
            for line in block.get("lines", ()):
                ux, uy = line["dir"]
                angle = direction_angle(rm[0] * ux + rm[2] * uy, rm[1] * ux + rm[3] * uy)
                for span in line["spans"]:
                    size, font = span["size"], span["font"]
                    desc = descents.get(_font_key(font))
                    depth = -min(span["descender"] if desc is None else desc, 0.0)  # below the baseline, of the size
                    d, d_unmapped = text_descent(depth) * size, text_descent(depth, False) * size
                    if upright and angle == 0:  # the common case, inlined: x from the glyph box, y from the baseline
                        for ch in span["chars"]:
                            x0, _, x1, _ = ch["bbox"]
                            oy = ch["origin"][1] + (d_unmapped if ch["c"] == "\ufffd" else d)
                            out.add(0, ch["c"], x0, oy - size, x1, oy, size, font)
                        continue
                    for ch in span["chars"]:
                        dc = d_unmapped if ch["c"] == "\ufffd" else d
                        out.add(angle, ch["c"], *_size_box(ch["bbox"], ch["origin"], rm, angle, size, dc), size, font)
        return out

    @staticmethod
    def _path(d: dict, rm, rect: Box | None = None) -> tuple[Box, str]:
        box = apply_box(rm, tuple(d["rect"]) if rect is None else rect)
        lines = [item for item in d["items"] if item[0] == "l"]
        slanted = any(abs(p.x - q.x) > 0.01 and abs(p.y - q.y) > 0.01 for _, p, q, *_ in lines)
        # a polyline with a slanted segment is a curve (a plot's line); a box drawn as four lines is a rectangle
        # (a table's shaded row), as pdfminer reads it
        curved = any(item[0] in ("c", "qu") for item in d["items"]) or (len(lines) > 2 and slanted)
        return box, _path_kind(box, curved, d.get("fill") is not None, d.get("color") is not None, d.get("fill"))

    def close(self) -> None:
        self.doc.close()


@lru_cache(maxsize=1024)
def _font_key(name: str) -> str:
    return re.sub(r"[\s\-_,]", "", re.sub(r"^[A-Z]{6}\+", "", name or "")).lower()


def _descriptor_descent(doc, xref: int, basefont: str) -> float | None:
    if xref > 0:  # a font written inline in the page's resources has no object number (MuPDF reports xref 0)
        return _object_descent(doc, xref, basefont)
    return _standard_descent(basefont)


def _object_descent(doc, xref: int, basefont: str) -> float | None:
    kind, val = doc.xref_get_key(xref, "DescendantFonts")
    if kind == "array":
        m = re.search(r"(\d+) 0 R", val)
        xref = int(m.group(1)) if m else xref
    elif kind == "xref":
        arr = doc.xref_object(int(val.split()[0]))
        m = re.search(r"(\d+) 0 R", arr)
        xref = int(m.group(1)) if m else xref
    kind, val = doc.xref_get_key(xref, "FontDescriptor")
    if kind == "xref":
        kind, val = doc.xref_get_key(int(val.split()[0]), "Descent")
        if kind in ("int", "float"):
            return float(val) / 1000.0
        return 0.0  # pdfminer's default when the descriptor has no /Descent
    return _standard_descent(basefont)


def _standard_descent(basefont: str) -> float | None:
    from pdfminer.fontmetrics import FONT_METRICS  # standard 14 fonts, the table pdfminer itself uses

    name = re.sub(r"^[A-Z]{6}\+", "", basefont or "")
    desc = FONT_METRICS.get(name, ({},))[0].get("Descent")
    return None if desc is None else float(desc) / 1000.0


def _size_box(bbox, origin, rm, angle: int, size: float, d: float) -> Box:
    """pdfminer's glyph box (one font size high, bottom `d` below the baseline) from MuPDF's origin."""
    a, b, c, dd, e, f = rm
    xa, ya = a * bbox[0] + c * bbox[1] + e, b * bbox[0] + dd * bbox[1] + f
    xb, yb = a * bbox[2] + c * bbox[3] + e, b * bbox[2] + dd * bbox[3] + f
    x0, y0, x1, y1 = min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)
    ox, oy = a * origin[0] + c * origin[1] + e, b * origin[0] + dd * origin[1] + f
    if angle == 0:
        return x0, oy + d - size, x1, oy + d
    if angle == 180:
        return x0, oy - d, x1, oy - d + size
    if angle == 90:
        return ox - d, y0, ox - d + size, y1
    return ox + d - size, y0, ox + d, y1


BACKENDS = {"pdfplumber": PlumberBackend, "pymupdf": MupdfBackend}


def open_backend(name: str, path: str):
    if name not in BACKENDS:
        raise ValueError(f"arxiv.backend: unknown backend {name!r}; known: {sorted(BACKENDS)}")
    return BACKENDS[name](path)
