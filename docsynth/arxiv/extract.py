"""`Extract`: one PDF -> its pages, each with typed elements in reading order and a raster.

A page is parsed by the configured backend, checked (character count, Unicode map), optionally
aligned with OCR, laid out (`assemble`) and rasterized by MuPDF at `render.dpi` (lower for pages
larger than `arxiv.max_page_side_pt`, so their code grid fits the vocabulary). Everything a page
does runs under a hard deadline (`deadline`). Bad input becomes a drop with a reason, never an
exception out of the step:

  document  corrupt_pdf (not a PDF, truncated, a page tree nothing can reach), encrypted (needs a
            password), no_pages, open_timeout (opening alone exceeds the page time limit),
            unreadable_file (the file system refuses: gone, no permission)
  page      corrupt_pdf (neither backend can parse the page), missing_page (the page tree names
            an object the file does not hold), page_mismatch (pdfminer has no page
            matching MuPDF's and MuPDF cannot read it either), too_many_chars, no_unicode_map,
            no_text_layer, low_alignment, page_timeout, empty_page, frame_mismatch (the backends disagree
            on the page box and MuPDF cannot read it), extract_error (anything else; the detail names
            the exception)

A page the configured backend cannot give (it fails, or its page is not MuPDF's page: see
`readers.py`) is read by the other backend; its metadata says which (`backend`) and why
(`backend_fallback`). Failures while closing a file are logged and counted, never raised.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf

from docsynth import config as C
from docsynth.arxiv.align import align
from docsynth.arxiv.assemble import assemble
from docsynth.arxiv.backends import RawPage, symbol_fonts, visible_images
from docsynth.arxiv.deadline import PageTimeout, deadline
from docsynth.arxiv.readers import PageDrop, Readers, reraise_timeout, timed_out
from docsynth.arxiv.ocr import OcrFiles, OcrPage, line_boxes, to_points
from docsynth.doc import Document, Page, display_name
from docsynth.render.raster import COLORSPACES, pixmap_array
from docsynth.steps import ShardContext, Step, why

log = logging.getLogger("docsynth.arxiv")
EOF_WINDOW = 1024  # bytes at the end of a file that must hold %%EOF (PDF 1.7, §7.5.5)


def make_ocr(acfg: C.ArxivConfig):
    """None, "tesseract" (checked to be runnable) or an `OcrFiles` reader."""
    if acfg.ocr is None:
        return None
    if acfg.ocr == "tesseract":
        from docsynth.arxiv.tesseract import check_available

        check_available()
        return "tesseract"
    kind, _, folder = acfg.ocr.partition(":")
    return OcrFiles(kind, folder)


def rasterize(page: pymupdf.Page, dpi: int, mode: str, max_side_pt: float):
    """(pixels, dpi used): at `dpi`, or lower so that neither side exceeds max_side_pt * dpi / 72 pixels."""
    limit = math.floor(max_side_pt * dpi / 72)
    scale = min(dpi / 72, limit / max(page.rect.width, page.rect.height) * (1 - 1e-9))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), colorspace=COLORSPACES[mode], alpha=False)
    while max(pix.w, pix.h) > limit:  # MuPDF rounds the pixel box outwards
        scale *= (limit - 0.5) / max(pix.w, pix.h)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), colorspace=COLORSPACES[mode], alpha=False)
    return pixmap_array(pix), round(scale * 72, 4)


class Extract(Step):
    name = "extract"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg, self.acfg = cfg, cfg.arxiv
        self.ocr = make_ocr(cfg.arxiv)

    def run(self, docs: Iterator[Document], ctx: ShardContext) -> Iterator[Page]:
        for doc in docs:
            if self.acfg.isolate:
                from docsynth.arxiv.isolate import read_isolated

                yield from read_isolated(self.cfg, doc, ctx)
            else:
                yield from self.document(doc, ctx)

    def document(self, doc: Document, ctx: ShardContext) -> Iterator[Page]:
        """The pages of one PDF, read in this process (the reader process runs the same pieces)."""
        readers = self.open(doc, ctx)
        if readers is None:
            return
        try:
            yield from self.pages(doc, readers, ctx)
        finally:
            self.close(doc, readers, ctx)

    def open(self, doc: Document, ctx: ShardContext) -> Readers | None:
        """The file's readers; None when the whole file is dropped (recorded in ctx)."""
        with ctx.timer(self.name):
            opened = self._open(doc.meta["path"])
        if isinstance(opened, PageDrop):
            ctx.drop(doc.source, doc.docid, opened.reason, f"{display_name(doc.meta['path'])}: {opened.detail}", step=self.name)
            return None
        return opened

    def pages(self, doc: Document, readers: Readers, ctx: ShardContext) -> Iterator[Page]:
        for i in range(readers.fdoc.page_count):
            page = self._timed_page(doc, readers, i, ctx)
            if page is not None:
                yield page

    def close(self, doc: Document, readers: Readers, ctx: ShardContext) -> None:
        for problem in readers.close():
            log.warning("%s: %s", display_name(doc.meta["path"]), problem)
            ctx.counters["arxiv_close_errors"] += 1

    def _open(self, path: str) -> Readers | PageDrop:
        """The file's readers, or the PageDrop that rejects the whole file. Opening runs under the
        page time limit, MuPDF's and (in `Readers`) pdfminer's each."""
        limit = self.acfg.page_timeout_s
        fdoc = None
        try:
            with deadline(limit):
                fdoc = _open_mupdf(path)
                reject = _reject(fdoc, path)
        except OSError as e:  # missing, unreadable, a folder: the file system's answer, not the PDF's
            reject = PageDrop("unreadable_file", f"cannot read the file ({why(e)})")
        except Exception as e:
            reject = PageDrop("open_timeout", f"opening took longer than {limit:g} s") if timed_out(e) \
                else PageDrop("corrupt_pdf", f"MuPDF cannot {'read' if fdoc else 'open'} it ({why(e)})")  # fmt: skip
        if reject is None:
            return Readers(fdoc, path, self.acfg.backend, lambda: deadline(limit))
        if fdoc is not None:
            fdoc.close()
        return reject

    def _timed_page(self, doc: Document, readers: Readers, i: int, ctx: ShardContext) -> Page | None:
        t0, limit = time.perf_counter(), self.acfg.page_timeout_s
        dl = None
        try:
            with deadline(limit) as dl:
                page = self.page(doc, readers, i)
            ctx.counters["arxiv_pages"] += 1
            ctx.counters["arxiv_backend_fallbacks"] += page.meta.get("backend_fallback") is not None
            ctx.counters["arxiv_ocr_pages"] += page.meta["ocr"] is not None
            ctx.counters["arxiv_scans"] += not page.meta["text_layer"]
            return page
        except PageTimeout:
            reason, detail = "page_timeout", f"page {i} took longer than {limit:g} s"
        except PageDrop as e:
            reason, detail = e.reason, f"page {i}: {e.detail}"
        except Exception as e:  # a bug or an input nobody foresaw: recorded, never lost, never fatal
            if _out_of_memory(e):  # a library ran out: the reader's address-space limit, or the machine's memory
                reason, detail = "memory_limit", f"page {i}: out of memory ({why(e)})"
            else:
                log.warning("%s page %d: %s", display_name(doc.meta["path"]), i, e, exc_info=True)
                reason, detail = "extract_error", f"page {i}: {why(e)}"
        finally:
            ctx.timings[self.name] += time.perf_counter() - t0
        if dl is not None and dl.expired and reason != "page_timeout":  # the timeout surfaced as another error
            reason, detail = "page_timeout", f"page {i} took longer than {limit:g} s ({detail})"
        ctx.drop(doc.source, doc.docid, reason, f"{display_name(doc.meta['path'])}: {detail}", step=self.name, page=i)
        return None

    def page(self, doc: Document, readers: Readers, i: int) -> Page:
        fdoc = readers.fdoc
        try:
            fpage = fdoc[i]
            width, height = fpage.rect.width, fpage.rect.height
        except Exception as e:
            reraise_timeout(e)
            raise PageDrop("corrupt_pdf", f"MuPDF cannot load it ({why(e)})") from e
        if fdoc.page_xref(i) >= fdoc.xref_length():  # MuPDF shows a blank Letter page in its place
            raise PageDrop("missing_page", f"the page tree names object {fdoc.page_xref(i)}, which the file does not hold")
        read = readers.page(i)
        raw = read.raw
        self._check(raw)
        words, facts = self._words(doc, fpage, raw, i)
        images = visible_images(fpage, raw.images)
        elements, layout = assemble(words, raw.rotated, images, raw.paths, width, height, self.acfg.granularity)
        if not elements:
            raise PageDrop("empty_page", "nothing to extract")
        try:
            image, dpi = rasterize(fpage, self.cfg.render.dpi, self.cfg.render.mode, self.acfg.max_page_side_pt)
        except Exception as e:  # MuPDF can read the text of pages it cannot draw (absurd colour spaces, broken images)
            if timed_out(e) or _out_of_memory(e):
                raise
            raise PageDrop("corrupt_pdf", f"MuPDF cannot render it ({why(e)})") from e
        meta = {
            "backend": read.backend, "dpi": dpi, "pdf": display_name(Path(doc.meta["path"]).name), "pages_in_pdf": fdoc.page_count,
            "rotation": fpage.rotation, "cropbox": [round(v, 3) for v in fpage.cropbox],
            "mediabox": [round(v, 3) for v in fpage.mediabox], "glyphs": raw.glyphs, "unmapped": raw.unmapped,
            **({"hidden_glyphs": raw.hidden} if raw.hidden else {}),
            **layout, **facts, **({"backend_fallback": read.fallback} if read.fallback else {}),
        }  # fmt: skip
        return Page("arxiv", doc.docid, i, width, height, elements, image=image, meta=meta)

    def _check(self, raw: RawPage) -> None:
        if raw.glyphs > self.acfg.max_chars_per_page:
            raise PageDrop("too_many_chars", f"{raw.glyphs} characters (limit {self.acfg.max_chars_per_page})")
        glyphs, unmapped = text_glyphs(raw)
        if glyphs and unmapped > self.acfg.max_unmapped_frac * glyphs:
            raise PageDrop("no_unicode_map", f"{unmapped} of {glyphs} text glyphs have no Unicode mapping ((cid:N))"
                                             + (f"; {raw.unmapped - unmapped} more in symbol or diagram fonts" if raw.unmapped > unmapped else ""))

    def _words(self, doc: Document, fpage, raw: RawPage, i: int):
        """The page's words and OCR facts: text layer, OCR aligned to it, or OCR alone (a scan)."""
        text_layer = bool(raw.words or any(raw.rotated.values()))
        ocr = self._ocr_page(doc, fpage, i, text_layer)
        facts = {"text_layer": text_layer, "ocr": None, "alignment_score": None}
        if ocr is None:
            if not text_layer:
                raise PageDrop("no_text_layer", "no text layer" + (" and no OCR for this page" if self.ocr else " (give --ocr)"))
            return raw.words, facts
        owords = to_points(ocr, fpage.rect.width, fpage.rect.height)
        facts["ocr"] = self.acfg.ocr.partition(":")[0]
        facts["ocr_words"] = len(owords)
        if not text_layer:
            confs = [w.ocr for w in owords]
            facts["ocr_confidence"] = round(statistics.fmean(confs), 4) if confs else None
            return owords, facts
        al = align(raw.words, owords)
        facts.update(alignment_score=round(al.score, 4), pdf_words=len(raw.words), matched=len(al.pairs),
                     matched_sequence=al.sequence_pairs,
                     median_iou=round(statistics.median(al.ious), 4) if al.ious else None)  # fmt: skip
        if al.score < self.acfg.min_align_score:
            raise PageDrop("low_alignment", f"OCR alignment score {al.score:.3f} < {self.acfg.min_align_score}")
        return line_boxes(al.words), facts  # words OCR missed (PDF boxes) join their OCR lines' bands

    def _ocr_page(self, doc: Document, fpage, i: int, text_layer: bool) -> OcrPage | None:
        if self.ocr is None or (self.acfg.ocr_scope == "scans" and text_layer):
            return None
        if self.ocr == "tesseract":
            from docsynth.arxiv.tesseract import run_tesseract

            return run_tesseract(fpage, self.acfg.ocr_dpi, self.acfg.ocr_lang, timeout=self.acfg.page_timeout_s)
        return self.ocr.page(Path(doc.meta["path"]).stem, i)


def _open_mupdf(path: str):
    """MuPDF takes file names as UTF-8: a name that is not (surrogate escapes) is opened from its bytes."""
    if display_name(path) == path:
        return pymupdf.open(path)
    with open(path, "rb") as f:
        return pymupdf.open(stream=f.read(), filetype="pdf")


def _reject(fdoc, path: str) -> PageDrop | None:
    """Why a whole document is unusable, or None."""
    if not fdoc.is_pdf:
        return PageDrop("corrupt_pdf", "not a PDF")
    if fdoc.needs_pass:
        return PageDrop("encrypted", "encrypted with a user password")
    if fdoc.is_repaired and not _has_eof(path):
        return PageDrop("corrupt_pdf", f"truncated: no %%EOF in the last {EOF_WINDOW} bytes and a broken xref")
    if fdoc.page_count == 0:
        problem = _page_tree_problem(fdoc)
        if problem:
            return PageDrop("corrupt_pdf", problem)
        return PageDrop("corrupt_pdf" if fdoc.is_repaired else "no_pages", "the document has no pages")
    return None


def text_glyphs(raw: RawPage) -> tuple[int, int]:
    """(glyphs, unmapped glyphs) of the page's text fonts. A font none of whose glyphs maps, beside a page
    font with more glyphs that does map, draws symbols or diagrams (XY-pic arrows, CMEX delimiters, chart
    glyphs): its glyphs are left out of the words and out of this count. The body font never is."""
    if not raw.fonts:
        return raw.glyphs, raw.unmapped
    symbols = symbol_fonts(raw.fonts)
    kept = [c for f, c in raw.fonts.items() if f not in symbols]
    return sum(c[0] for c in kept), sum(c[1] for c in kept)


def _out_of_memory(e: BaseException) -> bool:
    """Python's MemoryError, or MuPDF's failed allocation (an FzError saying so)."""
    return isinstance(e, MemoryError) or (type(e).__name__.startswith("FzError") and "malloc" in str(e).lower()) \
        or "out of memory" in str(e).lower()  # fmt: skip


def _page_tree_problem(fdoc) -> str | None:
    """Why a document MuPDF finds no pages in still claims some: its tree's /Count or /Kids (None: it claims none)."""
    try:
        kind, val = fdoc.xref_get_key(fdoc.pdf_catalog(), "Pages")
        if kind != "xref":
            return None
        root = int(val.split()[0])
        kind, count = fdoc.xref_get_key(root, "Count")
        if kind == "int" and int(count) > 0:
            return f"its page tree names {int(count)} page(s) but none can be reached"
        if fdoc.xref_get_key(root, "Type")[1] == "/Page":
            return "the root of its page tree is a page, not a /Pages node"
        kind, kids = fdoc.xref_get_key(root, "Kids")
        if kind == "array" and "R" in kids:
            return "its page tree has kids but no page can be reached (too deep, cyclic or broken)"
    except Exception:  # a catalog this broken says nothing more
        pass
    return None


def _has_eof(path: str) -> bool:
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - EOF_WINDOW))
        return b"%%EOF" in f.read()
