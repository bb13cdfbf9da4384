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

MAX_JUSTIFY_STRETCH = 2.0  # a justified line whose gaps would grow past this many ems stays ragged
FIGURE_MAX_HEIGHT = 0.45  # a figure is at most this fraction of a column tall
FIGURE_MIN_SHRINK = 0.6  # a figure may shrink to this fraction of its height to fit a column's rest
FIGURE_MIN_POINTS = 48.0  # ... but not below this height


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


@dataclass
class FigureBlock:
    kind: str  # key of figures.FIGURES
    scale: float  # width / column width
    aspect: float  # height / width
    stream: int  # random stream of its pixels


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
class PagePlan:
    elements: list[Element] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    figures: list[FigureDraw] = field(default_factory=list)


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
    """Places blocks top to bottom in columns; a full column moves on to the next, then to a new page."""

    def __init__(self, doc: DocStyle):
        self.doc = doc
        self.top, self.bottom = doc.margins[1], doc.height - doc.margins[3]
        self.pages: list[PagePlan] = [PagePlan()]
        self.col = 0
        self.y = self.top  # bottom of the last thing placed in the current column
        self.para_gap = doc.para_spacing * doc.size * doc.line_spacing

    @property
    def at_top(self) -> bool:
        return self.y == self.top

    def next_column(self) -> None:
        self.col += 1
        if self.col == self.doc.columns:
            self.col = 0
            self.pages.append(PagePlan())
        self.y = self.top

    def gap(self) -> float:
        return 0.0 if self.at_top else self.para_gap

    def fits(self, height: float) -> bool:
        return self.at_top or self.y + self.gap() + height <= self.bottom

    def place_text(self, block: TextBlock, keep_with: float = 0.0) -> None:
        """Lines of one paragraph; with `keep_with` > 0 (headings) the whole block plus that much stays together."""
        st = block.style
        need = st.ascent + st.descent
        if keep_with:
            need += (len(block.lines) - 1) * st.line_step + keep_with
        if not self.fits(need):
            self.next_column()
        segment: list[tuple[Line, bool]] = []
        part, baseline = 0, self.y + self.gap() + st.ascent
        for ln in block.lines:
            if segment and baseline + st.descent > self.bottom:
                self._emit(block, segment, part, continues=True)
                segment, part = [], part + 1
                self.next_column()
                baseline = self.top + st.ascent
            segment.append((self._line(ln, baseline, st), ln.space_after))
            self.y = baseline + st.descent
            baseline += st.line_step
        self._emit(block, segment, part, continues=False)

    def _line(self, ln: SetLine, baseline: float, st: ParaStyle) -> Line:
        x = self.doc.column_x(self.col)
        y0, y1 = baseline - st.ascent, baseline + st.descent
        words = [Word(t, (x + a, y0, x + b, y1)) for t, a, b in ln.words]
        self.pages[-1].runs.extend(Run(text, x + off, baseline, st.face, st.size, st.color) for text, off in ln.runs)
        return Line(ln.text, (words[0].bbox[0], y0, words[-1].bbox[2], y1), words)  # words run left to right

    def _emit(self, block: TextBlock, segment: list[tuple[Line, bool]], part: int, continues: bool) -> None:
        """One element per paragraph part; its text is its lines' source text, re-joined where the source had spaces."""
        lines = [ln for ln, _ in segment]
        text = "".join(ln.text + (" " if space else "") for ln, space in segment[:-1]) + lines[-1].text
        attrs = {"paragraph": block.index, "column": self.col, "part": part, "continues": continues}
        el = Element(type=block.style.kind, bbox=box_union(ln.bbox for ln in lines), text=text, lines=lines,
                     font=block.style.font_record(), attrs=attrs)  # fmt: skip
        self.pages[-1].elements.append(el)

    def place_figure(self, block: FigureBlock) -> None:
        """A figure at most FIGURE_MAX_HEIGHT of a column tall; one that does not fit the room left
        is shrunk to it when that keeps at least FIGURE_MIN_SHRINK of its height, else moves on."""
        w = block.scale * self.doc.column_width
        h = min(w * block.aspect, FIGURE_MAX_HEIGHT * (self.bottom - self.top))
        room = self.bottom - self.y - self.gap()
        if h > room and not (room >= FIGURE_MIN_SHRINK * h and room >= FIGURE_MIN_POINTS):
            self.next_column()
            room = self.bottom - self.top
        h = min(h, room)
        w = h / block.aspect if w * block.aspect > h else w
        x = self.doc.column_x(self.col) + (self.doc.column_width - w) / 2
        y = self.y + self.gap()
        rect = (x, y, x + w, y + h)
        page = self.pages[-1]
        page.figures.append(FigureDraw(rect, block.kind, block.stream))
        page.elements.append(Element(type="figure", bbox=rect, attrs={"kind": block.kind, "column": self.col}))
        self.y = y + h


def flow(doc: DocStyle, blocks: list[TextBlock | FigureBlock]) -> list[PagePlan]:
    f = Flow(doc)
    for i, block in enumerate(blocks):
        if isinstance(block, FigureBlock):
            f.place_figure(block)
            continue
        keep = 0.0
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.style.kind == "heading" and isinstance(nxt, TextBlock):
            keep = f.para_gap + nxt.style.ascent + nxt.style.descent
        f.place_text(block, keep)
    return f.pages
