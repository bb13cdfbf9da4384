"""OCR in three file forms, read, mapped to points, aligned with the text layer or used alone for scans."""

from __future__ import annotations

import json

import pytest
from arxiv_helpers import OCR_DPI, extract, ocr_from_pdf

from docsynth.arxiv.agreement import char_agreement
from docsynth.arxiv.align import align, norm_token
from docsynth.arxiv.ocr import (OcrFiles, OcrPage, OcrWord, parse_alto, parse_hocr, parse_jsonl, to_points, write_alto,
                                write_hocr, write_jsonl)  # fmt: skip
from docsynth.arxiv.words import PWord

WRITERS = {"hocr": (write_hocr, ".hocr"), "alto": (write_alto, ".xml"), "json": (write_jsonl, ".jsonl")}
PARSERS = {"hocr": parse_hocr, "alto": parse_alto, "json": parse_jsonl}


@pytest.fixture(scope="module")
def ocr_pages(fx):
    return {name: ocr_from_pdf(fx[name]) for name in ("one_column", "two_column")}


def write_ocr(folder, kind: str, stem: str, pages: dict[int, OcrPage], per_page: bool) -> None:
    write, ext = WRITERS[kind]
    if not per_page:
        (folder / f"{stem}{ext}").write_text(write(pages))
        return
    (folder / stem).mkdir(parents=True, exist_ok=True)
    for no, page in pages.items():
        if kind == "json":
            (folder / stem / f"page-{no:04d}.json").write_text(write({no: page}).strip())
        else:
            (folder / stem / f"page-{no:04d}{ext}").write_text(write({no: page}))


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_readers_round_trip_the_writers(ocr_pages, kind):
    pages = ocr_pages["two_column"]
    back = PARSERS[kind](WRITERS[kind][0](pages))
    assert sorted(back) == sorted(pages)
    for no in pages:
        assert (back[no].width, back[no].height) == (pages[no].width, pages[no].height)
        assert [(w.text, w.bbox) for w in back[no].words] == [(w.text, w.bbox) for w in pages[no].words]
        assert all(abs(a.conf - b.conf) < 0.01 for a, b in zip(back[no].words, pages[no].words))


def test_hocr_from_other_producers_parses():
    html = """<html><body><div class="ocr_page" title="image x.png; bbox 0 0 1000 2000; ppageno 3">
      <p class="ocr_par"><span class="ocr_line" title="bbox 10 10 300 40"><meta name="x">
      <span class="ocrx_word" title="bbox 10 10 100 40; x_wconf 87"><strong>Hello</strong></span>
      <span title="x_wconf 50; bbox 120 10 300 40" class="ocrx_word">w&amp;rld</span></span></p></div></body></html>"""
    pages = parse_hocr(html)
    assert list(pages) == [3] and (pages[3].width, pages[3].height) == (1000, 2000)
    got = [(w.text, w.bbox, w.conf) for w in pages[3].words]
    assert got == [("Hello", (10, 10, 100, 40), 0.87), ("w&rld", (120, 10, 300, 40), 0.5)]


def test_alto_units_and_page_numbers():
    xml = """<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#"><Layout><Page WIDTH="2159" HEIGHT="2794" PHYSICAL_IMG_NR="2">
      <PrintSpace><TextBlock><TextLine><String CONTENT="Word" HPOS="254" VPOS="254" WIDTH="254" HEIGHT="127" WC="0.8"/>
      </TextLine></TextBlock></PrintSpace></Page></Layout></alto>"""  # mm10 units: a Letter page
    pages = parse_alto(xml)
    (w,) = to_points(pages[1], 612, 792)  # PHYSICAL_IMG_NR is 1-based
    assert w.text == "Word" and w.bbox[0] == pytest.approx(72.0, abs=0.01) and w.bbox[2] == pytest.approx(144.0, abs=0.01)


@pytest.mark.parametrize("bad", ["<html><body>no pages</body></html>", "<alto><Page/></alto>", '{"page": 0}'])
def test_malformed_ocr_names_the_input(bad):
    kind = "hocr" if bad.startswith("<html") else ("alto" if bad.startswith("<alto") else "json")
    with pytest.raises(ValueError, match="in.ocr"):
        PARSERS[kind](bad, "in.ocr") if kind != "json" else parse_jsonl(bad, "in.ocr")


@pytest.mark.parametrize("kind,per_page", [("hocr", False), ("hocr", True), ("alto", True), ("alto", False),
                                           ("json", False), ("json", True)])  # fmt: skip
def test_ocr_aligned_with_the_text_layer(fx, ocr_pages, tmp_path, kind, per_page):
    write_ocr(tmp_path, kind, "two_column", ocr_pages["two_column"], per_page)
    plain, _ = extract(fx["two_column"])
    pages, ctx = extract(fx["two_column"], ocr=f"{kind}:{tmp_path}")
    assert not ctx.drops and len(pages) == 2
    for p, q in zip(pages, plain):
        m = p.meta
        assert m["ocr"] == kind and m["text_layer"] is True and m["alignment_score"] > 0.9
        assert m["matched"] == m["ocr_words"] and m["median_iou"] > 0.7
        # misread OCR words were corrected by the PDF text, missed ones filled from it: the text is the PDF's
        assert " ".join(e.text for e in p.elements) == " ".join(e.text for e in q.elements)
        texts = [e for e in p.elements if not e.is_image]
        assert all(e.attrs["ocr"] is True and 0.0 <= e.attrs["score"] <= 1.0 for e in texts)
        assert sum(e.attrs["score"] * len(e.text) for e in texts) / sum(len(e.text) for e in texts) > 0.9


def test_a_scan_takes_text_and_boxes_from_ocr_alone(fx, ocr_pages, tmp_path):
    write_ocr(tmp_path, "json", "scan", ocr_pages["one_column"], per_page=False)
    (page,), ctx = extract(fx["scan"], ocr=f"json:{tmp_path}")
    assert not ctx.drops and page.meta["text_layer"] is False and page.meta["alignment_score"] is None
    text = " ".join(e.text for e in page.elements)
    ocr_text = " ".join(w.text for w in ocr_pages["one_column"][0].words)
    assert "Introduction" in text and sorted(text.split()) == sorted(ocr_text.split())  # misreads stay
    truth_text = " ".join(w[4] for w in __import__("pymupdf").open(fx["one_column"])[0].get_text("words"))
    assert 0.85 < char_agreement(text, truth_text) < 1.0
    kinds = [e.type for e in page.elements]
    assert kinds[0] == "header" and "para" in kinds


def test_ocr_of_another_page_is_dropped_as_low_alignment(fx, ocr_pages, tmp_path):
    wrong = {0: ocr_pages["two_column"][1]}
    write_ocr(tmp_path, "alto", "one_column", wrong, per_page=True)
    pages, ctx = extract(fx["one_column"], ocr=f"alto:{tmp_path}")
    assert pages == [] and ctx.drops[0].reason == "low_alignment"


def test_pages_without_ocr_files_use_the_text_layer(fx, ocr_pages, tmp_path):
    write_ocr(tmp_path, "json", "two_column", {1: ocr_pages["two_column"][1]}, per_page=True)
    pages, ctx = extract(fx["two_column"], ocr=f"json:{tmp_path}")
    assert [p.meta["ocr"] for p in pages] == [None, "json"] and not ctx.drops


def test_ocr_scope_scans_leaves_text_pages_alone(fx, ocr_pages, tmp_path):
    write_ocr(tmp_path, "hocr", "one_column", ocr_pages["one_column"], per_page=False)
    (page,), _ = extract(fx["one_column"], ocr=f"hocr:{tmp_path}", ocr_scope="scans")
    assert page.meta["ocr"] is None


def test_missing_ocr_folder_is_an_error(fx, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        extract(fx["one_column"], ocr=f"hocr:{tmp_path / 'nowhere'}")


def _w(text, x0, y0=0.0):
    return PWord(text, (x0, y0, x0 + 8 * len(text), y0 + 10), 10.0, "F", 0)


def test_alignment_survives_reordered_blocks_and_misreads():
    pdf = [_w(t, 10 * i, 0) for i, t in enumerate("the quick brown fox jumps".split())]
    pdf += [_w(t, 10 * i, 20) for i, t in enumerate("over the lazy dog today".split())]
    ocr = [_w(t, 10 * i, 20.5) for i, t in enumerate("ovcr the 1azy dog today".split())]  # second line first
    ocr += [_w(t, 10 * i, 0.5) for i, t in enumerate("the quick brovvn fox".split())]  # "jumps" missed
    al = align(pdf, ocr)
    assert len(al.pairs) == 9 and al.sequence_pairs == 9
    texts = sorted(w.text for w in al.words)
    assert texts == sorted("the quick brown fox jumps over the lazy dog today".split())
    assert 0.9 < al.score < 1.0


def test_token_normalization():
    assert norm_token("Eﬃcient,") == "efficient" and norm_token("(1)") == "1" and norm_token("—") == "—"


def test_json_form_is_documented_shape(ocr_pages):
    line = write_jsonl({0: ocr_pages["one_column"][0]}).splitlines()[0]
    obj = json.loads(line)
    assert set(obj) == {"page", "width", "height", "words"} and set(obj["words"][0]) == {"text", "bbox", "conf"}
    assert obj["width"] == round(612 * OCR_DPI / 72)


def test_files_lookup_prefers_per_page_files(tmp_path):
    p0 = OcrPage(100, 100, [OcrWord("per-page", (1, 1, 50, 20), 1.0)])
    p1 = OcrPage(100, 100, [OcrWord("whole-file", (1, 1, 50, 20), 1.0)])
    write_ocr(tmp_path, "json", "doc", {0: p0}, per_page=True)
    write_ocr(tmp_path, "json", "doc", {0: p1, 1: p1}, per_page=False)
    files = OcrFiles("json", str(tmp_path))
    assert files.page("doc", 0).words[0].text == "per-page" and files.page("doc", 1).words[0].text == "whole-file"
    assert files.page("doc", 2) is None and files.page("other", 0) is None
