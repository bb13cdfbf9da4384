"""OCR alignment measured with real Tesseract on rendered fixture pages (skipped without Tesseract)."""

from __future__ import annotations

import shutil
import statistics

import pymupdf
import pytest
from arxiv_helpers import extract

from docsynth.arxiv.align import align
from docsynth.arxiv.backends import PlumberBackend
from docsynth.arxiv.ocr import OcrPage, parse_alto, parse_hocr, to_points
from docsynth.arxiv.words import PWord

pytesseract = pytest.importorskip("pytesseract")
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is not installed")


@pytest.fixture(scope="module")
def pages(fx, tmp_path_factory):
    """Page 0 of the one- and the two-column fixture through `--ocr tesseract`."""
    two = tmp_path_factory.mktemp("tess") / "two_column_p0.pdf"
    with pymupdf.open(fx["two_column"]) as doc:
        doc.select([0])
        doc.save(two)
    out = []
    for path in (fx["one_column"], two):
        got, ctx = extract(path, ocr="tesseract", page_timeout_s=120)
        assert not ctx.drops
        out += got
    return out


def test_tesseract_words_align_with_the_text_layer(pages):
    ocr = sum(p.meta["ocr_words"] for p in pages)
    matched = sum(p.meta["matched"] for p in pages)
    seq = sum(p.meta["matched_sequence"] for p in pages)
    print(f"\ntesseract: {matched}/{ocr} OCR words matched ({seq} by the sequence passes), "
          f"median IoU per page {[p.meta['median_iou'] for p in pages]}, scores {[p.meta['alignment_score'] for p in pages]}")
    assert seq / ocr >= 0.95
    assert all(p.meta["median_iou"] >= 0.7 and p.meta["alignment_score"] >= 0.95 for p in pages)
    assert all(e.attrs.get("ocr") for p in pages for e in p.elements if not e.is_image)


def test_ink_boxes_too(fx):
    """The same measure with Tesseract's raw ink boxes (before line-height normalization), reported for reference."""
    page = pymupdf.open(fx["one_column"])[0]
    from docsynth.arxiv.tesseract import run_tesseract

    ocr = run_tesseract(page, 300)
    sx, sy = 612 / ocr.width, 792 / ocr.height
    ink = [PWord(w.text, (w.bbox[0] * sx, w.bbox[1] * sy, w.bbox[2] * sx, w.bbox[3] * sy), 10.0, "", 0) for w in ocr.words]
    al = align(PlumberBackend(str(fx["one_column"])).page(0).words, ink)
    ink_iou = statistics.median(al.ious)
    norm_iou = statistics.median(align(PlumberBackend(str(fx["one_column"])).page(0).words, to_points(ocr, 612, 792)).ious)
    print(f"\nmedian IoU: raw ink boxes {ink_iou:.3f}, line-height boxes {norm_iou:.3f}")
    assert len(al.pairs) / len(ink) >= 0.95 and norm_iou > ink_iou > 0.5


def test_real_tesseract_hocr_and_alto_parse(fx):
    """Tesseract's own hOCR and ALTO for a strip of a page read back as the same words as its TSV."""
    page = pymupdf.open(fx["one_column"])[0]
    pix = page.get_pixmap(dpi=200, clip=pymupdf.Rect(0, 0, 612, 240), colorspace=pymupdf.csGRAY)
    from PIL import Image

    img = Image.frombytes("L", (pix.w, pix.h), pix.samples)
    data = pytesseract.image_to_data(img, output_type=pytesseract.Output.DICT)
    tsv = [t.strip() for t, lvl in zip(data["text"], data["level"]) if lvl == 5 and t.strip()]
    hocr = parse_hocr(pytesseract.image_to_pdf_or_hocr(img, extension="hocr").decode())
    alto = parse_alto(pytesseract.image_to_alto_xml(img))
    for pages in (hocr, alto):
        (p,) = pages.values()
        assert isinstance(p, OcrPage) and (p.width, p.height) == (pix.w, pix.h)
        assert [w.text for w in p.words] == tsv
