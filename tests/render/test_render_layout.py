"""Setting and flowing: alignment, column and page breaks, figures."""

import numpy as np
import pytest

from docsynth.config import LayoutConfig
from docsynth.render.layout import FigureBlock, TextBlock, flow, set_paragraph
from docsynth.render.metrics import metrics_for
from docsynth.render.segment import pieces
from docsynth.render.style import DocStyle, ParaStyle, draw_doc_style

TEXT = ("The quick brown fox jumps over the lazy dog while the committee deliberates at length about "
        "nothing in particular, and a rather extraordinarily long word appears: Donaudampfschifffahrt.")  # fmt: skip


@pytest.fixture(scope="module")
def face(pool):
    return pool.pick(np.random.default_rng(0), "abcdefghijklmnopqrstuvwxyz", family=pool.families()[0])


def _style(face, align="left", size=10.0):
    return ParaStyle("para", face, size, (0, 0, 0), align, 1.2)


def _doc(columns=1, height=300.0):
    return DocStyle("a5", False, 300.0, height, (20.0, 20.0, 20.0, 20.0), columns, 10.0, "left", 10.0, 1.2, 0.5, (0, 0, 0))


@pytest.mark.parametrize("align", ["left", "right", "center", "justify"])
def test_alignment_places_lines_in_the_column(pool, face, align):
    width = 150.0
    lines = set_paragraph(pieces(TEXT), _style(face, align), metrics_for(face, pool), width)
    assert len(lines) > 2
    for k, ln in enumerate(lines):
        x0, x1 = ln.words[0][1], ln.words[-1][2]
        assert -1e-6 <= x0 and x1 <= width + 1e-6
        last = k == len(lines) - 1
        if align == "right":
            assert x1 == pytest.approx(width, abs=1e-6)
        if align == "justify" and not last and len(ln.words) > 1:  # flush, unless its gaps would grow > 2 ems
            assert x1 == pytest.approx(width, abs=1e-6) or (width - x1) / (len(ln.words) - 1) > 2 * 10.0
        if align == "center":
            assert x0 == pytest.approx(width - x1, abs=1e-6)
        if align in ("left", "justify"):
            assert x0 == 0.0
    assert " ".join(ln.text for ln in lines) == TEXT


def test_a_word_wider_than_the_column_is_cut_at_characters(pool, face):
    lines = set_paragraph(pieces("Donaudampfschifffahrtsgesellschaft"), _style(face), metrics_for(face, pool), 40.0)
    assert len(lines) > 2 and all(not ln.space_after for ln in lines[:-1])
    assert "".join(ln.text for ln in lines) == "Donaudampfschifffahrtsgesellschaft"
    assert all(ln.words[0][2] <= 40.0 + 1e-6 for ln in lines)


def test_paragraphs_flow_across_columns_and_pages(pool, face):
    st = _style(face)
    blocks = [TextBlock(i, st, set_paragraph(pieces(TEXT), st, metrics_for(face, pool), _doc(2).column_width))
              for i in range(8)]  # fmt: skip
    pages = flow(_doc(2), blocks)
    assert len(pages) >= 2
    parts: dict[int, list] = {}
    for page in pages:
        for el in page.elements:
            parts.setdefault(el.attrs["paragraph"], []).append(el)
            assert 20.0 - 1e-6 <= el.bbox[1] and el.bbox[3] <= 280.0 + 1e-6  # inside the margins
    assert any(len(p) > 1 for p in parts.values())  # some paragraph was split
    for p in parts.values():
        assert [el.attrs["part"] for el in p] == list(range(len(p)))
        assert [el.attrs["continues"] for el in p] == [True] * (len(p) - 1) + [False]
        assert " ".join(el.text for el in p) == TEXT


def test_a_heading_stays_with_the_next_paragraph(pool, face):
    body, head = _style(face), ParaStyle("heading", face, 16.0, (0, 0, 0), "left", 1.1)
    para = set_paragraph(pieces(TEXT), body, metrics_for(face, pool), 260.0)
    heading = set_paragraph(pieces("A Heading"), head, metrics_for(face, pool), 260.0)
    # fill the page so that the heading fits at its bottom but the next line would not
    filler = [TextBlock(0, body, para)] * 4
    pages = flow(_doc(1, height=250.0), filler + [TextBlock(9, head, heading), TextBlock(10, body, para)])
    for page in pages:
        kinds = [el.type for el in page.elements]
        assert kinds[-1] != "heading"


def test_figures_fit_their_column(pool, face):
    st = _style(face)
    para = set_paragraph(pieces(TEXT), st, metrics_for(face, pool), _doc().column_width)
    blocks = [TextBlock(0, st, para), FigureBlock("bar", 1.0, 0.8, 0), TextBlock(1, st, para), FigureBlock("shapes", 0.6, 2.0, 1)]
    pages = flow(_doc(), blocks)
    figs = [(p, el) for p in pages for el in p.elements if el.type == "figure"]
    assert len(figs) == 2 and sum(len(p.figures) for p in pages) == 2
    for page, el in figs:
        x0, y0, x1, y1 = el.bbox
        assert 20.0 - 1e-6 <= x0 < x1 <= 280.0 + 1e-6 and 20.0 - 1e-6 <= y0 < y1 <= 280.0 + 1e-6
        for other in page.elements:
            if other is not el:  # no overlap with text
                assert other.bbox[3] <= y0 + 1e-6 or other.bbox[1] >= y1 - 1e-6


def test_doc_style_respects_the_config():
    cfg = LayoutConfig(page_sizes=("a5",), columns=(3, 3), font_size=(12.0, 12.0), margins=(60.0, 60.0), landscape_prob=1.0)
    for seed in range(20):
        st = draw_doc_style(np.random.default_rng(seed), cfg)
        assert (st.width, st.height) == (595.0, 420.0) and st.landscape and st.size == 12.0
        assert st.columns <= 3 and (st.columns == 1 or st.column_width >= 12 * st.size)
