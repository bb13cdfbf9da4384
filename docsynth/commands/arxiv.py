"""`docsynth arxiv`: a corpus from PDF papers, their text layers aligned (optionally with OCR) to boxes."""

from __future__ import annotations

from pathlib import Path

from docsynth.commands._common import add_run_options, apply_run_options, run_corpus

OCR_HELP = (
    "OCR to align with the text layer (or to read scans): hocr:DIR, alto:DIR, json:DIR or tesseract. "
    "For paper.pdf, DIR holds paper/page-0000.hocr|.xml|.json (one page per file, 0-based) or "
    "paper.hocr|.xml|.jsonl (the whole document); json pages are "
    '{"page": i, "width": W, "height": H, "words": [{"text", "bbox": [x0, y0, x1, y1] (pixels), "conf"}]}'
)


def register(sub) -> None:
    p = sub.add_parser("arxiv", help="extract PDF papers (text layer and/or OCR) into a Format A/B corpus")
    p.add_argument("--pdf", nargs="+", required=True, metavar="PATH", help="PDF files or folders of them (searched recursively)")
    p.add_argument("--ocr", default=None, metavar="KIND[:DIR]", help=OCR_HELP)
    p.add_argument("--backend", choices=("pdfplumber", "pymupdf"), default="pdfplumber",
                   help="text-layer extractor: pdfplumber (reference) or pymupdf (faster, same structures)")  # fmt: skip
    p.add_argument("--granularity", choices=("para", "line"), default="para", help="one element per paragraph or per line")
    add_run_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from docsynth import config as C
    from docsynth.arxiv.source import list_pdfs
    from docsynth.pipelines import arxiv

    pdfs = [str(p) for p in list_pdfs(args.pdf)]  # fails early, naming a missing path
    if not pdfs:
        raise FileNotFoundError(f"--pdf {' '.join(args.pdf)}: no PDF files found")
    ocr = args.ocr
    if ocr and ":" in ocr:  # an absolute folder: shard workers may run elsewhere
        kind, _, folder = ocr.partition(":")
        ocr = f"{kind}:{Path(folder).expanduser().resolve()}"
    cfg = arxiv.config(arxiv=C.ArxivConfig(pdfs=tuple(pdfs), backend=args.backend, granularity=args.granularity, ocr=ocr))
    return run_corpus(apply_run_options(cfg, args), args)
