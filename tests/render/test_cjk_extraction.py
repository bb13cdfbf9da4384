"""Pages of CJK text pass verification whatever face the pool picks (MuPDF text-map quirks)."""

import pymupdf

from docsynth import config as C
from docsynth.fonts import FontPool
from render_helpers import make_doc, render

TEXT = "再現する。参加する再現、日曜日に再現する出演者。"


def test_every_cjk_face_round_trips_through_extraction():
    pool = FontPool.from_config(C.FontConfig())
    faces = [f for f in pool.faces if pool.font(f).has_glyph(ord("再"))]
    assert faces
    for face in faces:
        page = pymupdf.open().new_page()
        tw = pymupdf.TextWriter(page.rect)
        tw.append((50, 100), TEXT, font=pool.font(face), fontsize=14)
        tw.write_text(page)
        assert page.get_text("text").strip() == TEXT, face.ref


def test_japanese_pages_are_not_dropped_by_verification():
    docs = [make_doc(f"ja-{i}", [TEXT * 6] * 4, locale="ja_JP") for i in range(8)]
    pages, ctx = render(docs)
    assert pages and not [d for d in ctx.drops if d.reason == "verify_mismatch"]
