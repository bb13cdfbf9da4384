"""Tables found by the reading order -> one `table` element each.

The XY-cut marks a region whose column cuts it refused (`Leaf.table`): its rows line up across
the gaps and one side is narrow or short cells. Its lines are cells already (one line per
fragment). Here they become a grid:

- rows: cells level with each other (`assign_rows` over the whole region), top to bottom; a lone
  cell left of and level with two rows (a label centred on both) opens the upper one, `rowspan` 2;
- columns: the x-bands of the cells of the rows with the most cells; a cell over several bands
  spans them (`colspan`);
- header: the lines right above the region, inside its width, that the XY-cut set
  apart (a rule under the header); cut into one cell per column, a wrapped header cell one cell;
- not a table: a region whose first column is all numbering (`1`, `2.3`, `[12]`: a table of
  contents, a numbered listing, a reference list), with fewer than 2 rows of 2 or more cells (a
  stretched line of prose), mostly math glyphs (an aligned display formula), or with only equation
  number in its last column (a display whose math glyphs map to letters). Those stay text, read
  row by row. An author block (e-mail addresses in two columns or more) is no table either: its
  lines are read author by author (`author_groups`).

The element's text spells the grid row-major as `docsynth.tables` says (one spelling for both
sources); `attrs` hold `rows`, `cols` and `cells` (`row`, `col`, `rowspan`, `colspan`, `bbox` in
points, `text`). Text rows become one row where a cell wraps over lines: between the same two rules
of a table ruled between most rows, on one band of a striped table, above the rule under a header,
between two rules where the first column and another hold prose (a question and its answers), or
where rows stand apart and a wrapped cell's lines touch; a cell that wraps in a table with none of these
signs is a row a line.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from collections import Counter
from itertools import groupby

from docsynth.arxiv.geometry import Box
from docsynth.arxiv.layout import TLine, level_rows
from docsynth.doc import Element, box_union
from docsynth.tables import spell_table
NUMBERING = re.compile(r"[\[(]?(\d+|[ivxlc]+|[A-Z])([.\-]\d+)*[.\])]?", re.IGNORECASE)
MIN_ROWS, MIN_COLS = 2, 2  # rows with at least MIN_COLS cells
MAX_MATH = 0.25  # share of math glyphs above which a grid is a display formula
TIGHT, LOOSE = 0.15, 0.6  # a row's height: text rows this close touch (a wrapped cell), this far apart are rows
STRIPES, EDGE_IN = 2, 1.5  # fills across a table: its rows striped; points inside a fill: no edge
HEADER_SPAN = 3.5  # body sizes: header lines above a table region start at most this far above it
EQNO = re.compile(r"\(\s*\d+(\.\d+)*[a-z]?\s*\)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
SENTENCE_TAIL = re.compile(r"^[a-z].*[.!?]\)?$")  # the end of a sentence (a caption's last line), not a header
LABEL_BELOW = 0.3  # a row's height: a group's label this far below its first row's middle and above its last spans it
DOUBLE_RULE = 3  # points: rules this close are the two lines of one double rule
PROSE_CELL = 5  # words of two letters or more: a cell's line this long is a line of prose
_LETTERS = re.compile(r"[^\W\d_]{2}")
CAPTION_START = re.compile(r"^(table|tab\.|figure|fig\.)\s*\d", re.IGNORECASE)
FIGURE = re.compile(r"^[(\[]?[-+\u2212\u00b1]?\d[\d.,]*[)\]]?[%*\u2020\u2021]?$|^(n/?a|[-\u2013\u2014])$", re.IGNORECASE)  # 76.0, 12%, (3.1), N/A, -
FIGURES = 2 / 3  # share of a row's cells that are figures: a row of results


def table_grid(lines: list[TLine], ruled: bool = False) -> tuple[list[list[TLine]], list[tuple[float, float]], set[int]] | None:
    """(rows of cells left to right, column bands, ids of cells spanning two rows), or None when the
    region is no table. A ruled table (rules drawn between its columns) may number its rows."""
    grid = [sorted(cells, key=lambda c: c.bbox[0]) for cells in level_rows(lines)]
    grid, spans = _spanning_labels(grid)
    if len(grid) < MIN_ROWS:
        return None
    widest = max(len(r) for r in grid)
    full = [r for r in grid if len(r) == widest]
    bands = [(min(r[k].bbox[0] for r in full), max(r[k].bbox[2] for r in full)) for k in range(widest)]
    if widest < MIN_COLS or any(a[1] > b[0] for a, b in zip(bands, bands[1:])):
        return None  # fewer than two columns, or columns that are not side by side
    first = [c for r in grid for c in r if _band(c, bands)[0] == 0]
    if first and not ruled and all(NUMBERING.fullmatch(c.text.strip()) for c in first):
        return None  # numbered lines: a table of contents, a listing, a reference list
    if sum(len(r) >= MIN_COLS for r in grid) < MIN_ROWS:
        return None  # one full row and stragglers: a stretched line of prose, a caption's tail
    chars = sum(len(w.text) for ln in lines for w in ln.words)
    if sum(w.math_chars for ln in lines for w in ln.words) > MAX_MATH * chars:
        return None  # a display formula laid out in columns (an aligned system, a cases block)
    last = [c.text.strip() for r in grid for c in r if _band(c, bands)[0] == len(bands) - 1]
    if any(EQNO.fullmatch(t) for t in last):
        return None  # a display formula whose glyphs map to letters (no math fonts to tell), its number at the right
    if _authors(grid, bands):
        return None  # an author block: names over affiliations and e-mail addresses, read author by author
    bands = _stretched(grid, bands)
    if len(bands) < MIN_COLS:
        return None  # one column of prose whose justified lines' stretched spaces looked like columns
    grid = [_column_cells(r, bands) if len({_band(c, bands)[0] for c in r}) < len(r) else r for r in grid]
    return grid, bands, spans


def _authors(grid: list[list[TLine]], bands: list[tuple[float, float]]) -> bool:
    """Whether a grid is an author block: e-mail addresses in two columns or more."""
    return len({_band(c, bands)[0] for r in grid for c in r if EMAIL.search(c.text)}) >= MIN_COLS


def author_groups(lines: list[TLine]) -> list[list[TLine]] | None:
    """An author block's lines grouped by author (column by column within each band of rows, bands
    split at gaps wider than one and a half times the usual row gap), or None when it is no author block."""
    grid = [sorted(cs, key=lambda c: c.bbox[0]) for cs in level_rows(lines)]
    widest = max((len(r) for r in grid), default=0)
    if widest < MIN_COLS:
        return None
    full = [r for r in grid if len(r) == widest]
    bands = [(min(r[k].bbox[0] for r in full), max(r[k].bbox[2] for r in full)) for k in range(widest)]
    if not _authors(grid, bands):
        return None
    tops = [min(c.bbox[1] for c in r) for r in grid]
    gaps = sorted(b - a for a, b in zip(tops, tops[1:])) or [0.0]
    usual = gaps[len(gaps) // 2]
    groups: list[list[TLine]] = []
    start = 0
    for i in range(1, len(grid) + 1):
        if i == len(grid) or tops[i] - tops[i - 1] > 1.5 * usual:
            band_rows = grid[start:i]
            for k in range(len(bands)):
                cells = [c for r in band_rows for c in r if _band(c, bands)[0] == k]
                if cells:
                    groups.append(cells)
            start = i
    return groups


def _spanning_labels(grid: list[list[TLine]]) -> tuple[list[list[TLine]], set[int]]:
    """A row of one cell set level with both the row above and the row below (a label centred on the
    two rows it names) is no row: the cell opens the row above, spanning both. Also the ids of those cells."""
    out: list[list[TLine]] = []
    spans: set[int] = set()
    for i, row in enumerate(grid):
        if len(row) == 1 and out and i + 1 < len(grid) and row[0].bbox[0] < min(c.bbox[0] for c in out[-1]) \
                and all(_level(row[0], other) for other in (out[-1], grid[i + 1])):  # fmt: skip
            spans.add(id(row[0]))
            out[-1] = [row[0], *out[-1]]
            continue
        out.append(row)
    return out, spans


def _stretched(grid: list[list[TLine]], bands: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Column bands without the splits of a justified line: two bands are one where more than twice as many
    rows set one cell across both as set a cell in each (a cell of prose whose stretched space split one
    line, and made it the row with the most cells, runs across the gap on its other lines)."""
    out = [bands[0]]
    for b in bands[1:]:
        a = out[-1]
        across = sum(1 for r in grid if any(c.bbox[0] < a[1] and b[0] < c.bbox[2] for c in r))
        apart = sum(1 for r in grid if any(c.bbox[2] <= b[0] and a[0] < c.bbox[2] for c in r)
                    and any(c.bbox[0] >= a[1] and c.bbox[0] < b[1] for c in r))  # fmt: skip
        out[-1:] = [(a[0], b[1])] if across > 2 * apart else [a, b]
    return out


def _level(cell: TLine, row: list[TLine]) -> bool:
    top, bottom = min(c.bbox[1] for c in row), max(c.bbox[3] for c in row)
    return cell.bbox[1] < bottom and top < cell.bbox[3]


def _band(cell: TLine, bands: list[tuple[float, float]]) -> tuple[int, int]:
    """(first column, column span) of a cell: the bands its box overlaps, at least the nearest one."""
    hit = [k for k, (x0, x1) in enumerate(bands) if cell.bbox[0] < x1 and x0 < cell.bbox[2]]
    if not hit:
        centre = (cell.bbox[0] + cell.bbox[2]) / 2
        hit = [min(range(len(bands)), key=lambda k: abs((bands[k][0] + bands[k][1]) / 2 - centre))]
    return hit[0], hit[-1] - hit[0] + 1


def header_lines(before: list[TLine], lines: list[TLine], body: float) -> int:
    """How many of the last lines of the text `before` a table region are its header: lines right above
    it (starting within HEADER_SPAN body sizes of its top), inside its width, every word over a column,
    no caption or sentence's end, together over two columns or more. The XY-cut sets them apart when a rule or a gap under the header is the
    widest gap around."""
    found = table_grid(lines)
    if found is None or not before:
        return 0
    _grid, bands, _spans = found
    x0, x1, top = min(ln.bbox[0] for ln in lines), max(ln.bbox[2] for ln in lines), min(ln.bbox[1] for ln in lines)
    k = 0
    while k < len(before):
        ln = before[-1 - k]
        if ((ln.bbox[1] + ln.bbox[3]) / 2 > top + body or top - ln.bbox[1] > HEADER_SPAN * body or ln.bbox[0] < x0 - body
                or ln.bbox[2] > x1 + body or CAPTION_START.match(ln.text) or SENTENCE_TAIL.match(ln.text)
                or not _in_bands(ln, bands)):  # fmt: skip
            break
        k += 1
    cols = {_band(w, bands)[0] for ln in before[len(before) - k :] for w in ln.words}
    return k if len(cols) >= MIN_COLS else 0


def _in_bands(ln: TLine, bands: list[tuple[float, float]]) -> bool:
    """Whether every word of a line is centred over a column (a line of prose has words over the gaps)."""
    return all(any(x0 - 2 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 + 2 for x0, x1 in bands) for w in ln.words)


def _stripes(grid: list[list[TLine]], bands: list[tuple[float, float]], shading: list[Box]) -> list[Box]:
    """The edges of a striped table's shading, as rules: where STRIPES fills or more, each across half the
    table's width or more, lie inside it; else none. An edge inside another fill (a band painted in two
    overlapping pieces) parts nothing."""
    x0, x1 = bands[0][0], bands[-1][1]
    top, bottom = min(c.bbox[1] for c in grid[0]), max(c.bbox[3] for c in grid[-1])
    fills = [b for b in shading if min(b[2], x1) - max(b[0], x0) >= 0.5 * (x1 - x0) and top - 1 <= (b[1] + b[3]) / 2 <= bottom + 1]
    if len(fills) < STRIPES:
        return []
    edges = [(b[0], y, b[2], y) for b in fills for y in (b[1], b[3])]
    return [e for e in edges if not any(f[1] + EDGE_IN < e[1] < f[3] - EDGE_IN for f in fills)]


def _rows_between_rules(grid: list[list[TLine]], bands: list[tuple[float, float]], hrules: list[Box],
                        every: bool = False, rowspans: dict[int, int] | None = None) -> list[list[TLine]]:  # fmt: skip
    """Text rows merged where no horizontal rule (across half the table's width or more) separates them,
    in a table ruled between most of its rows (or `every` table: a striped one), when one of the two
    leaves the first column empty (a cell wrapped onto the next line, a header wrapped over two); two rows
    with first cells of their own stay rows (a group of rows between two midrules, each row whole), and so
    do a row of labels across columns (a header's group labels over the column heads) and two rows that
    fill every column but the first between two rules whose one label in the first column is set lower
    than the first row (`_centred_label`, `_under_label`: a group's rows beside one label centred on them
    all; a cell wrapped onto the next line starts level with its row's label), or that hold figures in
    most of those cells (`_figures`: a group's rows of results beside a label set level with the first).
    A row holding words in only some of the columns the row above fills continues it (`_continues`: a
    first cell wrapped onto the next line, the other cells done).
    A label centred on its group's rows is the first row's cell, as `\\multirow` sets it (in the content
    stream too), spanning them all: its `rowspans` entry (by cell id) is their count."""
    ys, inner = _rule_ys(grid, bands, hrules)
    row_keys = _row_keys(grid, ys)
    by_key: dict[int, list[list[TLine]]] = {}
    for row, key in zip(grid, row_keys):
        by_key.setdefault(key, []).append(row)
    centred = {k for k, rows in by_key.items() if not every and _centred_label(rows, bands)}  # (a header's is one row)
    if not every and not _ruled_between_rows(grid, bands, inner):  # rules under the header and between groups only: every text row is a row
        out, keys = [list(row) for row in grid], list(row_keys)
    else:
        out, keys = [], []
        for row, key in zip(grid, row_keys):
            wrapped = not (_first_cell(row, bands) and _first_cell(out[-1], bands)) if keys else False
            if keys and not every and not wrapped and _continues(row, out[-1], bands):
                wrapped = True  # a first cell wrapped onto the next line (a sentence in a table of examples)
            if keys and key in centred and _under_label(row, bands) and _under_label(out[-1], bands):
                wrapped = False  # rows beside a label centred on them all
            elif keys and _under_label(row, bands) and _under_label(out[-1], bands) and _figures(row, bands) and _figures(out[-1], bands):
                wrapped = False  # rows of figures beside one label set level with the first: a wrapped cell holds words
            if wrapped and keys[-1] == key and not _spanning(row, bands) and not _spanning(out[-1], bands):
                out[-1] = _column_cells(out[-1] + row, bands)
            else:
                out.append(row)
                keys.append(key)
    for key in centred if rowspans is not None else ():  # the label opens its group's first row, spanning them all
        rows = [i for i, k in enumerate(keys) if k == key]
        label = next((c for i in rows for c in out[i] if _band(c, bands)[0] == 0), None)
        if len(rows) < 2 or label is None or not all(_under_label(out[i], bands) for i in rows):
            continue
        out = [[c for c in row if c is not label] for row in out]
        out[rows[0]].insert(0, label)
        rowspans[id(label)] = len(rows)
    return out


def _rule_ys(grid: list[list[TLine]], bands: list[tuple[float, float]], hrules: list[Box]) -> tuple[list[int], list[int]]:
    """The y of every rule across half the table's width or more, and of those inside its text; the two
    lines of a double rule are one rule."""
    x0, x1 = bands[0][0], bands[-1][1]
    top, bottom = min(c.bbox[1] for c in grid[0]), max(c.bbox[3] for c in grid[-1])
    ys: list[int] = []
    for y in sorted(round((r[1] + r[3]) / 2) for r in hrules if min(r[2], x1) - max(r[0], x0) >= 0.5 * (x1 - x0)):
        if not ys or y - ys[-1] > DOUBLE_RULE:  # a double rule (two lines 2 pt apart) is one rule
            ys.append(y)
    return ys, [y for y in ys if top < y < bottom]


def _header_rows(grid: list[list[TLine]], bands: list[tuple[float, float]], hrules: list[Box]) -> list[list[TLine]]:
    """A table's header wrapped over text rows above the rule under it (booktabs' midrule: the first rule
    inside the table) is one row, as rows between two rules are: a head cell over three lines is one cell."""
    _, inner = _rule_ys(grid, bands, hrules)
    k = sum(1 for row in grid if inner and _middle(row) < inner[0])
    return _rows_between_rules(grid[:k], bands, hrules, every=True) + grid[k:] if k >= 2 else grid


def _prose_rows(grid: list[list[TLine]], bands: list[tuple[float, float]], hrules: list[Box]) -> list[list[TLine]]:
    """The text rows between two rules are one row where the first column and another each hold two
    lines of prose or more there (PROSE_CELL words): cells that are paragraphs, wrapped line by line side
    by side, each line with a first cell of its own. A results table's rows between two midrules hold
    names and figures, not prose in two columns."""
    ys, inner = _rule_ys(grid, bands, hrules)
    if not inner:
        return grid
    out: list[list[TLine]] = []
    for _, group in groupby(zip(grid, _row_keys(grid, ys)), key=lambda rk: rk[1]):
        rows = [row for row, _ in group]
        prose = Counter(_band(c, bands)[0] for row in rows for c in row
                        if sum(1 for w in c.words if _LETTERS.search(w.text)) >= PROSE_CELL)  # fmt: skip
        if len(rows) > 1 and prose[0] >= 2 and any(n >= 2 for col, n in prose.items() if col):
            out.append(_column_cells([c for row in rows for c in row], bands))
        else:
            out.extend(rows)
    return out


def _row_keys(grid: list[list[TLine]], ys: list[int]) -> list[int]:
    """Which band between rules (at `ys`) each text row's middle lies in."""
    return [bisect_right(ys, _middle(row)) for row in grid]


def _wrapped_rows(grid: list[list[TLine]], bands: list[tuple[float, float]], spans: set[int]) -> list[list[TLine]]:
    """Text rows of one table row, with no rule between rows to tell them: where the gaps between text
    rows fall in two kinds, touching (under TIGHT of a row's height: a cell's wrapped lines) and wide
    (LOOSE or more: the space between rows), with no gap between, a text row that touches the one above
    and holds fewer cells than the row it joins starts no row (a cell wrapped onto it). Whole rows
    grouped by wider space (`\\addlinespace`) fill every cell and stay rows. A label centred on two rows
    (`spans`) measures no gap."""
    if len(grid) < 3:
        return grid
    height = statistics.median(c.bbox[3] - c.bbox[1] for row in grid for c in row)
    own = [[c for c in row if id(c) not in spans] or row for row in grid]
    gaps = [min(c.bbox[1] for c in b) - max(c.bbox[3] for c in a) for a, b in zip(own, own[1:])]
    tight = [g <= TIGHT * height for g in gaps]
    if sum(tight) < 1 or sum(g >= LOOSE * height for g in gaps) < 2 or any(not t and g < LOOSE * height for t, g in zip(tight, gaps)):
        return grid
    out, first = [grid[0]], [len(grid[0])]
    for row, t in zip(grid[1:], tight):
        if t and len(row) < first[-1]:
            out[-1] = out[-1] + row
        else:
            out.append(row)
            first.append(len(row))
    return [_column_cells(row, bands) if len(row) > n else row for row, n in zip(out, first)]


def _spanning(row: list[TLine], bands: list[tuple[float, float]]) -> bool:
    """Whether a row holds a label across columns (a header's group label): a row of its own."""
    return any(_band(c, bands)[1] > 1 for c in row)


def _centred_label(rows: list[list[TLine]], bands: list[tuple[float, float]]) -> bool:
    """Whether the text rows between two rules share one label in the first column set between the first
    row and the last, centred on them (`\\multirow`): a cell wrapped onto the next lines starts level with its
    row's label, a header wrapped over two lines may set its label level with the last."""
    labels = [c for row in rows for c in row if _band(c, bands)[0] == 0]
    top, bottom = ([c for c in row if _band(c, bands)[0] != 0] for row in (rows[0], rows[-1]))
    if len(rows) < 2 or len(labels) != 1 or not top or not bottom:
        return False
    height = statistics.median(c.bbox[3] - c.bbox[1] for c in top)
    y = (labels[0].bbox[1] + labels[0].bbox[3]) / 2
    return _middle(top) + LABEL_BELOW * height < y < _middle(bottom) - LABEL_BELOW * height


def _middle(cells: list[TLine]) -> float:
    return sum((c.bbox[1] + c.bbox[3]) / 2 for c in cells) / len(cells)


def _under_label(row: list[TLine], bands: list[tuple[float, float]]) -> bool:
    """A row with a cell in every column but the first, three or more (the first may hold one too): a row
    beside a label that spans a group of rows (`\\multirow`), or the row that label is level with; no cell
    wrapped onto the next line."""
    return len(bands) >= 3 and set(range(1, len(bands))) <= {_band(c, bands)[0] for c in row}


def _ruled_between_rows(grid: list[list[TLine]], bands: list[tuple[float, float]], inner: list[int], least: int = 1) -> bool:
    """Rules inside the table (`least` or more) between most of its rows: text rows filling over half the
    columns (a cell's wrapped lines fill fewer)."""
    full = sum(1 for row in grid if len({_band(c, bands)[0] for c in row}) > 0.5 * len(bands))
    return len(inner) >= max(least, 0.5 * (full - 1))


def _continues(row: list[TLine], above: list[TLine], bands: list[tuple[float, float]]) -> bool:
    """Whether a text row holds words in only some of the columns the row above fills, none of them a
    figure: the rest of cells wrapped onto the next line (a row of results missing a value stays a row)."""
    cols = {_band(c, bands)[0] for c in row}
    return cols < {_band(c, bands)[0] for c in above} and not any(map(_is_figure, row))


def _figures(row: list[TLine], bands: list[tuple[float, float]]) -> bool:
    """Whether most cells of a row outside the first column are figures (76.0, 12%, N/A): results, one to a
    cell, which a cell wrapped onto the next line never is."""
    cells = [c for c in row if _band(c, bands)[0] != 0]
    return bool(cells) and sum(map(_is_figure, cells)) >= FIGURES * len(cells)


def _is_figure(cell: TLine) -> bool:
    return FIGURE.match(cell.text.strip()) is not None


def _first_cell(row: list[TLine], bands: list[tuple[float, float]]) -> bool:
    return any(_band(c, bands)[0] == 0 for c in row)


def _column_cells(lines: list[TLine], bands: list[tuple[float, float]]) -> list[TLine]:
    """Lines of one table row cut into one cell per column: a column's words over all the lines (a cell
    wrapped over two lines, a header cell over two, is one cell), top line first."""
    per: dict[int, list] = {}
    for ln in sorted(lines, key=lambda ln: ln.bbox[1]):
        for w in ln.words:  # in reading order already: a cell merged before holds its rows top to bottom
            per.setdefault(_band(w, bands)[0], []).append(w)
    ref = lines[0]
    return [TLine(ws, box_union(w.bbox for w in ws), ref.leaf, ref.col, -1) for _, ws in sorted(per.items())]


def table_element(lines: list[TLine], to_line, font, head: int = 0, hrules: list[Box] = (), ruled: bool = False,
                  shading: list[Box] = ()) -> Element | None:  # fmt: skip
    """One `table` element from a table region's cell lines (the first `head` of them header lines
    from above the region), or None (not a table). `hrules`: the page's horizontal rules; in a `ruled`
    table (rules between its columns), or one ruled between its rows (`_ruled_between_rows`), text rows
    between the same two rules are one row: a cell wrapped over lines is one cell. So are the text rows
    on one band of a table's shading (`shading`: the page's fills; zebra stripes shade a table's rows in
    turn, and the rows between two stripes are one row as well), and a header wrapped over the rows
    above the rule under it."""
    found = table_grid(lines[head:], ruled=ruled)
    if found is None:
        return None
    grid, bands, spans = found
    rowspans = {k: 2 for k in spans}
    stripes = _stripes(grid, bands, shading)
    if stripes:
        grid = _rows_between_rules(grid, bands, stripes, every=True)
    elif hrules and (ruled or _ruled_between_rows(grid, bands, _rule_ys(grid, bands, hrules)[1], least=2)):
        grid = _rows_between_rules(grid, bands, hrules, rowspans=rowspans)  # a grid, or rules between its rows
    elif hrules and not head:
        grid = _prose_rows(_header_rows(grid, bands, hrules), bands, hrules)
    grid = _wrapped_rows(grid, bands, spans) if not stripes and not ruled else grid
    if head:  # the region's own rows level with those header lines (a header cell wrapped lower) are header too
        header, bottom = list(lines[:head]), max(ln.bbox[3] for ln in lines[:head])
        while grid and min(c.bbox[1] for c in grid[0]) < bottom:
            header += grid[0]
            bottom = max(bottom, *(c.bbox[3] for c in grid.pop(0)))
        grid = [_column_cells(header, bands), *grid]
    cells = []
    for r, row in enumerate(grid):
        for cell in row:
            col, span = _band(cell, bands)
            cells.append({"row": r, "col": col, "rowspan": rowspans.get(id(cell), 1), "colspan": span, "bbox": [round(v, 3) for v in cell.bbox],
                          "text": cell.text})  # fmt: skip
    ordered = [c for row in grid for c in row]
    attrs = {"rows": len(grid), "cols": len(bands), "cells": cells}
    return Element("table", box_union(c.bbox for c in ordered), spell_table(cells, len(grid), len(bands)),
                   [to_line(ln) for c in ordered for ln in _printed_rows(c)], font([w for c in ordered for w in c.words]),
                   attrs=attrs)  # fmt: skip


def _printed_rows(cell: TLine) -> list[TLine]:
    """A cell's lines as printed: one per text row (a cell wrapped over rows between two rules is one
    cell of the grid, and its rows stay lines of their own), top to bottom, words in reading order."""
    rows = level_rows(cell.words)
    if len(rows) == 1:
        return [cell]
    return [TLine(ws, box_union(w.bbox for w in ws), cell.leaf, cell.col, cell.row) for ws in rows]
