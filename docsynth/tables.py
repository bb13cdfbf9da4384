"""How a `table` element is spelled, for both sources (DESIGN §5).

A table element's text is its grid row-major: the cells of a row joined by `TABLE_CELL`, rows joined
by `TABLE_ROW`; a cell spanning columns stands at its first column and the columns it covers are
empty strings, as are empty cells; two text pieces read into one cell are joined by a space. Its
`attrs` hold `rows`, `cols` and `cells` (each `row`, `col`, `rowspan`, `colspan`, `bbox` in points,
`text`). The arXiv path reads tables this way and the synthetic path renders them this way, so a
model sees one spelling whatever the page's origin.
"""

from __future__ import annotations

TABLE_CELL, TABLE_ROW = " | ", "\n"


def spell_table(cells: list[dict], rows: int, cols: int) -> str:
    """The element text of a grid from its cells (dicts with `row`, `col`, `text`)."""
    grid = [[""] * cols for _ in range(rows)]
    for c in cells:
        r, k = c["row"], c["col"]
        grid[r][k] = f"{grid[r][k]} {c['text']}".strip()
    return TABLE_ROW.join(TABLE_CELL.join(row) for row in grid)
