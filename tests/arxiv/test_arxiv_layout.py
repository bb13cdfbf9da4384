"""Reading order, lines, paragraphs and figures on hand-made word sets."""

from __future__ import annotations

from docsynth.arxiv.assemble import assemble
from docsynth.arxiv.figures import find_figures
from docsynth.arxiv.layout import fragments, reading_order
from docsynth.arxiv.paragraphs import join_text
from docsynth.arxiv.words import BOLD, MATH_CHARS, PWord, build_words

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
