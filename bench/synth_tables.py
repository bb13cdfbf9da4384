"""Synthetic tables read back by the arXiv path: does `docsynth arxiv` recover the grids the synthetic
path rendered?

    python bench/synth_tables.py [--docs 40] [--seed 0] [--backend pdfplumber,pymupdf] [--out DIR]

The synthetic path renders documents rich in tables (ruled, booktabs-style, unruled; header rows,
spanning group headers) into PDFs, each table's grid known exactly. The arXiv path then extracts those
PDFs as it would a paper, and its `table` elements are scored against the rendered grids the way
`bench/arxiv_real.py` scores the printed tables of real papers (`truth_agreement`: cell precision and
recall after aligning grids by their most common offset), overall and per table style. PyMuPDF's
`page.find_tables` is scored on the same pages as the library baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from arxiv_real import find_tables_rows, run_file, truth_agreement  # noqa: E402

from docsynth import config as C  # noqa: E402
from docsynth.fonts import FontPool  # noqa: E402
from docsynth.render import pdf  # noqa: E402
from docsynth.render.figures import figure_pixels  # noqa: E402
from docsynth.render.step import Render  # noqa: E402
from docsynth.sources import get_source  # noqa: E402
from docsynth.steps import ShardContext  # noqa: E402
from docsynth.text import Normalize  # noqa: E402


def render_pdfs(cfg: C.PipelineConfig, n: int, out: Path) -> list[dict]:
    """Write one PDF per document to `out`; return the rendered tables as `truth_agreement` reads them
    (`rows`: the grid, a spanning cell written once at its first column), with their style."""
    src, ctx = get_source(cfg), ShardContext(0, cfg.seed)
    docs = [d for spec in src.plan(cfg) for d in src.read(spec, ctx)][:n]
    render, pool = Render(cfg), FontPool.from_config(cfg.fonts)
    truth = []
    for doc in Normalize(cfg).run(iter(docs), ctx):
        laid = render.layout(doc, pool, ctx)
        if laid is None:
            continue
        plan, pages = laid
        st, host = plan.style, pdf.PdfHost()
        host.begin()
        for i, pp in enumerate(pages):
            images = [figure_pixels(f.kind, ctx.rng(doc, "figure", f.stream), f.rect[2] - f.rect[0], f.rect[3] - f.rect[1], 72)
                      for f in pp.figures]  # fmt: skip
            pdf.draw_page(host, pp, st.width, st.height, pool, images)
            for el in pp.elements:
                if el.type == "table":
                    grid = [[""] * el.attrs["cols"] for _ in range(el.attrs["rows"])]
                    for c in el.attrs["cells"]:
                        grid[c["row"]][c["col"]] = c["text"]
                    truth.append({"file": f"{doc.docid}.pdf", "page": i, "rows": grid, "style": el.attrs["style"]})
        host.doc.save(out / f"{doc.docid}.pdf")
        host.end()
    return truth


def score(rows: list[dict], truth: list[dict], styles: dict[str, list[dict]]) -> dict:
    """All tables (precision and recall), and recall per style: precision needs every table of a page
    (an extracted table is matched to the rendered table it shares most cells with)."""
    return {"all": truth_agreement(rows, truth), **{k: truth_agreement(rows, v) for k, v in sorted(styles.items())}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="pdfplumber,pymupdf")
    ap.add_argument("--out", default=None, help="folder for the PDFs (default: a temporary one)")
    args = ap.parse_args()
    layout = C.LayoutConfig(table_prob=0.6, figure_prob=0.1)
    cfg = C.PipelineConfig(num_docs=args.docs, seed=args.seed, layout=layout, degrade=C.DegradeConfig(prob=0.0))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        out.mkdir(parents=True, exist_ok=True)
        truth = render_pdfs(cfg, args.docs, out)
        styles = defaultdict(list)
        for t in truth:
            styles[t["style"]].append(t)
        print(f"{len(truth)} rendered tables on {len({(t['file'], t['page']) for t in truth})} pages of {args.docs} documents "
              f"({', '.join(f'{k} {len(v)}' for k, v in sorted(styles.items()))})")  # fmt: skip
        result = {}
        for backend in args.backend.split(","):
            rows = []
            for path in sorted(out.glob("*.pdf")):
                rows += run_file(path, backend, None)[0]
            result[backend] = score(rows, truth, styles)
        result["pymupdf find_tables"] = score(find_tables_rows(out, truth), truth, styles)
        for name, r in result.items():
            a = r["all"]
            print(f"{name:22s} cells P {a['cell_precision']:.3f} R {a['cell_recall']:.3f}, tables {a['tables_found']}/{a['printed_tables']};  "
                  + "  ".join(f"{k}: R {v['cell_recall']:.3f} ({v['tables_found']}/{v['printed_tables']})" for k, v in r.items() if k != "all"))  # fmt: skip
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
