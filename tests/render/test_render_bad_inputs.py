"""Bad inputs get the right drop reason; a page that fails verification is dropped alone."""

import pytest
from render_helpers import config, make_doc, render

from docsynth.render import verify

GOOD = "An ordinary paragraph that renders without any trouble at all."


def _only_drop(docs, cfg=None):
    pages, ctx = render(docs, cfg)
    assert not pages and len(ctx.drops) == 1
    d = ctx.drops[0]
    assert d.step == "render" and d.page is None
    return d


def test_a_100000_character_word():
    d = _only_drop([make_doc("w", [GOOD, "x" * 100_000])])
    assert d.reason == "word_too_long" and "100000-character" in d.detail and "paragraph 1" in d.detail
    assert repr("x" * 20) in d.detail


def test_a_word_within_the_limit_is_broken_not_dropped():
    pages, ctx = render([make_doc("w", [GOOD, "y" * 60])], config(page_sizes=("a5",), columns=(3, 3), font_size=(13, 13)))
    assert pages and not ctx.drops
    texts = [el.text for p in pages for el in p.elements if el.attrs.get("paragraph") == 1 and el.type in ("para", "heading")]
    assert "".join(texts) == "y" * 60


@pytest.mark.parametrize("text, cp", [("Happy text with an emoji 😀 inside.", "U+1F600 ('😀')"),
                                      ("Linear B 𐀀𐀁 is covered by no font here.", "U+10000")])  # fmt: skip
def test_text_no_font_covers(text, cp):
    d = _only_drop([make_doc("e", [GOOD, GOOD, text])])
    assert d.reason == "uncovered_codepoint" and cp in d.detail and "paragraph 2" in d.detail


def test_a_paragraph_no_single_font_covers(pool):
    text = "日本 Աբգ"  # CJK and Armenian: each covered, never by one face
    if pool.uncovered(text) or pool.covering(text):
        pytest.skip("this font pool has no such pair")
    d = _only_drop([make_doc("mix", [GOOD, text])])
    assert d.reason == "uncovered_codepoint" and "no single font covers all of paragraph 1" in d.detail


def test_right_to_left_and_empty_documents():
    assert _only_drop([make_doc("rtl", [GOOD, "שלום עולם"])]).reason == "rtl_text"
    assert _only_drop([make_doc("empty", [])]).reason == "empty_text"


def test_a_document_over_the_page_cap_keeps_its_first_pages():
    paragraphs = [f"Paragraph {i} is long enough to take a few lines on a small page. " * 3 for i in range(80)]
    cfg = config(page_sizes=("a5",), max_pages=2)
    pages, ctx = render([make_doc("long", paragraphs)], cfg)
    assert [p.page for p in pages] == [0, 1] and not ctx.drops
    assert ctx.counters["docs_cut_to_max_pages"] == 1
    assert all(p.meta["num_pages"] == 2 and p.meta["pages_cut"] > 0 for p in pages)
    assert next(e for e in pages[0].elements if e.type in ("para", "heading")).text.startswith("Paragraph 0 ")


def test_a_verification_mismatch_drops_only_that_page(monkeypatch):
    paragraphs = [f"Paragraph {i} " + "with a fair amount of filler text to fill the lines " * 6 for i in range(30)]
    cfg = config(page_sizes=("a5",), max_pages=20, figure_prob=0.0)
    full, _ = render([make_doc("long", paragraphs)], cfg)
    assert len(full) >= 3
    calls = []
    real = verify.extract_words

    def shifted_on_page_1(page):
        calls.append(page)
        words = real(page)
        if len(calls) == 2:  # the second page: every box 40 pt off
            words = [(x0 + 40, y0, x1 + 40, y1, *rest) for x0, y0, x1, y1, *rest in words]
        return words

    monkeypatch.setattr(verify, "extract_words", shifted_on_page_1)
    pages, ctx = render([make_doc("long", paragraphs)], cfg)
    assert [p.page for p in pages] == [p.page for p in full if p.page != 1]
    (d,) = ctx.drops
    assert (d.reason, d.page, d.step) == ("verify_mismatch", 1, "render")
    assert d.detail.startswith("page 1: ") and "words matched (first mismatch: " in d.detail


def test_a_corrupted_ground_truth_box_is_caught(monkeypatch):
    from docsynth.render import layout

    real = layout.Flow._line

    def off_by_a_line(self, ln, baseline, st, *rest):
        line = real(self, ln, baseline, st, *rest)
        for w in line.words:
            w.bbox = (w.bbox[0], w.bbox[1] + 8 * st.size, w.bbox[2], w.bbox[3] + 8 * st.size)
        return line

    monkeypatch.setattr(layout.Flow, "_line", off_by_a_line)
    pages, ctx = render([make_doc("c", [GOOD * 3])], config(figure_prob=0.0))
    assert not pages and [d.reason for d in ctx.drops] == ["verify_mismatch"]
