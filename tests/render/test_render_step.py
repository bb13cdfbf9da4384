"""The Render step end to end: ground truth against pixels, boxes, text, fonts, determinism."""

import hashlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from render_helpers import LOCALES, config, dark_pixels, faker_docs, make_doc, render

from docsynth.doc import box_union

EPS = 1e-6


def test_dark_pixels_lie_inside_word_and_figure_boxes(rendered):
    """Dark pixels outside figures must lie in word boxes (mapped at the page dpi, dilated by 1 px)."""
    by_locale: dict[str, list[int]] = {}
    for pages, _ in rendered:
        for page in pages:
            acc = by_locale.setdefault(page.meta["locale"], [0, 0, 0])
            for i, v in enumerate(dark_pixels(page)):
                acc[i] += v
    inside, text, total = (sum(a[i] for a in by_locale.values()) for i in range(3))
    print(f"\ndark pixels outside figures that lie in word boxes: {inside / text:.5f} of {text} "
          f"(all dark pixels in word or figure boxes: {(inside + total - text) / total:.5f} of {total}); by locale: "
          + ", ".join(f"{k} {a[0] / a[1]:.5f}" for k, a in sorted(by_locale.items())))  # fmt: skip
    assert set(by_locale) == set(LOCALES)
    assert inside / text >= 0.99
    assert all(a[0] / a[1] >= 0.99 for a in by_locale.values())


def test_every_page_was_verified_and_kept(rendered):
    for pages, ctx in rendered:
        assert ctx.counters["words_checked"] > 1000
        assert ctx.counters["words_matched"] / ctx.counters["words_checked"] >= 0.999
        assert not [d for d in ctx.drops if d.reason == "verify_mismatch"]


def overlaps(page) -> list[tuple]:
    """Pairs of elements whose boxes overlap by more than a hair (nothing is drawn over anything)."""
    out = []
    for k, a in enumerate(page.elements):
        for b in page.elements[k + 1 :]:
            w = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
            h = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
            if w > 0.5 and h > 0.5:
                out.append((a.type, a.bbox, b.type, b.bbox))
    return out


def test_boxes_are_inside_the_page_and_ordered(rendered):
    for pages, _ in rendered:
        for page in pages:
            assert not overlaps(page), (page.key, overlaps(page)[:2])
            for el in page.elements:
                x0, y0, x1, y1 = el.bbox
                assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, (page.key, el.bbox)
                if el.is_image:
                    continue
                if el.type == "table":  # the frame holds its rules; cells are its lines, row-major
                    assert all(box_union([ln.bbox, el.bbox]) == pytest.approx(el.bbox) for ln in el.lines)
                    assert [(c["row"], c["col"]) for c in el.attrs["cells"]] == sorted((c["row"], c["col"]) for c in el.attrs["cells"])
                else:
                    assert el.bbox == pytest.approx(box_union(ln.bbox for ln in el.lines))
                    for a, b in zip(el.lines, el.lines[1:]):
                        assert a.bbox[3] <= b.bbox[1] + EPS  # top to bottom, no overlap
                for ln in el.lines:
                    if el.type == "math":  # outlines, no words: the line is the formula's ink box
                        assert not ln.words and ln.bbox == el.bbox and ln.text == el.text
                        continue
                    assert ln.bbox == pytest.approx(box_union(w.bbox for w in ln.words))
                    for a, b in zip(ln.words, ln.words[1:]):
                        assert a.bbox[2] <= b.bbox[0] + EPS  # left to right
                    text = " ".join(ln.text.split()) if el.type == "code" else ln.text  # code keeps its indentation
                    assert text == " ".join(w.text for w in ln.words)


def _rejoin(parts: list[str], source: str) -> str:
    """Parts of a split paragraph joined as the source has them: by a space, or directly (a cut word, CJK)."""
    out = parts[0]
    for p in parts[1:]:
        out += " " + p if source.startswith(out + " " + p) else p
    return out


def test_element_text_is_the_source_paragraph(rendered):
    """Paragraphs and headings spell their source paragraph (a footnote's marker aside); list items spell
    the paragraph they were made of, marker aside."""
    lists = 0
    for k, (pages, _) in enumerate(rendered):
        sources = {d.docid: d.paragraphs for loc in LOCALES for d in faker_docs(loc, 3, seed=k)}
        parts: dict[tuple, list[str]] = {}
        items: dict[tuple, list[str]] = {}
        inline: dict[tuple, str] = {}
        for page in sorted(pages, key=lambda p: (p.docid, p.page)):
            for el in page.elements:
                if el.type in ("para", "heading"):
                    mark = el.attrs.get("footnote")  # a footnote's marker set into the paragraph
                    parts.setdefault((page.docid, el.attrs["paragraph"]), []).append(el.text.replace(mark, "", 1) if mark else el.text)
                    if "inline_math" in el.attrs:  # a generated formula closes the paragraph
                        inline[(page.docid, el.attrs["paragraph"])] = " " + el.attrs["inline_math"]
                elif el.type == "list":  # the marker opens an item's first part
                    cut = len(el.attrs["marker"]) + 1 if el.attrs["part"] == 0 else 0
                    assert not cut or el.text.startswith(el.attrs["marker"] + " ")
                    items.setdefault((page.docid, el.attrs["paragraph"]), []).append(el.text[cut:])
        assert parts
        cut = {p.docid for p in pages if p.meta["pages_cut"]}  # their last kept paragraph may end mid-way
        last = {d: max(i for dd, i in parts if dd == d) for d in cut}
        for (docid, i), texts in parts.items():
            source = sources[docid][i] + inline.get((docid, i), "")
            joined = _rejoin(texts, source)
            assert joined == source or (last.get(docid) == i and source.startswith(joined))
        for (docid, i), texts in items.items():
            lists += 1
            squeeze = lambda t: "".join(t.split())  # noqa: E731  (items split at sentence ends, parts of items at line ends)
            assert squeeze("".join(texts)) == squeeze(sources[docid][i]) or (docid in cut and squeeze(sources[docid][i]).startswith(squeeze("".join(texts))))
    assert lists


def test_recorded_fonts_cover_their_text(rendered, pool):
    faces = {f.ref: f for f in pool.faces}
    keys = {"family", "style", "ref", "size", "weight", "italic", "color"}
    for pages, _ in rendered:
        for page in pages:
            for el in page.elements:
                if el.is_image:
                    assert el.font is None and el.attrs["kind"]
                    continue
                if el.type == "math":  # drawn as outlines: no font, no text on the page
                    assert el.font is None and el.attrs["display"]
                    continue
                assert set(el.font) == keys and el.font["color"].startswith("#") and len(el.font["color"]) == 7
                face = faces[el.font["ref"]]
                assert (face.family, face.style) == (el.font["family"], el.font["style"])
                drawn = "".join(c["text"] for c in el.attrs["cells"]) if el.type == "table" else el.text
                assert pool.missing(face, "".join(drawn.split())) == []


def test_page_meta_and_image(rendered):
    for (pages, _), (dpi, mode) in zip(rendered, ((72, "RGB"), (110, "L"), (150, "L"))):
        for page in pages:
            assert page.image.dtype == np.uint8 and page.image.ndim == (3 if mode == "RGB" else 2)
            # MuPDF rounds the scaled page outwards (fz_round_rect: ceil with a 0.001 tolerance)
            assert page.image.shape[:2] == (math.ceil(page.height * dpi / 72 - 1e-3), math.ceil(page.width * dpi / 72 - 1e-3))
            m = page.meta
            assert (m["dpi"], m["mode"]) == (dpi, mode) and m["locale"] in LOCALES and 1 <= m["columns"] <= 3
            assert {"page_size", "landscape", "margins", "alignment", "font_family", "font_size", "line_spacing",
                    "para_spacing", "color", "num_pages"} <= set(m)  # fmt: skip
            assert page.codes is None and 0 <= page.page < m["num_pages"]


def _fingerprint(pages) -> str:
    h = hashlib.sha256()
    for p in pages:
        h.update(p.key.encode() + p.image.tobytes())
        h.update(json.dumps([e.to_dict(p.width, p.height, 1000) for e in p.elements], sort_keys=True).encode())
    return h.hexdigest()


DOCS_SCRIPT = """
import sys; sys.path.insert(0, {tests!r})
from render_helpers import faker_docs, render, config
from test_render_step import _fingerprint
docs = faker_docs("ja_JP", 2, seed=5) + faker_docs("de_DE", 2, seed=5)
print(_fingerprint(render(docs, config(figure_prob=0.5, degrade_prob=0.5), seed=5)[0]))
"""


def test_same_doc_and_seed_give_identical_pages_in_any_process():
    docs = faker_docs("ja_JP", 2, seed=5) + faker_docs("de_DE", 2, seed=5)
    first = _fingerprint(render(docs, config(figure_prob=0.5, degrade_prob=0.5), seed=5)[0])
    render(faker_docs("el_GR", 3, seed=9), seed=9)  # other documents in between change the PDF host's state
    again = _fingerprint(render(faker_docs("ja_JP", 2, seed=5) + faker_docs("de_DE", 2, seed=5), config(figure_prob=0.5, degrade_prob=0.5), seed=5)[0])
    assert first == again
    out = subprocess.run([sys.executable, "-c", DOCS_SCRIPT.format(tests=str(__import__("pathlib").Path(__file__).parent))],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == first


def test_a_different_seed_gives_a_different_layout():
    docs = faker_docs("en_US", 2, seed=1)
    a, b = render(docs, seed=1)[0], render(docs, seed=2)[0]
    assert _fingerprint(a) != _fingerprint(b)


def test_multi_page_documents_number_their_pages():
    paragraphs = [f"Paragraph {i} " + "with a fair amount of filler text to fill the lines " * 6 for i in range(30)]
    pages, ctx = render([make_doc("long", paragraphs)], config(page_sizes=("a5",), max_pages=20, figure_prob=0.0))
    assert len(pages) >= 3 and [p.page for p in pages] == list(range(len(pages)))
    assert all(p.meta["num_pages"] == len(pages) for p in pages)
    assert ctx.counters["pages_rendered"] == len(pages)


def test_justified_text_is_flush_on_both_sides():
    paragraphs = ["A justified paragraph that runs over several lines of a single column page, " * 5] * 3
    pages, _ = render([make_doc("just", paragraphs)], config(alignments=("justify",), columns=(1, 1), figure_prob=0.0,
                                                              heading_prob=0.0, size_jitter=0.0))  # fmt: skip
    right = max(ln.bbox[2] for el in pages[0].elements for ln in el.lines)
    flush = [ln.bbox[2] for el in pages[0].elements for ln in el.lines[:-1]]
    assert len(flush) > 5 and all(abs(x - right) < 1e-6 for x in flush)


def test_verification_can_be_turned_off():
    pages, ctx = render(faker_docs("en_US", 1, seed=3), config(render_verify=False), seed=3)
    assert pages and "words_checked" not in ctx.counters


def test_short_paragraphs_may_become_headings_and_figures_join_the_flow():
    short, long = "A Short Title", "A long body paragraph that is certainly more than twelve words long, " * 3
    cfg = config(heading_prob=1.0, heading_scale=(1.5, 1.5), size_jitter=0.0, figure_prob=1.0, max_pages=10)
    pages, ctx = render([make_doc("h", [short, long, short, long])], cfg)
    els = [el for p in pages for el in p.elements]
    heads = [el for el in els if el.type == "heading"]
    body = [el for el in els if el.type == "para"]
    assert [el.text for el in heads] == [short, short] and body and not ctx.drops
    assert all(h.font["size"] == pytest.approx(1.5 * pages[0].meta["font_size"], abs=0.06) for h in heads)
    assert sum(el.type == "figure" for el in els) == 4  # one before each paragraph
