"""arXiv papers: PDF text layers (pdfplumber or PyMuPDF) and OCR aligned to normalized boxes.

`PdfSource` plans PDF files into shards; `Extract` turns one PDF into `Page`s of typed elements
(para, heading, caption, header, footer, footnote, math, line, figure) in reading order with a
page raster, the same records the synthetic renderer yields. See `extract.py` for the drop
reasons, `ocr.py` for the OCR file layout and `align.py` for the alignment.
"""

from docsynth.arxiv.extract import Extract
from docsynth.arxiv.source import PdfSource

__all__ = ["Extract", "PdfSource"]
