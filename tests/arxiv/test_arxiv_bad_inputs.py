"""Bad input becomes a drop with the right reason; the run goes on; nothing hangs."""

from __future__ import annotations

import threading
import time

import pytest
from arxiv_helpers import extract

from docsynth import config as C
from docsynth.arxiv import Extract
from docsynth.arxiv.deadline import PageTimeout, deadline
from docsynth.doc import Document
from docsynth.steps import ShardContext

DOC_LEVEL = {"encrypted": "encrypted", "truncated": "corrupt_pdf", "zero_pages": "no_pages"}
PAGE_LEVEL = {"scan": "no_text_layer", "cid_font": "no_unicode_map"}


@pytest.mark.parametrize("backend", ["pdfplumber", "pymupdf"])
def test_each_bad_input_gets_its_reason_and_the_run_continues(fx, backend, tmp_path):
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a PDF at all\n" * 10)
    names = ["encrypted", "one_column", "truncated", "zero_pages", "scan", "cid_font", "two_column"]
    paths = [fx[n] for n in names] + [garbage]
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(backend=backend))
    ctx = ShardContext(shard=0, seed=0)
    docs = [Document("arxiv", p.stem.replace("_", "-"), "", {"path": str(p), "index": i}) for i, p in enumerate(paths)]
    pages = list(Extract(cfg).run(iter(docs), ctx))
    assert [(p.docid, p.page) for p in pages] == [("one-column", 0), ("two-column", 0), ("two-column", 1)]
    reasons = {(d.docid, d.page): d.reason for d in ctx.drops}
    for name, reason in DOC_LEVEL.items():
        assert reasons[(name.replace("_", "-"), None)] == reason
    for name, reason in PAGE_LEVEL.items():
        assert reasons[(name.replace("_", "-"), 0)] == reason
    assert reasons[("garbage", None)] == "corrupt_pdf"
    assert all(str(fx[n]) in d.detail for d in ctx.drops for n in names if d.docid == n.replace("_", "-"))


@pytest.mark.parametrize("backend", ["pdfplumber", "pymupdf"])
def test_a_page_over_the_time_limit_is_dropped_in_time(fx, backend):
    t0 = time.monotonic()
    pages, ctx = extract(fx["slow"], backend, page_timeout_s=0.5)
    assert pages == [] and [(d.page, d.reason) for d in ctx.drops] == [(0, "page_timeout")]
    assert time.monotonic() - t0 < 30  # pdfminer alone needs far longer for this page


def test_absurd_character_counts_are_dropped(fx):
    pages, ctx = extract(fx["one_column"], max_chars_per_page=500)
    assert pages == [] and ctx.drops[0].reason == "too_many_chars" and "1301 characters" in ctx.drops[0].detail


def test_a_few_unmapped_glyphs_are_tolerated(fx):
    pages, ctx = extract(fx["cid_font"], max_unmapped_frac=0.95)
    assert len(pages) == 1 and not ctx.drops
    assert "Only this line has a Unicode map." in [e.text for e in pages[0].elements]
    assert pages[0].meta["unmapped"] > 100 and "(cid:" not in " ".join(e.text for e in pages[0].elements)


def test_deadline_interrupts_python_in_the_main_thread():
    with pytest.raises(PageTimeout):
        with deadline(0.2):
            while True:
                pass


def test_deadline_interrupts_python_in_a_worker_thread():
    out = {}

    def work():
        t0 = time.monotonic()
        try:
            with deadline(0.2):
                while time.monotonic() - t0 < 20:
                    sum(range(1000))
        except PageTimeout:
            out["stopped_after"] = time.monotonic() - t0

    th = threading.Thread(target=work)
    th.start()
    th.join(25)
    assert 0.15 < out["stopped_after"] < 10


def _swallow_once_then_spin(limit: float) -> int:
    swallowed = 0
    with deadline(limit):
        try:
            while True:
                pass
        except PageTimeout:  # a parser's bare except eats the first one
            swallowed += 1
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20:
            pass
    return swallowed


def test_deadline_fires_again_when_swallowed():
    with pytest.raises(PageTimeout):
        _swallow_once_then_spin(0.1)
    out = {}

    def work():
        try:
            _swallow_once_then_spin(0.1)
        except PageTimeout:
            out["ok"] = True

    th = threading.Thread(target=work)
    th.start()
    th.join(25)
    assert out == {"ok": True}


def test_deadline_does_not_fire_after_the_block():
    with deadline(0.1):
        pass
    time.sleep(0.3)  # no stray PageTimeout arrives later


def test_the_time_limit_holds_off_the_main_thread(fx):
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("r", extract(fx["slow"], "pdfplumber", page_timeout_s=0.5)))
    th.start()
    th.join(60)
    pages, ctx = out["r"]
    assert pages == [] and [d.reason for d in ctx.drops] == ["page_timeout"]


@pytest.mark.parametrize("backend", ["pdfplumber", "pymupdf"])
def test_owner_password_only_encryption_is_readable(fx, backend, tmp_path):
    import pymupdf

    path = tmp_path / "owner_only.pdf"
    with pymupdf.open(fx["one_column"]) as doc:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="")
    pages, ctx = extract(path, backend)
    assert len(pages) == 1 and not ctx.drops


@pytest.mark.parametrize("backend", ["pdfplumber", "pymupdf"])
def test_unmapped_symbol_fonts_beside_mapped_body_text_keep_the_page(fx, backend):
    """A font with no Unicode map at all next to mapped body text draws symbols or diagrams (XY-pic, chart
    glyphs): its glyphs are left out, the page is kept. When it sets the body (cid_font), the page goes."""
    pages, ctx = extract(fx["symbol_font"], backend)
    assert len(pages) == 1 and not ctx.drops, [d.detail for d in ctx.drops]
    (page,) = pages
    assert page.meta["unmapped"] > 0.05 * page.meta["glyphs"]  # over the limit on the page, under it in text fonts
    assert all("(cid:" not in e.text and "\ufffd" not in e.text for e in page.elements)
    assert sum("Body text that maps" in e.text for e in page.elements) >= 1
    _, ctx = extract(fx["cid_font"], backend)
    assert [d.reason for d in ctx.drops] == ["no_unicode_map"] and "text glyphs" in ctx.drops[0].detail
