"""Helpers for the arXiv tests (imported as `arxiv_helpers`; pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf

from docsynth import config as C
from docsynth.arxiv import Extract
from docsynth.arxiv.ocr import OcrPage, OcrWord
from docsynth.doc import Document
from docsynth.steps import ShardContext

GOOD = ("one_column", "two_column", "landscape", "cropped")
OCR_DPI = 150


def truth(path: Path) -> list[list[dict]]:
    return json.loads(path.with_suffix(".truth.json").read_text())


def extract(path: Path, backend: str = "pdfplumber", **arxiv) -> tuple[list, ShardContext]:
    """All pages of one PDF through `Extract`, and the shard context holding its drops."""
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(backend=backend, **arxiv))
    ctx = ShardContext(shard=0, seed=0)
    doc = Document("arxiv", path.stem.replace("_", "-"), "", {"path": str(path), "index": 0})
    return list(Extract(cfg).run(iter([doc]), ctx)), ctx


def ocr_from_pdf(path: Path, misread_every: int = 13, drop_every: int = 23, dpi: int = OCR_DPI) -> dict[int, OcrPage]:
    """OCR-like pages made from MuPDF's words of `path`: pixel boxes at `dpi`, some words misread (e -> c,
    l -> 1, m -> rn), some missed, and the blocks in reverse order (the aligner must not rely on order)."""
    pages = {}
    with pymupdf.open(path) as doc:
        for pno, page in enumerate(doc):
            s = dpi / 72
            words = page.get_text("words")
            blocks: dict[int, list] = {}
            for w in words:
                blocks.setdefault(w[5], []).append(w)
            out, k = [], 0
            for b in sorted(blocks, reverse=True):
                for x0, y0, x1, y1, text, *_ in blocks[b]:
                    k += 1
                    if k % drop_every == 0:
                        continue
                    if k % misread_every == 0:
                        text = _misread(text)
                    r = pymupdf.Rect(x0, y0, x1, y1) * page.rotation_matrix
                    out.append(OcrWord(text, (round(r.x0 * s), round(r.y0 * s), round(r.x1 * s), round(r.y1 * s)), 0.9))
            pages[pno] = OcrPage(round(page.rect.width * s), round(page.rect.height * s), out)
    return pages


def _misread(text: str) -> str:
    for a, b in (("e", "c"), ("l", "1"), ("m", "rn"), ("o", "0"), ("a", "o")):
        if a in text:
            return text.replace(a, b, 1)
    return text + "."
