"""Drawing planned pages into an in-memory PDF with PyMuPDF.

Text goes through `TextWriter` objects (one per colour and page), filled with MuPDF's
`fz_show_string` directly: `TextWriter.append` recomputes the bounding box of everything
appended so far on every call (~150 µs each, quadratic on a page), the direct call costs
~7 µs. Only faces that cover the text are passed in, so MuPDF's per-glyph fallback never
fires.

Embedding a font into a PDF costs time per glyph of the font (MuPDF writes its width array and
ToUnicode map): ~5 ms for a Latin face, ~300-400 ms for a CJK face of 65k glyphs. `PdfHost`
therefore keeps one PDF per process and lends its pages to one document at a time: a face is
embedded once per host rather than once per document, and the host is replaced after a number
of documents or faces so memory stays bounded. Pages are self-contained (their own content
stream and resource dict), so what a page renders does not depend on what the host held before.
"""

from __future__ import annotations

import pymupdf

from docsynth.render.layout import PagePlan

_mupdf = pymupdf.mupdf
_LANG = _mupdf.fz_text_language_from_string(None)


class PdfHost:
    """A reusable in-memory PDF; `begin()` before a document, `end()` after it (its pages are deleted)."""

    def __init__(self, max_docs: int = 128, max_font_bytes: int = 160 << 20):
        self.max_docs = max_docs  # documents before the PDF is replaced (drops orphaned content and images)
        self.max_font_bytes = max_font_bytes  # embedded font bytes before the PDF is replaced
        self.doc: pymupdf.Document | None = None
        self.docs = 0
        self.font_bytes = 0
        self.faces: set[str] = set()

    def begin(self) -> pymupdf.Document:
        if self.doc is None or self.docs >= self.max_docs or self.font_bytes >= self.max_font_bytes:
            if self.doc is not None:
                self.doc.close()
            self.doc, self.docs, self.font_bytes, self.faces = pymupdf.open(), 0, 0, set()
        return self.doc

    def end(self) -> None:
        self.docs += 1
        if self.doc is not None and self.doc.page_count:
            self.doc.delete_pages(0, self.doc.page_count - 1)

    def embeds(self, ref: str, font) -> None:
        """Count a face drawn into this PDF (`font`: low-level fz_font)."""
        if ref not in self.faces:
            self.faces.add(ref)
            self.font_bytes += font.m_internal.buffer.len if font.m_internal.buffer else 0


_HOST: PdfHost | None = None


def host() -> PdfHost:
    """The process-wide host."""
    global _HOST
    if _HOST is None:
        _HOST = PdfHost()
    return _HOST


def draw_page(pdf: PdfHost, plan: PagePlan, width: float, height: float, pool, images: list) -> tuple[pymupdf.Page, dict]:
    """A new page of the host's PDF with the plan's figures (`images`: (H, W, 3) uint8 each) and text;
    returns the page and the low-level fonts drawn on it (by face ref)."""
    page = pdf.doc.new_page(width=width, height=height)
    for fig, img in zip(plan.figures, images):
        pix = pymupdf.Pixmap(pymupdf.csRGB, img.shape[1], img.shape[0], img.tobytes(), 0)
        page.insert_image(pymupdf.Rect(fig.rect), pixmap=pix)
    if plan.rules or plan.paths:
        draw_vectors(page, plan)
    writers: dict[tuple, pymupdf.TextWriter] = {}
    fonts: dict[str, object] = {}
    for run in plan.runs:
        tw = writers.get(run.color)
        if tw is None:
            tw = writers[run.color] = pymupdf.TextWriter(page.rect)
        font = fonts.get(run.face.ref)
        if font is None:
            font = fonts[run.face.ref] = pool.font(run.face).this
            pdf.embeds(run.face.ref, font)
        trm = _mupdf.fz_make_matrix(run.size, 0, 0, run.size, run.x, height - run.baseline)  # PDF space: y up
        _mupdf.fz_show_string(tw.this, font, trm, run.text, 0, 0, 0, _LANG)
    for color, tw in writers.items():
        tw.write_text(page, color=tuple(c / 255.0 for c in color))
    return page, fonts


def draw_vectors(page: pymupdf.Page, plan: PagePlan) -> None:
    """Table rules (stroked, black) and formula outlines (filled, non-zero winding) as PDF path
    operators written into one `Shape` (its `draw_cont` buffer): `Shape.draw_bezier` costs ~100 µs
    a segment, and a formula has hundreds."""
    shape = page.new_shape()
    m = ~page.transformation_matrix  # top-left points -> PDF user space

    def pt(x: float, y: float) -> str:
        return f"{m.a * x + m.c * y + m.e:.3f} {m.b * x + m.d * y + m.f:.3f}"

    for x0, y0, x1, y1, width in plan.rules:
        shape.draw_cont += f"{pt(x0, y0)} m {pt(x1, y1)} l\n"
        shape.finish(width=width, color=(0, 0, 0), closePath=False)
    for draw in plan.paths:  # each formula in its own frame: translated to its box's corner
        shape.draw_cont += f"1 0 0 1 {pt(draw.x, draw.y)} cm\n" + draw.ops
        shape.finish(fill=tuple(c / 255.0 for c in draw.color), color=None, width=0, even_odd=False, closePath=False)
    shape.commit()
