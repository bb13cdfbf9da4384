"""Both backends land every box on the displayed page, for every rotation, cropbox and mediabox offset."""

from __future__ import annotations

import itertools

import pymupdf
import pytest

from docsynth.arxiv.backends import MupdfBackend, PlumberBackend
from docsynth.arxiv.geometry import PageFrame, apply_box, iou, mat_inv, mat_mul
from docsynth.arxiv.words import TO_FRAME

CASES = list(itertools.product([0, 90, 180, 270], [None, (50, 80, 500, 700)], [None, (-30, 40, 600, 780)]))


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    doc = pymupdf.open()
    for rot, crop, media in CASES:
        page = doc.new_page(width=612, height=792)
        page.insert_text((100, 200), "Hello world", fontsize=12)
        page.draw_rect(pymupdf.Rect(300, 400, 400, 450), color=(0, 0, 0), fill=(1, 0, 0))
        if media:
            page.set_mediabox(pymupdf.Rect(*media))
        if crop:
            page.set_cropbox(pymupdf.Rect(*crop))
        page.set_rotation(rot)
    path = tmp_path_factory.mktemp("geom") / "frames.pdf"
    doc.save(path)
    return path


def shown(raw) -> list[tuple[str, tuple]]:
    """(text, display box) of every word, rotated text turned back from its reading frame."""
    out = [(w.text, w.bbox) for w in raw.words]
    for angle, ws in raw.rotated.items():
        out += [(w.text, apply_box(mat_inv(TO_FRAME[angle]), w.bbox)) for w in ws]
    return out


@pytest.mark.parametrize("i", range(len(CASES)))
def test_backends_agree_with_mupdf_display_space(pdf, i):
    page = pymupdf.open(pdf)[i]
    want = [pymupdf.Rect(w[:4]) * page.rotation_matrix for w in page.get_text("words")]
    rect = pymupdf.Rect(page.get_drawings()[0]["rect"]) * page.rotation_matrix
    for backend in (PlumberBackend(str(pdf)), MupdfBackend(str(pdf))):
        raw = backend.page(i)
        assert (raw.width, raw.height) == pytest.approx((page.rect.width, page.rect.height))
        got = shown(raw)
        assert [t for t, _ in got] == ["Hello", "world"]
        for (_, b), r in zip(got, want):  # along the text the boxes agree; across it ours are one font size high
            along = (0, 2) if r.width > r.height else (1, 3)
            assert [b[k] for k in along] == pytest.approx([r[k] for k in along], abs=0.05)
            assert iou(b, tuple(r)) > 0.6
        assert any(iou(p, tuple(rect)) > 0.99 for p, _ in raw.paths)


def test_plumber_and_mupdf_give_identical_glyph_boxes(pdf):
    for i in range(len(CASES)):
        a, b = shown(PlumberBackend(str(pdf)).page(i)), shown(MupdfBackend(str(pdf)).page(i))
        assert [t for t, _ in a] == [t for t, _ in b]
        for (_, x), (_, y) in zip(a, b):
            assert x == pytest.approx(y, abs=0.05)


def test_matrix_helpers():
    m = (0.0, 1.0, -1.0, 0.0, 10.0, 20.0)
    assert mat_mul(m, mat_inv(m)) == pytest.approx((1, 0, 0, 1, 0, 0))
    assert apply_box(m, (0, 0, 2, 1)) == pytest.approx((9, 20, 10, 22))
    f = PageFrame.from_boxes((0, 0, 612, 792), (50, 92, 500, 712), 270)
    assert (f.width, f.height) == (620, 450)
