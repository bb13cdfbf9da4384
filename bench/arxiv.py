"""Benchmark the arXiv extraction against raw pdfplumber `extract_words`, in the same run.

    python bench/arxiv.py [--pdf PATH ...] [--docs 6] [--pages 3] [--rounds 3] [--json OUT]

Inputs: generated paper-like PDFs (`docsynth.arxiv.samples`: two columns, headings, figures,
footnotes, ligatures, hyphenation) plus any `--pdf` files or folders. Every round times, on the
same pages and in one process, (a) raw pdfplumber: open + `page.extract_words()` per page, (b) our
whole per-page cost with the pdfplumber backend: the `Extract` step, i.e. parsing, words, lines,
reading order, paragraphs, figures and the page raster at `render.dpi`, (c) the same with the
PyMuPDF backend. Times are CPU seconds of this process (`time.process_time`, so other load on
the machine does not count; one process = one core); the median over rounds is reported.
Vision codes and serialization are the encode/serialize steps' cost and are not included.
Last, the wall time of `Extract.run` with the reader process (`arxiv.isolate`, the default) against
the same in-process, interleaved: what isolation costs per page once the reader is running.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pdfplumber  # noqa: E402
import pymupdf  # noqa: E402

from docsynth import config as C  # noqa: E402
from docsynth.arxiv.agreement import backend_agreement  # noqa: E402
from docsynth.arxiv.extract import Extract  # noqa: E402
from docsynth.arxiv.samples import one_column, two_column  # noqa: E402
from docsynth.arxiv.source import list_pdfs  # noqa: E402
from docsynth.doc import Document  # noqa: E402
from docsynth.steps import ShardContext  # noqa: E402


def make_inputs(folder: Path, docs: int, pages: int) -> list[Path]:
    out = []
    for i in range(docs):
        doc = pymupdf.open()
        rng = np.random.default_rng([7, i])
        (one_column if i % 3 == 2 else two_column)(doc, rng, **({} if i % 3 == 2 else {"pages": pages}))
        doc.subset_fonts()
        path = folder / f"paper{i:02d}.pdf"
        doc.save(path, garbage=3, deflate=True)
        out.append(path)
    return out


def raw_plumber(paths: list[Path]) -> int:
    n = 0
    for p in paths:
        with pdfplumber.open(p) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.close()
                n += 1
    return n


def ours(paths: list[Path], backend: str, keep: list | None = None) -> int:
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(backend=backend))
    step, ctx, n = Extract(cfg), ShardContext(shard=0, seed=0), 0
    for i, p in enumerate(paths):
        for page in step.document(Document("arxiv", f"d{i}", "", {"path": str(p), "index": i}), ctx):
            n += 1
            if keep is not None:
                page.image = None
                keep.append(page)
    if ctx.drops:
        print(f"  note: {len(ctx.drops)} pages dropped ({sorted({d.reason for d in ctx.drops})})", file=sys.stderr)
    return n


def isolation_cost(paths: list[Path], rounds: int) -> tuple[float, float]:
    """Wall seconds per page through `Extract.run` with the reader process (arxiv.isolate) and without,
    interleaved, medians; the reader is started before timing (once per worker in a real run)."""
    docs = [Document("arxiv", f"d{i}", "", {"path": str(p), "index": i}) for i, p in enumerate(paths)]
    walls: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds + 1):
        for iso in (True, False):
            step = Extract(C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(isolate=iso)))
            t = time.perf_counter()
            n = sum(1 for _ in step.run(iter(docs), ShardContext(shard=0, seed=0)))
            if r:  # round 0 warms up (and starts the reader)
                walls[iso].append((time.perf_counter() - t) / n)
    return statistics.median(walls[True]), statistics.median(walls[False])


def timed(fn) -> tuple[float, int]:
    t = time.process_time()
    n = fn()
    return time.process_time() - t, n


def run(paths: list[Path], rounds: int) -> dict:
    runs = {"pdfplumber extract_words": lambda: raw_plumber(paths), "ours (pdfplumber)": lambda: ours(paths, "pdfplumber"),
            "ours (pymupdf)": lambda: ours(paths, "pymupdf")}  # fmt: skip
    for fn in runs.values():  # warm-up: imports, font caches
        fn()
    times: dict[str, list[float]] = {k: [] for k in runs}
    pages = {}
    for _ in range(rounds):
        for name, fn in runs.items():
            dt, pages[name] = timed(fn)
            times[name].append(dt)
    per_page = {k: statistics.median(v) / pages[k] for k, v in times.items()}  # CPU seconds per page
    a, b = [], []
    ours(paths, "pdfplumber", a)
    ours(paths, "pymupdf", b)
    iso, local = isolation_cost(paths, rounds)
    return {
        "pages": pages["pdfplumber extract_words"], "rounds": rounds,
        "isolated_wall_ms_per_page": round(1000 * iso, 2), "in_process_wall_ms_per_page": round(1000 * local, 2),
        "ms_per_page": {k: round(1000 * v, 2) for k, v in per_page.items()},
        "pages_per_s_per_core": {k: round(1 / v, 2) for k, v in per_page.items()},
        "ratio_ours_to_extract_words": round(per_page["ours (pdfplumber)"] / per_page["pdfplumber extract_words"], 3),
        "pymupdf_speedup": round(per_page["ours (pdfplumber)"] / per_page["ours (pymupdf)"], 2),
        "backend_agreement": {k: round(v, 4) if isinstance(v, float) else v for k, v in backend_agreement(a, b).items()},
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdf", nargs="*", default=[], help="extra PDF files or folders (e.g. real papers)")
    ap.add_argument("--docs", type=int, default=6, help="generated PDFs")
    ap.add_argument("--pages", type=int, default=3, help="pages per generated two-column PDF")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (median reported)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_inputs(Path(tmp), args.docs, args.pages) + list_pdfs(args.pdf)
        res = run(paths, args.rounds)
    print(f"{res['pages']} pages from {len(paths)} PDFs, median of {res['rounds']} rounds, CPU time of one process:")
    for k in res["ms_per_page"]:
        print(f"  {k:26s} {res['ms_per_page'][k]:8.2f} ms/page  {res['pages_per_s_per_core'][k]:7.2f} pages/s/core")
    print(f"  our whole page cost / raw extract_words: {res['ratio_ours_to_extract_words']:.3f}x (target <= 1.5x)")
    print(f"  PyMuPDF backend speed-up over pdfplumber backend: {res['pymupdf_speedup']:.2f}x")
    print(f"  backend agreement: {res['backend_agreement']}")
    print(f"  reader process (arxiv.isolate): {res['isolated_wall_ms_per_page']:.2f} vs {res['in_process_wall_ms_per_page']:.2f} "
          f"ms/page wall in-process = {res['isolated_wall_ms_per_page'] / res['in_process_wall_ms_per_page']:.3f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
