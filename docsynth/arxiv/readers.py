"""One PDF's readers: MuPDF (the raster, and the judge of page identity) and the configured backend,
with the other backend as the fallback of each page.

pdfminer and MuPDF do not always see the same pages: they disagree on the page count of some files
(a page object listed twice in `/Kids`, a leaf without `/Type`, a broken page tree), on a page's
size (`/UserUnit`, zero-size boxes), and one may fail where the other reads. So a pdfplumber page is
never paired with a MuPDF page by its index alone:

1. pair by page object number (pdfminer's `pageid`, MuPDF's `page_xref`), by index only where
   the numbers are unknown and the counts agree;
2. check the pair: same displayed size (±1 pt) and the same text (`fingerprint` similarity ≥
   `MIN_SAME_TEXT` over MuPDF's and the backend's words);
3. a page without a pair, or whose pair fails the check or whose parse raises, is read by the
   other backend (MuPDF reads every page it rasterizes); `RawRead.fallback` says why, and the page's
   metadata records which backend read it. Only when both fail is the page dropped.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass

from docsynth.arxiv.backends import GlyphSpeller, MupdfBackend, PlumberBackend, RawPage, open_backend
from docsynth.arxiv.deadline import PageTimeout
from docsynth.steps import why

log = logging.getLogger("docsynth.arxiv")
MIN_SAME_TEXT = 0.5  # fingerprint similarity below which two readings are not the same page
_WORD = re.compile(r"\w+")


def timed_out(e: BaseException | None, depth: int = 0) -> bool:
    """Whether `e`, or anything it wraps, is our PageTimeout (pdfplumber wraps what pdfminer raised)."""
    if e is None or depth > 8:
        return False
    if isinstance(e, PageTimeout) or any(isinstance(a, PageTimeout) for a in e.args):
        return True
    return timed_out(e.__cause__ or e.__context__, depth + 1)


def reraise_timeout(e: BaseException) -> None:
    """Raise our PageTimeout when `e` is one in disguise (pdfplumber wraps what pdfminer raised)."""
    if timed_out(e):
        raise PageTimeout(str(e)) from e


def fingerprint(words) -> Counter:
    """A page's text as a multiset of NFKC-folded word tokens (ligatures and unmapped glyphs fold away)."""
    out = Counter()
    for w in words:
        out.update(t for t in _WORD.findall(unicodedata.normalize("NFKC", w).lower()) if len(t) > 1 or t.isdigit())
    return out


def same_text(a: Counter, b: Counter) -> float:
    """Shared tokens over the larger page's tokens; 1.0 for two pages without text."""
    total = max(sum(a.values()), sum(b.values()))
    return 1.0 if total == 0 else sum((a & b).values()) / total


class PageDrop(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass
class RawRead:
    raw: RawPage
    backend: str  # the backend that read the page
    fallback: str | None = None  # why the configured backend did not (None: it did)


class Readers:
    """The readers of one open PDF; `page(i)` gives MuPDF page i's RawPage from the best backend."""

    def __init__(self, fdoc, path: str, backend: str, open_timeout):
        self.fdoc, self.path, self.primary = fdoc, path, backend
        self.mupdf = MupdfBackend.from_doc(fdoc)
        self.plumber: PlumberBackend | None = None
        self.plumber_error: str | None = None  # why pdfplumber cannot read this file at all
        self.close_error: str | None = None  # a failure closing pdfplumber early, reported by close()
        self._pairs: dict[int, int] | None = None
        if backend == "pdfplumber":
            self._open_plumber(open_timeout)

    def _open_plumber(self, open_timeout) -> None:
        try:
            with open_timeout():  # pdfminer parses the xref and the page tree here
                self.plumber = open_backend("pdfplumber", self.path)
                n = len(self.plumber)
            if n == 0 and self.fdoc.page_count:
                self.plumber_error = "pdfminer finds no pages"
        except Exception as e:  # PageTimeout included: MuPDF reads the pages instead
            self.plumber_error = "opening took too long" if timed_out(e) else why(e)
        if self.plumber_error is not None:
            if self.plumber is not None:
                problem = _closed_quietly(self.plumber)
                self.close_error = f"pdfplumber close: {problem}" if problem else None
                self.plumber = None
            log.info("%s: pdfplumber cannot read it (%s); MuPDF reads its pages", self.path, self.plumber_error)

    def page(self, i: int) -> RawRead:
        """MuPDF page i read by the configured backend, or by the other one (saying why); PageDrop when neither can."""
        readers = {"pdfplumber": self._plumber_page, "pymupdf": self._mupdf_page}
        first, second = self.primary, "pymupdf" if self.primary == "pdfplumber" else "pdfplumber"
        try:
            return RawRead(readers[first](i), first)
        except PageDrop as e:
            refused = e
        try:
            return RawRead(readers[second](i), second, f"{refused.reason}: {refused.detail}")
        except PageDrop as e:
            raise PageDrop(refused.reason, f"{refused.detail}; {e.detail}") from e

    def _mupdf_page(self, i: int) -> RawPage:
        try:
            return self.mupdf.page(i)
        except Exception as e:
            reraise_timeout(e)
            raise PageDrop("corrupt_pdf", f"pymupdf cannot parse it ({why(e)})") from e

    def _plumber_page(self, i: int) -> RawPage:
        if self.plumber is None and self.plumber_error is None:  # the fallback of the pymupdf backend
            self._open_plumber(nullcontext)
        if self.plumber is None:
            raise PageDrop("corrupt_pdf", f"pdfplumber cannot read the file ({self.plumber_error})")
        j = self.pairs().get(i)
        if j is None:
            raise PageDrop("page_mismatch", f"pdfminer has no page matching MuPDF's page {i} "
                                            f"({len(self.plumber)} vs {self.fdoc.page_count} pages)")  # fmt: skip
        try:
            mupdf = GlyphSpeller(self.fdoc, i)
            raw = self.plumber.page(j, mupdf)
        except Exception as e:
            reraise_timeout(e)
            raise PageDrop("corrupt_pdf", f"pdfplumber cannot parse it ({why(e)})") from e
        self._check_pair(i, j, raw, mupdf)
        return raw

    def _check_pair(self, i: int, j: int, raw: RawPage, mupdf: GlyphSpeller) -> None:
        fpage = self.fdoc[i]
        w, h = fpage.rect.width, fpage.rect.height
        if abs(raw.width - w) > 1 or abs(raw.height - h) > 1:
            raise PageDrop("frame_mismatch", f"pdfplumber sees {raw.width:g}x{raw.height:g} pt, MuPDF {w:g}x{h:g}")
        ours = fingerprint(word.text for word in (*raw.words, *(x for ws in raw.rotated.values() for x in ws)))
        try:
            theirs = fingerprint(mupdf.text())
        except Exception as e:
            reraise_timeout(e)
            raise PageDrop("corrupt_pdf", f"MuPDF cannot read its text to check the pair ({why(e)})") from e
        sim = same_text(ours, theirs)
        if sim < MIN_SAME_TEXT:
            raise PageDrop("page_mismatch", f"pdfminer's page {j} and MuPDF's page {i} hold different text "
                                            f"(similarity {sim:.2f})")  # fmt: skip

    def pairs(self) -> dict[int, int]:
        """MuPDF page index -> pdfminer page index: by page object number, by index only where pdfminer
        gives no numbers and the counts agree."""
        if self._pairs is None:
            ids = [getattr(p.page_obj, "pageid", None) for p in self.plumber.pdf.pages]
            n = self.fdoc.page_count
            if ids and all(pid is not None for pid in ids):
                by_id = {}
                for j, pid in enumerate(ids):
                    by_id.setdefault(pid, j)
                self._pairs = {i: by_id[x] for i in range(n) if (x := self.fdoc.page_xref(i)) in by_id}
            else:
                self._pairs = {i: i for i in range(n)} if len(ids) == n else {}
        return self._pairs

    def close(self) -> list[str]:
        """Close everything; what failed while closing (pdfplumber's close may parse pages again)."""
        problems = [self.close_error] if self.close_error else []
        for what, closer in (("pdfplumber", self.plumber), ("MuPDF", self.fdoc)):
            problem = _closed_quietly(closer) if closer is not None else None
            if problem:
                problems.append(f"{what} close: {problem}")
        return problems


def _closed_quietly(closer) -> str | None:
    """Close; what went wrong, if anything (RecursionError and friends: the pages are done, the run goes on)."""
    try:
        closer.close()
    except Exception as e:
        return why(e)
    return None
