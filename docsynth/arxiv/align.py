"""OCR words <-> PDF words: sequence alignment, text correction, a score per page.

Both word lists are put in the same geometric order (rows top to bottom, left to right), so the
OCR engine's own block order does not matter, then aligned with `difflib.SequenceMatcher` on
normalized tokens (NFKC, case-folded, punctuation stripped). SequenceMatcher rather than a full
Needleman-Wunsch DP: on two near-identical sequences its longest-matching-block recursion runs
in about linear time in C-backed hashing, while a DP is always O(n*m) in Python (a 600-word
page is 360k cells); what it gives up, optimality of the edit script, is won back by
(1) pairing the words inside each `replace` opcode by character similarity (OCR misreads),
(2) a second SequenceMatcher pass over the words left over (blocks the two orders disagree on),
(3) a final geometric pass pairing leftovers whose boxes overlap (IoU >= `GEO_IOU`).
Matched OCR words take the PDF text (the correction) and keep their own box; font size and style
come from the PDF word. The page score is the character-weighted Dice coefficient of the match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from docsynth.arxiv.geometry import iou
from docsynth.arxiv.layout import assign_rows
from docsynth.arxiv.words import PWord

FUZZY = 0.5  # minimum character similarity to pair two different tokens inside a replace block
GEO_IOU = 0.3  # leftover words whose boxes overlap this much are the same word
_STRIP = re.compile(r"[\W_]+", re.UNICODE)


def norm_token(text: str) -> str:
    t = _STRIP.sub("", unicodedata.normalize("NFKC", text).casefold())
    return t or text.strip()


def geometric_order(words: list[PWord]) -> list[int]:
    rows = assign_rows(words)
    row_y: dict[int, float] = {}
    for w, r in zip(words, rows):
        row_y[r] = min(row_y.get(r, w.yc), w.yc)
    return sorted(range(len(words)), key=lambda i: (row_y[rows[i]], words[i].bbox[0]))


@dataclass
class Alignment:
    words: list[PWord]  # the page's words after alignment (matched OCR words corrected)
    pairs: list[tuple[int, int]]  # (ocr index, pdf index), every pass
    sequence_pairs: int  # pairs found by the sequence passes
    score: float  # character-weighted Dice of matched words
    ious: list[float]  # box IoU of every pair


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= FUZZY


def _pass(ocr: list[str], pdf: list[str], oi: list[int], pi: list[int]) -> list[tuple[int, int]]:
    """One SequenceMatcher pass over the still-unmatched indices `oi`, `pi`; returns index pairs."""
    a, b = [ocr[i] for i in oi], [pdf[j] for j in pi]
    pairs = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs += [(oi[i1 + k], pi[j1 + k]) for k in range(i2 - i1)]
        elif tag == "replace":
            j = j1
            for i in range(i1, i2):  # monotone greedy pairing by similarity (OCR misreads)
                for jj in range(j, min(j2, j + 3)):
                    if _similar(a[i], b[jj]):
                        pairs.append((oi[i], pi[jj]))
                        j = jj + 1
                        break
    return pairs


def align(pdf_words: list[PWord], ocr_words: list[PWord]) -> Alignment:
    po, oo = geometric_order(pdf_words), geometric_order(ocr_words)
    pdf_n = [norm_token(w.text) for w in pdf_words]
    ocr_n = [norm_token(w.text) for w in ocr_words]
    pairs: list[tuple[int, int]] = []
    for _ in range(2):
        used_o, used_p = {o for o, _ in pairs}, {p for _, p in pairs}
        new = _pass(ocr_n, pdf_n, [i for i in oo if i not in used_o], [j for j in po if j not in used_p])
        if not new:
            break
        pairs += new
    seq = len(pairs)
    pairs += _geometric(pdf_words, ocr_words, pairs)
    return Alignment(_merge(pdf_words, ocr_words, pairs), pairs, seq, _score(pdf_words, ocr_words, pairs),
                     [iou(ocr_words[o].bbox, pdf_words[p].bbox) for o, p in pairs])  # fmt: skip


def _geometric(pdf_words: list[PWord], ocr_words: list[PWord], pairs) -> list[tuple[int, int]]:
    used_o, used_p = {o for o, _ in pairs}, {p for _, p in pairs}
    left_p = [j for j in range(len(pdf_words)) if j not in used_p]
    out = []
    for i, w in enumerate(ocr_words):
        if i in used_o or not left_p:
            continue
        j = max(left_p, key=lambda j: iou(w.bbox, pdf_words[j].bbox))
        if iou(w.bbox, pdf_words[j].bbox) >= GEO_IOU:
            out.append((i, j))
            left_p.remove(j)
    return out


def _score(pdf_words: list[PWord], ocr_words: list[PWord], pairs) -> float:
    total = sum(len(w.text) for w in pdf_words) + sum(len(w.text) for w in ocr_words)
    matched = sum(len(pdf_words[p].text) + len(ocr_words[o].text) for o, p in pairs)
    return matched / total if total else 0.0


def _merge(pdf_words: list[PWord], ocr_words: list[PWord], pairs) -> list[PWord]:
    """Matched: PDF text, OCR box, PDF font, score 1. Unmatched OCR words keep their text and confidence;
    PDF words OCR missed stay, with score 0 (no OCR support)."""
    by_o = dict(pairs)
    used_p = set(by_o.values())
    out = []
    for i, w in enumerate(ocr_words):
        if i in by_o:
            p = pdf_words[by_o[i]]
            out.append(PWord(p.text, w.bbox, p.size, p.font, p.style, p.math_chars, 1.0))
        else:
            out.append(w)
    out += [PWord(w.text, w.bbox, w.size, w.font, w.style, w.math_chars, 0.0) for j, w in enumerate(pdf_words) if j not in used_p]
    return out
