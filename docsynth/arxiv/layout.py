"""Words -> lines in reading order: fragments, recursive XY-cut, rows and lines per leaf.

1. Fragments: chains of words left to right, each word within `FRAG_GAP` font sizes of the
   previous one and overlapping it vertically by half (sub- and superscripts stay on their line);
   no fragment bridges a column gutter, and no line borrows its band from another column.
2. Rows: inside a leaf, fragments sorted by vertical centre join the open row they overlap most.
3. Running heads and feet (`margins`) are set aside first, then XY-cut over the other fragments and
   blocks (figures, rotated text): a region splits at vertical gutters
   (x-gaps at least `GUTTER` body sizes wide with `MIN_SIDE_ITEMS` fragments on both sides, or
   down to `NARROW_GUTTER` between two justified columns whose lines end and start flush at the gap)
   first, else at its widest horizontal gap; regions with neither are leaves. A cut between the columns
   of a table is refused (rows level on both sides with a narrow or cell-like side, a vertical rule
   between them, or the cut inside a table's horizontal rules); a side holding a figure is always a
   column of the page. The order of
   leaves is reading order: top to bottom, columns left to right, a full-width title above its
   columns, footnotes and footer after the columns they end.
4. Lines: the fragments of one leaf and one row, left to right; a gap wider than `LINE_SPLIT`
   font sizes starts another line of the same row (an equation number), which paragraphs keep
   with its row.
"""

from __future__ import annotations

import re
import statistics

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from docsynth.arxiv.geometry import Box, center_inside
from docsynth.arxiv.words import BOLD, PWord
from docsynth.doc import box_union

FRAG_GAP = 0.8  # font sizes: a wider gap inside a row splits it into fragments
GUTTER = 0.9  # body sizes: the narrowest x-gap taken as a column gutter
MIN_SIDE_ITEMS = 3  # a gutter needs this many fragments on each side (a block counts as 3)
MIN_HGAP = 0.5  # points: the narrowest y-gap taken as a horizontal cut
BUCKET = 4.0  # points: vertical bucket size for finding a word's neighbours
LINE_SPLIT = 5.0  # font sizes: wider gaps inside a leaf's row separate lines (an equation and its number)
ROW_ALIGNED = 0.6  # share of the sparser side's fragments level with the other side's: rows of a table
NARROW_SIDE = 12.0  # body sizes: a side narrower than this is no text column (line or section numbers)
CELL_FILL = 0.5  # median row width / side width below this: a side of short cells, not running text
MARGIN, MARGIN_ROWS = 0.1, 2  # running heads and feet: in this fraction of the page height at top or bottom, this many rows
HEAD_GAP, FOOT_WORDS = 1.0, 12  # body sizes of clear space to the text; a foot is short
FOLIO_GAP = 0.6  # body sizes: a page number alone at the foot needs only this much clear space
CENTRED_FOLIO_GAP, CENTRED = 0.1, 1.0  # body sizes: and a page number centred under the text (within CENTRED) this much
NARROW_GUTTER, EDGE_ROWS, EDGE_TOL = 0.6, 6, 2.5  # a tight gutter between justified columns: its width, flush rows, points
LINE_REACH = 1.0  # body sizes: a glued line's left part with its column's lines this close above and below is one of them
GLUE_REACH, GLUE_SIDE = 8.0, 2  # body sizes, fragments: a line glued across a gutter is cut by this many lines this close
TABLE_SHARE = 0.8  # share of a region's items inside a rule-bounded table for its gaps to be the table's
FIGURE_ROWS = 3.0  # body sizes: a figure this tall beside a gap makes its side a column of the page
RULED_SHARE = 0.6  # a vertical rule along this share of a region's height between two sides: a table's column line
SPACE_RATIO = 2.0  # a one-row gap narrower than this many of the row's other word spaces is a word space
CAPTION_REACH = 5.0  # body sizes: a table cut off from columns takes the gap this far out from its edge (its caption)
BLOCK_GAP = 1.5  # body sizes: a gap across all columns this tall may end a block of balanced columns
BALANCED = 1.2  # body sizes: columns that end (and the next block's that start) this close are balanced
SMALLER = 0.92  # a block of columns set at most this share of the size above it is a new block (references)
ALIGN_TOL = 2.0  # points: cells of one column start, end or centre this close
CELL_ROWS = 0.6  # share of a side's rows split into cells: with the other side's the same, one table's column groups
TEXT_COLUMN, PROSE_FILL = 20.0, 0.8  # body sizes, fill: a side this wide with rows this full is a column of prose
JUSTIFIED_FILL, STRETCHED_SPACE = 0.85, 4.0  # a row this full of its column, its gaps under this many font sizes: one line


@dataclass(slots=True)
class Frag:
    words: list[PWord]
    bbox: Box
    row: int

    @property
    def weight(self) -> int:
        return 1


@dataclass(slots=True)
class BlockItem:
    """A non-text item placed by the XY-cut: a figure or a rotated line (index into the caller's list)."""

    bbox: Box
    ref: int
    row: int = -1

    @property
    def weight(self) -> int:
        return MIN_SIDE_ITEMS


@dataclass
class TLine:
    words: list[PWord]
    bbox: Box
    leaf: int  # index of the XY-cut leaf holding the line
    col: Box  # the column (region after the last vertical cut) holding the line
    row: int = -1  # row id: lines of one row and leaf continue each other

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @cached_property
    def size(self) -> float:
        return Counter(round(w.size, 1) for w in self.words).most_common(1)[0][0]

    @cached_property
    def bold(self) -> bool:
        return all(w.style & BOLD for w in self.words)


@dataclass
class Leaf:
    items: list  # Frag | BlockItem
    col: Box
    table: int | None = None  # the region whose column cut was refused (a table, TOC or listing): its id

    @property
    def tabular(self) -> bool:
        """Inside such a region: one line per cell, rows in order."""
        return self.table is not None
    lines: list[TLine] = field(default_factory=list)
    blocks: list[BlockItem] = field(default_factory=list)
    ruled: bool = False  # a table told by the rules drawn between its columns: rows between rules are one row


def body_size(words: list[PWord]) -> float:
    """The most common font size, weighted by characters (rounded to half points)."""
    if not words:
        return 10.0
    counts = Counter()
    for w in words:
        counts[round(w.size * 2) / 2] += len(w.text)
    return counts.most_common(1)[0][0]


def _overlap(a: Box, b: Box) -> float:
    """Vertical overlap as a fraction of the shorter box's height."""
    return (min(a[3], b[3]) - max(a[1], b[1])) / max(min(a[3] - a[1], b[3] - b[1]), 1e-6)


def assign_rows(boxes: list) -> list[int]:
    """Row id of every box (words or fragments, same order): sorted by vertical centre, each joins the open
    row whose first box it overlaps most (at least half the shorter height)."""
    bxs = [b.bbox if hasattr(b, "bbox") else b for b in boxes]
    order = sorted(range(len(bxs)), key=lambda i: bxs[i][1] + bxs[i][3])
    rows = [0] * len(bxs)
    open_rows: list[tuple[int, Box]] = []  # (row id, core box)
    for i in order:
        b = bxs[i]
        open_rows = [r for r in open_rows if r[1][3] > b[1]]
        best, best_ov = -1, 0.5
        for rid, core in open_rows:
            ov = _overlap(core, b)
            if ov >= best_ov:
                best, best_ov = rid, ov
        if best < 0:
            best = len(rows) + i  # unique, never a word index collision with the row ids below
            open_rows.append((best, b))
        rows[i] = best
    remap: dict[int, int] = {}
    return [remap.setdefault(r, len(remap)) for r in rows]


def level_rows(items: list) -> list[list]:
    """`items` (words, fragments, lines or boxes) grouped into rows by `assign_rows`, top to bottom; each
    row's items in their given order."""
    rows: dict[int, list] = {}
    for it, r in zip(items, assign_rows(items)):
        rows.setdefault(r, []).append(it)
    return sorted(rows.values(), key=lambda row: min((it.bbox if hasattr(it, "bbox") else it)[1] for it in row))


def fragments(words: list[PWord]) -> list[Frag]:
    """Chains of words, left to right, each within FRAG_GAP font sizes of the last and overlapping it
    vertically by half: local, so a line never borrows its band from the other column. Open chains
    sit in buckets by the vertical centre of their last word, so a word only meets chains near it."""
    order = sorted(range(len(words)), key=lambda i: words[i].bbox[0])
    reach = FRAG_GAP * max((w.size for w in words), default=0.0)
    chains: list[list[PWord]] = []
    buckets: dict[int, list[int]] = {}  # int(yc // BUCKET) of a chain's last word -> chain ids
    for i in order:
        w = words[i]
        best, best_ov = -1, 0.5
        for k in range(int((w.yc - w.height) // BUCKET), int((w.yc + w.height) // BUCKET) + 1):
            alive = []
            for c in buckets.get(k, ()):
                t = chains[c][-1]
                if t.bbox[2] + reach < w.bbox[0]:
                    continue  # words come in x order: this chain can never continue
                alive.append(c)
                if w.bbox[0] - t.bbox[2] <= FRAG_GAP * max(w.size, t.size) and w.bbox[0] >= t.bbox[0]:
                    ov = _overlap(t.bbox, w.bbox)
                    if ov >= best_ov:
                        best, best_ov = c, ov
            if k in buckets:
                buckets[k] = alive
        if best < 0:
            chains.append([w])
            best = len(chains) - 1
        else:
            buckets[int(chains[best][-1].yc // BUCKET)].remove(best)
            chains[best].append(w)
        buckets.setdefault(int(w.yc // BUCKET), []).append(best)
    return [Frag(ch, box_union(w.bbox for w in ch), -1) for ch in chains]


def unglue(frags: list[Frag], body: float) -> list[Frag]:
    """Fragments cut where a word starts flush with a column's left edge after a gap over that column's
    gutter. An overfull line (an unbreakable token run into the gutter) closes the gutter to under
    FRAG_GAP, and the left column's line glued to the right column's forced the page into bands. The
    cut needs a column edge where the cut is (EDGE_ROWS fragments of the page start there), a column edge
    where the line starts or lines of its column right above and below it (an indented code line), and
    the columns near it: within GLUE_REACH body sizes above or below, GLUE_SIDE fragments start at that
    edge, as many end left of the gap, and none crosses the gap."""
    if len(frags) < 2 * EDGE_ROWS:
        return frags
    starts = sorted(f.bbox[0] for f in frags)
    out = []
    for f in frags:
        cuts = [k for k in range(1, len(f.words)) if _glued_at(f, k, frags, starts, body)]
        if not cuts:
            out.append(f)
            continue
        for i, j in zip([0, *cuts], [*cuts, len(f.words)]):
            out.append(Frag(f.words[i:j], box_union(w.bbox for w in f.words[i:j]), f.row))
    return out


def _glued_at(f: Frag, k: int, frags: list[Frag], starts: list[float], body: float) -> bool:
    a, b = f.words[k - 1].bbox, f.words[k].bbox
    if b[0] - a[2] < 0.25 * body:  # a word space or kerning, not a gutter
        return False
    edge = b[0]
    column_at = [bisect_right(starts, x + EDGE_TOL) - bisect_left(starts, x - EDGE_TOL) >= EDGE_ROWS for x in (edge, f.bbox[0])]
    if not column_at[0]:
        return False  # no column starts here
    y0, y1 = f.bbox[1] - GLUE_REACH * body, f.bbox[3] + GLUE_REACH * body
    near = [g for g in frags if g is not f and g.bbox[3] > y0 and g.bbox[1] < y1]
    if not column_at[1] and not _between_lines(box_union(w.bbox for w in f.words[:k]), near, body):
        return False  # the line starts where no column does (a centred title), and is no indented line of one
    if any(g.bbox[0] < edge - EDGE_TOL and g.bbox[2] > a[2] + EDGE_TOL for g in near):
        return False  # a line crosses the gap: no gutter there
    flush = sum(abs(g.bbox[0] - edge) <= EDGE_TOL for g in near)
    left = sum(g.bbox[2] <= a[2] + EDGE_TOL for g in near)
    return flush >= GLUE_SIDE and left >= GLUE_SIDE


def _between_lines(left: Box, near: list[Frag], body: float) -> bool:
    """Whether the part of a glued line left of the gap is an indented line of its column (a code line in a
    listing): a line of that column within LINE_REACH body sizes right above it and one right under it, each
    starting at or left of it and ending left of the gap."""
    def column_line(g: Frag) -> bool:
        return g.bbox[0] <= left[0] + EDGE_TOL and g.bbox[2] <= left[2] + EDGE_TOL

    above = any(column_line(g) and -EDGE_TOL <= left[1] - g.bbox[3] <= LINE_REACH * body for g in near)
    below = any(column_line(g) and -EDGE_TOL <= g.bbox[1] - left[3] <= LINE_REACH * body for g in near)
    return above and below


def _vertical_cuts(items: list, gutter: float) -> list[float]:
    """x positions of accepted gutters in a region, left to right. Gaps are measured between the items'
    `_inner` extents: punctuation that hangs into the gutter does not close it."""
    spans = sorted((_inner(it), it.weight) for it in items)
    total = sum(w for _, w in spans)
    (_, right), first = spans[0]
    cuts, before, since = [], first, first
    for (x0, x1), weight in spans[1:]:
        gap = x0 - right
        if gap >= gutter and min(since, total - before) >= MIN_SIDE_ITEMS:
            cuts.append((right + x0) / 2)
            since = 0
        right = max(right, x1)
        before += weight
        since += weight
    return cuts


_OPENING, _CLOSING = "“‘\"'([", "”’\"'.,;:-–—)]"


def _inner(it) -> tuple[float, float]:
    """An item's x extent without the punctuation at its ends, which pdfTeX's character protrusion
    (microtype) hangs into the margin: an opening quote of the right column's line and a hyphen or full
    stop of the left column's closed a gutter (half an em a mark, at most half the word)."""
    x0, x1 = it.bbox[0], it.bbox[2]
    if not isinstance(it, Frag):
        return x0, x1
    first, last = it.words[0], it.words[-1]
    lead = len(first.text) - len(first.text.lstrip(_OPENING))
    tail = len(last.text) - len(last.text.rstrip(_CLOSING))
    x0 += min(0.5 * first.size * lead, 0.5 * (first.bbox[2] - first.bbox[0]))
    x1 -= min(0.5 * last.size * tail, 0.5 * (last.bbox[2] - last.bbox[0]))
    return x0, max(x1, x0)


def _tabular(left: list, right: list, body: float) -> bool:
    """Whether the two sides of a would-be gutter are one table, table of contents or numbered listing
    rather than two text columns: the text of the side with fewer fragments is level, row by row, with
    the other side's, and one side is narrower than any text column (line or section numbers), or is made
    of short cells beside something other than a column of prose (figure labels beside a column line up
    by chance), or both sides are rows of cells (a wide table's column groups, each row's cells a gutter
    apart). Two columns of prose line up too, on a baseline grid, but both are wide and full, and their
    rows are single lines."""
    lf = [it for it in left if isinstance(it, Frag)]
    rf = [it for it in right if isinstance(it, Frag)]
    if len(lf) < 2 or len(rf) < 2:
        return False
    small, big = sorted((lf, rf), key=len)
    if _aligned([f.bbox for f in small], sorted((f.bbox for f in big), key=lambda b: b[1])) < ROW_ALIGNED:
        return False
    extents = [box_union(f.bbox for f in side) for side in (lf, rf)]
    widths = [e[2] - e[0] for e in extents]
    if min(widths) < NARROW_SIDE * body:
        return True
    if all(_cell_rows(side, GUTTER * body) >= CELL_ROWS and _stacked(side) >= CELL_ROWS for side in (lf, rf)):
        return True
    fills = [_row_fill(_rows(side), e) for side, e in zip((lf, rf), extents)]
    cells, other = (0, 1) if fills[0] <= fills[1] else (1, 0)
    prose = widths[other] >= TEXT_COLUMN * body and fills[other] >= PROSE_FILL
    return fills[cells] < CELL_FILL and not prose


def _rows(frags: list) -> list[Box]:
    """The boxes of a side's text rows (fragments level with each other), top to bottom."""
    return [box_union(f.bbox for f in row) for row in level_rows(frags)]


def _aligned(rows: list[Box], others: list[Box]) -> float:
    """Share of `rows` level (half the shorter height) with one of `others`."""
    tops = [b[1] for b in others]
    n = 0
    for r in rows:
        hi = bisect_right(tops, r[3])
        n += any(_overlap(r, o) >= 0.5 for o in others[max(0, hi - 8) : hi])
    return n / len(rows)


def _cell_rows(frags: list, gap: float) -> float:
    """Share of a side's rows that hold two fragments `gap` or more apart: rows of cells (a line of
    prose is one fragment; an equation and its number are a row or two of a column)."""
    rows = [sorted(f.bbox for f in row) for row in level_rows(frags)]
    return sum(any(b[0] - a[2] >= gap for a, b in zip(bs, bs[1:])) for bs in rows) / len(rows)


def _stacked(frags: list) -> float:
    """Share of fragments set under or over another row's fragment: left, right or centre within
    ALIGN_TOL points (a table's cells stand in columns; a justified line's stretched word spaces fall
    anywhere)."""
    rows = assign_rows(frags)
    found = [False] * len(frags)
    for edge in (lambda b: b[0], lambda b: b[2], lambda b: (b[0] + b[2]) / 2):  # left, right, centre
        order = sorted(range(len(frags)), key=lambda i: edge(frags[i].bbox))
        values = [edge(frags[i].bbox) for i in order]
        for k, i in enumerate(order):
            if not found[i]:  # another row's fragment among those within ALIGN_TOL
                lo, hi = bisect_left(values, values[k] - ALIGN_TOL), bisect_right(values, values[k] + ALIGN_TOL)
                found[i] = any(rows[order[m]] != rows[i] for m in range(lo, hi))
    return sum(found) / len(frags)


def _row_fill(rows: list[Box], extent: Box) -> float:
    """Median width of a side's rows over the side's width: about 1 for prose, small for a column of cells."""
    fills = sorted((r[2] - r[0]) / max(extent[2] - extent[0], 1e-6) for r in rows)
    return fills[len(fills) // 2]


def _block_break(region: list, cuts: list[float], body: float) -> float | None:
    """y of a gap across all the columns of a region that ends one block of columns and starts another,
    or None. The columns above it end level (balanced, as LaTeX sets the last page of a two-column body),
    the columns below it start level, and the text below is set smaller (REVTeX's references after the
    body): the body is read column by column, then the references column by column, not each column
    from the body down through the references."""
    frags = [it for it in region if isinstance(it, Frag)]
    if len(frags) < 4 * (len(cuts) + 1):
        return None
    spans = sorted((it.bbox[1], it.bbox[3]) for it in region)
    bottom = spans[0][1]
    for y0, y1 in spans[1:]:
        if y0 - bottom >= BLOCK_GAP * body and _balanced(frags, cuts, bottom, y0, body):
            return (bottom + y0) / 2
        bottom = max(bottom, y1)
    return None


def _balanced(frags: list, cuts: list[float], g0: float, g1: float, body: float) -> bool:
    above = [f for f in frags if f.bbox[3] <= g0]
    below = [f for f in frags if f.bbox[1] >= g1]
    cols = lambda fs: [[f for f in fs if k == bisect_right(cuts, (f.bbox[0] + f.bbox[2]) / 2)] for k in range(len(cuts) + 1)]  # noqa: E731
    up, down = cols(above), cols(below)
    if any(len(c) < 2 for c in up + down):
        return False  # a column that ends above the gap or starts below it: no block of columns on both sides
    ends, starts = [max(f.bbox[3] for f in c) for c in up], [min(f.bbox[1] for f in c) for c in down]
    if max(ends) - min(ends) > BALANCED * body or max(starts) - min(starts) > BALANCED * body:
        return False
    size = lambda fs: statistics.median(w.size for f in fs for w in f.words)  # noqa: E731
    return size(below) <= SMALLER * size(above)


def _table_edge(region: list, tables: list[Box], body: float) -> float | None:
    """y of a drawn table's top or bottom edge where the region holds the table and more above or below
    it: the table's rows are cut off together, so its own region is read as a table (cut at its widest
    gap first, a small table's rows came apart one by one). Only where the table stands alone across the
    region (nothing beside it: no column is cut through), nothing straddles the edge, the region beyond
    the edge is not mostly rows of cells (a header set above the rules, another table), and below the bottom
    edge the next text starts half a body size down or more (a last row under the last rule stays)."""
    for t in tables:
        inside = {id(it) for it in region if center_inside(it.bbox, t, pad=1.0)}
        if len(inside) < 2 or any(id(it) not in inside and it.bbox[1] < t[3] and it.bbox[3] > t[1] for it in region):
            continue
        for y, top in ((t[1], True), (t[3], False)):
            rest = [it for it in region if id(it) not in inside and ((it.bbox[1] + it.bbox[3]) / 2 < y) == top]
            if not rest or any(it.bbox[1] < y - 0.5 and it.bbox[3] > y + 0.5 for it in region):
                continue
            frags = [it for it in rest if isinstance(it, Frag)]
            if frags and _cell_rows(frags, 0.0) >= CELL_ROWS:
                continue  # rows of cells beyond the edge: the table's header set above its rules, or another table
            if top or min(it.bbox[1] for it in rest) >= y + 0.5 * body:
                return y
    return None


def _across_table(region: list, cuts: list[float], tables: list[Box], body: float) -> float | None:
    """y of a clear gap at a drawn table's edge where a column cut would run through the table (its text
    on both sides of the cut: a table set across the columns above or below it, whose rows span the
    gutter), so the table is cut off whole first: the widest gap within CAPTION_REACH body sizes of the
    edge, on its outer side (the caption above or below the table goes with it, not with a column);
    None where no cut runs through a table or no gap is clear there."""
    clear = None
    for t in tables:
        inside = [(it.bbox[0] + it.bbox[2]) / 2 for it in region if center_inside(it.bbox, t, pad=1.0)]
        if len(inside) < 2 or not any(min(inside) < x < max(inside) for x in cuts):
            continue
        clear = _clear_gaps(region) if clear is None else clear
        for lo, hi in ((t[1] - CAPTION_REACH * body, t[1] + 0.5), (t[3] - 0.5, t[3] + CAPTION_REACH * body)):
            gaps = [g for g in clear if lo <= (g[0] + g[1]) / 2 <= hi]
            if gaps:
                g0, g1 = max(gaps, key=lambda g: g[1] - g[0])
                return (g0 + g1) / 2
    return None


def _clear_gaps(items: list) -> list[tuple[float, float]]:
    """The y intervals between a region's top and bottom that no item covers."""
    spans = sorted((it.bbox[1], it.bbox[3]) for it in items)
    out, bottom = [], spans[0][1]
    for y0, y1 in spans[1:]:
        if y0 > bottom:
            out.append((bottom, y0))
        bottom = max(bottom, y1)
    return out


def _widest_hgap(items: list) -> float | None:
    """y of the middle of the widest horizontal gap (at least MIN_HGAP; the highest of equals), or None."""
    gaps = [g for g in _clear_gaps(items) if g[1] - g[0] >= MIN_HGAP]
    if not gaps:
        return None
    g0, g1 = max(gaps, key=lambda g: g[1] - g[0])
    return (g0 + g1) / 2


def _column_cuts(region: list, cuts: list[float], body: float, rules: list[Box] = (),
                 tables: list[Box] = ()) -> tuple[list[float], bool]:  # fmt: skip
    """The cuts that separate text columns: a cut between the columns of a table is dropped, so the
    table is read row by row (its region then splits at the gaps between rows). A cut along a vertical
    rule drawn between the two sides over most of the region's height is a ruled table's column line.
    Also whether any cut was refused for its rule."""
    keep, edges, by_rule = [], [float("-inf"), *cuts, float("inf")], False
    box = box_union(it.bbox for it in region)
    for k, x in enumerate(cuts):  # each cut judged on the parts beside it
        left = [it for it in region if edges[k] <= (it.bbox[0] + it.bbox[2]) / 2 < x]
        right = [it for it in region if x <= (it.bbox[0] + it.bbox[2]) / 2 < edges[k + 2]]
        ruled = _ruled(left, right, box, rules)
        by_rule |= ruled
        if _figure_side(left, body) or _figure_side(right, body):  # a table holds no figure: columns
            keep.append(x)
        elif _table_beside(left, right, tables):  # a drawn table's edge, text beside it: a column's edge
            keep.append(x)
        elif _inside_table(left + right, x, tables):  # between the rules of a drawn table: its columns
            continue
        elif not ruled and not _tabular(left, right, body):
            keep.append(x)
    return keep, by_rule


def _figure_side(side: list, body: float) -> bool:
    """Whether a side holds a figure at least half as wide as the side and FIGURE_ROWS body sizes tall:
    the side is a column of the page (its text lining up with the other side's rows is a baseline grid,
    not a table's rows). A table inside such a column is found when its own region is cut."""
    if not side:
        return False
    x0, x1 = min(it.bbox[0] for it in side), max(it.bbox[2] for it in side)
    return any(isinstance(it, BlockItem) and it.bbox[2] - it.bbox[0] >= 0.5 * (x1 - x0) and it.bbox[3] - it.bbox[1] >= FIGURE_ROWS * body
               for it in side)  # fmt: skip


def _table_beside(left: list, right: list, tables: list[Box]) -> bool:
    """Whether one side of a cut lies wholly inside a drawn table and the other wholly outside it: the
    table's edge, with a column of text beside it (whose lines line up with the table's rows by chance)."""
    for t in tables:
        ins = [[center_inside(it.bbox, t, pad=1.0) for it in side] for side in (left, right)]
        if left and right and any(all(a) and not any(b) for a, b in (ins, ins[::-1])):
            return True
    return False


def _inside_table(items: list, x: float, tables: list[Box]) -> bool:
    """Whether a cut at `x` falls inside a table told by its horizontal rules (booktabs' top, mid and
    bottom rules; `figures.drawn_tables`) that holds TABLE_SHARE of the items beside the cut: a gap
    between its column groups, however wide, is no gutter."""
    for t in tables:
        if t[0] < x < t[2]:
            if sum(center_inside(it.bbox, t, pad=1.0) for it in items) >= TABLE_SHARE * len(items):
                return True
    return False


def _ruled(left: list, right: list, box: Box, rules: list[Box]) -> bool:
    """Whether vertical rules stand in the gap between the two sides along RULED_SHARE of the region's
    height, and the sides' rows line up: the column line of a ruled table (two text columns have no line between them in
    the papers we read; where one does, both sides are prose and `_tabular`'s row test still decides)."""
    if not rules or not left or not right:
        return False
    x0, x1 = max(it.bbox[2] for it in left), min(it.bbox[0] for it in right)
    # a rule is often drawn a row at a time: the segments in the gap add up
    covered = sum(max(0.0, min(r[3], box[3]) - max(r[1], box[1])) for r in rules if x0 - 1 <= (r[0] + r[2]) / 2 <= x1 + 1)
    if covered < RULED_SHARE * (box[3] - box[1]):
        return False
    lf = [f.bbox for f in left if isinstance(f, Frag)]
    rf = sorted((f.bbox for f in right if isinstance(f, Frag)), key=lambda b: b[1])
    return bool(lf and rf) and _aligned(lf, rf) >= ROW_ALIGNED

def _justified_gutters(region: list, body: float) -> list[float]:
    """Gutters narrower than GUTTER (tight two-column styles: 0.6 body sizes and up) that two justified
    columns make plain: at least EDGE_ROWS fragments end flush (within EDGE_TOL points) at one edge within two
    body sizes left of the gap's middle and as many start flush at one within two body sizes right of it."""
    out = []
    for x in _vertical_cuts(region, NARROW_GUTTER * body):
        left = [it.bbox[2] for it in region if isinstance(it, Frag) and it.bbox[2] <= x]
        right = [it.bbox[0] for it in region if isinstance(it, Frag) and it.bbox[0] >= x]
        if not left or not right:
            continue
        if _flush(left, x - 2 * body, x) >= EDGE_ROWS and _flush(right, x, x + 2 * body) >= EDGE_ROWS:
            out.append(x)
    return out


def _flush(edges: list[float], lo: float, hi: float) -> int:
    """How many of `edges` sit within EDGE_TOL of the commonest edge in [lo, hi]: the justified edge of a
    column, which an overfull line (a token run into the gutter) passes without moving it."""
    near = [e for e in edges if lo <= e <= hi]
    return max((sum(abs(e - v) <= EDGE_TOL for v in edges) for e in near), default=0)


def _word_space(region: list, x: float) -> bool:
    """Whether the gap at `x` is only stretched word spaces: in each row of the region it separates, the
    row's other word spaces are nearly as wide (a justified line alone in its band), and where it
    separates two rows or more, their fragments do not stand in columns (justified lines whose stretched
    spaces happen to line up; a table's cells and two columns' lines stack at their edges). A gutter, or
    a gap between table cells, is left to the column tests."""
    rows = level_rows([it for it in region if isinstance(it, Frag)])
    bounded = [fs for fs in rows if any(f.bbox[2] <= x for f in fs) and any(f.bbox[0] >= x for f in fs)]
    if not bounded or (len(bounded) > 1 and _stacked([f for fs in bounded for f in fs]) >= CELL_ROWS):
        return False
    for fs in bounded:
        words = sorted((w for f in fs for w in f.words), key=lambda w: w.bbox[0])
        gaps = [(b.bbox[0] - a.bbox[2], a.bbox[2] <= x <= b.bbox[0]) for a, b in zip(words, words[1:])]
        cut = max((g for g, at in gaps if at), default=0.0)
        spaces = sorted(g for g, at in gaps if not at)
        if not spaces or cut >= SPACE_RATIO * max(spaces[len(spaces) // 2], 0.0):
            return False
    return True


def xy_cut(items: list, gutter: float, rules: list[Box] = (), drawn: list[Box] = ()) -> list[Leaf]:
    """Leaves in reading order. Iterative (an explicit stack) so a tall page cannot hit the recursion limit."""
    if not items:
        return []
    leaves: list[Leaf] = []
    stack: list[tuple[list, Box, int | None]] = [(items, box_union(it.bbox for it in items), None)]  # region, column, table
    tables, ruled = 0, set()
    while stack:
        region, col, table = stack.pop()
        found = _vertical_cuts(region, gutter) if len(region) > 1 else []
        found = [x for x in found if not _word_space(region, x)]
        if not found and len(region) > 1:
            found = _justified_gutters(region, gutter / GUTTER)
        cuts, by_rule = _column_cuts(region, found, gutter / GUTTER, rules, drawn) if found else ([], False)
        if table is None and found and not cuts:  # every cut refused: the region is a table, TOC or listing
            table, tables = tables, tables + 1
            if by_rule:
                ruled.add(table)
        y = _block_break(region, cuts, gutter / GUTTER) if cuts else None  # two blocks of columns: cut between them first
        y = _across_table(region, cuts, drawn, gutter / GUTTER) if cuts and y is None else y  # columns above a table across them: cut it off
        if cuts and y is None:
            edges = [float("-inf"), *cuts, float("inf")]
            parts = [[it for it in region if lo <= (it.bbox[0] + it.bbox[2]) / 2 < hi] for lo, hi in zip(edges, edges[1:])]
            parts = [p for p in parts if p]
            stack.extend((p, box_union(it.bbox for it in p), table) for p in reversed(parts))
            continue
        if y is None and len(region) > 1:
            y = _table_edge(region, drawn, gutter / GUTTER)
            y = _widest_hgap(region) if y is None else y
        if y is None:
            leaves.append(Leaf(region, col, table, ruled=table in ruled))
            continue
        top = [it for it in region if (it.bbox[1] + it.bbox[3]) / 2 < y]
        bottom = [it for it in region if (it.bbox[1] + it.bbox[3]) / 2 >= y]
        stack.extend([(bottom, col, table), (top, col, table)])
    return _trim_tables(leaves, gutter, drawn)


def _trim_tables(leaves: list[Leaf], gutter: float, drawn: list[Box] = ()) -> list[Leaf]:
    """A table runs from its first to its last leaf with cells side by side (a row holding two fragments
    a gutter apart), or inside the rules of a drawn table (a cell's last line alone under the last row);
    leaves of its region before or after those (a paragraph above it) are text again."""
    spans: dict[int, list[int]] = {}
    for i, leaf in enumerate(leaves):
        if leaf.table is not None and (_has_cells(leaf, gutter) or _within(leaf, drawn)):
            spans.setdefault(leaf.table, []).append(i)
    for i, leaf in enumerate(leaves):
        if leaf.table is not None and not (leaf.table in spans and spans[leaf.table][0] <= i <= spans[leaf.table][-1]):
            leaf.table = None
    return leaves


def _within(leaf: Leaf, drawn: list[Box]) -> bool:
    """Whether all of a leaf lies inside one drawn table."""
    return any(all(center_inside(it.bbox, t, pad=1.0) for it in leaf.items) for t in drawn)


def _has_cells(leaf: Leaf, gutter: float) -> bool:
    """Whether two text fragments of a leaf sit side by side on one row, a gutter or more apart (a row of
    cells, not a line of text)."""
    frags = [it for it in leaf.items if isinstance(it, Frag)]
    return bool(frags) and _cell_rows(frags, gutter) > 0


FOLIO = re.compile(r"\d{1,5}|[ivxlc]{1,6}", re.IGNORECASE)  # a page number
_LEADER = re.compile(r"(?:[.·]\s+){3,}[.·]")  # leader dots, spaced as TeX and word processors set them


def leaf_lines(leaf: Leaf, index: int) -> None:
    """Fill `leaf.lines` (rows top to bottom, fragments left to right) and `leaf.blocks`."""
    frags = [it for it in leaf.items if not isinstance(it, BlockItem)]
    leaf.blocks = [it for it in leaf.items if isinstance(it, BlockItem)]
    rows: dict[int, list[Frag]] = {}
    for f, r in zip(frags, assign_rows(frags)):  # rows inside one leaf: no other column to confuse them
        f.row = r
        rows.setdefault(r, []).append(f)
    lines = []
    for r, frs in sorted(rows.items(), key=lambda kv: min((f.bbox[1] + f.bbox[3]) / 2 for f in kv[1])):
        frs.sort(key=lambda f: f.bbox[0])
        cur = list(frs[0].words)
        split = 0.0 if leaf.tabular else LINE_SPLIT  # a table's cells are lines of their own
        for f in frs[1:]:
            leader = _LEADER.fullmatch(" ".join(w.text for w in f.words))  # a title's dots are the title's
            if not leader and f.bbox[0] - cur[-1].bbox[2] > split * max(f.words[0].size, cur[-1].size):
                lines.append(TLine(cur, box_union(w.bbox for w in cur), index, leaf.col, r))
                cur = []
            cur.extend(f.words)
        lines.append(TLine(cur, box_union(w.bbox for w in cur), index, leaf.col, r))
    leaf.lines = lines


def justified_rows(lines: list[TLine]) -> list[TLine]:
    """Lines of a region that was no table after all, where one printed row came out as several lines:
    the cells of a row join one line again when together they fill `JUSTIFIED_FILL` of the column and
    no gap between them exceeds `STRETCHED_SPACE` font sizes (a justified line whose stretched word
    spaces lined up with the next row's: a bibliography entry). Rows that leave most of the column
    empty, or hold a run of leader dots (a table of contents: number, title, page), keep their cells."""
    out: list[TLine] = []
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and (lines[j].leaf, lines[j].row) == (lines[i].leaf, lines[i].row):
            j += 1
        row = sorted(lines[i:j], key=lambda ln: ln.bbox[0])
        width = row[-1].bbox[2] - row[0].bbox[0]
        tight = all(b.bbox[0] - a.bbox[2] <= STRETCHED_SPACE * max(a.size, b.size) for a, b in zip(row, row[1:]))
        leaders = any(_LEADER.search(ln.text) for ln in row)  # a table of contents' dots: its cells stay cells
        if len(row) > 1 and tight and not leaders and width >= JUSTIFIED_FILL * (row[0].col[2] - row[0].col[0]):
            words = [w for ln in row for w in ln.words]
            out.append(TLine(words, box_union(w.bbox for w in words), row[0].leaf, row[0].col, row[0].row))
        else:
            out.extend(lines[i:j])
        i = j
    return out


def reading_order(words: list[PWord], blocks: list[Box], gutter: float, height: float | None = None,
                  rules: list[Box] = (), tables: list[Box] = ()) -> list[Leaf]:  # fmt: skip
    """Leaves in reading order, each with its lines; `blocks` boxes come back as `BlockItem.ref` indices.
    `rules`: vertical rules (a ruled table's column lines); `tables`: boxes of tables told by their
    horizontal rules, inside which no gap is a column gutter.
    With the page `height`, running heads and feet are taken out first (`margins`): a leaf of their own
    before and after everything else, so a head crossing the gutter cannot force the columns into bands."""
    items: list = unglue(fragments(words), gutter / GUTTER) if words else []
    items += [BlockItem(b, i) for i, b in enumerate(blocks)]
    head, items, foot = margins(items, height, gutter / GUTTER) if height else ([], items, [])
    leaves = [Leaf(band, box_union(it.bbox for it in band)) for band in (head,) if band]
    leaves += xy_cut(items, gutter, sorted(rules, key=lambda r: r[1]), tables)
    leaves += [Leaf(band, box_union(it.bbox for it in band)) for band in (foot,) if band]
    for i, leaf in enumerate(leaves):
        leaf_lines(leaf, i)
    return leaves


def margins(items: list, height: float, body: float) -> tuple[list, list, list]:
    """(running head, the rest, running foot). A head: the items above the first clear horizontal gap
    (HEAD_GAP body sizes) that lies in the top MARGIN of the page, all text no larger than the body, at
    most MARGIN_ROWS rows. A foot: the items below the last such gap in the bottom MARGIN, one short row
    (a page number, a journal line: at most FOOT_WORDS words); footnotes, long and many, stay in their column.
    A page number alone needs FOLIO_GAP body sizes of clear space, and one centred under the text (ACL 2007
    sets it 4 pt under the columns, across the gutter) only CENTRED_FOLIO_GAP."""
    if sum(isinstance(it, Frag) for it in items) < 2:
        return [], items, []
    head = _edge_band(sorted(items, key=lambda it: it.bbox[1]), lambda y: y <= MARGIN * height, body, down=True)
    if head and (not _plain(head, body) or len(set(assign_rows(head))) > MARGIN_ROWS):
        head = []
    up = sorted(items, key=lambda it: -it.bbox[3])
    foot = _edge_band(up, lambda y: y >= (1 - MARGIN) * height, body, down=False)
    if foot and (not _plain(foot, body) or len(set(assign_rows(foot))) > 1 or sum(len(f.words) for f in foot) > FOOT_WORDS):
        foot = []
    if not foot:  # a page number alone may sit closer to the text (ACL's proceedings), centred under it closer still
        x0, x1 = min(it.bbox[0] for it in items), max(it.bbox[2] for it in items)
        for gap in (FOLIO_GAP, CENTRED_FOLIO_GAP):
            foot = _edge_band(up, lambda y: y >= (1 - MARGIN) * height, body, down=False, gap=gap)
            if len(foot) == 1 and isinstance(foot[0], Frag) and FOLIO.fullmatch(" ".join(w.text for w in foot[0].words)):
                if gap == FOLIO_GAP or abs((foot[0].bbox[0] + foot[0].bbox[2]) / 2 - (x0 + x1) / 2) <= CENTRED * body:
                    break
            foot = []
    taken = {id(it) for it in head + foot}
    if len(taken) == len(items):
        return [], items, []
    return head, [it for it in items if id(it) not in taken], foot


def _edge_band(ordered: list, in_zone, body: float, down: bool, gap: float = HEAD_GAP) -> list:
    """The items before the first gap of `gap` body sizes met walking from the page's edge inwards
    (`ordered` from the edge), if that gap starts inside the zone; else none."""
    reach = ordered[0].bbox[3] if down else ordered[0].bbox[1]
    for n, it in enumerate(ordered[1:], 1):
        clear = it.bbox[1] - reach if down else reach - it.bbox[3]
        if clear >= gap * body:
            return ordered[:n] if in_zone(reach) else []
        reach = max(reach, it.bbox[3]) if down else min(reach, it.bbox[1])
        if not in_zone(reach):
            return []
    return []


def _plain(band: list, body: float) -> bool:
    """Text only, none of it larger than the body (a title is no running head)."""
    return all(isinstance(it, Frag) and max(w.size for w in it.words) <= 1.05 * body for it in band)
