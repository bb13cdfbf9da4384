"""`--ocr tesseract`: run Tesseract (through pytesseract) on the displayed page, rendered grey."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pymupdf

from docsynth.arxiv.ocr import OcrPage, OcrWord


def check_available() -> None:
    """Raise naming what is missing, before any shard runs."""
    try:
        import pytesseract  # noqa: F401
    except ImportError as e:
        raise ValueError("arxiv.ocr=tesseract needs the pytesseract package (pip install pytesseract)") from e
    if shutil.which("tesseract") is None:
        raise ValueError("arxiv.ocr=tesseract: the tesseract binary is not on PATH (Debian: apt-get install tesseract-ocr)")


def run_tesseract(page: pymupdf.Page, dpi: int, lang: str = "eng", timeout: float | None = None) -> OcrPage:
    """Words with pixel boxes on the page rendered at `dpi` (the OcrPage extent is that image's size)."""
    import pytesseract
    from PIL import Image

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core per page: parallelism comes from shards
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    arr = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.h, pix.stride)[:, : pix.w]  # (H, W)
    data = pytesseract.image_to_data(
        Image.fromarray(arr), lang=lang, config=f"--dpi {dpi} --psm 3", output_type=pytesseract.Output.DICT,
        timeout=timeout or 0,
    )
    out = OcrPage(float(pix.w), float(pix.h))
    for text, lvl, x, y, w, h, conf in zip(data["text"], data["level"], data["left"], data["top"], data["width"],
                                           data["height"], data["conf"]):  # fmt: skip
        if lvl == 5 and text.strip() and float(conf) >= 0:
            out.words.append(OcrWord(text.strip(), (float(x), float(y), float(x + w), float(y + h)), float(conf) / 100))
    return out
