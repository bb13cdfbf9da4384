"""Agreement measures: our lines against poppler's `pdftotext -bbox-layout`, truth files, or another backend.

Lines are matched one-to-one, greedily by IoU (highest first) at `IOU_MATCH` or more; precision,
recall and F1 count matched lines. Text agreement is character-level: 1 - edit distance / length
of the reference (`difflib.SequenceMatcher` opcodes over the page's lines joined in reading order,
whitespace-normalized), so a dropped or misread character costs one each.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from difflib import SequenceMatcher
from xml.etree import ElementTree as ET

from docsynth.arxiv.geometry import iou

IOU_MATCH = 0.5
Box = tuple[float, float, float, float]


@dataclass
class LineMatch:
    precision: float
    recall: float
    f1: float
    pairs: list[tuple[int, int, float]]  # (pred index, ref index, IoU)


def match_lines(pred: list[Box], ref: list[Box], thr: float = IOU_MATCH) -> LineMatch:
    cands = sorted(((iou(p, r), i, j) for i, p in enumerate(pred) for j, r in enumerate(ref) if _near(p, r)), reverse=True)
    used_p, used_r, pairs = set(), set(), []
    for v, i, j in cands:
        if v < thr:
            break
        if i not in used_p and j not in used_r:
            used_p.add(i)
            used_r.add(j)
            pairs.append((i, j, v))
    prec = len(pairs) / len(pred) if pred else 1.0
    rec = len(pairs) / len(ref) if ref else 1.0
    return LineMatch(prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0, pairs)


def _near(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def char_agreement(pred: str, ref: str) -> float:
    """1 - (character edits) / len(ref), at least 0."""
    pred, ref = _ws(pred), _ws(ref)
    if not ref:
        return 1.0 if not pred else 0.0
    edits = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, pred, ref, autojunk=False).get_opcodes():
        if tag != "equal":
            edits += max(i2 - i1, j2 - j1)
    return max(0.0, 1.0 - edits / len(ref))


def matched_text_agreement(pred: list[str], ref: list[str], pairs) -> float:
    """Character agreement over matched line pairs (each line compared with its partner)."""
    total = sum(len(_ws(ref[j])) for _, j, _ in pairs)
    if not total:
        return 1.0
    return sum(char_agreement(pred[i], ref[j]) * len(_ws(ref[j])) for i, j, _ in pairs) / total


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def parse_xhtml(out: bytes) -> ET.Element:
    """poppler's -bbox XHTML; control characters it copies from a font's map (XML 1.0 forbids them) removed."""
    return ET.fromstring(re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", re.sub(rb"<!DOCTYPE[^>]*>", b"", out)))


def pdftotext_lines(path: str, timeout: float = 60.0) -> list[list[tuple[str, Box]]]:
    """Per page: (text, box) of every line poppler finds, in its order."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-cropbox", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         timeout=timeout, check=True).stdout  # fmt: skip
    root = parse_xhtml(out)
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        lines = []
        for ln in page.iter("{http://www.w3.org/1999/xhtml}line"):
            words = [w.text or "" for w in ln.iter("{http://www.w3.org/1999/xhtml}word")]
            box = tuple(float(ln.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            lines.append((" ".join(words), box))
        pages.append(lines)
    return pages


def page_lines(page) -> list[tuple[str, Box]]:
    """(text, box) of every line of a `Page` (figure labels included), in reading order."""
    return [(ln.text, tuple(ln.bbox)) for e in page.elements for ln in e.lines]


def compare_lines(pred: list[tuple[str, Box]], ref: list[tuple[str, Box]], thr: float = IOU_MATCH) -> dict:
    m = match_lines([b for _, b in pred], [b for _, b in ref], thr)
    return {
        "lines_pred": len(pred), "lines_ref": len(ref), "precision": m.precision, "recall": m.recall, "f1": m.f1,
        "median_iou": sorted(v for *_, v in m.pairs)[len(m.pairs) // 2] if m.pairs else 0.0,
        "text_matched": matched_text_agreement([t for t, _ in pred], [t for t, _ in ref], m.pairs),
        "text_page": char_agreement(" ".join(t for t, _ in pred), " ".join(t for t, _ in ref)),
    }  # fmt: skip


def backend_agreement(pages_a: list, pages_b: list) -> dict:
    """How far two backends' `Page`s of the same PDFs agree: element sequences, lines, text."""
    by_key = {(p.docid, p.page): p for p in pages_b}
    stats = {"pages_a": len(pages_a), "pages_b": len(pages_b), "pages_both": 0, "same_elements": 0}
    f1s, ious, texts = [], [], []
    for a in pages_a:
        b = by_key.get((a.docid, a.page))
        if b is None:
            continue
        stats["pages_both"] += 1
        stats["same_elements"] += [(e.type, e.text) for e in a.elements] == [(e.type, e.text) for e in b.elements]
        r = compare_lines(page_lines(a), page_lines(b))
        f1s.append(r["f1"])
        ious.append(r["median_iou"])
        texts.append(r["text_page"])
    n = max(len(f1s), 1)
    stats.update(line_f1=sum(f1s) / n, median_line_iou=sorted(ious)[len(ious) // 2] if ious else 0.0, text=sum(texts) / n)
    return stats
