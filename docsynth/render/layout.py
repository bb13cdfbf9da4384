"""Setting paragraphs into lines and flowing them column to column, page to page.

Everything here is geometry: the ground-truth boxes come straight from it. A word box is
`[x0, baseline - ascender*size, x1, baseline - descender*size]` in points (top-left origin),
a line box is the union of its words and an element box the union of its lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docsynth.doc import Box, Element, Line, Word, box_union
from docsynth.render.segment import Item, Piece, break_lines, natural_offsets, words_at
from docsynth.render.style import DocStyle, ParaStyle
from docsynth.tables import spell_table

MAX_JUSTIFY_STRETCH = 2.0  # a justified line whose gaps would grow past this many ems stays ragged
FIGURE_MAX_HEIGHT = 0.45  # a figure is at most this fraction of a column tall
FIGURE_MIN_SHRINK = 0.6  # a figure may shrink to this fraction of its height to fit a column's rest
FIGURE_MIN_POINTS = 48.0  # ... but not below this height
LIST_GAP = 0.35  # the space between list items, in paragraph gaps
BAND_SHARE = 0.7  # spanning blocks take at most this share of a page's text height
EPS = 1e-6  # points: what was reserved for a block fits it despite rounding


@dataclass
class SetLine:
    """One line of a paragraph set at the column width; offsets are from the column's left edge."""

    text: str
    words: list[tuple[str, float, float]]  # (text, x0, x1)
    runs: list[tuple[str, float]]  # (text, x) drawn with one call each
    space_after: bool  # the source has a space at this line break (False: the break cuts a word)


@dataclass
class TextBlock:
    index: int  # paragraph index in the document
    style: ParaStyle
    lines: list[SetLine]
    indent: float = 0.0  # points from the column's left edge to the lines' left edge (list items)
    marker: tuple[str, float, float] | None = None  # a list item's marker, its offset from the column's left edge, its width
    attrs: dict = field(default_factory=dict)  # merged into the element's attrs
    newlines: bool = False  # the element text joins lines with "\n" (code), else as the source had them
    foot: bool = False  # set at the foot of the column it falls in (a footnote)
    span: bool = False  # set across all columns at a page's top (a title, an abstract)


@dataclass
class FigureBlock:
    kind: str  # key of figures.FIGURES
    scale: float  # width / column width
    aspect: float  # height / width
    stream: int  # random stream of its pixels
    caption: TextBlock | None = None  # set below it, in the same column
    number: int = 0
    span: bool = False  # across all columns, at the top of a page (the next one when columns have begun)


@dataclass
class Cell:
    """A table cell set at offsets from the table's top-left corner."""

    row: int
    col: int
    colspan: int
    text: str
    words: list[tuple[str, float, float]]  # (text, x0, x1)
    baseline: float
    bold: bool


@dataclass
class TableBlock:
    cells: list[Cell]
    rows: int
    cols: int
    width: float
    height: float
    rules: list[tuple[float, float, float, float, float]]  # (x0, y0, x1, y1, line width) from the top-left corner
    style: ParaStyle  # body cells
    head_style: ParaStyle  # header cells
    attrs: dict
    caption: TextBlock | None = None  # set above it, in the same column
    number: int = 0
    span: bool = False


@dataclass
class MathBlock:
    """A display formula: its LaTeX source and its outlines (no text on the page)."""

    latex: str
    width: float
    height: float
    ops: str  # PDF path operators, y up, origin at the bottom-left of its ink box (width x height points)
    color: tuple[int, int, int]


@dataclass
class Run:
    """One text-drawing call: `text` at (x, baseline)."""

    text: str
    x: float
    baseline: float
    face: object
    size: float
    color: tuple[int, int, int]


@dataclass
class FigureDraw:
    rect: Box
    kind: str
    stream: int


@dataclass
class PathDraw:
    """Filled outlines (a formula's glyphs) whose box has its bottom-left corner at (x, y) (top-left origin)."""

    x: float
    y: float
    ops: str  # PDF path operators, y up, from that corner
    color: tuple[int, int, int]


@dataclass
class PagePlan:
    elements: list[Element] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    figures: list[FigureDraw] = field(default_factory=list)
    rules: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # (x0, y0, x1, y1, width) in points
    paths: list[PathDraw] = field(default_factory=list)


# --------------------------------------------------------------------------- setting


def set_paragraph(pcs: list[Piece], style: ParaStyle, metrics, width: float) -> list[SetLine]:
    """A paragraph's pieces broken into lines of at most `width` points and aligned."""
    size = style.size
    space_w = metrics.char(" ") * size
    lines = break_lines(pcs, lambda s: metrics.width(s) * size, lambda c: metrics.char(c) * size, space_w, width)
    out = []
    for k, items in enumerate(lines):
        last = k == len(lines) - 1
        out.append(set_line(items, space_w, width, style.align, last, size))
        out[-1].space_after = not last and lines[k + 1][0].space
    return out


def set_line(items: list[Item], space_w: float, width: float, align: str, last: bool, size: float) -> SetLine:
    offs = natural_offsets(items, space_w)
    slack = width - (offs[-1] + items[-1].width)
    gaps = sum(1 for it in items[1:] if it.space)
    justify = align == "justify" and not last and gaps > 0 and 0 < slack <= MAX_JUSTIFY_STRETCH * size * gaps
    if justify:  # spread the slack over the spaces
        extra, k = slack / gaps, 0
        for i, it in enumerate(items):
            k += i > 0 and it.space
            offs[i] += k * extra
    elif align in ("center", "right") and slack > 0:
        shift = slack / 2 if align == "center" else slack
        offs = [x + shift for x in offs]
    words = words_at(items, offs)
    text = " ".join(w[0] for w in words)
    # Justified words are drawn one by one, each but the last followed by a real (blank) space glyph:
    # MuPDF's extraction does not always read a widened gap after a CJK glyph as a word break.
    runs = [(w[0] + " ", w[1]) for w in words[:-1]] + [words[-1][:2]] if justify else [(text, offs[0])]
    return SetLine(text, words, runs, space_after=False)


# --------------------------------------------------------------------------- flowing


class Flow:
    """Places blocks top to bottom in columns; a full column moves on to the next, then to a new page.
    `head` and `foot` points at the top and bottom of the text area are kept for running heads."""

    def __init__(self, doc: DocStyle, head: float = 0.0, foot: float = 0.0):
        self.doc = doc
        self.page_top, self.bottom = doc.margins[1] + head, doc.height - doc.margins[3] - foot
        self.top = self.page_top  # where the columns begin on this page (below any spanning blocks)
        self.pages: list[PagePlan] = [PagePlan()]
        self.col = 0
        self.y = self.top  # bottom of the last thing placed in the current column
        self.floor = self.bottom  # the column's bottom above its footnotes
        self.para_gap = doc.para_spacing * doc.size * doc.line_spacing
        self.span = False  # placing a block across all columns
        self.pending: list[Block] = []  # spanning blocks waiting for the next page's top

    def x(self) -> float:
        return self.doc.margins[0] if self.span else self.doc.column_x(self.col)

    def width(self) -> float:
        return self.doc.text_width if self.span else self.doc.column_width

    def place_span(self, block: Block) -> None:
        """A block across all columns: at this page's top while its columns are empty and it fits, else at
        the top of the next page that has room."""
        if self.col == 0 and self.at_top and not self.pending and self._band_fits(block):
            self._band(block)
        else:
            self.pending.append(block)

    def band_height(self, block: Block) -> float:
        cap = self.text_height(block.caption) + self.para_gap if getattr(block, "caption", None) else 0.0
        if isinstance(block, FigureBlock):
            return min(block.scale * self.doc.text_width * block.aspect, FIGURE_MAX_HEIGHT * (self.bottom - self.page_top)) + cap
        if isinstance(block, TableBlock):
            return block.height + cap
        return self.text_height(block)

    def _band_fits(self, block: Block) -> bool:
        """Bands take at most BAND_SHARE of a page's text height, so columns keep room below them."""
        return self.top + self.band_height(block) <= self.page_top + BAND_SHARE * (self.bottom - self.page_top)

    def _band(self, block: Block) -> None:
        self.span = True
        try:
            place = self.place_figure if isinstance(block, FigureBlock) else self.place_table if isinstance(block, TableBlock) else self.place_text
            place(block)
        finally:
            self.span = False
        self.top = self.y + self.para_gap  # the columns begin below the band
        self.y, self.floor = self.top, self.bottom

    @property
    def at_top(self) -> bool:
        return self.y == self.top

    def next_column(self) -> None:
        self.col += 1
        if self.col == self.doc.columns:
            self.col = 0
            self.pages.append(PagePlan())
            self.top = self.page_top
        self.y, self.floor = self.top, self.bottom
        if self.col == 0 and self.pending:  # spanning floats open the new page, as many as fit
            pending, self.pending = self.pending, []
            for block in pending:
                if self.pending:
                    self.pending.append(block)
                elif not block.span:  # a column float held back behind a spanning one: first in the column
                    (self.place_figure if isinstance(block, FigureBlock) else self.place_table)(block)
                elif self.col == 0 and self.at_top and (self._band_fits(block) or self.top == self.page_top):
                    self._band(block)
                else:
                    self.pending.append(block)

    def held_back(self, block: FigureBlock | TableBlock) -> bool:
        """A numbered column float waits while a spanning float of its kind waits: numbers stay in order."""
        if self.span or not block.caption or not any(type(b) is type(block) and b.caption for b in self.pending):
            return False
        self.pending.append(block)
        return True

    def finish(self) -> list[PagePlan]:
        """The pages, with spanning floats still waiting set on pages of their own at the end."""
        while self.pending:
            self.col = self.doc.columns - 1
            self.next_column()
        return self.pages

    def gap(self, block: TextBlock | None = None) -> float:
        """The space above the next block: a list item after the first sits closer to the one before."""
        if self.at_top:
            return 0.0
        return self.para_gap * (LIST_GAP if block is not None and block.attrs.get("item", 0) > 0 else 1.0)

    def fits(self, height: float) -> bool:
        return self.at_top or self.y + self.gap() + height <= self.floor + EPS

    def place_text(self, block: TextBlock, keep_with: float = 0.0) -> None:
        """Lines of one paragraph; with `keep_with` > 0 (headings) the whole block plus that much stays together."""
        if block.foot:
            return self.place_foot(block)
        st = block.style
        need = st.ascent + st.descent
        if keep_with:
            need += (len(block.lines) - 1) * st.line_step + keep_with
        while not self.at_top and self.y + self.gap(block) + need > self.floor + EPS:
            self.next_column()  # (a new page may open with floats: then maybe once more)
        segment: list[tuple[Line, bool]] = []
        part, baseline = 0, self.y + self.gap(block) + st.ascent
        for k, ln in enumerate(block.lines):
            if segment and baseline + st.descent > self.floor + EPS:
                self._emit(block, segment, part, continues=True)
                segment, part = [], part + 1
                self.next_column()  # (which may open a page with floats: carry on below them)
                baseline = self.y + (0.0 if self.at_top else self.para_gap) + st.ascent
            segment.append((self._line(ln, baseline, st, block.indent, block.marker if k == 0 else None), ln.space_after))
            self.y = baseline + st.descent
            baseline += st.line_step
        self._emit(block, segment, part, continues=False)

    def text_height(self, block: TextBlock) -> float:
        st = block.style
        return st.ascent + st.descent + (len(block.lines) - 1) * st.line_step

    def place_foot(self, block: TextBlock) -> None:
        """A footnote at the foot of this column (above any already there), or of the next when it does not fit."""
        h = self.text_height(block)
        if self.floor - h - self.para_gap < self.y and not self.at_top:
            self.next_column()
        st = block.style
        baseline = max(self.floor - h, self.y + self.gap()) + st.ascent
        segment = []
        for k, ln in enumerate(block.lines):
            segment.append((self._line(ln, baseline, st, block.indent, block.marker if k == 0 else None), ln.space_after))
            baseline += st.line_step
        self._emit(block, segment, 0, continues=False)
        self.floor = min(self.floor, segment[0][0].bbox[1] - self.para_gap)

    def _line(self, ln: SetLine, baseline: float, st: ParaStyle, indent: float = 0.0, marker: tuple[str, float, float] | None = None) -> Line:
        x = self.x()
        y0, y1 = baseline - st.ascent, baseline + st.descent
        words = [Word(t, (x + indent + a, y0, x + indent + b, y1)) for t, a, b in ln.words]
        runs = self.pages[-1].runs
        runs.extend(Run(text, x + indent + off, baseline, st.face, st.size, st.color) for text, off in ln.runs)
        text = ln.text
        if marker is not None:
            mark, off, w = marker
            words.insert(0, Word(mark, (x + off, y0, x + off + w, y1)))
            runs.append(Run(mark, x + off, baseline, st.face, st.size, st.color))
            text = f"{mark} {text}"
        return Line(text, (words[0].bbox[0], y0, words[-1].bbox[2], y1), words)  # words run left to right

    def _emit(self, block: TextBlock, segment: list[tuple[Line, bool]], part: int, continues: bool) -> None:
        """One element per paragraph part; its text is its lines' source text, re-joined where the source had
        spaces (code: one line of source per line)."""
        lines = [ln for ln, _ in segment]
        if block.newlines:
            text = "\n".join(ln.text for ln in lines)
        else:
            text = "".join(ln.text + (" " if space else "") for ln, space in segment[:-1]) + lines[-1].text
        attrs = {"paragraph": block.index, "column": self.col, "part": part, "continues": continues, **block.attrs}
        if self.span:
            attrs["span"] = True
        el = Element(type=block.style.kind, bbox=box_union(ln.bbox for ln in lines), text=text, lines=lines,
                     font=block.style.font_record(), attrs=attrs)  # fmt: skip
        self.pages[-1].elements.append(el)

    def _room(self, height: float) -> float:
        """Move on when `height` does not fit the column's rest; the y where it goes."""
        while not self.fits(height):
            self.next_column()
        return self.y + self.gap()

    def place_figure(self, block: FigureBlock) -> None:
        """A figure at most FIGURE_MAX_HEIGHT of a column tall; one that does not fit the room left
        is shrunk to it when that keeps at least FIGURE_MIN_SHRINK of its height, else moves on.
        Its caption goes below it in the same column."""
        if self.held_back(block):
            return
        cap = self.text_height(block.caption) + self.para_gap if block.caption else 0.0
        w = block.scale * self.width()
        h = min(w * block.aspect, FIGURE_MAX_HEIGHT * (self.bottom - self.page_top))
        room = self.floor - self.y - self.gap() - cap
        while h > room and not (room >= FIGURE_MIN_SHRINK * h and room >= FIGURE_MIN_POINTS) and not self.at_top:
            self.next_column()
            room = self.floor - self.y - self.gap() - cap
        h = max(min(h, room), 1.0)
        w = h / block.aspect if w * block.aspect > h else w
        x = self.x() + (self.width() - w) / 2
        y = self.y + self.gap()
        rect = (x, y, x + w, y + h)
        page = self.pages[-1]
        page.figures.append(FigureDraw(rect, block.kind, block.stream))
        attrs = {"kind": block.kind, "column": self.col, **({"number": block.number} if block.caption else {}), **({"span": True} if self.span else {})}
        page.elements.append(Element(type="figure", bbox=rect, attrs=attrs))
        self.y = y + h
        if block.caption:
            self.place_text(block.caption)

    def place_table(self, block: TableBlock) -> None:
        """A table with its caption above it, together in one column."""
        if self.held_back(block):
            return
        cap = self.text_height(block.caption) + self.para_gap if block.caption else 0.0
        self._room(cap + block.height)
        if block.caption:
            self.place_text(block.caption)
        x = self.x() + (self.width() - block.width) / 2
        y = self.y + self.gap()
        page = self.pages[-1]
        lines, cells = [], []
        for c in block.cells:
            st = block.head_style if c.bold else block.style
            base = y + c.baseline
            words = [Word(t, (x + a, base - st.ascent, x + b, base + st.descent)) for t, a, b in c.words]
            ln = Line(c.text, box_union(w.bbox for w in words), words)
            lines.append(ln)
            page.runs.append(Run(c.text, x + c.words[0][1], base, st.face, st.size, st.color))
            cells.append({"row": c.row, "col": c.col, "rowspan": 1, "colspan": c.colspan,
                          "bbox": [round(v, 3) for v in ln.bbox], "text": c.text})  # fmt: skip
        page.rules.extend((x + a, y + b, x + c, y + d, lw) for a, b, c, d, lw in block.rules)
        attrs = {**block.attrs, "rows": block.rows, "cols": block.cols, "cells": cells, "column": self.col, **({"span": True} if self.span else {})}
        if block.caption:
            attrs["number"] = block.number
        page.elements.append(Element("table", (x, y, x + block.width, y + block.height), spell_table(cells, block.rows, block.cols),
                                     lines, block.style.font_record(), attrs=attrs))  # fmt: skip
        self.y = y + block.height

    def place_math(self, block: MathBlock) -> None:
        """A display formula centred in the column; its outlines are drawn, its text is its LaTeX source."""
        y = self._room(block.height)
        x = self.x() + (self.width() - block.width) / 2
        box = (x, y, x + block.width, y + block.height)
        page = self.pages[-1]
        page.paths.append(PathDraw(x, y + block.height, block.ops, block.color))
        page.elements.append(Element("math", box, block.latex, [Line(block.latex, box, [])], attrs={"column": self.col, "display": True}))
        self.y = y + block.height


Block = TextBlock | FigureBlock | TableBlock | MathBlock


def flow(doc: DocStyle, blocks: list[Block], head: float = 0.0, foot: float = 0.0) -> list[PagePlan]:
    f = Flow(doc, head, foot)
    for i, block in enumerate(blocks):
        if getattr(block, "span", False) and doc.columns > 1:
            f.place_span(block)
            continue
        if isinstance(block, FigureBlock):
            f.place_figure(block)
            continue
        if isinstance(block, TableBlock):
            f.place_table(block)
            continue
        if isinstance(block, MathBlock):
            f.place_math(block)
            continue
        keep = 0.0
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.style.kind == "heading" and isinstance(nxt, TextBlock):
            keep = f.para_gap + nxt.style.ascent + nxt.style.descent
        f.place_text(block, keep)
    return f.finish()
