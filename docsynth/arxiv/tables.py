"""Tables found by the reading order -> one `table` element each.

The XY-cut marks a region whose column cuts it refused (`Leaf.table`): its rows line up across
the gaps and one side is narrow or short cells. Its lines are cells already (one line per
fragment). Here they become a grid:

- rows: cells level with each other (`assign_rows` over the whole region), top to bottom;
- columns: the x-bands of the cells of the rows with the most cells; a cell over several bands
  spans them (`colspan`);
- not a table: a region whose first column is all numbering (`1`, `2.3`, `[12]`: a table of
  contents, a numbered listing, a reference list), with fewer than 2 rows of 2 or more cells (a
  stretched line of prose), or mostly math glyphs (an aligned display formula). Those stay text,
  read row by row.

The element's text spells the grid row-major (DESIGN §5, proposed): cells joined by `TABLE_CELL`,
rows by `TABLE_ROW`, empty cells as empty strings; `attrs` hold `rows`, `cols` and `cells` (`row`,
`col`, `rowspan`, `colspan`, `bbox` in points, `text`). A cell that wraps over two lines is two
rows today (rows are not merged).
"""

from __future__ import annotations

import re

from docsynth.arxiv.layout import TLine, assign_rows
from docsynth.doc import Element, box_union

TABLE_CELL, TABLE_ROW = " | ", "\n"
NUMBERING = re.compile(r"[\[(]?(\d+|[ivxlc]+|[A-Z])([.\-]\d+)*[.\])]?", re.IGNORECASE)
MIN_ROWS, MIN_COLS = 2, 2  # rows with at least MIN_COLS cells
MAX_MATH = 0.25  # share of math glyphs above which a grid is a display formula


def table_grid(lines: list[TLine]) -> tuple[list[list[TLine]], list[tuple[float, float]]] | None:
    """(rows of cells left to right, column bands), or None when the region is no table."""
    rows: dict[int, list[TLine]] = {}
    for ln, r in zip(lines, assign_rows(lines)):
        rows.setdefault(r, []).append(ln)
    grid = [sorted(cells, key=lambda c: c.bbox[0]) for cells in sorted(rows.values(), key=lambda cs: min(c.bbox[1] for c in cs))]
    if len(grid) < MIN_ROWS:
        return None
    widest = max(len(r) for r in grid)
    full = [r for r in grid if len(r) == widest]
    bands = [(min(r[k].bbox[0] for r in full), max(r[k].bbox[2] for r in full)) for k in range(widest)]
    if widest < MIN_COLS or any(a[1] > b[0] for a, b in zip(bands, bands[1:])):
        return None  # fewer than two columns, or columns that are not side by side
    first = [c for r in grid for c in r if _band(c, bands)[0] == 0]
    if first and all(NUMBERING.fullmatch(c.text.strip()) for c in first):
        return None  # numbered lines: a table of contents, a listing, a reference list
    if sum(len(r) >= MIN_COLS for r in grid) < MIN_ROWS:
        return None  # one full row and stragglers: a stretched line of prose, a caption's tail
    chars = sum(len(w.text) for ln in lines for w in ln.words)
    if sum(w.math_chars for ln in lines for w in ln.words) > MAX_MATH * chars:
        return None  # a display formula laid out in columns (an aligned system, a cases block)
    return grid, bands


def _band(cell: TLine, bands: list[tuple[float, float]]) -> tuple[int, int]:
    """(first column, column span) of a cell: the bands its box overlaps, at least the nearest one."""
    hit = [k for k, (x0, x1) in enumerate(bands) if cell.bbox[0] < x1 and x0 < cell.bbox[2]]
    if not hit:
        centre = (cell.bbox[0] + cell.bbox[2]) / 2
        hit = [min(range(len(bands)), key=lambda k: abs((bands[k][0] + bands[k][1]) / 2 - centre))]
    return hit[0], hit[-1] - hit[0] + 1


def table_element(lines: list[TLine], to_line, font) -> Element | None:
    """One `table` element from a table region's cell lines, or None (not a table)."""
    found = table_grid(lines)
    if found is None:
        return None
    grid, bands = found
    cells, spelled = [], []
    for r, row in enumerate(grid):
        texts = [""] * len(bands)
        for cell in row:
            col, span = _band(cell, bands)
            texts[col] = f"{texts[col]} {cell.text}".strip()
            cells.append({"row": r, "col": col, "rowspan": 1, "colspan": span, "bbox": [round(v, 3) for v in cell.bbox],
                          "text": cell.text})  # fmt: skip
        spelled.append(TABLE_CELL.join(texts))
    ordered = [c for row in grid for c in row]
    attrs = {"rows": len(grid), "cols": len(bands), "cells": cells}
    return Element("table", box_union(c.bbox for c in ordered), TABLE_ROW.join(spelled), [to_line(c) for c in ordered],
                   font([w for c in ordered for w in c.words]), attrs=attrs)  # fmt: skip
