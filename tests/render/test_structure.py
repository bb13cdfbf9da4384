"""Structured elements of synthetic pages (tables, lists, code, formulas, captions, footnotes, running
heads) and degraded scans: every box right by construction, checked against the page."""

import re
from collections import Counter

import numpy as np
import pytest
from PIL import Image, ImageFilter
from render_helpers import config, dark_pixels, faker_docs, render

from docsynth import config as C
from docsynth.doc import box_union
from docsynth.model.vision.legibility import available as legibility_available
from docsynth.model.vision.legibility import legibility
from docsynth.render.degrade import homography, warp_box, warp_points
from docsynth.render.structure import latex_formula, outlines
from docsynth.tables import TABLE_CELL, TABLE_ROW, spell_table

TYPES = {"para", "heading", "table", "list", "caption", "math", "code", "header", "footer", "footnote", "figure"}
RICH = dict(table_prob=0.3, list_prob=0.25, code_prob=0.2, math_prob=0.25, footnote_prob=0.3)


@pytest.fixture(scope="module")
def structured():
    docs = [d for loc in ("en_US", "de_DE", "ru_RU", "zh_CN") for d in faker_docs(loc, 4, seed=11)]
    pages, ctx = render(docs, config(**RICH, render_dpi=100), seed=11)
    return pages, ctx


def _all(pages, kind):
    return [(p, e) for p in pages for e in p.elements if e.type == kind]


def test_every_structured_type_is_rendered_and_verified(structured):
    from test_render_step import overlaps

    pages, ctx = structured
    for page in pages:
        assert not overlaps(page), (page.key, overlaps(page)[:2])
    seen = Counter(e.type for p in pages for e in p.elements)
    print(f"\nelement types: {dict(seen)}; counters: { {k: v for k, v in ctx.counters.items() if 'struct' in k} }")
    assert TYPES <= set(seen)
    assert not ctx.drops and ctx.counters["words_matched"] == ctx.counters["words_checked"] > 3000


def test_tables_spell_their_cells_and_cells_hold_their_words(structured):
    pages, _ = structured
    tables = _all(pages, "table")
    assert len(tables) >= 5
    styles = Counter(e.attrs["style"] for _, e in tables)
    assert set(styles) == {"ruled", "booktabs", "unruled"}
    spans = 0
    for _, el in tables:
        a = el.attrs
        assert el.text == spell_table(a["cells"], a["rows"], a["cols"])
        assert el.text.count(TABLE_ROW) == a["rows"] - 1 and all(r.count(TABLE_CELL) == a["cols"] - 1 for r in el.text.split(TABLE_ROW))
        assert [c["text"] for c in a["cells"]] == [ln.text for ln in el.lines]
        for cell, ln in zip(a["cells"], el.lines):
            assert 0 <= cell["row"] < a["rows"] and 0 <= cell["col"] and cell["col"] + cell["colspan"] <= a["cols"]
            assert cell["bbox"] == pytest.approx(list(box_union(w.bbox for w in ln.words)), abs=1e-3)
            assert box_union([ln.bbox, el.bbox]) == pytest.approx(el.bbox)  # inside the frame
            spans += cell["colspan"] > 1
        header = [c for c in a["cells"] if c["row"] < a["header_rows"]]
        assert header and all(c["row"] == a["header_rows"] - 1 or c["colspan"] > 1 for c in header)
    assert spans, "no spanning header cell among the tables"


def test_table_rules_are_inside_the_frame(structured):
    pages, _ = structured
    for page, el in _all(pages, "table"):
        if el.attrs["style"] == "unruled":
            continue
        grey = page.image if page.image.ndim == 2 else page.image.mean(axis=2)
        s = grey.shape[1] / page.width
        x0, y0, x1, y1 = (int(round(v * s)) for v in el.bbox)
        top = grey[max(y0 - 1, 0) : y0 + 2, x0 + 2 : x1 - 2]
        assert (top < 230).mean(axis=1).max() > 0.8, "a ruled table's top rule runs along its frame"


def test_lists_code_captions_and_footnotes(structured):
    pages, _ = structured
    lists = [e for _, e in _all(pages, "list")]
    assert {e.attrs["level"] for e in lists} == {0, 1} and {e.attrs["ordered"] for e in lists} == {True, False}
    for e in lists:
        if e.attrs["part"] == 0:
            marker = e.lines[0].words[0]
            assert marker.text == e.attrs["marker"] and marker.bbox[2] < e.lines[0].words[1].bbox[0]
    for page, e in _all(pages, "code"):
        assert e.font["ref"] and (e.attrs["part"] > 0 or e.text.split("\n")[0].endswith(":"))
        assert len(e.text.split("\n")) == len(e.lines)
        lefts = {round(ln.words[1 if e.attrs["line_numbers"] else 0].bbox[0], 1) for ln in e.lines}
        assert len(lefts) >= 2 or e.attrs["part"] > 0 or len(e.lines) == 1  # the body is indented under its def
    by_doc: dict[str, list] = {}
    for page, e in _all(pages, "caption"):
        by_doc.setdefault(page.docid, []).append(e)
        if e.attrs["part"] == 0:
            label = re.match(r"^\S+? ?(\d+)[:：.]", e.text)
            assert label and int(label.group(1)) == e.attrs["number"], e.text
        owners = [o for o in page.elements if o.type == e.attrs["for"] and o.attrs.get("number") == e.attrs["number"]]
        assert len(owners) == 1
        owner = owners[0]
        assert (owner.bbox[3] <= e.bbox[1]) if e.attrs["for"] == "figure" else (e.bbox[3] <= owner.bbox[1])
    for caps in by_doc.values():
        for what in ("figure", "table"):
            nums = [c.attrs["number"] for c in caps if c.attrs["for"] == what and c.attrs["part"] == 0]
            assert nums == sorted(nums) and len(set(nums)) == len(nums)
    notes = _all(pages, "footnote")
    assert notes
    for page, note in notes:
        mark = note.attrs["marker"]
        assert note.lines[0].words[0].text == mark
        assert any(mark in e.text for q in pages if q.docid == page.docid for e in q.elements if e.type in ("para", "heading"))
        col = [e for e in page.elements if e.attrs.get("column") == note.attrs["column"] and e.type not in ("header", "footer", "footnote")]
        assert all(e.bbox[3] <= note.bbox[1] + 1e-6 for e in col)  # at the foot of its column


def test_running_heads_and_page_numbers(structured):
    pages, _ = structured
    feet = _all(pages, "footer")
    assert feet and _all(pages, "header")
    for page, e in feet:
        assert page.elements[-1] is e and str(page.page + 1) in e.text and e.attrs["page_number"] == page.page + 1
    for page, e in _all(pages, "header"):
        assert page.elements[0] is e and all(e.bbox[3] < o.bbox[1] for o in page.elements[1:])


def test_formulas_are_outlines_whose_text_is_their_latex(structured):
    pages, _ = structured
    maths = _all(pages, "math")
    assert maths
    for page, e in maths:
        assert "\\" in e.text or "=" in e.text
        grey = page.image if page.image.ndim == 2 else page.image.mean(axis=2)
        s = grey.shape[1] / page.width
        x0, y0, x1, y1 = (int(v * s) for v in e.bbox)
        assert (grey[y0 : y1 + 1, x0 : x1 + 1] < 128).sum() > 10  # ink where the box is


def test_the_formula_grammar_is_drawable():
    """Every formula the grammar makes parses, and its outline points span exactly its ink box."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        latex = latex_formula(rng)
        ops, w, h = outlines(latex, 10.0, "cm")
        assert w > 5 and h > 3, latex
        nums = np.array([float(t) for t in ops.split() if t not in ("m", "l", "c", "h")])
        xs, ys = nums[0::2], nums[1::2]
        assert xs.min() == pytest.approx(0, abs=0.01) and ys.min() == pytest.approx(0, abs=0.01)
        assert xs.max() <= w + 0.01 and ys.max() <= h + 0.01


def test_clean_ink_lies_inside_the_boxes(structured):
    pages, _ = structured
    inside = outside = 0
    for page in pages:
        a, b, _ = dark_pixels(page)
        inside, outside = inside + a, outside + b
    print(f"\nclean structured pages: {inside / outside:.5f} of {outside} dark pixels outside figures lie in boxes")
    assert inside / outside >= 0.995


# --------------------------------------------------------------------------- degraded scans


@pytest.fixture(scope="module")
def degraded():
    docs = [d for loc in ("en_US", "ja_JP", "el_GR") for d in faker_docs(loc, 4, seed=12)]
    pages, ctx = render(docs, config(**RICH, render_dpi=100, degrade_prob=1.0), seed=12)
    return pages, ctx


def test_degraded_ink_lies_inside_the_warped_boxes(degraded):
    """After a 3x3 median (noise discounted), dark pixels outside figures lie in the warped boxes."""
    pages, ctx = degraded
    assert ctx.counters["pages_degraded"] == len(pages) > 5
    inside = outside = 0
    for page in pages:
        grey = page.image if page.image.ndim == 2 else page.image.mean(axis=2).astype(np.uint8)
        grey = np.asarray(Image.fromarray(grey).filter(ImageFilter.MedianFilter(3)))
        a, b, _ = dark_pixels(page, grey=grey)
        inside, outside = inside + a, outside + b
    rot = [abs(op["rotation_deg"]) for p in pages for op in p.meta["degradations"] if op["op"] == "warp"]
    print(f"\ndegraded pages: {inside / outside:.5f} of {outside} dark pixels in boxes; rotation up to {max(rot):.2f} deg")
    assert inside / outside >= 0.97 and max(rot) > 0.5


def test_every_degraded_page_records_its_operations(degraded):
    pages, _ = degraded
    ops = Counter(op["op"] for p in pages for op in p.meta["degradations"])
    assert ops["warp"] == len(pages) and len(ops) >= 5
    clean, _ = render(faker_docs("en_US", 2, seed=12), config(render_dpi=100))
    assert all(p.meta["degradations"] == [] for p in clean)


def test_warped_boxes_hold_their_warped_corners():
    rng = np.random.default_rng(1)
    src = np.array([[0, 0], [100, 0], [100, 200], [0, 200]], dtype=float)
    dst = src + rng.uniform(-5, 5, size=(4, 2))
    h = homography(src, dst)
    assert warp_points(h, src) == pytest.approx(dst)
    box = (10.0, 20.0, 40.0, 30.0)  # points; pixels at 2x
    out = warp_box(box, h, 2.0, 2.0, 1000, 1000)
    corners = warp_points(h, np.array([[20, 40], [80, 40], [80, 60], [20, 60]])) / 2
    assert out[0] == pytest.approx(corners[:, 0].min()) and out[3] == pytest.approx(corners[:, 1].max())


def test_degradation_config_is_checked():
    with pytest.raises(ValueError, match="degrade.prob"):
        C.DegradeConfig(prob=1.5)
    with pytest.raises(ValueError, match="degrade.jpeg"):
        C.DegradeConfig(jpeg=(90, 20))


# --------------------------------------------------------------------------- Tesseract


@pytest.mark.skipif(not legibility_available(), reason="the tesseract binary or pytesseract is not installed")
def test_tesseract_reads_tables_lists_and_code_as_the_ground_truth_says():
    """Clean English pages at 216 dpi: per element, Tesseract's words in its box against its words."""
    docs = faker_docs("en_US", 3, seed=13)
    pages, _ = render(docs, config(**(RICH | {"table_prob": 0.5, "code_prob": 0.4}), render_dpi=216, render_mode="L", max_pages=1), seed=13)
    got = total = 0
    kinds: Counter = Counter()
    for page in pages:
        regions = []
        for el in page.elements:
            if el.is_image or el.type == "math":
                continue
            words = [c["text"] for c in el.attrs["cells"]] if el.type == "table" else [w.text for ln in el.lines for w in ln.words]
            regions.append((el.bbox, " ".join(words)))
            kinds[el.type] += 1
        g, t = legibility(page.image, page.width, regions, upscale=1.0)
        got, total = got + g, total + t
    print(f"\ntesseract on clean structured pages: character similarity {got / total:.4f} over {total} characters; {dict(kinds)}")
    assert {"table", "list", "code"} <= set(kinds)
    assert got / total >= 0.97


# --------------------------------------------------------------------------- paper layouts


def test_titles_abstracts_and_floats_span_the_columns_above_them():
    docs = [d for loc in ("en_US", "de_DE") for d in faker_docs(loc, 6, seed=4)]
    pages, ctx = render(docs, config(columns=(2, 3), span_title_prob=1.0, span_float_prob=0.6, table_prob=0.2), seed=4)
    assert not ctx.drops
    from test_render_step import overlaps

    assert not [overlaps(p) for p in pages if overlaps(p)]
    kinds = Counter()
    for page in pages:
        cols = page.meta["columns"]
        column_w = (page.width - page.meta["margins"][0] - page.meta["margins"][2] - (cols - 1) * page.meta["column_gap"]) / cols
        bands = [e for e in page.elements if e.attrs.get("span")]
        flow = [e for e in page.elements if not e.attrs.get("span") and e.type not in ("header", "footer", "footnote")]
        for e in bands:
            kinds["title" if e.attrs.get("title") else "abstract" if e.attrs.get("abstract") else e.type] += 1
            assert all(e.bbox[3] <= f.bbox[1] + 1e-6 for f in flow), "a spanning block sits above the columns"
        wide = [e for e in bands if e.type in ("figure", "table") and e.bbox[2] - e.bbox[0] > column_w + 1]
        kinds["wider than a column"] += len(wide)
    print(f"\nspanning blocks: {dict(kinds)}")
    assert kinds["title"] and kinds["abstract"] and kinds["figure"] and kinds["table"] and kinds["wider than a column"]


def test_the_default_48_document_corpus_holds_every_type():
    """At the default knobs, 48 Faker documents (the default source's first 48) hold every type."""
    from docsynth.sources import get_source
    from docsynth.steps import ShardContext
    from docsynth.text import Normalize

    cfg = C.PipelineConfig(num_docs=48, seed=0)
    src, ctx = get_source(cfg), ShardContext(0, 0)
    docs = list(Normalize(cfg).run((d for spec in src.plan(cfg) for d in src.read(spec, ctx)), ctx))
    pages, rctx = render(docs, cfg)
    seen = Counter(e.type for p in pages for e in p.elements)
    degraded = sum(bool(p.meta["degradations"]) for p in pages)
    print(f"\n48 default documents: {len(pages)} pages, {degraded} degraded; {dict(seen)}")
    assert TYPES <= set(seen) and 0.1 < degraded / len(pages) < 0.4
    assert rctx.counters["words_matched"] == rctx.counters["words_checked"]
