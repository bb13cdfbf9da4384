"""Text normalization: raw source text -> clean NFC paragraphs, and the `Normalize` step.

`normalize` removes what no page can show (C0/C1 controls, zero-width and other invisible
format characters, soft hyphens, lone surrogates, noncharacters), applies NFC, collapses whitespace and
splits paragraphs. `Normalize` drops documents that cannot become pages: empty text,
right-to-left text (the layout engine does not do bidi), scripts that need glyph shaping
(Indic, Thai, …: pages are written without a shaping engine) and text that spells a docsynth
special token (it would break the Format A/B round trip). Emoji and scripts no font covers
are left to the renderer, which decides by font coverage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from docsynth import config as C
from docsynth.doc import Document
from docsynth.render.segment import split_chunk
from docsynth.steps import ShardContext, Step
from docsynth.vocab import SPECIAL_PATTERN

# Invisible format characters removed outright: zero-width space/joiners, word joiner, BOM, soft
# hyphen, bidi marks/embeddings/isolates, variation selectors and invisible math operators.
INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")  # C0/C1 except breaks, + lone surrogates
# Noncharacters (U+FDD0..U+FDEF and the last two code points of every plane): reserved for a program's
# internal use, never text; no font draws them. (Their block, Arabic Presentation Forms-A, is no reason
# to call them right-to-left.)
_NONCHAR = re.compile("[\ufdd0-\ufdef" + "".join(f"{chr(p << 16 | 0xFFFE)}{chr(p << 16 | 0xFFFF)}" for p in range(17)) + "]")
_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"})
_SPACES = re.compile(r"[^\S\n]+")  # whitespace runs other than newlines
_BLANK_LINES = re.compile(r"\n\s*\n")
_SENTENCE_END = tuple(".!?:;…。！？：；\"'”’»)]")
RTL_CLASSES = ("R", "AL", "AN")  # strong right-to-left and Arabic numbers
# Scripts whose glyphs must be shaped (reordered, conjoined): Indic (Devanagari … Sinhala), Thai,
# Lao, Tibetan, Myanmar, Khmer, Mongolian, conjoining Hangul jamo. Pages are written glyph by
# glyph with no shaping engine, so such text would render wrongly.
_COMPLEX = re.compile("[\u0900-\u0dff\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u18af\ua960-\ua97f\ud7b0-\ud7ff]")


def normalize(text: str) -> tuple[list[str], dict]:
    """Clean paragraphs of `text` and what was changed (counts)."""
    stats = {"chars_in": len(text)}
    text = text.replace("\r\n", "\n").translate(_BREAKS)
    text, stats["invisible_removed"] = _INVISIBLE.subn("", text)
    text, stats["controls_removed"] = _CONTROL.subn("", text.replace("\t", " "))
    text, stats["noncharacters_removed"] = _NONCHAR.subn("", text)
    nfc = unicodedata.normalize("NFC", text)
    stats["nfc_changed"] = nfc != text
    paragraphs, soft = [], 0
    for block in _BLANK_LINES.split(nfc):
        lines = [ln for ln in (_SPACES.sub(" ", ln).strip() for ln in block.split("\n")) if ln]
        joined, n = _join_wrapped(lines)
        paragraphs.extend(joined)
        soft += n
    stats.update(soft_breaks_joined=soft, paragraphs=len(paragraphs), chars_out=sum(map(len, paragraphs)))
    return paragraphs, stats


def _join_wrapped(lines: list[str]) -> tuple[list[str], int]:
    """A single newline ends a paragraph unless it looks like a hard wrap inside a sentence:
    the line does not end a sentence and the next one starts with a lower-case letter."""
    out, joined = [], 0
    for ln in lines:
        if out and not out[-1].endswith(_SENTENCE_END) and ln[0].islower():
            out[-1] += " " + ln
            joined += 1
        else:
            out.append(ln)
    return out, joined


def first_rtl(text: str) -> tuple[int, str] | None:
    """(offset, character) of the first right-to-left character, if any."""
    if text.isascii():
        return None
    rtl = [c for c in set(text) if unicodedata.bidirectional(c) in RTL_CLASSES]
    if not rtl:
        return None
    offset = min(text.index(c) for c in rtl)
    return offset, text[offset]


def first_complex(text: str) -> tuple[int, str] | None:
    """(offset, character) of the first character of a script that needs shaping, if any."""
    m = None if text.isascii() else _COMPLEX.search(text)
    return (m.start(), m.group()) if m else None


def truncate(paragraphs: list[str], max_chars: int) -> list[str]:
    """Whole paragraphs up to `max_chars` ("\\n\\n"-joined length); a first paragraph that is
    longer on its own is cut at its last break opportunity before the limit (`[]` when its first
    unbreakable unit alone is longer: cutting a word would invent one)."""
    kept, total = [], 0
    for p in paragraphs:
        total += len(p) + (2 if kept else 0)
        if total > max_chars:
            break
        kept.append(p)
    if not kept and paragraphs:
        head = cut_at_break(paragraphs[0], max_chars)
        kept = [head] if head else []
    return kept


def cut_at_break(p: str, limit: int) -> str:
    """The longest prefix of `p` of at most `limit` characters that ends between two break units."""
    end = 0
    for m in re.finditer(r"\S+", p):
        if m.end() <= limit:
            end = m.end()
            continue
        pos = m.start()
        for unit in split_chunk(m.group()):  # scripts without spaces break inside the chunk
            if pos + len(unit) > limit:
                break
            pos += len(unit)
            end = pos
        break
    return p[:end].rstrip()


def first_unit(p: str) -> str:
    chunk = p.split(" ", 1)[0]
    return split_chunk(chunk)[0] if chunk else ""


def codepoint(c: str) -> str:
    return f"U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')})"


class Normalize(Step):
    """Fill `doc.paragraphs` and `doc.meta["normalize"]`; drop what cannot become a page."""

    name = "normalize"

    def __init__(self, cfg: C.PipelineConfig):
        self.max_chars = cfg.source.max_chars

    def run(self, docs: Iterator[Document], ctx: ShardContext) -> Iterator[Document]:
        for doc in docs:
            with ctx.timer(self.name):
                problem = self.apply(doc)
            if problem is None:
                yield doc
            else:
                ctx.drop(doc.source, doc.docid, *problem, step=self.name)

    def apply(self, doc: Document) -> tuple[str, str] | None:
        """Normalize one document in place; (reason, detail) when it must be dropped."""
        paragraphs, stats = normalize(doc.text)
        if not paragraphs:
            return "empty_text", f"no visible text left after normalization ({stats['chars_in']} characters in)"
        text = "\n\n".join(paragraphs)
        rtl = first_rtl(text)
        if rtl:
            return "rtl_text", f"right-to-left character {codepoint(rtl[1])} at offset {rtl[0]}"
        shaped = first_complex(text)
        if shaped:
            return "complex_script", f"{codepoint(shaped[1])} at offset {shaped[0]} needs glyph shaping, which the renderer does not do"
        special = SPECIAL_PATTERN.search(text)
        if special:
            return "reserved_token", f"text spells the special token {special.group()!r} at offset {special.start()}"
        if len(text) > self.max_chars:
            kept = truncate(paragraphs, self.max_chars)
            if not kept:
                word = first_unit(paragraphs[0])
                return "word_too_long", (f"a {len(word)}-character word at offset 0, longer than source.max_chars="
                                         f"{self.max_chars}, starting {word[:20]!r}")  # fmt: skip
            stats["truncated"] = {"chars": len(text), "paragraphs": len(paragraphs), "kept_paragraphs": len(kept)}
            paragraphs = kept
            stats["chars_out"] = sum(map(len, paragraphs))
        doc.paragraphs = paragraphs
        doc.meta["normalize"] = stats
        return None
