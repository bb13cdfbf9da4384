"""Reading order, lines, paragraphs and figures on hand-made word sets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsynth.arxiv.assemble import assemble
from docsynth.arxiv.figures import find_figures
from docsynth.arxiv.layout import fragments, reading_order
from docsynth.arxiv.paragraphs import join_text
from docsynth.arxiv.words import BOLD, ITALIC, MATH_CHARS, PWord, build_words

W, H = 612.0, 792.0


def word(text, x, y, size=10.0, style=0):
    return PWord(text, (x, y, x + 0.5 * size * len(text), y + size), size, "Serif", style)


def column(x, y, rows, prefix, words_per_row=10):
    """Rows of 4-letter words 3 pt apart (20 pt wide each): a 227 pt wide column."""
    return [word(f"{prefix}{r}w{k}", x + 23 * k, y + 12 * r) for r in range(rows) for k in range(words_per_row)]


def texts(leaves):
    return [ln.text for leaf in leaves for ln in leaf.lines]


def test_title_then_left_column_then_right_column():
    words = [word("Title", 280, 60, 16, BOLD)] + column(60, 100, 6, "L") + column(305, 100, 6, "R")  # 18 pt gutter
    lines = texts(reading_order(words, [], 9.0))
    assert lines[0] == "Title"
    assert [ln[0] for ln in lines[1:]] == ["L"] * 6 + ["R"] * 6


def test_superscripts_and_equation_numbers_stay_on_their_line():
    base = [word("energy", 100, 100), word("mc", 140, 100)]
    sup = PWord("2", (152, 97, 156, 104), 7.0, "Serif", 0)
    eqno = word("(3)", 500, 100)
    leaves = reading_order(base + [sup, eqno], [], 9.0)
    lines = [ln for leaf in leaves for ln in leaf.lines]
    assert [ln.text for ln in lines] == ["energy mc 2", "(3)"] and lines[0].row == lines[1].row


def test_fragments_do_not_bridge_a_gutter():
    frs = fragments([word("left", 100, 100), word("right", 100 + 20 + 24, 100)])  # 24 pt gap > 0.8 em
    assert len(frs) == 2


def test_words_split_at_gaps_spaces_and_line_jumps():
    glyphs = [("a", 0, 0, 5, 10, 10, "F"), ("b", 5.5, 0, 10, 10, 10, "F"), (" ", 10, 0, 13, 10, 10, "F"),
              ("c", 13, 0, 18, 10, 10, "F"), ("d", 21, 0, 26, 10, 10, "F"), ("e", 0, 12, 5, 22, 10, "F")]  # fmt: skip
    assert [w.text for w in build_words(glyphs)] == ["ab", "c", "d", "e"]


def test_hyphenated_line_ends_join_only_before_lower_case():
    assert join_text(["a hyphen-", "ated word"]) == ("a hyphen- ated word", "a hyphenated word")
    assert join_text(["see Fig-", "Ure"])[1] == "see Fig- Ure"
    assert join_text(["ﬁne ﬂow"]) == ("ﬁne ﬂow", "fine flow")


def test_paragraphs_break_at_indents_and_types_follow_position():
    words = [word("Running", 60, 30, 8), word("head", 100, 30, 8)]
    words += [word("1", 60, 80, 12, BOLD), word("Introduction", 75, 80, 12, BOLD)]
    body = [[word(f"p{p}r{r}w{k}", 60 + (14 if r == 0 else 0) + 33 * k, 100 + 36 * p + 12 * r) for k in range(8)]
            for p in range(2) for r in range(3)]  # fmt: skip
    words += [w for row in body for w in row]
    words += [word("Figure", 60, 200), word("2:", 95, 200), word("caption", 110, 200)]
    words += [word("1", 60, 700, 8), word("a", 66, 700, 8), word("footnote", 74, 700, 8)]
    words += [word("7", 300, 760, 9)]
    elements, facts = assemble(words, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["header", "heading", "para", "para", "caption", "footnote", "footer"]
    assert facts["body_size"] == 10.0


def text_line(x, y, n, prefix, first=None):
    """A row of n 4-letter words 3 pt apart from x (10 words from 60 reach 287, the column's edge); a
    row of fewer than 9 ends a sentence."""
    words = [word(f"{prefix}{k:02d}"[-4:] if k or first is None else first, x + 23 * k, y) for k in range(n)]
    if n < 9:
        words[-1] = word(words[-1].text + ".", words[-1].bbox[0], y)
    return words


@pytest.mark.parametrize("labels", [["[1]", "[2]", "[3]", "[4]"], ["Adams,", "Baker,", "Clark,", "Dunn,"]])
def test_entries_with_a_hanging_indent_are_one_paragraph_each(labels):
    """A bibliography, numbered or author-year: each entry's first line sticks out and fills the column,
    its other lines are indented. The indented lines continue the entry; the next line sticking out
    starts the next one."""
    words, y = [], 100
    for e, widths in enumerate([(9, 4), (4,), (9, 5, 3), (4,)]):  # entry 3: a line ends short, with a full stop, within it
        words += text_line(60, y, 10, f"e{e}", first=labels[e])
        for r, n in enumerate(widths, 1):
            words += text_line(75, y + 12 * r, n, f"e{e}")
        y += 12 * (len(widths) + 1)
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [e.text.split()[0] for e in elements] == labels
    assert {e.type for e in elements} == {"list"}  # entries, as the renderer's list items
    assert [len(e.lines) for e in elements] == [3, 2, 4, 2]


def test_ragged_right_entries_hang_under_the_text_after_their_label():
    """IEEE's ragged-right bibliography: an entry's first line stops short of the margin; its other lines
    line up under the text after the label, and a heading above it stays apart."""
    words = [word("REFERENCES", 60, 88, 10, BOLD)]
    y = 104
    for e, rows in enumerate([3, 2, 3]):
        label = word(f"[{e + 1}]", 60, y)
        words += [label] + text_line(78, y, 6, f"e{e}")[:-1] + [word(f"e{e}x,", 78 + 23 * 5, y)]  # no sentence end
        for r in range(1, rows):
            words += text_line(78, y + 12 * r, 7, f"e{e}")
        y += 12 * rows
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [e.text.split()[0] for e in elements] == ["REFERENCES", "[1]", "[2]", "[3]"]
    assert [len(e.lines) for e in elements] == [1, 3, 2, 3]


def test_numbered_items_and_entries_are_lists_and_capital_numbered_lines_headings():
    """`list`, as the renderer types its numbered items: "2. It is …", "(ii) Push …", a bibliography's
    "[7] …" (also at the foot of a page, in a smaller size: no footnote). Not "1) selecting …" inside a
    sentence, nor a formula's "(13) where …". A one-line "3. SIMULATION: RANDOM SIGNALS" or "II. METHODS"
    in body size is a heading; "S 2 2" (a formula's pieces) is not."""
    from docsynth.arxiv.layout import TLine
    from docsynth.arxiv.paragraphs import classify

    col = (60.0, 0.0, 290.0, 792.0)

    def para(text, y=300.0, size=10.0):
        ws = [PWord(t, (60 + 30 * k, y, 88 + 30 * k, y + size), size, "Serif", 0) for k, t in enumerate(text.split())]
        return [TLine(ws, (60, y, 88 + 30 * (len(ws) - 1), y + size), 0, col, 0)]

    kinds = {t: classify(para(t), 10.0, H, False, []) for t in
             ["2. It is possible to reuse the trees", "(ii) Push relabel methods scale", "[7] S. Mallat and Z. Zhang, Matching",
              "1) selecting multiple columns per", "(13) where mu is a scalar", "3. SIMULATION: RANDOM SIGNALS",
              "II. PURSUIT METHODS", "S 2 2"]}  # fmt: skip
    assert kinds == {"2. It is possible to reuse the trees": "list", "(ii) Push relabel methods scale": "list",
                     "[7] S. Mallat and Z. Zhang, Matching": "list", "1) selecting multiple columns per": "para",
                     "(13) where mu is a scalar": "para", "3. SIMULATION: RANDOM SIGNALS": "heading",
                     "II. PURSUIT METHODS": "heading", "S 2 2": "para"}  # fmt: skip
    foot = para("[7] S. Mallat and Z. Zhang, Matching", y=700.0, size=8.0)
    assert classify(foot, 10.0, H, False, []) == "list"
    run_in = para("1) Suffix Tree A suffix tree is a trie")  # IEEE's run-in head: its label is italic
    for w in run_in[0].words[:3]:
        w.style = ITALIC
    assert classify(run_in, 10.0, H, False, []) == "para"


def test_each_footnote_under_its_raised_mark_is_one_element():
    """Footnotes set one under the other, each line starting with a raised, smaller mark: a footnote
    each, even in the bottom margin (no footer), and a footnote's second line stays with it."""
    words = column(60, 100, 6, "B")  # body text above

    def note(mark, y, texts):
        out = [PWord(mark, (60, y - 2.5, 63.5, y + 3.5), 6.0, "Serif", 0)]
        return out + [word(t, 65 + 45 * k, y, 9.0) for k, t in enumerate(texts)]

    words += note("1", 690, ["https://numba.org/"]) + note("2", 701, ["https://python.org/"])
    words += note("3", 712, ["Spack", "currently", "disallows", "circular", "dependencies", "between"])
    words += [word(t, 60 + 45 * k, 723, 9.0) for k, t in enumerate(["packages", "and", "builds."])]
    words += note("4", 740, ["www.l1-magic.org."])
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    notes = [e for e in elements if e.text[:1].isdigit() and e.text[:2] != "B0"]
    assert [(e.type, e.text.split()[0], len(e.lines)) for e in notes] == [
        ("footnote", "1", 1), ("footnote", "2", 1), ("footnote", "3", 2), ("footnote", "4", 1)]


def test_indented_paragraphs_beside_a_hanging_list_keep_their_breaks():
    """A column holding both: paragraphs with an indented first line, and numbered items whose second
    lines hang. Each paragraph and each item is one element."""
    words, y = [], 100
    def para(tag, rows):
        nonlocal words, y
        words += text_line(74, y, 9, tag)  # first line indented
        for r in range(1, rows):
            words += text_line(60, y + 12 * r, 10 if r < rows - 1 else 3, tag)
        y += 12 * rows
    def item(n, rows):
        nonlocal words, y
        words += text_line(60, y, 10, f"i{n}", first=f"{n}.")
        for r in range(1, rows):
            words += text_line(72, y + 12 * r, 9 if r < rows - 1 else 5, f"i{n}")
        y += 12 * rows
    para("pa", 4), item(1, 2), item(2, 3), item(3, 2), para("pb", 3), para("pc", 2)
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [e.text.split()[0][:2] for e in elements] == ["pa", "1.", "2.", "3.", "pb", "pc"]
    assert [len(e.lines) for e in elements] == [4, 2, 3, 2, 3, 2]


def test_vector_clusters_become_figures_but_ruled_tables_do_not():
    plot = [((100, 100, 300, 102), "hline"), ((100, 100, 102, 250), "vline"), ((120, 120, 290, 240), "curve")]
    (fig,) = find_figures([], plot, [], W, H)
    assert fig.kind == "vector" and fig.bbox == (100, 100, 300, 250)
    rules = [((100, 400 + 20 * r, 400, 401 + 20 * r), "hline") for r in range(5)] + [((100, 400, 101, 481), "vline")]
    cells = [word(f"c{r}{k}", 110 + 70 * k, 404 + 20 * r) for r in range(4) for k in range(4)]
    assert find_figures([], rules, cells, W, H) == []
    assert len(find_figures([(50, 600, 200, 700)], [], [], W, H)) == 1  # an embedded image is always one
    assert find_figures([], [((0, 0, W, H), "fill")], [], W, H) == []  # a page background is not


def test_bulleted_items_are_list_elements():
    words = []
    for r, item in enumerate(["• first item here", "• second item", "• third"]):
        x = 60.0
        for t in item.split():
            words.append(word(t, x, 100 + 12 * r))
            x = words[-1].bbox[2] + 3
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [(e.type, e.text) for e in elements] == [("list", "• first item here"), ("list", "• second item"), ("list", "• third")]


def test_tables_contents_and_numbered_listings_are_read_row_by_row():
    """A results table, a table of contents and a listing with line numbers: their column gaps are no
    gutters (rows line up and one side is narrow or short cells), so rows come out in order, a cell a line."""
    table = []
    for r, (name, a, b) in enumerate([("Model", "Acc", "F1"), ("Baseline", "71.2", "0.64"), ("Ours", "80.5", "0.77"),
                                      ("Ours+aug", "82.0", "0.79"), ("Oracle", "90.1", "0.88")]):  # fmt: skip
        table += [word(name, 100, 100 + 14 * r), word(a, 260, 100 + 14 * r), word(b, 400, 100 + 14 * r)]
    lines = texts(reading_order(table, [], 9.0))
    assert lines == ["Model", "Acc", "F1", "Baseline", "71.2", "0.64", "Ours", "80.5", "0.77", "Ours+aug", "82.0", "0.79",
                     "Oracle", "90.1", "0.88"]  # fmt: skip
    toc = []
    for r, (num, title, page) in enumerate([("1", "Introduction", "3"), ("2", "Related", "5"), ("2.1", "Tokenizers", "6"),
                                            ("3", "Method", "9"), ("4", "Results", "12")]):  # fmt: skip
        toc += [word(num, 72, 100 + 14 * r), word(title, 100, 100 + 14 * r), word(page, 520, 100 + 14 * r)]
    assert texts(reading_order(toc, [], 9.0))[:6] == ["1", "Introduction", "3", "2", "Related", "5"]
    listing = [w for r in range(6) for w in (word(str(r + 1), 60, 100 + 12 * r), word(f"call_{r}(x, y)", 80, 100 + 12 * r))]
    assert texts(reading_order(listing, [], 9.0))[:4] == ["1", "call_0(x, y)", "2", "call_1(x, y)"]


def test_leader_dots_stay_with_their_title_in_a_table_of_contents():
    """Leader dots set a wide gap after a title are the title's (one line "Method . . . ."), not a cell."""
    toc = []
    for r, (num, title, page) in enumerate([("1", "Introduction", "3"), ("2", "Method", "5"), ("2.1", "Tokenizers", "6"),
                                            ("3", "Results", "9"), ("4", "Conclusion", "12")]):  # fmt: skip
        y = 100 + 14 * r
        dots = PWord(". . . . . . . . . .", (200, y, 480, y + 10), 10.0, "Serif", 0)
        toc += [word(num, 72, y), word(title, 100, y), dots, word(page, 520, y)]
    lines = texts(reading_order(toc, [], 9.0))
    assert lines[:3] == ["1", "Introduction . . . . . . . . . .", "3"]
    assert "Method . . . . . . . . . ." in lines and ". . . . . . . . . ." not in lines


def test_two_columns_of_prose_on_one_baseline_grid_are_still_columns():
    words = column(60, 100, 8, "L") + column(305, 100, 8, "R")  # rows level across the gutter, both full
    assert [ln[0] for ln in texts(reading_order(words, [], 9.0))] == ["L"] * 8 + ["R"] * 8


RESULTS = [("Model", "Acc", "F1"), ("Baseline", "71.2", "0.64"), ("Ours", "80.5", "0.77"), ("Oracle", "90.1", "0.88")]


def test_a_table_becomes_one_table_element_with_its_grid():
    words = column(60, 80, 4, "P")  # a paragraph above the table
    for r, row in enumerate(RESULTS):
        words += [word(t, x, 160 + 14 * r) for t, x in zip(row, (100, 260, 400))]
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert elements.index(table) == len(elements) - 1  # after the paragraph, in reading order
    assert table.text == "\n".join(" | ".join(row) for row in RESULTS)
    assert (table.attrs["rows"], table.attrs["cols"]) == (4, 3)
    cells = {(c["row"], c["col"]): c for c in table.attrs["cells"]}
    assert cells[(2, 1)]["text"] == "80.5" and cells[(2, 1)]["colspan"] == 1 and cells[(2, 1)]["bbox"][1] == 188
    assert [ln.text for ln in table.lines] == [t for row in RESULTS for t in row]  # a line per cell, row-major


def test_numbered_lines_and_formulas_in_columns_stay_text():
    toc = [w for r, (n, t) in enumerate([("1", "Introduction"), ("2", "Method"), ("2.1", "Data"), ("3", "Results")])
           for w in (word(n, 72, 100 + 14 * r), word(t, 100, 100 + 14 * r), word(str(3 * r + 1), 520, 100 + 14 * r))]  # fmt: skip
    elements, _ = assemble(toc, {}, [], [], W, H, "para")
    assert not [e for e in elements if e.type == "table"]
    assert " ".join(e.text for e in elements).startswith("1 Introduction 1 2 Method 4")
    system = [w for r, (a, b) in enumerate([("x+y=", "∑∫∂α"), ("x−y=", "∇∏βγ"), ("2x=", "∂∑∫δ")])
              for w in (word(a, 100, 100 + 14 * r), word("⇔", 200, 100 + 14 * r), word(b, 300, 100 + 14 * r))]  # fmt: skip
    for w in system:  # as build_words counts them: math code points (or a math font's glyphs)
        w.math_chars = len(MATH_CHARS.findall(w.text))
    elements, _ = assemble(system, {}, [], [], W, H, "para")
    assert not [e for e in elements if e.type == "table"]


def test_a_displayed_formula_in_pieces_is_one_math_element_in_stream_order():
    """`min` with its limit `x` below it, set as two rows: one math element, its lines in the order they
    were typeset (the content stream), not top to bottom."""
    words = column(60, 80, 3, "P")  # prose above, then the display in the same column
    top = [PWord("min", (120, 130, 138, 140), 10.0, "CMMI", 0, 3), PWord("F(x)=λg(x)", (142, 130, 200, 140), 10.0, "CMMI", 0, 10)]
    limit = PWord("x∈Ω", (124, 140.5, 136, 147), 7.0, "CMMI", 0, 3)
    for k, w in enumerate(words + [limit] + top):  # the limit is typeset before the operator's row
        w.seq = k
    elements, _ = assemble(words + top + [limit], {}, [], [], W, H, "para")
    maths = [e for e in elements if e.type == "math"]
    assert len(maths) == 1, [(e.type, e.text) for e in elements]
    assert [ln.text for ln in maths[0].lines] == ["x∈Ω", "min F(x)=λg(x)"]


def test_a_limit_typeset_inside_its_row_joins_the_row():
    """`min` typeset, then its limit below it, then the rest of the row: the limit's line interleaves with
    the row in the content stream, so the display is one line, its words in stream order."""
    words = column(60, 80, 3, "P")
    row = [PWord("min", (120, 130, 138, 140), 10.0, "CMMI", 0, 3), PWord("F(x)=λg(x)", (142, 130, 200, 140), 10.0, "CMMI", 0, 10)]
    limit = PWord("x∈Ω", (124, 140.5, 136, 147), 7.0, "CMMI", 0, 3)
    for k, w in enumerate(words + [row[0], limit, row[1]]):
        w.seq = k
    elements, _ = assemble(words + row + [limit], {}, [], [], W, H, "para")
    (math,) = [e for e in elements if e.type == "math"]
    assert [ln.text for ln in math.lines] == ["min x∈Ω F(x)=λg(x)"]


def _spaced(texts, x, y, gap, size=10.0):
    out = []
    for t in texts:
        out.append(word(t, x, y, size))
        x = out[-1].bbox[2] + gap
    return out


def test_a_justified_line_alone_in_its_band_stays_one_line():
    """Word spaces stretched past a gutter's width in a line with space above and below it: no column
    cut, no table, one line. Two columns' lines level in one band still split at the gutter."""
    stretched = _spaced("shifting towards hybrid architectures. Simply put, hybrid".split(), 60, 200, 10.5)
    above, below = column(60, 100, 3, "A", 8), column(60, 300, 3, "B", 8)
    leaves = reading_order(above + stretched + below, [], 9.0)
    lines = [ln for leaf in leaves for ln in leaf.lines]
    assert "shifting towards hybrid architectures. Simply put, hybrid" in [ln.text for ln in lines]
    assert not any(leaf.tabular for leaf in leaves)
    band = _spaced("the end of a left line".split(), 60, 200, 3) + _spaced("a right line begins".split(), 320, 200, 3)
    assert texts(reading_order(band, [], 9.0)) == ["the end of a left line", "a right line begins"]


def test_white_backgrounds_are_no_figure_and_white_frames_are_rules():
    from docsynth.arxiv.backends import _path_kind

    assert _path_kind((10, 10, 300, 300), False, True, False, (1.0, 1.0, 1.0)) == "background"
    assert _path_kind((10, 10, 300, 300), False, True, True, (1, 1, 1)) == "rect"  # a frame drawn white inside
    assert _path_kind((10, 10, 300, 300), False, True, False, (0.7, 0.7, 0.7)) == "fill"
    assert _path_kind((10, 10, 300, 300), False, True, False, (0.0, 0.0, 0.0, 0.0)) == "background"  # CMYK white
    assert _path_kind((10, 10, 300, 300), False, True, False, "P0") == "fill"  # a pattern: ink
    chart = [((100, 100, 300, 101), "hline"), ((100, 100, 101, 200), "vline"), ((120, 120, 290, 190), "curve")]
    # a Word text box: white background under the chart and its caption
    (fig,) = find_figures([], [((90, 90, 310, 260), "background"), *chart], [], W, H)
    assert fig.bbox == (100, 100, 300, 200)


def test_tick_labels_and_axis_titles_join_their_chart_but_prose_never_does():
    chart = [((100, 100, 300, 101), "hline"), ((100, 100, 101, 200), "vline"), ((120, 120, 290, 190), "curve")]
    ticks = [word(str(v), 88, 100 + 25 * k, 6.0) for k, v in enumerate((80, 60, 40, 20, 0))]  # 6 pt left of the axis
    title = _spaced(["Relative", "time"], 170, 214, 2, 6.0)  # under the tick labels along x
    xticks = [word(f"{v}", 100 + 50 * k, 203, 6.0) for k, v in enumerate((0, 1, 2, 3))]
    prose = _spaced("the text of the column goes on right below".split(), 60, 230, 3)
    elements, facts = assemble(ticks + title + xticks + prose, {}, [], chart, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[0] <= 88 and fig.bbox[3] >= 220 and fig.bbox[3] < 230
    inside = {w.text for ln in fig.lines for w in ln.words}
    assert {"80", "0", "Relative", "time", "3"} <= inside
    assert [e.text for e in elements if e.type != "figure"] == ["the text of the column goes on right below"]


def test_boxes_of_one_diagram_with_labels_between_them_are_one_figure():
    a = [((100, 100, 160, 140), "curve")]
    b = [((180, 100, 240, 140), "curve")]  # 20 pt apart, an arrow label between them
    label = [word("feat", 161, 112, 7.0)]
    text = column(60, 400, 4, "T")  # body text elsewhere on the page: 10 pt
    elements, _ = assemble(label + text, {}, [], a + b, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox == (100, 100, 240, 140) and [ln.text for ln in fig.lines] == ["feat"]
    far = [((400, 100, 460, 140), "curve")]  # prose between: two figures
    prose = _spaced("a line of running text sits here".split(), 245, 115, 2, 8.0)
    elements, _ = assemble(prose + text, {}, [], b + far, W, H, "para")
    assert sum(e.type == "figure" for e in elements) == 2


def test_a_rotated_axis_title_joins_its_chart_and_two_titles_level_are_two_lines():
    from docsynth.arxiv.assemble import rotated_elements
    from docsynth.arxiv.words import TO_FRAME
    from docsynth.arxiv.geometry import apply_box

    # two "Frequency" titles running up the page at x 52-58, one per chart, 100 pt apart along the line
    def up(text, y_top):
        box = (52.0, y_top, 58.0, y_top + 30.0)
        return PWord(text, apply_box(TO_FRAME[270], box), 6.0, "Sans", 0)

    words = [up("Frequency", 110), up("Frequency", 250)]
    lines = rotated_elements({270: words}, "para")
    assert [e.text for e in lines] == ["Frequency", "Frequency"]
    chart = [((64, 100, 280, 101), "hline"), ((64, 100, 65, 160), "vline"), ((80, 110, 270, 150), "curve")]  # 6 pt right of it
    elements, _ = assemble([], {270: words[:1]}, [], chart, W, H, "para")
    assert [e.type for e in elements] == ["figure"] and elements[0].lines[-1].text == "Frequency"


def test_column_labels_running_up_over_a_matrix_plot_join_it():
    """A transition matrix drawn as a grid of cells, each column's label (a tag: "ENDPUNC", "PREP") set at 3 pt
    running up the page, its foot 4 pt above the grid: the labels are the figure's, not a row of
    paragraphs above it (their middles lie 9 pt above the grid, beyond their reach from the centre)."""
    from docsynth.arxiv.geometry import apply_box
    from docsynth.arxiv.words import TO_FRAME

    tags = ["ENDPUNC", "INPUNC", "RPUNC", "PREP", "ADV", "DET", "CONJ"]
    labels = [PWord(t, apply_box(TO_FRAME[270], (160.0 + 8 * k, 68.0 - 1.5 * len(t), 163.0 + 8 * k, 68.0)), 3.0, "Sans", 0)
              for k, t in enumerate(tags)]  # fmt: skip
    grid = [((158.0 + 8 * i, 72.0 + 8 * j, 164.0 + 8 * i, 78.0 + 8 * j), "rect") for i in range(7) for j in range(7)]
    elements, _ = assemble(column(60, 300, 6, "P"), {270: labels}, [], grid, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert sorted(ln.text for ln in fig.lines) == sorted(tags), [(e.type, e.text) for e in elements]
    assert fig.bbox[1] <= 68.0 - 1.5 * len("ENDPUNC")


def test_a_header_set_apart_by_a_wide_gap_and_a_label_spanning_two_rows_belong_to_the_table():
    """A header row 24 pt above the body (a rule under it: the widest gap, where the XY-cut cuts first;
    its cells evenly spaced, so it is read as one line of text) and a row label centred on the two rows
    it names. The paragraph above stays text."""
    words = column(60, 60, 3, "P")
    header = [word(t, x, 124) for t, x in (("Model", 60), ("Task", 110), ("Acc", 160), ("Speed", 260), ("Cost", 360))]
    body = [word("Text", 110, 158), word("0.05", 160, 158), word("0.07", 260, 158), word("0.15", 360, 158),
            word("Order", 110, 170), word("0.02", 160, 170), word("0.04", 260, 170), word("0.11", 360, 170),
            word("DS", 60, 164)]  # fmt: skip
    body += [word(t, x, 186) for t, x in (("Base", 60), ("Text", 110), ("0.09", 160), ("0.08", 260), ("0.20", 360))]
    elements, _ = assemble(words + header + body, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "table"], [(e.type, e.text) for e in elements]
    table = elements[1]
    assert table.text.split("\n")[:2] == ["Model | Task | Acc | Speed | Cost", "DS | Text | 0.05 | 0.07 | 0.15"]
    (ds,) = [c for c in table.attrs["cells"] if c["text"] == "DS"]
    assert (ds["row"], ds["col"], ds["rowspan"]) == (1, 0, 2)
    assert table.attrs["rows"] == 4 and table.text.split("\n")[2] == " | Order | 0.02 | 0.04 | 0.11"


def test_a_spacing_accent_set_over_a_letter_composes_with_it():
    """TeX's \\`e and \\"o: the letter and a spacing accent drawn over it, in either order: one letter.
    An accent beside a letter (a grave in code) stays as it is."""
    glyphs = [("C", 0, 0, 5, 8, 8, "F"), ("a", 5, 0, 9, 8, 8, "F"), ("n", 9, 0, 13, 8, 8, "F"), ("d", 13, 0, 17, 8, 8, "F"),
              ("e", 17, 0, 20.5, 8, 8, "F"), ("`", 17.1, -0.4, 20.8, 7.6, 8, "F"), ("s", 20.6, 0, 23.2, 8, 8, "F"),
              (" ", 23.2, 0, 26, 8, 8, "F"), ("\u00a8", 26.5, 0, 29, 8, 8, "F"), ("o", 26, 0, 31, 8, 8, "F"),
              (" ", 31, 0, 34, 8, 8, "F"), ("a", 34, 0, 38, 8, 8, "F"), ("`", 38.2, 0, 42, 8, 8, "F")]  # fmt: skip
    assert [w.text for w in build_words(glyphs)] == ["Candès", "ö", "a`"]


def test_sub_and_superscripts_are_words_of_their_own_but_small_capitals_are_not():
    """x_i: a smaller glyph on a lower baseline starts a word (as poppler spells it), and a script of a
    math word counts as math. SMALL CAPS: smaller letters on the same baseline stay in their word."""
    glyphs = [("x", 0, 0, 5, 10, 10, "CMMI10"), ("i", 5, 5, 8, 12, 7, "CMR7"), ("+", 10, 0, 16, 10, 10, "CMR10"),
              ("A", 30, 0, 37, 10, 10, "Times"), ("BSTRACT", 37, 2, 70, 10.3, 8, "Times"),
              ("word", 80, 0, 100, 10, 10, "Times"), ("1", 100, -3.5, 103, 3.5, 7, "Times")]  # fmt: skip
    words = build_words(glyphs)
    assert [w.text for w in words] == ["x", "i", "+", "ABSTRACT", "word", "1"]
    assert words[1].math_chars == 1 and words[5].math_chars == 0  # a subscript of x is math, a footnote mark is not


def test_a_row_of_formula_pieces_under_a_display_joins_it():
    """Denominators and an equation number left on a row of their own under a display: one math element."""
    words = column(60, 80, 3, "P")
    top = [PWord("min", (120, 130, 138, 140), 10.0, "CMMI", 0, 3), PWord("∥Ax−b∥", (150, 130, 200, 140), 10.0, "CMMI", 0, 6)]
    pieces = [PWord("2", (124, 138.5, 128, 145.5), 7.0, "CMR", 0, 0), PWord("2", (190, 138.5, 194, 145.5), 7.0, "CMR", 0, 0),
              word("(4)", 250, 137)]  # fmt: skip
    for k, w in enumerate(words + top + pieces):
        w.seq = k
    elements, _ = assemble(words + top + pieces, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "math"], [(e.type, e.text) for e in elements]
    assert "(4)" in elements[1].text


def test_a_figure_keeps_a_line_per_label_not_a_row_across_it():
    chart = [((100, 100, 400, 101), "hline"), ((100, 100, 101, 200), "vline"), ((120, 120, 390, 190), "curve")]
    legend = [word("train", 130, 150, 6.0), word("loss", 148, 150, 6.0), word("val", 330, 150, 6.0), word("loss", 342, 150, 6.0)]
    elements, _ = assemble(legend + column(60, 300, 3, "T"), {}, [], chart, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert [ln.text for ln in fig.lines] == ["train loss", "val loss"]


def test_a_formula_with_its_number_is_no_table_and_an_author_block_is_read_author_by_author():
    words = column(60, 60, 2, "P")
    # a display whose glyphs map to letters (no math font to tell): pieces in columns, its number at the right
    for r, row in enumerate([("min", "kxk", "subject", "(4)"), ("x", "2", "to", "")]):
        words += [word(t, x, 100 + 12 * r) for t, x in zip(row, (100, 160, 220, 400)) if t]
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert "table" not in [e.type for e in elements]
    authors = []
    for band, people in enumerate([(("Ann Lee", "ann@x.org"), ("Bo Chu", "bo@y.edu")), (("Cy Day", "cy@z.com"), ("Di Eng", "di@w.io"))]):
        for k, (name, mail) in enumerate(people):
            y = 100 + 40 * band
            authors += _spaced(name.split(), 100 + 200 * k, y, 3) + [word(mail, 100 + 200 * k, y + 12)]
    elements, _ = assemble(column(60, 300, 3, "T") + authors, {}, [], [], W, H, "para")
    assert [e.text for e in elements[:4]] == ["Ann Lee ann@x.org", "Bo Chu bo@y.edu", "Cy Day cy@z.com", "Di Eng di@w.io"]


def test_the_last_line_of_a_caption_above_a_table_is_no_header():
    """The header row set apart (read as a line of text), the caption's last line right above it."""
    words = _spaced("Table 1: Accuracy of the methods by corruption level, higher is".split(), 60, 60, 3) + [word("best).", 60, 72)]
    words += [word(t, x, 86) for t, x in (("Corr", 60), ("0%", 140), ("20%", 220), ("40%", 300))]  # evenly spaced
    for r, row in enumerate([("L1LS", "19.5", "18.4", "17.5"), ("ALM", "0.3", "2.0", "5.0"), ("FISTA", "8.8", "8.7", "8.7")]):
        words += [word(t, x, 104 + 12 * r) for t, x in zip(row, (60, 140, 220, 300))]
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n")[0] == "Corr | 0% | 20% | 40%", [(e.type, e.text) for e in elements]
    assert elements[0].text.endswith("best).")


def test_a_diagram_drawn_with_a_font_is_a_figure_but_a_few_symbols_are_not():
    """XY-pic draws arrows and circles with glyphs of fonts that map to no Unicode: those glyphs (not the
    body font's, not a partly mapped font's) become drawn marks, and eight or more of them a figure."""
    from docsynth.arxiv.backends import _Glyphs

    g = _Glyphs()
    for k in range(30):
        g.add(0, f"t{k}", 60 + 6 * k, 400, 65 + 6 * k, 410, 10, "Times")  # body text
    for k in range(10):  # circles and arrow heads of a diagram: a ring of glyphs
        g.add(0, "\ufffd", 100 + 12 * (k % 5), 100 + 14 * (k // 5), 110 + 12 * (k % 5), 110 + 14 * (k // 5), 10, "XYCIRC10")
    g.add(0, "\ufffd", 300, 300, 305, 310, 10, "CMSY10")  # one unmapped glyph of a font that maps others
    g.add(0, "x", 310, 300, 315, 310, 10, "CMSY10")
    marks = g.drawn_glyphs()
    assert len(marks) == 10 and {k for _, k in marks} == {"glyph"}
    (fig,) = find_figures([], marks, [], W, H)
    assert fig.kind == "glyph"
    assert find_figures([], marks[:5], [], W, H) == []  # a big delimiter's pieces, a dingbat: no drawing


def test_a_justified_caption_inside_a_glyph_diagram_is_prose_and_the_diagram_gives_way():
    from docsynth.arxiv.figures import Figure, split_labels

    caption = _spaced("(a) Convention for this figure. Numbers inside the".split(), 88, 173, 9.0, 8.0)
    fig = Figure((186, 115, 245, 194), "glyph", 40, 0)
    text, figures = split_labels(caption + column(60, 400, 3, "T"), [fig], 10.0)
    assert figures == [] and all(w in text for w in caption)


def test_a_running_head_over_the_gutter_cannot_force_the_columns_into_bands():
    """A head across both columns 12 pt above them, and a 24 pt gap inside both columns at the same height
    (wider than the head's): without setting the head aside first, the XY-cut reads band by band."""
    head = _spaced("Journal of Things, Vol. 3".split(), 60, 40, 3) + [word("7", 520, 40)]
    cols = column(60, 62, 4, "L") + column(305, 62, 4, "R") + column(60, 134, 4, "M") + column(305, 134, 4, "S")
    foot = [word("doi:10.1/x", 280, 760)]
    lines = texts(reading_order(head + cols + foot, [], 9.0, H))
    assert lines[:2] == ["Journal of Things, Vol. 3", "7"] and lines[-1] == "doi:10.1/x"
    assert [ln[0] for ln in lines[2:-1]] == ["L"] * 4 + ["M"] * 4 + ["R"] * 4 + ["S"] * 4
    banded = texts(reading_order(head + cols + foot, [], 9.0))  # no page height: no margins, bands
    assert [ln[0] for ln in banded[2:-1]] != ["L"] * 4 + ["M"] * 4 + ["R"] * 4 + ["S"] * 4


def test_a_tight_gutter_between_justified_columns_is_still_a_gutter():
    """Columns 8.5 pt apart (under GUTTER body sizes, 9 pt), both justified: their lines end and start
    flush at the gap, so it is a gutter and no line crosses it."""
    def justified(x, y, rows, prefix):
        return [word(f"{prefix}{r}w{k}", x + 23 * k, y + 12 * r) for r in range(rows) for k in range(10)]  # ends at x+227

    words = justified(60, 100, 8, "L") + justified(295.5, 100, 8, "R")  # 60+227 = 287: an 8.5 pt gap
    lines = texts(reading_order(words, [], 9.0, H))
    assert [ln[0] for ln in lines] == ["L"] * 8 + ["R"] * 8 and all(len(ln.split()) == 10 for ln in lines)


def test_a_stamp_down_the_margin_comes_after_the_page():
    from docsynth.arxiv.geometry import apply_box
    from docsynth.arxiv.words import TO_FRAME

    stamp = PWord("arXiv:2407.10671v4", apply_box(TO_FRAME[270], (16.0, 200.0, 36.0, 400.0)), 20.0, "Times", 0)
    elements, _ = assemble(column(60, 100, 3, "P"), {270: [stamp]}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "para"] and elements[-1].text == "arXiv:2407.10671v4"


def test_a_ruled_table_with_a_prose_column_is_read_row_by_row():
    """Spec | Meaning: the right column is as wide and full as prose, so the text alone says two columns;
    the column line drawn between them, a row at a time, says table."""
    words = []
    for r, (spec, meaning) in enumerate([("mpileaks @1.2:1.4 %gcc@4.7.5", "mpileaks package, no constraints at all here."),
                                         ("mpileaks @1.1.2 %intel@14.1", "mpileaks package, version 1.1.2, built with gcc."),
                                         ("mpileaks @1.1.2 =bgq +debug", "mpileaks package built with gcc at the default version."),
                                         ("mpileaks @1.1.2 ^mvapich2@1.9", "with the debug build option and nothing else set.")]):  # fmt: skip
        words += _spaced(spec.split(), 60, 100 + 12 * r, 3) + _spaced(meaning.split(), 260, 100 + 12 * r, 3)
    rules = [((253.0, 99 + 12 * r, 253.4, 110 + 12 * r), "vline") for r in range(4)]
    elements, _ = assemble(words, {}, [], rules, W, H, "para")
    text = " ".join(e.text for e in elements)
    assert text.index("no constraints") < text.index("%intel@14.1") < text.index("version 1.1.2") < text.index("=bgq"), text
    elements, _ = assemble(words, {}, [], [], W, H, "para")  # without the line: two columns
    text = " ".join(e.text for e in elements)
    assert text.index("no constraints") > text.index("^mvapich2@1.9"), text


def test_a_table_ruled_between_its_rows_keeps_a_wrapped_cell_in_its_row():
    """Rules between columns and between rows: a meaning wrapped over two or three lines is one cell of its
    row, its words in reading order and its printed lines lines of their own, and a numbered first column
    does not make the grid a numbered listing."""
    rows = [("1", ["mpileaks"], ["no constraints."]),
            ("2", ["mpileaks@1.1.2 %intel"], ["built with the Intel compiler,", "with the debug option."]),
            ("3", ["mpileaks =bgq"], ["built for the Blue Gene/Q."]),
            ("4", ["mpileaks @1.2:1.4 %gcc@4.7.5", "^callpath @1.1 %gcc@4.7.2", "^openmpi @1.4.7"],
             ["at any version between 1.2 and 1.4,", "without the debug option, linked with", "callpath version 1.1 and openmpi."])]  # fmt: skip
    words, hlines, y = [], [((56.0, 96.0, 554.0, 96.4), "hline")], 100
    for num, spec, meaning in rows:
        words += [word(num, 60, y)]
        for k, part in enumerate(spec):
            words += _spaced(part.split(), 80 + 8 * (k > 0), y + 12 * k, 3)
        for k, part in enumerate(meaning):
            words += _spaced(part.split(), 260, y + 12 * k, 3)
        y += 12 * len(meaning)
        hlines.append(((56.0, y - 1.5, 554.0, y - 1.1), "hline"))
    vlines = [((x, 96.0, x + 0.4, y - 1.0), "vline") for x in (56.0, 74.0, 255.0, 554.0)]
    elements, _ = assemble(words, {}, [], hlines + vlines, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n") == ["1 | mpileaks | no constraints.",
                                      "2 | mpileaks@1.1.2 %intel | built with the Intel compiler, with the debug option.",
                                      "3 | mpileaks =bgq | built for the Blue Gene/Q.",
                                      "4 | mpileaks @1.2:1.4 %gcc@4.7.5 ^callpath @1.1 %gcc@4.7.2 ^openmpi @1.4.7 | at any version "
                                      "between 1.2 and 1.4, without the debug option, linked with callpath version 1.1 and openmpi."]  # fmt: skip
    printed = [part for _, spec, meaning in rows for part in spec + meaning]
    assert sorted(ln.text for ln in table.lines if not ln.text.isdigit()) == sorted(printed)


def test_a_drawn_table_next_to_a_figure_stays_a_table():
    """A booktabs table a few points above an embedded image: its rules join no figure and its cells are no
    figure labels. Rules of one extent with prose between them (a running head's rule and a foot rule) are
    no table."""
    from docsynth.arxiv.figures import drawn_tables

    rules = [((200, 100, 400, 100.5), "hline"), ((200, 116, 400, 116.5), "hline"), ((200, 212, 400, 212.5), "hline")]
    cells = [word(f"c{r}{k}", 210 + 90 * k, 104 + 16 * r, size=8) for r in range(7) for k in range(2)]
    image = (150, 215, 450, 340)  # 2.5 pt below the bottom rule
    body = [word(f"p{r}x{k}", 60 + 23 * k, 400 + 12 * r) for r in range(4) for k in range(10)]  # body size 10: cells are small text
    assert drawn_tables(rules, cells + body, 10.0) == [(200, 100, 400, 212.5)]
    elements, _ = assemble(cells + body, {}, [image], rules, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[1] >= 214 and all(not e.text.startswith("c") for e in elements if e.type == "figure")
    assert sum(e.text.count("c") for e in elements if e.type != "figure") >= 14  # every cell is text
    page_rules = [((60, 40, 550, 40.5), "hline"), ((60, 760, 550, 760.5), "hline")]
    prose = [word(f"wo{r}rd{k}", 60 + 23 * k, 60 + 12 * r) for r in range(20) for k in range(10)]
    assert drawn_tables(page_rules, prose, 10.0) == []


def test_greek_prose_is_text_and_greek_symbols_are_math():
    """Greek letters are math in an English paper (α, λ=2), but a Greek word of three letters or more
    in a text font is prose: a Greek document's tables were refused as display formulas."""
    from docsynth.arxiv.words import _word

    for text in ("Πίνακας", "απόλαυσε,", "(Γρηγοριάδης)"):
        assert _word([text], 0, 0, 30, 10, 10.0, "Times-Roman", 0).math_chars == 0
    assert _word(["α"], 0, 0, 5, 10, 10.0, "Times-Roman", 0).math_chars == 1
    assert _word(["λ=2"], 0, 0, 15, 10, 10.0, "Times-Roman", 0).math_chars == 2
    assert _word(["Πίνακας"], 0, 0, 30, 10, 10.0, "CMMI10", 0).math_chars == 7  # a math font: math all the same


def test_a_region_that_was_no_table_gets_its_justified_rows_back_whole():
    """A bibliography's stretched word spaces line up into what looked like cell gaps: where no table is
    found, a row that fills its column with only stretched spaces is one line again; a table of
    contents' rows (leader dots) and rows that leave the column half empty keep their cells."""
    from docsynth.arxiv.layout import TLine, justified_rows

    col = (54.0, 0.0, 295.0, 800.0)

    def line(texts_x, y, row):
        words = [word(t, x, y) for t, x in texts_x]
        return [TLine([w], w.bbox, 0, col, row) for w in words]

    # LaTeX stretched this entry's spaces up to 3.5 font sizes (a URL on the next line would not break)
    bib = line([("[12]", 54), ("P.", 84), ("J.", 112), ("Eby.", 140), ("Setuptools", 195), ("install.", 255)], 100, 0)
    assert all(w.bbox[2] <= 295 for ln in bib for w in ln.words)
    toc = line([("2.1", 87), ("Methods", 112), (". . . . . . . .", 160), ("4", 285)], 120, 1)
    short = line([("Name", 54), ("Score", 120)], 140, 2)  # a table row: a third of the column
    out = justified_rows(bib + toc + short)
    assert [ln.text for ln in out] == ["[12] P. J. Eby. Setuptools install.", "2.1", "Methods", ". . . . . . . .", "4", "Name", "Score"]
    assert out[0].bbox[0] == 54 and out[0].row == 0


def test_a_diagram_of_nodes_joined_by_hairlines_is_one_figure():
    """XY-pic draws nodes with a font and the edges between them as bare segments (boxes of zero
    thickness): the segments' ink links the nodes, so the graph is one figure holding its weights."""
    nodes = [((x, y, x + 20, y + 10), "glyph") for x in (100, 160, 220) for y in (100, 160)]
    for n in list(nodes):  # eight arcs a circle, as XY-pic sets them
        nodes += [(n[0], "glyph")] * 7
    edges = [((120, 105, 160, 105), "hline"), ((180, 105, 220, 105), "hline"), ((110, 110, 110, 160), "vline"),
             ((230, 110, 230, 160), "vline"), ((120, 165, 160, 165), "hline"), ((180, 165, 220, 165), "hline")]  # fmt: skip
    weights = [word("1", 138, 97, 7.0), word("2", 198, 97, 7.0), word("−1", 112, 130, 7.0), word("3", 198, 157, 7.0)]
    text = column(60, 400, 4, "T")
    elements, _ = assemble(weights + text, {}, [], nodes + edges, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[0] <= 100 and fig.bbox[2] >= 240 and fig.bbox[1] <= 100 and fig.bbox[3] >= 170
    assert {ln.text for ln in fig.lines} == {"1", "2", "−1", "3"}
    assert all(e.type in ("figure", "para") for e in elements) and not any("1" == e.text for e in elements if e.type != "figure")


def test_a_column_holding_a_figure_is_a_column_though_its_lines_sit_on_the_other_columns_grid():
    """Short lines beside a figure (a caption's last line, formula rows) level with the other column's
    prose look like a table's cells to the row test; a figure on one side means the sides are columns."""
    fig = [((60, 100, 280, 300), "curve")]
    left = [w for r in range(8) for w in _spaced(["x", "=", "0", f"({r})"], 120, 320 + 12 * r, 8)]
    right = column(320, 100, 30, "R", 9)
    elements, _ = assemble(left + right, {}, [], fig, W, H, "para")
    order = [e.text[:2] for e in elements if e.type != "figure"]
    rights = [k for k, t in enumerate(order) if t.startswith("R")]
    lefts = [k for k, t in enumerate(order) if t.startswith("x")]
    assert lefts and rights and max(lefts) < min(rights), order  # the left column, then the right one


def test_the_rows_of_an_aligned_display_are_one_math_element_but_two_numbered_formulas_are_two():
    """`minimize … subject to …` over several rows, a row gap wider than a fraction's, one equation number:
    one element. Two displays, each with its number, one under the other: two."""
    words = column(60, 80, 3, "P")
    rows = [[PWord("minimize", (110, y, 150, y + 10), 10.0, "CMR", 0, 0), PWord("f(x)+g(x)", (155, y, 215, y + 10), 10.0, "CMMI", 0, 9)]
            for y in (130, 146, 162)]  # fmt: skip
    rows[1].append(PWord("(4)", (265, 146, 280, 156), 10.0, "Serif", 0, 0))
    after = column(60, 190, 2, "Q")
    elements, _ = assemble(words + [w for r in rows for w in r] + after, {}, [], [], W, H, "para")
    maths = [e for e in elements if e.type == "math"]
    assert len(maths) == 1 and len(maths[0].lines) == 3, [(e.type, e.text) for e in elements]
    two = [[PWord("a=b+c", (120, y, 200, y + 10), 10.0, "CMMI", 0, 5), PWord(f"({n})", (265, y, 280, y + 10), 10.0, "Serif", 0, 0)]
           for n, y in ((1, 130), (2, 146))]  # fmt: skip
    elements, _ = assemble(words + [w for r in two for w in r] + after, {}, [], [], W, H, "para")
    assert [e.text for e in elements if e.type == "math"] == ["a=b+c (1)", "a=b+c (2)"]


def test_a_program_with_bold_roman_variables_is_one_math_element():
    """A linear program set in roman, its vectors bold ("minimize d^T z" over its limit z, "subject to Az >= b",
    CVPR's and Proc. IEEE's style): no math glyph but the operator, yet one `math` display with its number,
    not paragraphs and a lone limit."""
    words = column(60, 80, 3, "P")
    rows = [[PWord("minimize", (90, 130, 128, 140), 10.0, "CMR10", 0, 0), PWord("d", (138, 130, 144, 140), 10.0, "CMBX10", BOLD, 0),
             PWord("T", (144, 128, 148, 135), 7.0, "CMR7", 0, 0), PWord("z", (149, 130, 155, 140), 10.0, "CMBX10", BOLD, 0)],
            [PWord("z", (106, 139, 110, 146), 7.0, "CMBX7", BOLD, 0)],
            [PWord("subject", (90, 150, 115, 160), 10.0, "CMR10", 0, 0), PWord("to", (118, 150, 128, 160), 10.0, "CMR10", 0, 0),
             PWord("Az", (138, 150, 150, 160), 10.0, "CMBX10", BOLD, 0), PWord("≥", (153, 150, 160, 160), 10.0, "CMSY10", 0, 1),
             PWord("b", (163, 150, 169, 160), 10.0, "CMBX10", BOLD, 0), PWord("(9)", (272, 150, 287, 160), 10.0, "CMR10", 0, 0)]]
    after = column(60, 180, 2, "Q")
    elements, _ = assemble(words + [w for r in rows for w in r] + after, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "math", "para"], [(e.type, e.text) for e in elements]
    assert elements[1].text.startswith("minimize") and elements[1].text.endswith("(9)")


def test_a_heading_with_a_symbol_is_a_heading_and_a_new_line_after_a_formula_is_no_script_of_it():
    words = column(60, 200, 6, "B")
    heading = [word("5.", 120, 100, 14, BOLD), word("Fast", 140, 100, 14, BOLD),
               PWord("ℓ1-min", (175, 100, 215, 114), 14.0, "CMMI", BOLD, 6), word("Algorithms", 220, 100, 14, BOLD)]  # fmt: skip
    elements, _ = assemble(heading + words, {}, [], [], W, H, "para")
    assert elements[0].type == "heading" and elements[0].text.startswith("5. Fast")
    # an e-mail set in a symbol font, then a larger title centred on the next line
    glyphs = [(c, 100 + 5 * k, 100, 105 + 5 * k, 109, 9.0, "CMSY9") for k, c in enumerate("{a,b}@x.se")]
    glyphs += [(c, 150 + 7 * k, 130, 157 + 7 * k, 142, 12.0, "Times-Bold") for k, c in enumerate("Abstract")]
    built = build_words(glyphs)
    assert [w.text for w in built] == ["{a,b}@x.se", "Abstract"] and built[1].math_chars == 0


def test_rotated_tick_labels_join_their_chart_and_bring_the_axis_title_in_reach():
    """An R plot sets its y ticks upright along the axis (one rotated run "0 1 2 3 4", five words) and its
    title beyond them: the run joins the chart, and the title, now in reach of the grown figure, too."""
    from docsynth.arxiv.geometry import apply_box
    from docsynth.arxiv.words import TO_FRAME

    def up(text, x, y_top, length):
        return PWord(text, apply_box(TO_FRAME[90], (x, y_top, x + 6.0, y_top + length)), 6.0, "Sans", 0)

    ticks = [up(str(v), 90, 200 - 25 * v, 4) for v in range(5)]
    title = [up("Speedup", 78, 120, 28)]
    chart = [((100, 90, 300, 91), "hline"), ((100, 90, 101, 210), "vline"), ((120, 110, 290, 200), "fill")]
    elements, _ = assemble(column(60, 400, 3, "T"), {90: ticks + title}, [], chart, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[0] <= 78 and {"Speedup", "0", "2", "4"} <= {w.text for ln in fig.lines for w in ln.words}
    assert all(e.type in ("figure", "para") for e in elements)


def test_a_booktabs_table_with_wide_gaps_between_column_groups_is_one_table():
    """Row labels, then two groups of score columns 30 pt apart, between a top, a mid and a bottom rule:
    the gaps between the groups are a gutter's width, yet inside the rules they are the table's columns.
    A row of figures is no prose, so it does not unmake the table."""
    rules = [((60, 100, 500, 100.5), "hline"), ((60, 126, 500, 126.5), "hline"), ((60, 200, 500, 200.5), "hline")]
    head = [word("Data", 62, 110)] + [word(f"{n}k", x, 110) for n, x in zip((8, 32, 64, 8, 32, 64), (180, 230, 280, 360, 410, 460))]
    rows = []  # each row: a name over two lines ("+ YARN" under it), its scores centred between them
    for r, name in enumerate(("ModelAlpha", "ModelBeta", "ModelGamma")):
        rows += [word(name, 62, 130 + 22 * r), word("+YARN", 66, 142 + 22 * r)]
        rows += [word(f"{50 + r + k}.{k}", x, 136 + 22 * r) for k, x in enumerate((180, 230, 280, 360, 410, 460))]
    text = column(60, 300, 6, "T")
    elements, _ = assemble(head + rows + text, {}, [], rules, W, H, "para")
    tables = [e for e in elements if e.type == "table"]
    assert len(tables) == 1 and tables[0].attrs["cols"] == 7, [(e.type, e.text[:40]) for e in elements]
    cells = [c["text"] for c in tables[0].attrs["cells"]]
    assert {"Data", "ModelAlpha", "+YARN", "50.0", "57.5", "64k"} <= set(cells)
    assert not [e for e in elements if e.type != "table" and not e.text.startswith("T")]  # no cell outside it


def test_a_side_legend_wider_than_its_reach_joins_the_figure_but_a_side_caption_does_not():
    chart = [((150, 100, 400, 101), "hline"), ((150, 100, 151, 300), "vline"), ((170, 120, 390, 290), "fill")]
    legend = [word("Top", 125, 110, 6.0), word("of", 136, 110, 6.0), word("Document", 120, 118, 6.0),
              word("Bottom", 125, 280, 6.0), word("Document", 120, 288, 6.0)]  # centres 10 to 20 pt off the axis  # fmt: skip
    text = column(60, 400, 6, "T")
    elements, _ = assemble(legend + text, {}, [], chart, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[0] <= 120 and {"Top", "Bottom"} <= {w.text for ln in fig.lines for w in ln.words}
    caption = [w for r, line in enumerate(["Figure 2. The total time", "shown in parts: the work", "and the stall time of", "each core."])
               for w in _spaced(line.split(), 60, 200 + 9 * r, 2, 7.0)]  # fmt: skip
    elements, _ = assemble(caption + text, {}, [], chart, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox[0] >= 140 and "each core." in " ".join(e.text for e in elements if e.type != "figure")


def test_prose_over_an_image_is_prose_and_no_label_of_it():
    """An image behind a column of prose (a watermark, a background): the prose is never a label, and the
    picture the prose is set on is no figure; each word is read once, as text. Two lines of prose over
    a picture leave it a figure (a plot's long title inside its frame), still without labels from them."""
    text = [w for r in range(8) for w in _spaced("the image lies behind these lines of running prose".split(), 60, 200 + 12 * r, 3)]
    elements, _ = assemble(text, {}, [(40.0, 150.0, 340.0, 400.0)], [], W, H, "para")
    assert not [e for e in elements if e.type == "figure"]
    assert sorted(w.text for e in elements for ln in e.lines for w in ln.words) == sorted(w.text for w in text)
    elements, _ = assemble(text[:18], {}, [(40.0, 150.0, 340.0, 400.0)], [], W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert not fig.lines and sorted(w.text for e in elements for ln in e.lines for w in ln.words) == sorted(w.text for w in text[:18])


def test_a_boxed_example_on_a_shaded_picture_is_read_as_text():
    """A magazine's boxed example (aimag10 p5): rules of prose and short lines ("Rule:", "Confidence = 0.7")
    set on a shaded picture with a drop shadow. All of it is text in reading order; before, the short lines
    were the figure's labels and the long ones paragraphs inside the figure's box."""
    rows = ["Rule:", "IF arg1 has NFLTeam AND pred has to AND arg2 has WinIndicator", "Confidence = 0.833",
            "Extraction from New Orleans, cruised to, a victory", "Rule:", "IF arg1 has WinIndicator AND arg2 has the team",
            "Confidence = 0.7"]  # fmt: skip
    words = [w for r, t in enumerate(rows) for w in _spaced(t.split(), 110, 90 + 12 * r, 3, 9.0)]
    words += [w for r in range(12) for w in _spaced("all constraints of the rules apply to the tuple below it".split(), 60, 330 + 12 * r, 3, 9.0)]
    shadow = [((50.0, 296.0, 582.0, 300.0), "fill"), ((578.0, 62.0, 582.0, 300.0), "fill")]
    elements, _ = assemble(words, {}, [(46.0, 58.0, 578.0, 296.0)], shadow, W, H, "para")
    assert not [e for e in elements if e.type == "figure"], [(e.type, e.bbox) for e in elements]
    flow = [ln.text for e in elements for ln in e.lines]
    assert flow[:7] == rows and len(flow) == 19


def test_a_plots_framed_legend_is_its_labels_not_a_table():
    """A plot's legend framed with straight rules (superscripttest p11: MATLAB's legends) holds eight small
    words between two rules of one extent, which reads as a drawn table. Inside a figure and all small, it
    is the figure's labels: none of its words is a table's cell, a header or a paragraph."""
    body = [w for r in range(20) for w in _spaced(f"row {r} of the body text of the paper runs across the column here".split(), 60, 300 + 12 * r, 3)]
    entries = ["DegreeDistance (d = 2)", "DegreeDistance (d = 3)", "FIDD SIDD"]
    legend = [w for r, t in enumerate(entries) for w in _spaced(t.split(), 130, 84 + 7 * r, 1.5, 5.0)]
    frame = [((126.0, 82.0, 200.0, 82.5), "hline"), ((126.0, 104.0, 200.0, 104.5), "hline"),
             ((126.0, 82.0, 126.5, 104.5), "vline"), ((199.5, 82.0, 200.0, 104.5), "vline")]  # fmt: skip
    plot = [((80.0, 76.0, 260.0, 230.0), "curve"), ((80.0, 230.0, 260.0, 231.0), "hline"), ((79.0, 76.0, 80.0, 231.0), "vline")]
    elements, _ = assemble(body + legend, {}, [], plot + frame, W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert sorted(w.text for ln in fig.lines for w in ln.words) == sorted(w.text for w in legend)
    assert [e.type for e in elements if e.type != "figure"] == ["para"], [(e.type, e.text[:30]) for e in elements]


def _path(kind, x, y, w, h):
    w, h = (w, 0.5) if kind == "hline" else (0.5, h) if kind == "vline" else (w, h)
    return (x, y, x + w, y + h), kind


PATHS = st.lists(st.builds(_path, st.sampled_from(["hline", "vline", "hline", "vline", "rect", "fill", "curve", "image"]),
                           st.integers(0, 24).map(lambda k: 20.0 + 8 * k), st.integers(0, 24).map(lambda k: 80.0 + 8 * k),
                           st.floats(1, 120), st.floats(1, 120)), max_size=6)  # fmt: skip  # on a grid near each other: clusters


@settings(max_examples=300, deadline=None)
@given(PATHS, st.integers(0, 3))
def test_any_drawing_gives_figures_on_the_page_at_least_min_side_each_way(items, rows):
    """Whatever paths and images a page draws (rules at right angles, rules longer than the rest, pictures
    under text), finding figures and their labels never fails, and every figure lies on the page and is
    MIN_SIDE points or more each way."""
    from docsynth.arxiv.figures import MIN_SIDE, split_labels

    images = [b for b, k in items if k == "image"]
    paths = [(b, k) for b, k in items if k != "image"]
    words = [w for r in range(rows) for w in _spaced("a line of prose set over whatever is drawn here".split(), 40, 100 + 40 * r, 3)]
    figures = find_figures(images, paths, words, W, H)
    for f in figures:
        x0, y0, x1, y1 = f.bbox
        assert 0 <= x0 and 0 <= y0 and x1 <= W and y1 <= H and x1 - x0 >= MIN_SIDE and y1 - y0 >= MIN_SIDE
    kept, figures = split_labels(words, figures, 10.0)
    assert len(kept) <= len(words)


def test_a_border_round_the_page_is_no_figure():
    """A police manual's page (marker's test.pdf): a border of four thin rules round the page, two badges
    at the top. The border's box held every cluster on the page and merged them into one figure over all
    the text. The border is no figure; the badges are two."""
    body = [w for r in range(30) for w in _spaced(f"item {r} of the procedure the officer follows in this case".split(), 90, 120 + 20 * r, 3)]
    border = [((24.8, 24.0, 587.2, 24.8), "hline"), ((24.0, 24.8, 24.8, 767.2), "vline"),
              ((587.2, 24.8, 588.0, 767.2), "vline"), ((24.8, 767.2, 587.2, 768.0), "hline")]  # fmt: skip
    badges = [(68.0, 36.0, 106.0, 88.0), (504.0, 43.0, 543.0, 88.0)]
    elements, _ = assemble(body, {}, badges, border, W, H, "para")
    assert sorted([round(v) for v in e.bbox] for e in elements if e.type == "figure") == [[68, 36, 106, 88], [504, 43, 543, 88]]
    assert len([e for e in elements if e.type != "figure"]) >= 1 and sum(len(e.lines) for e in elements if e.type != "figure") == 30


def test_a_running_heads_rule_touching_a_journals_logo_is_no_part_of_its_figure():
    """PLOS ONE's head (e4faf p8): the journal's logo at the left, the running head at the right, and a
    rule across the page under both that touches the logo's foot. The figure is the logo; the rule, 540
    points against the logo's 107, does not stretch it over the running head. A plot's axis, as long as
    its data, stays part of the plot, and two rules at right angles keep each other."""
    head = _spaced("Metabolomics in wheat following post-anthesis heat stress".split(), 376, 40, 2.5, 8.0)
    body = [w for r in range(20) for w in _spaced(f"row {r} of the body text of the paper runs across the column here".split(), 60, 80 + 12 * r, 3)]
    logo, rule = (36.0, 27.0, 143.0, 51.0), ((36.0, 54.0, 576.0, 55.0), "hline")
    elements, _ = assemble(head + body, {}, [logo], [rule], W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert [round(v) for v in fig.bbox] == [36, 27, 143, 51]
    assert any(e.text.startswith("Metabolomics") for e in elements if e.type != "figure")
    curve = ((100.0, 420.0, 300.0, 560.0), "curve")
    axes = [((100.0, 560.0, 300.0, 561.0), "hline"), ((99.0, 420.0, 100.0, 561.0), "vline")]
    (fig,) = find_figures([], [curve, *axes], body, W, H)
    assert [round(v) for v in fig.bbox] == [99, 420, 300, 561]
    corner = [((100.0, 600.0, 300.0, 600.5), "hline"), ((100.0, 600.0, 100.5, 700.0), "vline")]  # each far longer than the other is wide
    (fig,) = find_figures([], corner, [], W, H)
    assert [round(v) for v in fig.bbox] == [100, 600, 300, 700]


def test_balanced_columns_then_references_in_columns_read_block_by_block():
    """REVTeX's last page: the body ends in balanced columns, then the references, smaller, in columns of
    their own under a gap across both: body left, body right, references left, references right (not
    each column from the body down through the references)."""
    body = column(60, 100, 8, "B") + column(305, 100, 8, "C")
    refs = [word(f"R{r}w{k}", 60 + 19 * k, 230 + 10 * r, 8.0) for r in range(6) for k in range(12)]
    refs += [word(f"S{r}w{k}", 305 + 19 * k, 230 + 10 * r, 8.0) for r in range(6) for k in range(12)]
    assert [ln[0] for ln in texts(reading_order(body + refs, [], 9.0))] == ["B"] * 8 + ["C"] * 8 + ["R"] * 6 + ["S"] * 6
    # the same gap across both columns with the same size below it: the columns are read down, as before
    same = [word(f"D{r}w{k}", 60 + 23 * k, 230 + 12 * r) for r in range(6) for k in range(10)]
    same += [word(f"E{r}w{k}", 305 + 23 * k, 230 + 12 * r) for r in range(6) for k in range(10)]
    assert [ln[0] for ln in texts(reading_order(body + same, [], 9.0))] == ["B"] * 8 + ["D"] * 6 + ["C"] * 8 + ["E"] * 6


def test_a_one_line_entry_and_the_next_numbered_entry_are_two_entries():
    """"[5] …" ends a little short of the column, "[6] …" starts under it at the same edge: two entries,
    though the column's lines do not hang; "[6]" under an "[8]" entry's line stays in it."""
    rows = [("[5] Garcia-Aspeitia and Matos, T. and co, gr-qc/0906.327.", 60), ("[6] Jae-Weon Lee and In-gyu Koh. Phys. Rev. D 53, 2236 - 2239", 60),
            ("(1996), hep-ph/9507385.", 74)]  # fmt: skip
    words = [w for r, (t, x) in enumerate(rows) for w in _spaced(t.split(), x, 100 + 11 * r, 4, 9.0)]
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [e.text[:3] for e in elements] == ["[5]", "[6]"] and [e.type for e in elements] == ["list", "list"]
    rows = [("[8] Matos and Guzman, Class. Quantum Grav. 17, cited as", 60), ("[6] by the authors of Phys. Rev. D 53, 2236 - 2239", 60)]
    words = [w for r, (t, x) in enumerate(rows) for w in _spaced(t.split(), x, 100 + 11 * r, 4, 9.0)]
    assert len(assemble(words, {}, [], [], W, H, "para")[0]) == 1


def test_a_columns_first_line_in_the_top_margin_is_no_header():
    """A paragraph's last line at the top of a column, the next paragraph right under it, is text; a head
    of three lines over it, set off from it, is a header line by line."""
    words = _spaced("observations, it needs at least a value of 0.07.".split(), 60, 54, 4)
    words += [w for r in range(6) for w in _spaced(f"the most promising feature number {r} of the model resides here".split(),
                                                           60 + 14 * (r == 0), 66 + 12 * r, 4)]  # fmt: skip
    elements, _ = assemble(words, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "para"]
    head = [w for r, (x, t) in enumerate([(60, "Journal of Things (2014), 26:1, 147-154 under the licence of"), (300, "the Press for commercial re-use."),
                                          (400, "doi:10.1017/S104161")]) for w in _spaced(t.split(), x, 20 + 8 * r, 3, 7.0)]  # fmt: skip
    elements, _ = assemble(head + words, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["header", "header", "header", "para", "para"], [(e.type, e.text) for e in elements]


def test_a_large_stamp_in_the_margin_beside_a_figure_is_no_label_of_it():
    """JCAP's "JCAP10(2008)003" runs down the right margin, a few points from a plot: a stamp, after the
    page's elements, not an axis title that grows the plot up over the caption above it."""
    from docsynth.arxiv.geometry import apply_box
    from docsynth.arxiv.words import TO_FRAME

    stamp = PWord("JCAP10(2008)003", apply_box(TO_FRAME[90], (528.0, 270.0, 556.0, 500.0)), 28.0, "Helvetica", 0)
    caption = _spaced("Figure 1. The left panel presents the function for two models.".split(), 130, 290, 4)
    text = column(60, 560, 6, "T")
    elements, _ = assemble(caption + text, {90: [stamp]}, [(311.0, 347.0, 514.0, 493.0)], [], W, H, "para")
    (fig,) = [e for e in elements if e.type == "figure"]
    assert fig.bbox == (311.0, 347.0, 514.0, 493.0) and not fig.lines
    assert elements[-1].text == "JCAP10(2008)003" and [e.type for e in elements][:2] == ["caption", "figure"]


def test_two_plots_side_by_side_in_two_columns_stay_two_figures_and_the_columns_stay_columns():
    """A raster plot at the top of each column, 11 pt apart, each with its caption: two figures, and the
    page is read column by column (merged into one figure across the gutter, they made the captions one
    line glued across it). A caption's last line of symbols, flush with it, stays in the caption."""
    left = _spaced("Figure 2: the spectrum for a universe with".split(), 54, 240, 4) + [word("Ω=0.02,", 54, 252), word("α≈10", 94, 252)]
    right = _spaced("Figure 5: the spectrum for other contents of".split(), 317, 240, 4) + _spaced("the matter we study.".split(), 317, 252, 4)
    text = column(54, 280, 8, "L") + column(317, 280, 8, "R")
    elements, _ = assemble(left + right + text, {}, [(56.0, 59.0, 308.0, 231.0), (319.0, 59.0, 571.0, 231.0)], [], W, H, "para")
    assert [e.type for e in elements] == ["figure", "caption", "para", "figure", "caption", "para"], [(e.type, e.text) for e in elements]
    assert elements[1].text.endswith("α≈10") and elements[4].text.endswith("study.")


def test_a_line_of_body_text_at_the_foot_of_a_column_is_no_footer():
    """The last line of a column in the bottom margin, right under the text or ending in a broken word, is
    text; a page number set off below the text is the footer."""
    body = [w for r in range(6) for w in _spaced(f"running text of the column, line number {r} of it goes on".split(), 60, 640 + 12 * r, 4)]
    page_number = [word("7", 300, 760, 9)]
    broken = _spaced("Then if one fixes the mass, the content of the uni-".split(), 60, 725, 4)  # after a display's gap
    elements, _ = assemble(body + broken + page_number, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "para", "footer"] and elements[1].text.endswith("uni-"), [(e.type, e.text) for e in elements]
    indented = _spaced("A new paragraph starts on the last line of the".split(), 74, 714, 4)  # right under the text
    elements, _ = assemble(body + indented + page_number, {}, [], [], W, H, "para")
    assert [e.type for e in elements] == ["para", "para", "footer"], [(e.type, e.text) for e in elements]


def test_a_table_with_shaded_rows_is_a_table_and_a_bar_chart_a_figure():
    """PeerJ shades a table's header and every other row in bands across its width: text set on shading,
    read as a table (as a figure, all its text was labels). A bar chart's bars are fills too, narrow ones:
    still a figure."""
    rows = [("Phase", "Purpose", "Input"), ("1", "Data preparation", "DNA sequences"), ("2", "Homology search", "BLAST output"),
            ("3", "Alignment check", "Multiple alignments"), ("4", "Selection analysis", "Gene trees")]  # fmt: skip
    words = [w for r, row in enumerate(rows) for x, t in zip((70, 150, 330), row) for w in _spaced(t.split(), x, 104 + 16 * r, 4)]
    bands = [((60.0, 100.0 + 16 * r, 500.0, 116.0 + 16 * r), "fill") for r in range(5)]  # two tones, touching
    text = column(60, 300, 6, "T")
    elements, _ = assemble(words + text, {}, [], bands, W, H, "para")
    assert [e.type for e in elements][:1] == ["table"] and "figure" not in [e.type for e in elements], [(e.type, e.text[:30]) for e in elements]
    assert elements[0].attrs["rows"] == 5 and elements[0].attrs["cols"] == 3
    bars = [((100.0 + 40 * k, 200.0 - 20 * k, 120.0 + 40 * k, 250.0), "fill") for k in range(5)]
    ticks = [word(f"{k}0", 104 + 40 * k, 254, 7.0) for k in range(5)] + [word(f"{k}0", 86, 246 - 20 * k, 7.0) for k in range(5)]
    elements, _ = assemble(ticks + text, {}, [], bars, W, H, "para")
    assert [e.type for e in elements][0] == "figure"


def test_rules_drawn_as_thin_images_are_rules():
    """dvips and Ghostscript draw a boxed algorithm's frame as four 1x1 images stretched into lines: rules,
    so the box is text in a frame, not a figure whose lines are all labels."""
    frame = [(317.0, 511.0, 557.0, 511.4), (317.0, 511.0, 317.4, 721.0), (557.0, 511.0, 557.4, 721.0), (317.0, 721.0, 557.0, 721.4)]
    steps = [w for r in range(12) for w in _spaced(f"step {r}: merge the small tasks sorted by weight".split(), 330, 520 + 16 * r, 4)]
    elements, _ = assemble(steps + column(60, 100, 6, "T"), {}, frame, [], W, H, "para")
    assert "figure" not in [e.type for e in elements]
    assert sum(ln.text.startswith("step") for e in elements for ln in e.lines) == 12


def test_a_small_ruled_table_is_cut_off_whole_before_its_rows_come_apart():
    """A grid of five rows 2 pt apart under its caption, in a column of prose: the widest gap of the column
    is elsewhere, and cut gap by gap the rows came apart one by one (each too small for a column cut),
    read as lines. The drawn table's edges are cut first, so its rows stay one table."""
    caption = [w for r, t in enumerate(["Table 1: Numba and C speedups over CPython for", "a naive implementation of matrix multi-",
                                        "plication, by size."]) for w in _spaced(t.split(), 54, 63.7 + 10.5 * r, 4, 9.0)]  # fmt: skip
    rows = [("Size", "Numba", "C"), ("64", "463x", "453x"), ("128", "454x", "407x"), ("256", "280x", "263x"), ("512", "276x", "268x")]
    cells = [word(t, x, 95.3 + 11 * r, 9.0) for r, row in enumerate(rows) for t, x in zip(row, (112, 175, 220))]
    hlines = [((104.0, 94.1 + 11 * r, 243.0, 94.5 + 11 * r), "hline") for r in range(6)]
    vlines = [((x, 94.1, x + 0.4, 149.5), "vline") for x in (104.0, 169.0, 213.0, 243.0)]
    prose = [w for r in range(8) for w in _spaced(f"the body text of the column goes on in line {r} here".split(), 54, 162 + 12 * r, 4, 9.0)]
    elements, _ = assemble(caption + cells + prose, {}, [], hlines + vlines, W, H, "para")
    assert [e.type for e in elements] == ["caption", "table", "para"], [(e.type, e.text[:30]) for e in elements]
    assert elements[1].attrs["rows"] == 5 and elements[1].attrs["cols"] == 3


def test_punctuation_hanging_into_the_gutter_does_not_close_it():
    """pdfTeX's character protrusion hangs a right-column line's opening quote and a left-column line's
    final full stop into a narrow gutter (here 14 pt, the marks leave 7): still two columns, read one
    after the other, not rows glued across the gutter."""
    left = [w for r in range(10) for w in _spaced(f"left column line {r} of running prose text".split(), 70, 600 + 12 * r, 4)]
    edge = max(w.bbox[2] for w in left)  # 263: the right column starts 14 pt further
    right = [w for r in range(10) for w in _spaced(f"right column line {r} of running prose".split(), edge + 14, 600 + 12 * r, 4)]
    left.append(word("github.", edge + 3 - 28, 720, 8.0))  # a footnote's URL: ends 3 pt into the gutter
    right.append(word("“5:00”,", edge + 10, 720, 8.0))  # starts 4 pt into it: 7 pt of gutter left
    lines = texts(reading_order(left + right, [], 9.0))
    assert [ln.split()[0] for ln in lines[:10]] == ["left"] * 10 and all("right" not in ln for ln in lines[:11]), lines


def test_a_first_line_run_into_the_gutter_is_cut_at_the_right_columns_edge():
    """An overfull line (an unbreakable token run 7 pt into a 14 pt gutter, as in science-parse's mooney05
    p4) closed the gutter to 7 pt, under the 8 pt that splits fragments: the left column's first line was
    glued to the right column's, the pair read first and the right column's first line before the left
    column. The line is cut where its word starts flush with the right column's edge; a centred title
    over the gutter, with a word at that edge too, stays whole."""
    left = [w for r in range(10) for w in _spaced(f"left column line {r} of running prose text".split(), 70, 600 + 12 * r, 4)]
    edge = max(w.bbox[2] for w in left) + 14
    right = [w for r in range(10) for w in _spaced(f"right column line {r} of running prose".split(), edge, 600 + 12 * r, 4)]
    left = [PWord("PRP-team-our-NN-player-CD-unum-2", (70, 600, edge - 7, 610), 10.0, "Serif", 0)] + left[8:]  # 7 pt into the gutter
    lines = texts(reading_order(left + right, [], 9.0))
    assert [ln.split()[0] for ln in lines] == ["PRP-team-our-NN-player-CD-unum-2"] + ["left"] * 9 + ["right"] * 10, lines
    title = [word("A Centred Title Over", edge - 110, 560, 14.0, BOLD), word("Both Columns", edge, 560, 14.0, BOLD)]
    lines = texts(reading_order(title + left + right, [], 9.0))
    assert lines[0] == "A Centred Title Over Both Columns" and lines[1].startswith("PRP") and lines[11].startswith("right"), lines


def test_an_indented_code_line_run_into_the_gutter_is_cut_at_the_right_columns_edge():
    """A listing's line set in a monospace font, indented 6 pt, runs 9 pt into a 15 pt gutter
    (acl-main.207 p11 of s2orc-doc2json's tests): glued to the right column's line, it forced the page
    into bands (576 pairs out of stream order). The line starts where no column does, but it sits between
    lines of its column right above and below: it is cut at the right column's edge."""
    left = [w for r in range(10) for w in _spaced(f"left column line {r} of running prose text".split(), 70, 500 + 12 * r, 4)]
    edge = max(w.bbox[2] for w in left) + 15
    right = [w for r in range(14) for w in _spaced(f"right column line {r} of running prose".split(), edge, 500 + 12 * r, 4)]
    sample = _spaced(["'sample':"], 76, 632, 4)
    code = [*_spaced(["{'window':", "[5,", "10]"], 70, 620, 4), *sample, *_spaced(["'epochs':", "[50]}"], 76, 644, 4),
            PWord("[0,10**-6,10**-5],", (sample[0].bbox[2] + 4, 632, edge - 6, 642), 10.0, "Mono", 0)]  # fmt: skip
    lines = texts(reading_order(left + code + right, [], 9.0))
    assert [ln.split()[0] for ln in lines] == ["left"] * 10 + ["{'window':", "'sample':", "'epochs':"] + ["right"] * 14, lines


def test_a_paragraph_that_starts_by_naming_a_figure_is_no_caption():
    from docsynth.arxiv.paragraphs import CAPTION

    sentences = ["Table 1, 2, and 3 shows the results", "Figure 5 shows how", "Table 1a lists the total", "TABLE II shows"]
    captions = ["Table 2 Sample of a summary", "Figure 1a: the setup", "TABLE II", "Fig. 3. The", "Table 2 (continued)", "Figure S1."]
    assert not any(CAPTION.match(t) for t in sentences) and all(CAPTION.match(t) for t in captions)


def test_an_italic_numbered_subsection_head_is_a_heading_of_its_own():
    """IEEE sets "B. Overall Speedup" in the body's italics, a little indented, and the text starts on the
    next line: a heading, then a paragraph (not one paragraph that opens with the heading's words)."""
    from docsynth.arxiv.words import ITALIC

    head = [word(t, x, 298, 10.0, ITALIC) for t, x in (("B.", 68), ("Overall", 84), ("Speedup", 117))]
    text = [w for r in range(4) for w in _spaced(f"the speedup achieved by the new code for all the runs {r}".split(), 54, 313 + 11 * r, 4, 9.0)]
    elements, _ = assemble(head + text + column(54, 400, 8, "T"), {}, [], [], W, H, "para")
    assert [(e.type, e.text[:18]) for e in elements[:2]] == [("heading", "B. Overall Speedup"), ("para", "the speedup achiev")]


def test_whole_rows_between_two_rules_stay_rows():
    """A group of rows set between two midrules, each row with its own first cell (TableFormer's 1p … 16p):
    rows, not one row of five-line cells; a header wrapped over two lines, its first cell on one of them,
    is one row."""
    names = ["Base", "Base 1p", "Base 2p", "Base 4p", "Large"]
    words, y = [], 100
    header = [("", "Running", "Mean"), ("Tool", "time", "speed")]
    for a, b, c in header:
        words += ([word(a, 60, y)] if a else []) + [word(b, 200, y), word(c, 300, y)]
        y += 12
    rules = [((56.0, 98.0, 400.0, 98.4), "hline"), ((56.0, y - 1.5, 400.0, y - 1.1), "hline")]
    for r, name in enumerate(names):
        words += _spaced(name.split(), 60, y, 3) + [word(f"{60 + r}.1", 200, y), word(f"{30 + r}.5", 300, y)]
        y += 12
        if r in (0, 3, 4):  # midrules after the first row and after the group of three
            rules.append(((56.0, y - 1.5, 400.0, y - 1.1), "hline"))
    vlines = [((x, 98.0, x + 0.4, y - 1.0), "vline") for x in (56.0, 190.0, 290.0, 400.0)]
    elements, _ = assemble(words, {}, [], rules + vlines, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n") == ["Tool | Running time | Mean speed", "Base | 60.1 | 30.5", "Base 1p | 61.1 | 31.5", "Base 2p | 62.1 | 32.5",
                                      "Base 4p | 63.1 | 33.5", "Large | 64.1 | 34.5"], table.text  # fmt: skip


def _grid(cols, y, rows, size=8.0, pitch=11):
    """Rows of cells: `cols` is [(x, texts per row)], one cell a column a row."""
    return [w for r in range(rows) for x, cells in cols for w in _spaced(cells[r].split(), x, y + pitch * r, 2, size)]


def test_a_wide_table_whose_column_groups_are_both_rows_of_cells_is_one_table():
    """Two groups of two columns 60 pt apart under heads that span each group, with no rule between them
    (PeerJ's "original | alternative" halves, each as wide and full as a column of prose): both sides of
    the gap are rows of cells standing in columns, so the gap is the table's, and each printed row is one
    row of five cells. Two justified lines whose stretched spaces (wider than a gutter) happen to line up
    are neither a table nor two columns: they stay one paragraph's lines."""
    group = lambda x, tag: [(x, [f"Yes ({tag}PoNM{r})" for r in range(8)]), (x + 115, [f"Matched {r}/9" for r in range(8)])]  # noqa: E731
    heads = _spaced("Original masked alignment here".split(), 120, 88, 4) + _spaced("Alternative alignment for sites".split(), 360, 88, 4)
    rows = _grid([(60, [f"G{r}" for r in range(8)])] + group(120, "HPG") + group(360, "HP"), 100, 8, 10.0)
    text = [w for r in range(6) for w in _spaced([f"T{r}w{k}" for k in range(20)], 60, 400 + 12 * r, 4)]  # across the page
    elements, _ = assemble(heads + rows + text, {}, [], [], W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.attrs["cols"] == 5, table.text
    assert "G3 | Yes (HPGPoNM3) | Matched 3/9 | Yes (HPPoNM3) | Matched 3/9" in table.text.split("\n"), table.text
    spans = [[(60, 100), (112, 160), (172, 200), (212, 260), (272, 300)], [(60, 120), (132, 195), (215, 240), (252, 300)]]
    justified = [PWord(f"r{r}w{k}", (x0, 423 + 13 * r, x1, 434 + 13 * r), 10.0, "Serif", 0) for r, row in enumerate(spans)
                 for k, (x0, x1) in enumerate(row)]  # fmt: skip
    elements, _ = assemble(justified, {}, [], [], W, H, "para")
    assert [ln.text for e in elements for ln in e.lines] == ["r0w0 r0w1 r0w2 r0w3 r0w4", "r1w0 r1w1 r1w2 r1w3"]


def test_a_striped_table_reads_a_stripe_as_one_row_and_its_header_above_the_rules_is_its_own():
    """Zebra stripes part a table's rows as rules do: the lines on one band are one row (a cell wrapped over
    four lines is one cell), and so are the lines between two bands. The header, set above the first rule
    (its last column's head wrapped over three lines), is the table's first row, not paragraphs beside it."""
    head = _grid([(60, ["Model"]), (140, ["Tree"]), (220, ["Parameter"]), (320, ["Positively"])], 80, 1)
    head += _grid([(140, ["type"]), (220, ["estimates"]), (320, ["selected"])], 91, 1)
    head += _grid([(320, ["sites in 8x45"])], 102, 1)
    body, fills, y = [], [], 120
    for r, params in enumerate((["w = 0.61"], ["p0 = 0.35", "p1 = 0.64", "w0 = 0.08", "w1 = 1.00"], ["p0 = 0.37", "p1 = 0.62"], ["q = 9.3", "w = 1.0"])):
        body += _grid([(60, [f"m{r}"]), (140, ["Sample"]), (220, params[:1])], y, 1)
        body += [w for k, p in enumerate(params[1:], 1) for w in _spaced(p.split(), 220, y + 11 * k, 2, 8.0)]
        if r == 2:
            body += _spaced(["Alignment", "(28"], 320, y, 2, 8.0) + _spaced(["NEB", "sites)"], 320, y + 11, 2, 8.0)
        height = 11 * len(params) + 4
        if r % 2 == 1:
            fills.append(((56, y - 3, 420, y - 3 + height), "fill"))
        y += height
    rules = [((56, 116, 420, 116.5), "hline"), ((56, y, 420, y + 0.5), "hline")]
    text = column(60, 400, 6, "T")
    elements, _ = assemble(head + body + text, {}, [], rules + fills, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    rows = table.text.split("\n")
    assert rows[0] == "Model | Tree type | Parameter estimates | Positively selected sites in 8x45", rows
    assert rows[2] == "m1 | Sample | p0 = 0.35 p1 = 0.64 w0 = 0.08 w1 = 1.00 | ", rows
    assert rows[3] == "m2 | Sample | p0 = 0.37 p1 = 0.62 | Alignment (28 NEB sites)", rows
    assert len(rows) == 5 and rows[4] == "m3 | Sample | q = 9.3 w = 1.0 | ", rows
    assert [e.type for e in elements if not e.text.startswith("T")] == ["table"]
    elements, _ = assemble(head + body + text, {}, [], rules, W, H, "para")  # no stripes: a printed line a row
    (table,) = [e for e in elements if e.type == "table"]
    assert table.attrs["rows"] > 5


def test_rules_over_a_caption_or_drawn_a_column_at_a_time_over_prose_tell_no_table():
    """A rule over a caption shares the table's rules' extent: the caption between them is prose, so the
    table starts at its own first rule. Rules drawn a column at a time under two tables' heads line up in
    narrow strips whose text runs out over their ends: those strips are no tables."""
    from docsynth.arxiv.figures import drawn_tables

    caption = _spaced("Table 1 Overview of the five phases of the software package".split(), 190, 92, 3, 9.0)
    rules = [((184, 85, 578, 85.5), "hline"), ((184, 122, 578, 122.5), "hline"), ((184, 190, 578, 190.5), "hline")]
    cells = _grid([(193, [f"{r}" for r in range(6)]), (240, [f"Phase{r}" for r in range(6)]), (360, [f"in{r}" for r in range(6)])], 126, 6)
    assert drawn_tables(rules, caption + cells, 10.0) == [(184, 122, 578, 190.5)]
    strips = [((x, y, x + 39, y + 0.5), "hline") for x in (117, 156, 195) for y in (142, 546)]
    prose = [w for r in range(30) for w in _spaced("data on soil characteristics have been obtained from reports".split(), 47, 200 + 11 * r, 3)]
    assert drawn_tables(strips, prose, 10.0) == []


def test_a_table_beside_a_column_is_read_after_the_column_and_a_table_across_columns_whole():
    """A table heads the right column, its rows level with the left column's lines: its narrow first column
    is no line numbering of the left column but the table's own. A table set across both columns under
    them, its rows spanning the gutter, is cut off whole, its caption with it."""
    left = [w for r in range(10) for w in _spaced(f"left column line {r} of running prose".split(), 60, 100 + 11 * r, 4)]
    table = _grid([(320, [f"Set{r}" for r in range(6)]), (420, [f"{100 + r}" for r in range(6)]), (480, [f"{r}" for r in range(6)])], 100, 6, 10.0)
    rules = [((316, 96, 520, 96.5), "hline"), ((316, 164, 520, 164.5), "hline")]
    under = [w for r in range(4) for w in _spaced(f"right column line {r} of prose".split(), 320, 180 + 11 * r, 4)]
    elements, _ = assemble(left + table + under, {}, [], rules, W, H, "para")
    text = " ".join(e.text for e in elements)
    assert text.index("line 9") < text.index("Set0") < text.index("Set5") < text.index("right column line 0"), text
    cols = column(60, 100, 20, "L") + column(320, 100, 20, "R")
    caption = _spaced("Table 3 Coefficient of efficiency".split(), 60, 352, 3, 9.0)  # 14 pt under the columns, 7 over the table
    wide = _grid([(60, [f"Site{r}" for r in range(6)])] + [(150 + 55 * k, [f"0.{k}{r}" for r in range(6)]) for k in range(7)], 368, 6)
    rules = [((56, 364, 540, 364.5), "hline"), ((56, 436, 540, 436.5), "hline")]
    elements, _ = assemble(cols + caption + wide, {}, [], rules, W, H, "para")
    tables = [e for e in elements if e.type == "table"]
    assert len(tables) == 1 and tables[0].attrs["cols"] == 8, [(e.type, e.text[:30]) for e in elements]
    types = [e.type for e in elements]
    assert types[-2:] == ["caption", "table"], types


@pytest.mark.parametrize("gap", [6.0, 2.0])
def test_a_page_number_close_under_the_columns_is_a_foot_and_leaves_the_columns_whole(gap):
    """ACL's page number sits less than a body size under the columns, across the gutter: it is the page's
    foot, not a line that closes the gutter and cuts the page into bands. ACL 2007 sets it 4 pt under them,
    centred: a page number centred under the text needs only a sliver of clear space."""
    cols = [w for r in range(30) for x in (60, 320) for w in _spaced(f"c{x} row{r} of the running text".split(), x, 400 + 12 * r, 4)]
    middle = (min(w.bbox[0] for w in cols) + max(w.bbox[2] for w in cols)) / 2
    folio = [word("1652", middle - 10, 400 + 12 * 29 + 10 + gap)]  # `gap` pt under the last line's foot
    elements, _ = assemble(cols + folio, {}, [], [], W, H, "para")
    text = " ".join(e.text for e in elements)
    assert text.index("c60 row29") < text.index("c320 row0") and text.rstrip().endswith("1652"), text
    assert elements[-1].type == "footer"


def test_the_body_size_is_the_texts_not_that_of_a_page_shown_in_a_figure():
    """A figure showing another paper's page holds more small text than the page has body text: the body
    size is still the text's, so the small text is the figure's labels and the text keeps its headings."""
    shown = [w for r in range(60) for w in _spaced("crowdsourcing provides a scalable way to".split(), 230, 90 + 6 * r, 2, 5.5)]
    image = (82.0, 74.0, 511.0, 460.0)
    text = [w for r in range(6) for w in _spaced(f"line {r} of the text under the figure".split(), 71, 500 + 12 * r, 4)]
    head = [w for w in _spaced("3.2 Interfacing with models".split(), 71, 480, 4, 12.0)]
    elements, _ = assemble(shown + text + head, {}, [image], [], W, H, "para")
    assert [e.type for e in elements] == ["figure", "heading", "para"], [(e.type, e.text[:30]) for e in elements]


@pytest.mark.parametrize("name, bits", [("ABCDEF+CMBX10", BOLD), ("XYZABC+NimbusRomNo9L-Medi", BOLD),  # TeX's Times Bold (URW)
                                        ("NimbusRomNo9L-MediItal", BOLD | ITALIC), ("NimbusRomNo9L-Regu", 0),
                                        ("NimbusRomNo9L-ReguItal", ITALIC), ("Times-BoldItalic", BOLD | ITALIC), ("CMR10", 0),
                                        ("Roboto-Medium", BOLD), ("Digital-7", 0)])  # fmt: skip
def test_font_names_give_style_bits(name, bits):
    from docsynth.arxiv.words import MATH, MONO, font_style

    assert font_style(name)[1] & ~(MATH | MONO) == bits


@pytest.mark.parametrize("name, math", [("ABCDEF+CMMI10", True), ("KVBOBH+MT2MIS", True), ("ICHIRX+MT2SYS", True),  # MathTime Pro 2
                                        ("XACRIZ+MT2SYT", True), ("GNLJAA+MT2MIT", True), ("MTMI", True), ("TXSY", True),
                                        ("NimbusRomNo9L-Regu", False), ("MT2-Sans", False)])  # fmt: skip
def test_math_fonts_are_told_by_name(name, math):
    """TeX's math fonts, MathTime's (N18-3011, s2orc-doc2json's tests, sets its formulas in MathTime Pro 2:
    MT2MIT, MT2SYS, ...) among them; their glyphs count as math in a line's math share."""
    from docsynth.arxiv.words import MATH, font_style

    assert bool(font_style(name)[1] & MATH) == math


def test_a_header_wrapped_above_the_midrule_is_one_row_and_the_rows_under_it_stay_rows():
    """Booktabs: the column heads wrapped over three lines between the top rule and the midrule are one
    header row (a head over three lines is one cell). Under the midrule every text row is a row, those that
    leave the first column empty too (a group's later rows)."""
    rules = [((60, 96, 500, 96.5), "hline"), ((60, 134, 500, 134.5), "hline"), ((60, 200, 500, 200.5), "hline")]
    head = _grid([(200, ["References to"]), (300, ["Linked to"]), (400, ["Academic"])], 100, 1, 9.0)
    head += _grid([(62, ["Corpus"]), (200, ["tables / figures"]), (300, ["graph"]), (400, ["disciplines"])], 111, 1, 9.0)
    head += _grid([(200, ["equations"])], 122, 1, 9.0)
    rows = _grid([(62, ["S2ORC", "", "PubMed"]), (200, ["yes", "no", "yes"]), (300, ["full", "part", "none"]), (400, ["multi", "physics", "bio"])],
                 140, 3, 9.0)  # fmt: skip
    text = column(60, 300, 6, "T")
    elements, _ = assemble(head + rows + text, {}, [], rules, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n") == ["Corpus | References to tables / figures equations | Linked to graph | Academic disciplines",
                                      "S2ORC | yes | full | multi", " | no | part | physics", "PubMed | yes | none | bio"]  # fmt: skip


def test_a_numbered_heading_wrapped_under_its_title_is_one_heading():
    """ "3.1 Representing and manipulating" over "visually-rich documents with magelib", bold, the second
    line under the title's first word: one heading, and the paragraph under it (at the column's edge, not
    bold) is a paragraph."""
    first = _spaced(["3.1"], 71, 545, 8, 11.0) + _spaced("Representing and manipulating".split(), 95, 545, 3, 11.0)
    second = _spaced("visually-rich documents with magelib".split(), 95, 558, 3, 11.0)
    head = [PWord(w.text, w.bbox, w.size, w.font, BOLD) for w in first + second]
    text = [w for r in range(5) for w in _spaced(f"line {r} of the section's first paragraph runs to the column's edge".split(), 71, 576 + 12 * r, 4)]
    elements, _ = assemble(head + text, {}, [], [], W, H, "para")
    assert [(e.type, e.text[:22]) for e in elements] == [("heading", "3.1 Representing and m"), ("para", "line 0 of the section'")]
    assert elements[0].text == "3.1 Representing and manipulating visually-rich documents with magelib"
    long = [PWord(w.text, w.bbox, w.size, w.font, BOLD) for w in _spaced(["3"], 71, 545, 8, 11.0) + _spaced(  # fills the column
        "The LONGEVAL guide for faithful long-form summary".split(), 95, 545, 3, 11.0) + _spaced("evaluation".split(), 95, 558, 3, 11.0)]  # fmt: skip
    assert max(w.bbox[2] for w in long if w.bbox[1] == 545) > max(w.bbox[2] for w in text) - 4 * 11.0  # the first line fills the column
    elements, _ = assemble(long + text, {}, [], [], W, H, "para")
    assert [(e.type, e.text) for e in elements][0] == ("heading", "3 The LONGEVAL guide for faithful long-form summary evaluation")
    keyword = [PWord("repeat", (62, 469, 89, 479), 10.0, "Serif", BOLD)]  # an algorithm's keyword in bold: no heading
    elements, _ = assemble(keyword + text, {}, [], [], W, H, "para")
    assert elements[0].type == "para"


def test_a_page_number_is_a_foot_or_head_though_larger_than_a_page_of_references():
    """On a page of references set at 9 pt, the page number keeps the paper's 11 pt: it is still the
    page's foot (or head), not a heading or a paragraph."""
    refs = [w for r in range(40) for x in (60, 320) for w in _spaced(f"Author{r} and Other. {2000 + r}. A title here.".split(), x, 100 + 15 * r, 3, 9.0)]
    for folio, y, kind in (("4978", 720, "footer"), ("1139", 60, "header")):
        elements, _ = assemble(refs + [word(folio, 290, y, 11.0)], {}, [], [], W, H, "para")
        (e,) = [e for e in elements if e.text == folio]
        assert e.type == kind, (folio, e.type)


def test_cells_wrapped_in_touching_lines_are_one_row_where_rows_stand_apart():
    """No rule between rows: the lines of a wrapped cell touch, rows stand 10 pt apart. The touching lines
    that fill fewer cells are the row's wrapped cells. Whole rows grouped by wider space keep every row."""
    rows = [(["Barrier", "Description", "Readers"], []),
            (["Unfamiliar", "Encountering technical jargon", "T1-3"], ["terminology", "from medicine"]),
            (["Dense text", "Facing sections of dense", "T1-8"], ["", "text and jargon"]),
            (["Trust", "Judging the findings", "T4"], [])]  # fmt: skip
    words, y = [], 100
    for first, more in rows:
        words += _grid([(62, [first[0]]), (150, [first[1]]), (330, [first[2]])], y, 1, 9.0)
        if more:
            words += _grid([(x, [t]) for x, t in zip((62, 150), more) if t], y + 9, 1, 9.0)
        y += 9 * (1 + bool(more)) + 10
    elements, _ = assemble(words + column(60, 300, 6, "T"), {}, [], [], W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n") == ["Barrier | Description | Readers", "Unfamiliar terminology | Encountering technical jargon from medicine | T1-3",
                                      "Dense text | Facing sections of dense text and jargon | T1-8", "Trust | Judging the findings | T4"]  # fmt: skip
    groups = [w for g in range(3) for r in range(3) for w in _grid([(62, [f"Model{g}{r}"]), (150, [f"{50 + r}.{g}"]), (330, [f"{60 + r}.{g}"])],
                                                                     100 + 40 * g + 9 * r, 1, 9.0)]  # fmt: skip
    elements, _ = assemble(groups + column(60, 300, 6, "T"), {}, [], [], W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.attrs["rows"] == 9, table.text


def _prose_cell_rows(lines, x, y, width):
    """Justified lines of prose (`lines`: words per line, of 4 to 7 letters) set in a cell `width` points wide
    from y down."""
    words = []
    for k, n in enumerate(lines):
        texts = ["answering"[: 4 + (3 * j + 5 * k + int(x)) % 4] for j in range(n)]  # spaces that line up with no other line
        widths = [3.2 * len(t) for t in texts]
        gap = (width - sum(widths)) / max(n - 1, 1) if k < len(lines) - 1 else 3.0  # the last line ragged
        at = x
        for t, w in zip(texts, widths):
            words.append(PWord(t, (at, y + 10 * k, at + w, y + 10 * k + 9), 9.0, "Serif", 0))
            at += w + gap
    return words


def test_a_table_of_prose_cells_between_rules_is_read_row_by_row():
    """A questionnaire's table (EACL): a head row, then three rows between full-width rules, each a question's
    paragraph in the left cell beside a paragraph of answers in the right, every line of both justified.
    It is one table of four rows and two columns, each cell one paragraph (it had been read column by
    column, 221 pairs out of order), though a stretched space in one left line lines up like a column gap.
    The same rules around two columns of a page's prose, one band between them, are no table."""
    words = [PWord("Question", (80, 76, 120, 85), 9.0, "Serif", BOLD), PWord("Response", (206, 76, 246, 85), 9.0, "Serif", BOLD)]
    rules, y = [72.0, 88.0], 92.0
    for n_left, n_right in ((4, 8), (5, 6), (4, 7)):
        n = max(n_left, n_right)
        words += _prose_cell_rows([5] * (n_left - 1) + [3], 80, y, 115) + _prose_cell_rows([14] * (n_right - 1) + [6], 206, y, 310)
        y += 10 * n + 6
        rules.append(y - 3)
    hlines = [((74.0, r, 521.0, r + 0.5), "hline") for r in rules]
    elements, _ = assemble(words + column(60, 420, 8, "P"), {}, [], hlines, W, H, "para")
    tables = [e for e in elements if e.type == "table"]
    assert len(tables) == 1, [(e.type, e.text[:40]) for e in elements]
    table = tables[0]
    assert (table.attrs["rows"], table.attrs["cols"]) == (4, 2)
    cells = {(c["row"], c["col"]): c["text"] for c in table.attrs["cells"]}
    assert cells[(0, 0)] == "Question" and cells[(0, 1)] == "Response"
    left = [w.text for w in words if 80 <= w.bbox[0] < 200 and 92 <= w.bbox[1] < rules[2]]
    assert cells[(1, 0)] == " ".join(left)
    # two columns of a page's prose between a running head's rule and a foot's rule: one band, no table
    page = _prose_cell_rows([10] * 40, 60, 100, 227) + _prose_cell_rows([10] * 40, 305, 100, 227)
    elements, _ = assemble(page, {}, [], [((56.0, 92.0, 556.0, 92.5), "hline"), ((56.0, 590.0, 556.0, 590.5), "hline")], W, H, "para")
    assert not [e for e in elements if e.type == "table"]


def _grid_head():
    """The head row of the ruled results tables below (five columns between rules at `_grid_lines`)."""
    return [word(t, x, 80) for t, x in (("Algorithm", 60), ("Set", 140), ("Features", 200), ("Count", 280), ("Score", 340))]


def _grid_lines(top, bottom):
    return [((x, top, x + 0.4, bottom), "vline") for x in (56.0, 130.0, 190.0, 270.0, 330.0, 420.0)]


def _grid_rows(words, paths):
    """The one table's text rows."""
    elements, _ = assemble(words, {}, [], paths, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    return table.text.split("\n")


def test_rows_beside_a_label_spanning_them_stay_rows_in_a_ruled_table():
    """A grid table ruled between its rows but for one group of rows whose number is set once, level with
    its middle row (`\\multirow`): every text row of the group fills every column but the first, so each
    is a row of the table (as wrapped cells between two rules, they had been merged into one row). The
    label opens the group's first row, spanning its three rows, as `\\multirow` sets it in the stream
    (dyer12 p6 in science-parse's tests: read level with the middle row, 18 pairs were out of order)."""
    words, hlines, y = _grid_head(), [], 96.0
    hlines.append(((56.0, 94.0, 420.0, 94.4), "hline"))
    rows = [("", "default", "12", "25.88"), ("1", "+id", "137k", "25.53"), ("", "+ng", "29k", "25.82")]
    rows += [(str(k), "+shape", "51", "25.91") for k in (2, 3, 4, 5)]
    for k, (label, feat, n, score) in enumerate(rows):
        words += [word("dev", 140, y), word(feat, 200, y), word(n, 280, y), word(score, 340, y)] + ([word(label, 80, y)] if label else [])
        y += 14
        if k >= 2:  # the group's rows share one cell of the first column: no rule between them
            hlines.append(((56.0, y - 2.0, 420.0, y - 1.6), "hline"))
    vlines = _grid_lines(94.0, y - 1.6)
    rows = _grid_rows(words, hlines + vlines)
    assert len(rows) == 8, rows
    assert rows[1:4] == ["1 | dev | default | 12 | 25.88", " | dev | +id | 137k | 25.53", " | dev | +ng | 29k | 25.82"]
    elements, _ = assemble(words, {}, [], hlines + vlines, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert [(c["row"], c["rowspan"]) for c in table.attrs["cells"] if c["text"] == "1"] == [(1, 3)]
    # a group of two rows: its label centred between them, level with neither
    label = next(w for w in words if w.text == "1")
    two = [w for w in words if w is not label and not (96.0 + 28 <= w.bbox[1] < 96.0 + 42)]  # the group's third row gone
    two.append(word("1", 80, 96.0 + 7))
    hl = [h for h in hlines if h[0][1] > 96.0 + 35] + [((56.0, 94.0, 420.0, 94.4), "hline")]
    rows = _grid_rows(two, hl + vlines)
    assert rows[1:3] in ([" | dev | default | 12 | 25.88", "1 | dev | +id | 137k | 25.53"],
                         ["1 | dev | default | 12 | 25.88", " | dev | +id | 137k | 25.53"]), rows


def test_rows_of_figures_beside_a_label_level_with_the_first_stay_rows_in_a_ruled_table():
    """roark13 p5 (science-parse's tests): a grid table ruled between groups of two rows, each group's label
    set once, level with its first row (a top-aligned `\\multirow`). The second row leaves the first column
    empty, as a cell wrapped onto the next line does, and both rows were one row whose cells held two figures
    each ("76.0 80.3"). Rows of figures in every column but the first are rows; a second line of words in
    those columns is still the row's wrapped cells."""
    def table(second):
        words, hlines, y = _grid_head(), [((56.0, 94.0, 420.0, 94.4), "hline")], 96.0
        for group, label in enumerate(("Supervised", "Hybrid")):
            for k, cells in enumerate((("dev", "0.25", "76.0", f"8{group}.5"), second)):
                words += [word(t, x, y) for t, x in zip(cells, (140, 200, 280, 340))] + ([word(label, 60, y)] if k == 0 else [])
                y += 12
            hlines.append(((56.0, y - 1.0, 420.0, y - 0.6), "hline"))
        return _grid_rows(words, hlines + _grid_lines(94.0, y - 0.6))

    rows = table(("test", "0.50", "80.3", "N/A"))
    assert rows[1:] == ["Supervised | dev | 0.25 | 76.0 | 80.5", " | test | 0.50 | 80.3 | N/A",
                        "Hybrid | dev | 0.25 | 76.0 | 81.5", " | test | 0.50 | 80.3 | N/A"], rows  # fmt: skip
    rows = table(("set", "features", "only", "pruned"))  # the same cells wrapped onto a second line
    assert rows[1:] == ["Supervised | dev set | 0.25 features | 76.0 only | 80.5 pruned",
                        "Hybrid | dev set | 0.25 features | 76.0 only | 81.5 pruned"], rows  # fmt: skip


def test_a_table_ruled_between_its_entries_reads_a_wrapped_sentence_as_one_cell():
    """fader11 p1 (science-parse's tests): a table of examples with a rule between entries and no rule
    between columns. Each entry's sentence wraps onto a second or third line, with the other column empty
    there. Counting a cell's wrapped lines as rows, the table was not ruled between most of its rows, so
    each printed line became a row ("and omits sites." a row of its own). Rows between the same two rules
    are one row."""
    entries = [("The guide has dead links", "and omits sites.", "has omits"),
               ("The Mark 14 was central", "to the scandal.", "was central"),
               ("They recalled that he", "began a career.", "recalled began")]  # fmt: skip
    words = _spaced("Sentence".split(), 80, 80, 4) + _spaced("Incoherent Relation".split(), 300, 80, 4)
    hlines, y = [((70.0, 76.0, 420.0, 76.4), "hline"), ((70.0, 92.0, 420.0, 92.4), "hline")], 96.0
    for first, rest, relation in entries:
        words += _spaced(first.split(), 80, y, 4) + _spaced(relation.split(), 300, y, 4) + _spaced(rest.split(), 80, y + 11, 4)
        y += 26
        hlines.append(((70.0, y - 3.0, 420.0, y - 2.6), "hline"))
    text = [w for r in range(6) for w in _spaced([f"T{r}w{k}" for k in range(8)], 80, 420 + 12 * r, 4)]
    elements, _ = assemble(words + text, {}, [], hlines, W, H, "para")
    (table,) = [e for e in elements if e.type == "table"]
    assert table.text.split("\n") == ["Sentence | Incoherent Relation", "The guide has dead links and omits sites. | has omits",
                                      "The Mark 14 was central to the scandal. | was central",
                                      "They recalled that he began a career. | recalled began"], table.text  # fmt: skip


def test_double_rules_between_groups_do_not_make_a_table_ruled_between_its_rows():
    """Groups of rows between double rules (two lines 2 pt apart, `\\hline\\hline`), rows leaving the first
    column and a count empty: two lines are one rule, so the table is ruled between its groups, not between
    most rows, and each text row stays a row (counted twice, the rules had merged each group into one row)."""
    words, hlines, y = _grid_head(), [], 96.0
    for top in (93.0, 95.0):
        hlines.append(((56.0, top, 420.0, top + 0.4), "hline"))
    for group in (1, 2, 3):
        for k, (feat, n, score) in enumerate((("default", "12", "25.88"), ("+id", "", "25.53"), ("+ng", "", "25.82"))):
            words += [word("dev", 140, y), word(feat, 200, y), word(score, 340, y)] + ([word(n, 280, y)] if n else [])
            if k == 0:
                words.append(word(str(group), 80, y))
            y += 14
        for bottom in (y - 3.0, y - 1.0):
            hlines.append(((56.0, bottom, 420.0, bottom + 0.4), "hline"))
        y += 2
    rows = _grid_rows(words, hlines + _grid_lines(93.0, y - 1.0))
    assert len(rows) == 10, rows
    assert rows[1:4] == ["1 | dev | default | 12 | 25.88", " | dev | +id |  | 25.53", " | dev | +ng |  | 25.82"]


def test_formulas_pasted_in_as_glyph_sized_images_leave_their_lines_text():
    """Word's equations exported as pictures: each symbol a small image inline in the lines of a paragraph.
    Clustered, they span several lines and held the prose between them as a figure's labels; images no
    larger than a few body sizes among lines covering the cluster are formulas in text. A photo among
    the same lines is still a figure."""
    symbols = [(70.0 + 15 * r + 7 * k, 100.0 + 12 * r + 1, 75.0 + 15 * r + 7 * k, 100.0 + 12 * r + 9) for r in range(8) for k in range(4)]
    words = [w for w in column(60, 100, 8, "P") if not any(w.bbox[0] < s[2] + 2 and s[0] - 2 < w.bbox[2] and w.bbox[1] < s[3] and s[1] < w.bbox[3]
                                                           for s in symbols)]  # fmt: skip
    elements, _ = assemble(words, {}, symbols, [], W, H, "para")
    assert not [e for e in elements if e.type == "figure"], [(e.type, e.bbox) for e in elements]
    assert sum(len(e.lines) for e in elements if e.type == "para") == 8
    photo = [(330.0, 100.0, 480.0, 190.0)]
    elements, _ = assemble(words, {}, photo, [], W, H, "para")
    assert [e.type for e in elements].count("figure") == 1


def test_two_plots_side_by_side_each_over_its_caption_stay_two_figures():
    """A plot at the top of each column, each with its own caption under it, 14 pt apart over the gutter,
    the right one's axis title running up and its tick labels between them: two figures (merged into one
    across the gutter, they made the page's columns one band: each caption, then both columns' text in
    bands), and the title and ticks are the right plot's, the nearer one."""
    from docsynth.arxiv.geometry import apply_box
    from docsynth.arxiv.words import TO_FRAME

    def plot(x0, x1):
        return [((x0, 80.0, x1, 80.4), "hline"), ((x0, 80.0, x0 + 0.4, 220.0), "vline"), ((x0 + 10, 90.0, x1 - 10, 210.0), "curve")]

    title = PWord("Precision", apply_box(TO_FRAME[270], (312.0, 120.0, 318.0, 150.0)), 6.0, "Sans", 0)
    captions = _spaced("Figure 4: Ours is higher in precision".split(), 60, 230, 4) + _spaced("Figure 5: Recall of the systems".split(), 319, 230, 4)
    text = _prose_cell_rows([10] * 20, 60, 260, 245) + _prose_cell_rows([9] * 20, 319, 260, 226)
    ticks = [PWord(t, (313.0, y, 318.0, y + 6.0), 6.0, "Sans", 0) for t, y in (("0.8", 160.0), ("0.6", 180.0))]
    elements, _ = assemble(captions + text + ticks, {270: [title]}, [], plot(60, 305) + plot(319, 545), W, H, "para")
    figures = [e for e in elements if e.type == "figure"]
    assert len(figures) == 2, [(e.type, e.bbox) for e in elements]
    assert figures[1].lines[-1].text == "Precision" and figures[0].bbox[2] < 312
    order = [e.bbox[0] < 310 for e in elements]  # left column (its figure, caption and text), then right
    assert order == sorted(order, reverse=True), [(e.type, e.bbox) for e in elements]
