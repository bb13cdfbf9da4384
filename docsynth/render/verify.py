"""Checking the layout's ground truth against what PyMuPDF extracts from the rendered page.

A ground-truth word matches when an extracted word has the same text and a box with
IoU >= 0.5; each extracted word matches at most once. Only geometry and word identity are
checked: the ground-truth text always comes from the source, never from extraction.

A font often maps several code points to one glyph (a CJK unified ideograph and its
compatibility twin, U+002D and U+2011), and MuPDF's ToUnicode map names only one of them:
a drawn U+4E0D comes back as U+F967, a drawn "-" as U+2011. Texts are therefore compared under
NFKC first, then, for a word still unmatched, character by character through the drawn font's
glyph ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pymupdf

from docsynth.doc import Element

IOU_MIN = 0.5
# Fonts often draw U+0020 with the glyph of another space (U+2002, U+00A0, ...), which ToUnicode may
# name instead; extraction then glues two words with it. Every Unicode space therefore separates
# extracted words (the normalized source text has no other space than U+0020).
DELIMITERS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace() and c > 0x20)
_mupdf = pymupdf.mupdf


def extract_words(page: pymupdf.Page | pymupdf.DisplayList) -> list[tuple]:
    """(x0, y0, x1, y1, text, block, line, word) per word, as `page.get_text("words", delimiters=DELIMITERS)`
    gives them (from the page's display list when given one: the page is interpreted once for text and raster)."""
    if isinstance(page, pymupdf.DisplayList):
        return pymupdf.TextPage(page.get_textpage(flags=pymupdf.TEXTFLAGS_WORDS)).extractWORDS(DELIMITERS)
    return page.get_text("words", delimiters=DELIMITERS)


def iou(a, b) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@dataclass
class Verdict:
    total: int  # ground-truth words on the page
    matched: int
    first_mismatch: str | None  # the first unmatched word and what was extracted near it

    @property
    def fraction(self) -> float:
        return self.matched / self.total if self.total else 1.0

    def detail(self, page: int) -> str:
        return (f"page {page}: {100 * self.fraction:.1f}% of {self.total} words matched "
                f"(first mismatch: {self.first_mismatch})")  # fmt: skip


def _fmt(box) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in box) + "]"


def _describe(text: str, box, found: list[tuple]) -> str:
    near = max(found, key=lambda f: iou(box, f[:4]), default=None)
    if near is None or iou(box, near[:4]) == 0.0:
        return f"{text!r} at {_fmt(box)}: nothing extracted there"
    return f"{text!r} at {_fmt(box)}: extracted {near[4]!r} at {_fmt(near[:4])}, IoU {iou(box, near[:4]):.2f}"


def same_text_key(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _best(box, candidates, found: list[tuple], used: list[bool]) -> int | None:
    """Index of the unused candidate with the highest IoU >= IOU_MIN."""
    if len(candidates) == 1:  # the usual case
        j = candidates[0]
        return j if not used[j] and iou(box, found[j]) >= IOU_MIN else None
    best, best_iou = None, IOU_MIN
    for j in candidates:
        if not used[j]:
            v = iou(box, found[j])
            if v >= best_iou:
                best, best_iou = j, v
    return best


def match_words(truth: list[tuple], found: list[tuple], same_glyphs: Callable | None = None) -> Verdict:
    """truth: (text, box, font ref) per ground-truth word; found: extracted word tuples.

    A word whose text differs only in characters that the drawn font maps to the same glyph
    (U+002D and U+2011, say) still matches when `same_glyphs(ref, truth_text, found_text)` says so.
    """
    keyed: dict[str, list[int]] = {}
    for j, f in enumerate(found):
        keyed.setdefault(same_text_key(f[4]), []).append(j)
    used = [False] * len(found)
    matched, first = 0, None
    for text, box, ref in truth:
        j = _best(box, keyed.get(same_text_key(text), ()), found, used)
        if j is None and same_glyphs is not None:
            near = [k for k, f in enumerate(found) if iou(box, f) >= IOU_MIN]
            j = _best(box, [k for k in near if same_glyphs(ref, text, found[k][4])], found, used)
        if j is None:
            first = first or _describe(text, box, found)
            continue
        used[j] = True
        matched += 1
    return Verdict(len(truth), matched, first)


def glyph_matcher(fonts: dict[str, object]) -> Callable[[str, str, str], bool]:
    """`same_glyphs` over low-level fonts by ref: equal length, and every differing pair of
    characters maps to one glyph id of that font."""

    def same(ref: str, a: str, b: str) -> bool:
        font = fonts.get(ref)
        if font is None or len(a) != len(b):
            return False
        enc = _mupdf.fz_encode_character
        return all(x == y or enc(font, ord(x)) == enc(font, ord(y)) for x, y in zip(a, b))

    return same


def verify_page(page: pymupdf.Page | pymupdf.DisplayList, elements: list[Element], fonts: dict[str, object] | None = None) -> Verdict:
    """`fonts`: ref -> low-level font of the faces drawn on the page, for the glyph-identity check."""
    truth = [(w.text, w.bbox, el.font["ref"] if el.font else None) for el in elements for ln in el.lines for w in ln.words]
    return match_words(truth, extract_words(page), glyph_matcher(fonts) if fonts else None)
