"""Extraction against the fixtures' known text, boxes and element types, for both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsynth.arxiv.agreement import compare_lines, page_lines
from docsynth.arxiv.geometry import iou

from arxiv_helpers import GOOD, extract, truth

BACKENDS = ("pdfplumber", "pymupdf")


@pytest.fixture(scope="module")
def pages(fx):
    return {(name, b): extract(fx[name], b)[0] for name in GOOD for b in BACKENDS}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", GOOD)
def test_elements_match_truth(pages, fx, name, backend):
    got, want = pages[(name, backend)], truth(fx[name])
    assert len(got) == len(want)
    for page, ref in zip(got, want):
        assert [(e.type, e.text) for e in page.elements] == [(e["type"], e["text"]) for e in ref]
        for e, r in zip(page.elements, ref):
            assert iou(e.bbox, r["bbox"]) > 0.9, (e.type, e.text[:40], e.bbox, r["bbox"])
        lines = [(ln["text"], tuple(ln["bbox"])) for e in ref for ln in e["lines"]]
        m = compare_lines(page_lines(page), lines, thr=0.9)
        assert m["f1"] == 1.0 and m["text_matched"] == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_joined_form_undoes_hyphens_and_ligatures(pages, fx, backend):
    checked = 0
    for name in ("one_column", "two_column"):
        for page, ref in zip(pages[(name, backend)], truth(fx[name])):
            for e, r in zip(page.elements, ref):
                if e.is_image:
                    continue
                assert e.attrs.get("joined", e.text) == r["joined"]
                if e.text != r["joined"]:
                    checked += 1
                    assert "\ufb01" in e.text or "- " in e.text or "\ufb00" in e.text or "\ufb02" in e.text
    assert checked >= 5  # the fixtures do hyphenate and ligate
    one = pages[("one_column", backend)][0]
    para = next(e for e in one.elements if "ﬁnd" in e.text)
    assert "We ﬁnd eﬃcient workﬂows." in para.text and "We find efficient workflows." in para.attrs["joined"]


def test_every_element_type_is_found(pages):
    one = [e.type for e in pages[("one_column", "pdfplumber")][0].elements]
    assert one[:2] == ["header", "heading"] and one[-2:] == ["footnote", "footer"]
    assert {"math", "figure", "caption", "para"} <= set(one)
    two = [e.type for p in pages[("two_column", "pdfplumber")] for e in p.elements]
    assert two.count("figure") == 1 and two.count("footnote") == 1 and two.count("footer") == 2


def test_figures_are_boxes_with_their_labels(pages):
    one = pages[("one_column", "pdfplumber")][0]
    vec = next(e for e in one.elements if e.type == "figure")
    assert vec.text == "" and vec.attrs["kind"] == "vector" and [ln.text for ln in vec.lines] == ["0.5"]
    assert all("0.5" != e.text for e in one.elements if not e.is_image)  # the label left the text flow
    img = next(e for e in pages[("two_column", "pdfplumber")][0].elements if e.type == "figure")
    assert img.attrs["kind"] == "image" and img.attrs["images"] == 1


def test_two_columns_read_left_column_first(pages):
    els = [e for e in pages[("two_column", "pdfplumber")][1].elements if e.type in ("para", "heading")]
    xs = [e.bbox[0] for e in els]
    first_right = next(i for i, x in enumerate(xs) if x > 300)
    assert all(x < 300 for x in xs[:first_right]) and all(x > 300 for x in xs[first_right:])


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotated_and_cropped_pages_use_the_displayed_space(pages, backend):
    land = pages[("landscape", backend)][0]
    assert (land.width, land.height) == (792, 612) and land.meta["rotation"] == 90
    assert land.image.shape[:2] == (612, 792)  # the raster is the displayed page too
    crop = pages[("cropped", backend)][0]
    assert (crop.width, crop.height) == (540, 700) and crop.meta["cropbox"][:2] == [40, 60]
    assert all("outside the cropbox" not in e.text for e in crop.elements)


def test_line_granularity(fx):
    (page,), _ = extract(fx["one_column"], granularity="line")
    assert {e.type for e in page.elements} == {"line", "figure"}
    lines = [e for e in page.elements if e.type == "line"]
    assert all(len(e.lines) == 1 for e in lines)
    assert {e.attrs["role"] for e in lines} >= {"header", "heading", "para", "math", "caption", "footnote", "footer"}
    math = [e for e in lines if e.attrs["role"] == "math"]
    assert [e.text for e in math] == ["f(x) = ∑ α x + β", "(1)"]


def test_pages_larger_than_the_cap_are_rasterized_at_a_lower_dpi(fx):
    (page,), _ = extract(fx["one_column"], max_page_side_pt=396.0)
    assert page.meta["dpi"] == pytest.approx(36.0, abs=0.01)
    assert max(page.image.shape[:2]) <= 396  # max_page_side_pt * render.dpi / 72 pixels
    assert page.width == 612  # boxes stay in points


def test_page_meta_is_plain_json(pages):
    import json

    for (_, backend), ps in pages.items():
        for p in ps:
            json.dumps(p.meta)
            assert p.meta["backend"] == backend and p.meta["text_layer"] is True and p.meta["ocr"] is None


def test_glyphs_pdfminer_cannot_spell_are_spelled_from_mupdf_at_the_same_place(tmp_path):
    """A ligature, or a glyph of a font pdfminer otherwise maps, without a Unicode map in pdfminer
    ((cid:N)) takes MuPDF's character at its place, so the word stays whole ("diﬀerent", never
    "di erent"); glyphs of a font pdfminer maps none of stay unmapped (MuPDF's guesses for symbol
    fonts such as XY-pic's are noise)."""
    import pymupdf

    from docsynth.arxiv.backends import GlyphSpeller, PlumberBackend
    from docsynth.arxiv.geometry import PageFrame

    if not Path(DEJAVU).is_file():
        pytest.skip(f"{DEJAVU} is not installed (scripts/bootstrap.sh installs fonts-dejavu-core)")
    path = tmp_path / "lig.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="dejavu", fontfile=DEJAVU)
    page.insert_text((72, 100), "a di\ufb00erent word", fontsize=12, fontname="dejavu")
    doc.save(path)
    backend = PlumberBackend(str(path))
    pp = backend.pdf.pages[0]
    po = pp.page_obj
    m = PageFrame.from_boxes(po.mediabox, po.cropbox, po.rotate, 1.0).from_plumber(po.mediabox)
    chars = [dict(ch) for ch in pp.chars]
    for ch in chars:
        if ch["text"] == "\ufb00":  # pdfminer without the font's map for a ligature
            ch["text"] = "(cid:12)"
        elif ch["text"] == "o":  # nor for a letter of a font it otherwise maps
            ch["text"] = "(cid:14)"
        elif ch["text"] == "w":  # a glyph of a font pdfminer maps nothing of (a symbol font): left unmapped
            ch["text"], ch["fontname"] = "(cid:13)", "XYCIRC10"
    plain = PlumberBackend._glyphs(chars, m, pp.mediabox[0]).raw_page(612, 792, [], [])
    assert [w.text for w in plain.words] == ["a", "di", "erent", "rd"] and plain.unmapped == 3
    with pymupdf.open(path) as fdoc:
        spelled = PlumberBackend._glyphs(chars, m, pp.mediabox[0], GlyphSpeller(fdoc, 0)).raw_page(612, 792, [], [])
    assert [w.text for w in spelled.words] == ["a", "di\ufb00erent", "ord"] and spelled.unmapped == 1
    backend.close()


DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_text_a_clip_hides_is_left_out_by_both_backends(tmp_path):
    """A file holding an earlier text layer under a clip that shows none of it (a revised document): the
    page image shows only the visible text, so neither backend may read the hidden lines (pdfminer
    knows nothing of clipping; MuPDF does, and the pdfplumber backend keeps a glyph only where MuPDF draws one)."""
    import pymupdf

    path = tmp_path / "clipped.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    visible = [f"visible line {k} of the paragraph that the page shows" for k in range(6)]
    hidden = [f"hidden draft {k} nobody can see on the page" for k in range(6)]
    page.insert_text((72, 100), "\n".join(visible), fontsize=11)
    page.clean_contents()
    before = len(page.read_contents())
    page.insert_text((72, 300), "\n".join(hidden), fontsize=11)
    page.clean_contents()
    stream = page.read_contents()
    xref = page.get_contents()[0]
    doc.update_stream(xref, stream[:before] + b"\nq 0 0 1 1 re W n\n" + stream[before:] + b"\nQ\n")
    doc.save(path)
    with pymupdf.open(path) as check:  # the fixture: MuPDF draws only the visible lines
        assert "hidden" not in check[0].get_text() and "visible" in check[0].get_text()
    for backend in ("pdfplumber", "pymupdf"):
        (p,), ctx = extract(path, backend=backend)
        text = " ".join(e.text for e in p.elements)
        assert "hidden" not in text and "draft" not in text, (backend, text)
        assert all(v in text for v in visible)
        assert p.meta.get("hidden_glyphs", 0) == (sum(len(h.replace(" ", "")) for h in hidden) if backend == "pdfplumber" else 0)



def test_a_transparent_image_is_only_as_large_as_what_it_shows(tmp_path):
    """A page-wide image whose soft mask is zero but for a stamp in the left margin (proceedings put
    their volume's stamp on a page this way), under the page's prose: the figure is the stamp, and every
    line of prose stays prose, once (not the figure's labels as well)."""
    import numpy as np
    import pymupdf

    w, h = 600, 480
    rgb = np.full((h, w, 3), 90, np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    alpha[200:400, 10:30] = 255  # the stamp: 20 x 200 pixels near the left edge
    pix = pymupdf.Pixmap(pymupdf.csRGB, w, h, np.dstack([rgb, alpha]).tobytes(), True)
    path = tmp_path / "stamped.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_image(pymupdf.Rect(0, 160, 612, 640), pixmap=pix)
    prose = [f"line {k} of a paragraph of body text that runs across the page as prose does" for k in range(20)]
    page.insert_text((110, 200), "\n".join(prose), fontsize=10)
    doc.save(path)
    with pymupdf.open(path) as check:  # the fixture: one image, with a soft mask
        assert [im[1] > 0 for im in check[0].get_images(full=True)] == [True]
    for backend in ("pdfplumber", "pymupdf"):
        (p,), _ = extract(path, backend=backend)
        (fig,) = [e for e in p.elements if e.type == "figure"]
        assert fig.bbox[2] <= 40 and 150 < fig.bbox[1] and fig.bbox[3] < 650, (backend, fig.bbox)  # 612 / 600 pt a pixel
        assert not fig.lines, backend
        text = [ln.text for e in p.elements if e.type != "figure" for ln in e.lines]
        assert sorted(text) == sorted(prose), backend


def test_a_filled_box_drawn_as_four_lines_is_a_fill_for_both_backends(tmp_path):
    """A shaded table row written as a closed path of four lines (m l l l h f), not `re`: pdfminer reads a
    rectangle; MuPDF's drawing has four line items, which must not make it a curve (a plot's line), so both
    backends see the same fill. A slanted polyline stays a curve."""
    import pymupdf

    from docsynth.arxiv.backends import MupdfBackend, PlumberBackend

    path = tmp_path / "band.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    shape = page.new_shape()
    shape.draw_polyline([(73, 134), (596, 134), (596, 215), (73, 215), (73, 134)])
    shape.finish(fill=(0.77, 0.91, 0.98), color=None, closePath=True)
    shape.draw_polyline([(100, 400), (150, 350), (200, 380), (250, 300)])
    shape.finish(color=(0, 0, 0), fill=None, closePath=False)
    shape.commit()
    doc.save(path)
    for backend in (MupdfBackend(str(path)), PlumberBackend(str(path))):
        kinds = sorted(k for _, k in backend.page(0).paths)
        assert kinds == ["curve", "fill"], (backend.name, kinds)


def _deep_descent_pdf(path: Path) -> None:
    """A paragraph whose second line holds "ω × ω" with × in a font whose descriptor gives a symbol font's
    descent (0.96 of the size, TeX's CMSY), and whose third line holds a "∑" in a font deeper than it is high
    (2.96, TeX's CMEX). pdfminer hangs those glyph boxes 0.96 and 2.96 sizes below the baseline."""
    import pymupdf

    folder = Path(DEJAVU).parent
    doc = pymupdf.open()
    page = doc.new_page()
    for name, file in (("body", "DejaVuSerif.ttf"), ("sym", "DejaVuSans.ttf"), ("ext", "DejaVuSansMono.ttf")):
        page.insert_font(fontname=name, fontfile=str(folder / file))
    lines = ["The matching cost is aggregated in two passes over",
             "support regions of size ω", "and the cost over all frames is the", "of the weighted costs, as the method of"]
    for k, text in enumerate(lines):
        page.insert_text((72, 100 + 12 * k), text, fontname="body", fontsize=10)
    serif = pymupdf.Font(fontfile=str(folder / "DejaVuSerif.ttf"))
    x = 72 + serif.text_length(lines[1], fontsize=10)
    page.insert_text((x + 3, 112), "×", fontname="sym", fontsize=10)
    page.insert_text((x + 13, 112), "ω, the two-pass method", fontname="body", fontsize=10)
    x = 72 + serif.text_length(lines[2], fontsize=10)
    page.insert_text((x + 3, 124 - 7.5), "∑", fontname="ext", fontsize=10)  # TeX centres it on the math axis
    page.insert_text((x + 13, 124), "over time.", fontname="body", fontsize=10)
    for xref, _, _, base, name, _ in page.get_fonts():
        descendant = int(doc.xref_get_key(xref, "DescendantFonts")[1].strip("[] ").split()[0])
        for x in (xref, descendant):  # the font program's own name, as TeX writes it (and MuPDF reports it)
            doc.xref_set_key(x, "BaseFont", "/" + base.replace(" ", "").removesuffix("Book"))
        if name in ("sym", "ext"):
            descriptor = int(doc.xref_get_key(descendant, "FontDescriptor")[1].split()[0])
            doc.xref_set_key(descriptor, "Descent", "-960" if name == "sym" else "-2960")
    doc.save(path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_inline_symbols_of_deep_fonts_stay_on_their_line(tmp_path, backend):
    """A symbol font's descriptor gives its deepest glyph's descent: × set inline on a text line was boxed
    0.96 sizes below its baseline and came out as a lone "math" line under the paragraph (TeX's CMSY:
    "ω ω, the two-pass", then "×"). A font deeper than it is high hangs its glyphs from the baseline, and
    its ∑ belongs to its own line, not the one after next."""
    if not Path(DEJAVU).is_file():
        pytest.skip(f"{DEJAVU} is not installed (scripts/bootstrap.sh installs fonts-dejavu-core)")
    path = tmp_path / "deep.pdf"
    _deep_descent_pdf(path)
    (page,), _ = extract(path, backend)
    assert [e.type for e in page.elements] == ["para"]
    lines = [ln.text for ln in page.elements[0].lines]
    assert lines[1] == "support regions of size ω × ω, the two-pass method"
    assert lines[2] == "and the cost over all frames is the ∑ over time."
    assert page.elements[0].lines[1].bbox[3] - 112 < 3.5  # the line box ends near the text's descent, not 9.6 pt below the baseline


def _type3_pdf(path: Path) -> None:
    """Three lines; the middle one in a Type 3 font as old pdfTeX wrote bitmap fonts: FontMatrix the
    identity (y flipped), glyphs 100 units to the em, set at 0.1 Tf, so the glyphs are 10 pt though the font
    size is a tenth of a point. Written by hand: PyMuPDF cannot make a Type 3 font."""
    from pdfminer.fontmetrics import FONT_METRICS

    times = FONT_METRICS["Times-Roman"][1]
    letters = "abcdefghijklmnopqrstuvwxyz"
    procs = {"space": "25 0 d0", **{c: f"{round(times[c] / 10)} 0 0 -70 {round(times[c] / 10)} 0 d1 5 -60 4 60 re f" for c in letters}}
    objs: list[str] = []

    def add(obj: str) -> int:
        objs.append(obj)
        return len(objs)

    refs = " ".join(f"/{name} {add(f'<< /Length {len(p)} >>' + chr(10) + 'stream' + chr(10) + p + chr(10) + 'endstream')} 0 R" for name, p in procs.items())
    widths = "25" + " 0" * 64 + "".join(f" {round(times[c] / 10)}" for c in letters)
    t3 = add(f"<< /Type /Font /Subtype /Type3 /FontBBox [0 -70 100 30] /FontMatrix [1 0 0 -1 0 0] /CharProcs << {refs} >> "
             f"/Encoding << /Type /Encoding /Differences [32 /space 97 {' '.join('/' + c for c in letters)}] >> "
             f"/FirstChar 32 /LastChar 122 /Widths [{widths}] >>")  # fmt: skip
    helv = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content = ("BT /F1 10 Tf 72 700 Td (A line of body text set in Helvetica for the page) Tj ET\n"
               "BT /F2 0.1 Tf 1 0 0 -1 72 686 Tm (the cat sat on the mat with a hat) Tj ET\n"
               "BT /F1 10 Tf 72 672 Td (and a third line of body text under it to close) Tj ET\n")  # fmt: skip
    stream = add(f"<< /Length {len(content)} >>\nstream\n{content}endstream")
    page = add(f"<< /Type /Page /Parent {len(objs) + 2} 0 R /MediaBox [0 0 612 792] "
               f"/Resources << /Font << /F1 {helv} 0 R /F2 {t3} 0 R >> >> /Contents {stream} 0 R >>")  # fmt: skip
    pages = add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    root = add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode() + b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_type3_font_set_at_a_tiny_size_gets_its_glyphs_true_size(tmp_path, backend):
    """pdfminer and MuPDF both give the Type 3 line's glyphs a size of 0.1 pt and boxes a tenth of a point
    high: its words were no text line's, read out of place as math. Their size is taken from their
    advances against Times' widths (as poppler guesses from an 'm'), about 10 pt, on their baseline."""
    path = tmp_path / "type3.pdf"
    _type3_pdf(path)
    (page,), _ = extract(path, backend)
    assert [e.type for e in page.elements] == ["para"]
    assert [ln.text for ln in page.elements[0].lines] == [
        "A line of body text set in Helvetica for the page", "the cat sat on the mat with a hat", "and a third line of body text under it to close"]
    line = page.elements[0].lines[1]
    assert 9.0 <= line.bbox[3] - line.bbox[1] <= 11.0 and abs(line.bbox[3] - 2.5 - (792 - 686)) < 1.0, line.bbox


def _clipped_figure_pdf(path: Path) -> tuple[float, float, float, float]:
    """A page of prose with a figure included from another PDF, as `\\includegraphics[clip, trim=…]` sets it:
    the source page's frame, a grey box over the whole page, runs far past the clip that shows only a plot
    in its corner. Returns the clip in page points."""
    import pymupdf

    src = pymupdf.open()
    sp = src.new_page(width=400, height=300)
    sp.draw_rect(pymupdf.Rect(2, 2, 398, 298), color=(0.3, 0.3, 0.3), width=0.4)  # the frame, clipped away but a corner
    for k in range(12):  # the plot
        sp.draw_line(pymupdf.Point(20 + 8 * k, 150 - 5 * k), pymupdf.Point(28 + 8 * k, 145 - 5 * k), color=(0, 0, 1), width=1)
    sp.draw_rect(pymupdf.Rect(15, 80, 125, 160), color=(0, 0, 0), width=0.5)
    doc = pymupdf.open()
    page = doc.new_page()
    clip = (72.0, 72.0, 202.0, 172.0)
    page.show_pdf_page(pymupdf.Rect(clip), src, 0, clip=pymupdf.Rect(10, 70, 140, 170))
    y = 190.0
    for k in range(30):  # prose over the page, under the figure and beside it
        x = 220.0 if y < 175 else 72.0
        page.insert_text((x, y), f"line {k} of the prose that runs on the page around the figure", fontsize=10)
        y += 13
    for k in range(8):
        page.insert_text((220.0, 80.0 + 12 * k), f"beside {k} the included figure runs prose", fontsize=10)
    doc.save(path)
    return clip


def _hidden_diagram_pdf(path: Path) -> tuple[float, float, float, float]:
    """A page of prose with a small plot included from another PDF whose page also holds a diagram outside
    the part shown: the form's /BBox hides it, and unclipped it would lie over the prose beside the plot.
    Every drawing is short (under `BIG_PATH`), as a diagram's circles and arrows are. Returns the clip."""
    import pymupdf

    src = pymupdf.open()
    sp = src.new_page(width=400, height=300)
    for k in range(12):  # the plot, inside the part shown
        sp.draw_line(pymupdf.Point(20 + 8 * k, 150 - 5 * k), pymupdf.Point(28 + 8 * k, 145 - 5 * k), color=(0, 0, 1), width=1)
    sp.draw_rect(pymupdf.Rect(15, 80, 110, 160), color=(0, 0, 0), width=0.5)
    for k in range(5):  # the hidden diagram: nodes and arrows right of the part shown
        sp.draw_circle(pymupdf.Point(170 + 20 * k, 90 + 15 * k), 8, color=(0, 0, 0), width=0.6)
        sp.draw_line(pymupdf.Point(178 + 20 * k, 95 + 15 * k), pymupdf.Point(186 + 20 * k, 103 + 15 * k), color=(0, 0, 0), width=0.6)
    doc = pymupdf.open()
    page = doc.new_page()
    clip = (72.0, 72.0, 202.0, 172.0)
    page.show_pdf_page(pymupdf.Rect(clip), src, 0, clip=pymupdf.Rect(10, 70, 140, 170))
    for k in range(8):
        page.insert_text((220.0, 80.0 + 12 * k), f"beside {k} the included figure runs prose on", fontsize=10)
    for k in range(20):
        page.insert_text((72.0, 200.0 + 13 * k), f"line {k} of the prose that runs on the page under the figure", fontsize=10)
    doc.save(path)
    return clip


@pytest.mark.parametrize("backend", BACKENDS)
def test_drawings_a_form_hides_are_left_out(tmp_path, backend):
    """pdfminer reads every drawing of an included PDF, also what the form's /BBox hides; MuPDF draws what
    shows. On a real paper (science-parse's pedersen04 p4) the hidden curves of two diagrams, above the
    page and on it, grew a figure over a column of prose. Both backends' paths are what the page shows,
    and the figure stays inside the part shown. (On this small page the figure finder alone keeps the
    prose out; the paths are what fails without the form test.)"""
    import pymupdf

    from docsynth.arxiv.backends import GlyphSpeller, MupdfBackend, PlumberBackend

    path = tmp_path / "hidden.pdf"
    clip = _hidden_diagram_pdf(path)
    with pymupdf.open(path) as fdoc:
        if backend == "pdfplumber":
            reader = PlumberBackend(str(path))
            raw = reader.page(0, GlyphSpeller(fdoc, 0))
        else:
            reader = MupdfBackend(str(path))
            raw = reader.page(0)
        reader.close()
    inside = lambda b: b[0] >= clip[0] - 1 and b[1] >= clip[1] - 1 and b[2] <= clip[2] + 1 and b[3] <= clip[3] + 1
    assert raw.paths and all(inside(b) for b, _ in raw.paths), [b for b, _ in raw.paths if not inside(b)]
    (page,), _ = extract(path, backend)
    figures = [e for e in page.elements if e.type == "figure"]
    assert len(figures) == 1 and inside(figures[0].bbox), figures
    flow = [ln.text for e in page.elements if e.type != "figure" for ln in e.lines]
    assert sum(t.startswith("beside") for t in flow) == 8 and len(flow) == 28, flow


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_figure_is_cut_to_its_clip_and_swallows_no_prose(tmp_path, backend):
    """pdfminer and MuPDF report a drawing's whole box, not what its clip shows: the included page's frame
    made a figure over the prose beside and under the plot. Both backends cut a drawing to its clip."""
    path = tmp_path / "clipped.pdf"
    clip = _clipped_figure_pdf(path)
    (page,), _ = extract(path, backend)
    figures = [e for e in page.elements if e.type == "figure"]
    assert len(figures) == 1
    box = figures[0].bbox
    assert box[0] >= clip[0] - 1 and box[1] >= clip[1] - 1 and box[2] <= clip[2] + 1 and box[3] <= clip[3] + 1, box
    assert sum(len(e.lines) for e in page.elements if e.type != "figure") == 38
