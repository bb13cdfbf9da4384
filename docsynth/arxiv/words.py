"""Characters -> words, shared by both backends so they build the same structures.

A backend hands over glyphs in content-stream order, already in displayed page points with a
size-high box (pdfminer's convention: the box bottom sits at the font's descent below the
baseline, its top one font size above that; the PyMuPDF backend rebuilds that box from the
glyph origin so the two agree). Words break at whitespace glyphs, at horizontal gaps wider
than `WORD_GAP` font sizes, at jumps back to the left, at vertical jumps off the word's band and
where a sub- or superscript begins or ends (size and baseline both change): poppler's rules
(`minWordBreakSpace`, a new word at a new baseline and size), so word boundaries match `pdftotext`. A spacing
accent set over the glyph before or after it (TeX's accented letters) composes with it (NFC), as poppler does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

Box = tuple[float, float, float, float]

WORD_GAP = 0.15  # a horizontal gap wider than this many font sizes ends a word
BACKSTEP = 0.5  # a glyph starting this many font sizes left of the word's end starts a new one
SCRIPT_SIZE, SCRIPT_SHIFT = 0.1, 0.2  # a glyph this much smaller or larger than the last, its centre this far
# (fractions of the last glyph's size) above or below, starts a new word: a sub- or superscript begins or
# ends (x_i is "x i", as poppler spells it); small capitals share their baseline and stay one word

BOLD, ITALIC, MATH, MONO = 1, 2, 4, 8
_SUBSET = re.compile(r"^[A-Z]{6}\+")
_BOLD = re.compile(r"bold|black|heavy|demi|-medi|medium|cmbx|cmb\d|-bx\b", re.I)  # URW Nimbus "Medi": Times Bold as TeX sets it
_ITALIC = re.compile(r"italic|oblique|cmti|cmsl|-it\b|slant|(?-i:Ital)\b", re.I)  # URW Nimbus "ReguItal", "MediItal"
_MATH = re.compile(r"cmmi|cmsy|cmex|msam|msbm|math|symbol|stix|eufm|rsfs|mtsy|mtmi|mt2(?:mi|sy|ex|bm|ms)|txsy|pxsy|esint|wasy|lasy", re.I)
_MONO = re.compile(r"mono|courier|cmtt|consol|code", re.I)
MATH_CHARS = re.compile(  # Greek, operators, arrows, math alphanumerics and the ASCII operators
    r"[\u0370-\u03ff\u2200-\u22ff\u2190-\u21ff\u27c0-\u27ef\u2980-\u2aff\U0001d400-\U0001d7ff=+<>^_|~\u00b1\u00d7\u00f7]"
)
# spacing accents TeX sets over a letter (\`e, \"o, \v{c}) -> the combining mark composed with it
GREEK_LETTERS = re.compile(r"[\u0386-\u03ce\u1f00-\u1fff]")  # Greek letters, with their tonos and polytonic forms
GREEK_WORD = re.compile(r"[(«\"']*[\u0386-\u03ce\u1f00-\u1fff]{3,}[.,;:!?·»)\"']*")  # a word of Greek prose
ACCENTS = {"`": "\u0300", "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u00af": "\u0304", "\u02d8": "\u0306",
           "\u02d9": "\u0307", "\u00a8": "\u0308", "\u02da": "\u030a", "\u02dd": "\u030b", "\u02c7": "\u030c", "\u00b8": "\u0327",
           "\u02db": "\u0328"}  # fmt: skip
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}


@lru_cache(maxsize=512)
def font_style(fontname: str) -> tuple[str, int]:
    """'ABCDEF+CMBX10' -> ('CMBX10', BOLD): the family without the subset tag, and style bits."""
    name = _SUBSET.sub("", fontname or "")
    bits = (BOLD if _BOLD.search(name) else 0) | (ITALIC if _ITALIC.search(name) else 0)
    bits |= (MATH if _MATH.search(name) else 0) | (MONO if _MONO.search(name) else 0)
    return name, bits


def is_unmapped(text: str) -> bool:
    """pdfminer spells a glyph without a Unicode mapping '(cid:N)'; MuPDF gives U+FFFD."""
    return text.startswith("(cid:") or "\ufffd" in text


@dataclass(slots=True)
class PWord:
    text: str
    bbox: Box
    size: float  # font size in points
    font: str  # family name (subset tag removed) of the word's first glyph
    style: int  # BOLD | ITALIC | MATH | MONO bits of that font
    math_chars: int = 0  # glyphs in a math font or in a math code point range
    ocr: float | None = None  # OCR pages: 1 matched (PDF text), OCR confidence (OCR only), 0 (PDF only)
    seq: int = -1  # place in the content stream (build_words' order); -1: unknown (OCR, rotated, hand-made)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def xc(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2

    @property
    def yc(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2


def build_words(glyphs) -> list[PWord]:
    """glyphs: iterable of (text, x0, y0, x1, y1, size, fontname) in stream order -> words.

    One tight loop (this runs once per glyph on every page): the open word is kept in locals."""
    words: list[PWord] = []
    parts: list[str] = []
    wx0 = wy0 = wx1 = wy1 = wsize = 0.0
    wfont, wmath, wlink = "", 0, False
    px0 = px1 = pyc = psz = 0.0  # the last glyph's x-range (an accent set over it composes with it), centre and size
    for text, x0, y0, x1, y1, size, fontname in glyphs:
        if parts and (text in ACCENTS or parts[-1] in ACCENTS) and y0 < wy1 and y1 > wy0 \
                and min(x1, px1) - max(x0, px0) >= 0.5 * min(x1 - x0, px1 - px0) > 0:  # fmt: skip
            accent, letter = (text, parts[-1]) if text in ACCENTS else (parts[-1], text)
            parts[-1] = unicodedata.normalize("NFC", letter + ACCENTS[accent])  # TeX's \`e: a letter and a spacing accent over it
            px0, px1 = min(px0, x0), max(px1, x1)
            wx1 = max(wx1, x1)
            continue
        yc = (y0 + y1) * 0.5
        if parts:
            s = size if size > wsize else wsize
            script = abs(size - psz) > SCRIPT_SIZE * psz and abs(yc - pyc) > SCRIPT_SHIFT * psz
            if (script or text.isspace() or not text or yc < wy0 - 0.1 * s or yc > wy1 + 0.1 * s
                    or x0 < wx1 - BACKSTEP * s or x0 > wx1 + WORD_GAP * s):  # fmt: skip
                words.append(_word(parts, wx0, wy0, wx1, wy1, wsize, wfont, wmath, wlink))
                parts = []
                # a script of a word with math in it is math: set right after it, not a new line of another size
                wlink = script and words[-1].math_chars > 0 and wx1 - BACKSTEP * s <= x0 <= wx1 + WORD_GAP * s \
                    and wy0 - s <= yc <= wy1 + s
            else:
                parts.append(text)
                px0, px1, pyc, psz = x0, x1, yc, size
                wx0, wy0 = min(wx0, x0), min(wy0, y0)
                wx1, wy1, wsize = max(wx1, x1), max(wy1, y1), s
                wmath += fontname != wfont and font_style(fontname)[1] & MATH and 1 or 0
                continue
        if text and not text.isspace():
            parts = [text]
            px0, px1, pyc, psz = x0, x1, yc, size
            wx0, wy0, wx1, wy1, wsize, wfont, wmath = x0, y0, x1, y1, size, fontname, 0
        else:
            wlink = False
    if parts:
        words.append(_word(parts, wx0, wy0, wx1, wy1, wsize, wfont, wmath, wlink))
    for k, w in enumerate(words):
        w.seq = k
    return words


def _word(parts: list[str], x0: float, y0: float, x1: float, y1: float, size: float, fontname: str, mixed_math: int,
          script_of_math: bool = False) -> PWord:  # fmt: skip
    family, bits = font_style(fontname)
    text = "".join(parts)
    if bits & MATH or script_of_math:
        math = len(text)
    else:  # a Greek word of three letters or more in a text font is Greek prose, not symbols
        math = len(MATH_CHARS.findall(GREEK_LETTERS.sub("", text) if GREEK_WORD.fullmatch(text) else text)) + mixed_math
    return PWord(text, (x0, y0, x1, y1), round(size, 2), family, bits, min(math, len(text)))


def expand_ligatures(text: str) -> str:
    """Presentation-form ligatures (U+FB00-FB06) -> their letters; everything else untouched."""
    if not any(c in LIGATURES for c in text):
        return text
    return "".join(LIGATURES.get(c, c) for c in text)


# display direction (degrees clockwise, y down) -> matrix turning that direction into +x
TO_FRAME = {90: (0.0, -1.0, 1.0, 0.0, 0.0, 0.0), 180: (-1.0, 0.0, 0.0, -1.0, 0.0, 0.0), 270: (0.0, 1.0, -1.0, 0.0, 0.0, 0.0)}


def direction_angle(dx: float, dy: float) -> int:
    """Text direction in display space (y down) -> 0, 90, 180 or 270 (the nearest quarter turn)."""
    if abs(dx) >= abs(dy):
        return 0 if dx >= 0 else 180
    return 90 if dy > 0 else 270


def build_rotated_words(glyphs, angle: int) -> list[PWord]:
    """Words of text running in `angle`, in the turned frame where that text runs left to right."""
    from docsynth.arxiv.geometry import apply_box

    m = TO_FRAME[angle]
    framed = ((t, *apply_box(m, (x0, y0, x1, y1)), size, font) for t, x0, y0, x1, y1, size, font in glyphs)
    return build_words(framed)
