"""Legibility of a page image: how much of its known text Tesseract reads back.

A page comes with regions (a box in points and the text printed there: an element and its
words, or a block of a real paper's text layer). Tesseract reads the whole page once (the image
upscaled, by default 3×, as small 72-dpi text needs); each region's OCR words (those whose centre
lies in its box, in Tesseract's reading order) are compared with its text by
`difflib.SequenceMatcher`, whitespace collapsed. Legibility is the matched characters over all
characters: 1.0 when every character is read back in place. The same measure on the stored page and
on the page rebuilt from its codes says what the tokenizer costs a reader.

Tesseract's OpenMP threads oversubscribe small machines (20× slower on 2 cores), so it runs with
`OMP_THREAD_LIMIT=1`.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil

import numpy as np
from PIL import Image

Region = tuple[tuple[float, float, float, float], str]


def available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return True


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def ocr_words(image: np.ndarray, width_pt: float, upscale: float = 3.0) -> list[tuple[str, float, float, tuple]]:
    """(text, centre x, centre y in points, reading-order key) of every word Tesseract reads."""
    import pytesseract

    im = Image.fromarray(image)
    if upscale != 1.0:
        im = im.resize((round(im.width * upscale), round(im.height * upscale)), Image.Resampling.LANCZOS)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    d = pytesseract.image_to_data(im, config="--psm 3", output_type=pytesseract.Output.DICT)
    s = im.width / width_pt  # pixels per point
    return [(d["text"][k], (d["left"][k] + d["width"][k] / 2) / s, (d["top"][k] + d["height"][k] / 2) / s,
             (d["block_num"][k], d["par_num"][k], d["line_num"][k], d["left"][k]))
            for k in range(len(d["text"])) if d["text"][k].strip()]  # fmt: skip


def legibility(image: np.ndarray, width_pt: float, regions: list[Region], upscale: float = 3.0) -> tuple[int, int]:
    """(characters read back in place, characters) over the regions of one page."""
    words = ocr_words(image, width_pt, upscale)
    got = total = 0
    for (x0, y0, x1, y1), text in regions:
        truth = squeeze(text)
        if not truth:
            continue
        inside = sorted((w for w in words if x0 <= w[1] <= x1 and y0 <= w[2] <= y1), key=lambda w: w[3])
        seen = squeeze(" ".join(w[0] for w in inside))
        m = difflib.SequenceMatcher(None, truth, seen, autojunk=False)
        got += sum(b.size for b in m.get_matching_blocks())
        total += len(truth)
    return got, total
