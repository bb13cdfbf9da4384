"""The real-paper benchmark's line scorers: what they count as one line decides a reported figure."""

import importlib.util
from pathlib import Path

import pytest

from docsynth.arxiv.agreement import match_lines

_SPEC = importlib.util.spec_from_file_location("arxiv_real", Path(__file__).parents[2] / "bench" / "arxiv_real.py")


@pytest.fixture(scope="module")
def bench():
    mod = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(mod)
    return mod


def _score(bench, ours, ref):
    m = match_lines(ours, ref)
    return len(m.pairs), bench.split_rows(ours, ref, m.pairs)


def test_a_justified_line_poppler_splits_at_a_stretched_space_counts_once(bench):
    ours = [(58, 90, 295, 98), (58, 100, 295, 108)]
    ref = [(58, 90, 170, 98), (180, 90, 295, 98), (58, 100, 295, 108)]  # first row split in two halves
    assert _score(bench, ours, ref) == (1, (1, 2))


def test_a_row_we_split_and_poppler_prints_whole_counts_too(bench):
    ours = [(88, 489, 126, 498), (136, 489, 167, 498)]  # "subject to" | "Az >= b"
    ref = [(88, 489, 167, 498)]
    assert _score(bench, ours, ref) == (0, (2, 1))


def test_pieces_that_cover_only_part_of_a_line_do_not_match(bench):
    ours = [(50, 90, 300, 98)]
    ref = [(50, 90, 70, 98), (80, 90, 100, 98)]  # two words of a long line: union IoU < 0.5
    assert _score(bench, ours, ref) == (0, (0, 0))


def test_lines_on_another_row_are_never_pieces(bench):
    ours = [(58, 90, 295, 98)]
    ref = [(58, 100, 148, 108), (162, 100, 295, 108)]
    assert _score(bench, ours, ref) == (0, (0, 0))


def test_overlapping_pieces_are_not_a_split_row(bench):
    """Invisible text stacked over a printed line (poppler prints it) is not the line split in two."""
    ours = [(58, 90, 295, 98)]
    ref = [(58, 88, 170, 100), (160, 88, 295, 100)]  # each under IoU 0.5 alone, together 0.67
    assert _score(bench, ours, ref) == (0, (0, 0))


def test_entries_whole_counts_hanging_entries_not_numbered_headings(bench):
    """A numbered entry is a labelled line with a line of its height indented under it; it is whole
    when one element starting with its label holds both and no other entry."""
    from types import SimpleNamespace

    ref = [("1. Introduction", (50, 80, 130, 92)),  # a heading: short, and taller than the line under it
           ("Maximum flow algorithms are the foundation", (62, 96, 290, 106)),
           ("[1] A. Author and B. Author. A title of", (50, 120, 280, 128)),
           ("the paper. In Proc., 2001.", (66, 129, 200, 137)),
           ("[2] C. Author. Another title, and a", (50, 140, 282, 148)),
           ("long one. Journal, 2002.", (66, 149, 190, 157))]  # fmt: skip

    def page(*elements):
        return SimpleNamespace(elements=[SimpleNamespace(bbox=b, text=t) for t, b in elements])

    whole = page(("[1] A. Author …", (50, 120, 280, 137)), ("[2] C. Author …", (50, 140, 282, 157)))
    assert bench.entries_whole(whole, ref) == (2, 2)
    split = page(("[1] A. Author …", (50, 120, 280, 128)), ("the paper …", (66, 129, 200, 137)),
                 ("[2] C. Author …", (50, 140, 282, 157)))  # fmt: skip
    assert bench.entries_whole(split, ref) == (2, 1)
    glued = page(("[1] A. Author … [2] C. Author …", (50, 120, 282, 157)))
    assert bench.entries_whole(glued, ref) == (2, 0)


def test_page_furniture_has_no_reading_order_and_a_figure_of_small_text_sets_no_body_height(bench):
    """A stamped page number comes first in the stream and last in our order: it is left out of tau. A
    figure showing a page of small text holds more lines than the body: the body height that tells
    swallowed prose is still the text's, so the figure's own lines are not prose swallowed."""
    from types import SimpleNamespace

    body = [(f"body line {k} of the running text here", (60, 400 + 12 * k, 290, 410 + 12 * k)) for k in range(6)]
    small = [(f"small line {k} of a shown page here", (100, 100 + 6 * k, 250, 105 + 6 * k)) for k in range(12)]
    folio = ("1652", (288, 760, 310, 770))
    line = lambda t, b: SimpleNamespace(text=t, bbox=b)  # noqa: E731
    page = SimpleNamespace(width=612.0, height=792.0, elements=[
        SimpleNamespace(type="figure", bbox=(90, 95, 260, 180), lines=[line(*s) for s in small], text=""),
        SimpleNamespace(type="para", bbox=(60, 400, 290, 470), lines=[line(*b) for b in body], text=""),
        SimpleNamespace(type="footer", bbox=folio[1], lines=[line(*folio)], text="1652")])  # fmt: skip
    raw = [folio] + [(w, b) for t, b in body for w in t.split()]
    res = bench.score_page(page, small + body + [folio], raw, pdftex=True)
    assert res["swallowed"] == 0 and res["tau"] == 1.0, res
