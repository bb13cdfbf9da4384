"""Agreement with an independent extractor (poppler's pdftotext -bbox-layout) and between our two backends."""

from __future__ import annotations

import pytest
from arxiv_helpers import GOOD, extract

from docsynth.arxiv.agreement import (backend_agreement, char_agreement, compare_lines, match_lines, page_lines,
                                      pdftotext_available, pdftotext_lines)  # fmt: skip


@pytest.mark.skipif(not pdftotext_available(), reason="poppler's pdftotext is not installed")
@pytest.mark.parametrize("backend", ["pdfplumber", "pymupdf"])
def test_lines_agree_with_pdftotext(fx, backend):
    matched = pred = ref = 0
    text_w = text_n = 0.0
    for name in GOOD:
        pages, _ = extract(fx[name], backend)
        poppler = pdftotext_lines(fx[name])
        assert len(poppler) == len(pages)
        for page, theirs in zip(pages, poppler):
            r = compare_lines(page_lines(page), theirs, thr=0.5)
            assert r["f1"] >= 0.95, (name, page.page, r)
            assert r["text_matched"] >= 0.99, (name, page.page, r)
            matched += round(r["precision"] * r["lines_pred"])
            pred, ref = pred + r["lines_pred"], ref + r["lines_ref"]
            text_w, text_n = text_w + r["text_matched"] * r["lines_ref"], text_n + r["lines_ref"]
    f1 = 2 * matched / (pred + ref)
    print(f"\n{backend} vs pdftotext: {pred} lines vs {ref}, F1 {f1:.4f} at IoU >= 0.5, text {text_w / text_n:.4f}")
    assert f1 >= 0.95 and text_w / text_n >= 0.99


def test_backends_agree(fx):
    a = [p for n in GOOD for p in extract(fx[n], "pdfplumber")[0]]
    b = [p for n in GOOD for p in extract(fx[n], "pymupdf")[0]]
    r = backend_agreement(a, b)
    print(f"\nbackend agreement on {r['pages_both']} fixture pages: {r}")
    assert r["pages_both"] == len(a) == len(b)
    assert r["same_elements"] == len(a) and r["line_f1"] == 1.0 and r["median_line_iou"] > 0.99 and r["text"] == 1.0


def test_line_matching_is_one_to_one():
    boxes = [(0, 0, 10, 10), (0, 0, 10, 10)]
    m = match_lines(boxes, [(0, 0, 10, 10)])
    assert len(m.pairs) == 1 and m.precision == 0.5 and m.recall == 1.0
    assert match_lines([(0, 0, 10, 10)], [(6, 0, 16, 10)]).f1 == 0.0  # IoU 0.25 < 0.5


def test_char_agreement_counts_edits():
    assert char_agreement("hello world", "hello world") == 1.0
    assert char_agreement("hallo world", "hello world") == pytest.approx(1 - 1 / 11)
    assert char_agreement("", "abc") == 0.0 and char_agreement("", "") == 1.0
