"""Sweep a folder of PDFs through the arXiv extraction and report what went wrong, file by file.

    python bench/sweep.py PDF_DIR [PDF_DIR ...] [--backend pdfplumber|pymupdf] [-j 2] [--timeout 120]
                          [--page-timeout 30] [--isolate] [--json OUT]

Each PDF runs in a child forked from this process (one at a time per job), through the `Extract`
step exactly as `docsynth arxiv` runs it. By default the reader-process safety net
(`arxiv.isolate`) is off, so that the sweep sees what the libraries and our code do on their own:

  crash   the child raised out of `Extract` (that would have failed a shard) or died of a signal
  hang    the child was still running after --timeout seconds (killed)
  RSS     the child's peak resident memory (`wait4`), baseline = this process before any PDF
  pages   MuPDF's page count; written + dropped must equal it unless the whole file was dropped

`--isolate` runs the production path instead (reader processes; their RSS is not in the child's).
The baseline ratio printed is the median time per written page against raw MuPDF opening and
`get_text("words")` on the same files, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import select
import signal
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pymupdf  # noqa: E402

from docsynth import config as C  # noqa: E402
from docsynth.arxiv.extract import Extract  # noqa: E402
from docsynth.doc import Document, display_name  # noqa: E402
from docsynth.steps import ShardContext  # noqa: E402


def list_inputs(folders: list[str]) -> list[str]:
    out = []
    for f in folders:
        p = Path(f)
        out += [str(p)] if p.is_file() else sorted(str(x) for x in p.rglob("*") if x.is_file() and x.suffix.lower() == ".pdf")
    return out


def mupdf_pages(path: str) -> int | None:
    try:
        with pymupdf.open(path) as d:
            return d.page_count
    except Exception:
        return None


def extract_one(path: str, cfg: C.PipelineConfig) -> dict:
    """What the child reports: pages written, drops, and whether an exception escaped `Extract`."""
    ctx = ShardContext(shard=0, seed=0)
    doc = Document("arxiv", "sweep", "", {"path": path, "index": 0})
    t0, written, crash = time.perf_counter(), [], None
    try:
        written = [p.page for p in Extract(cfg).run(iter([doc]), ctx)]
    except BaseException as e:  # noqa: BLE001 - the point is to see everything
        crash = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
    return {
        "written": written, "seconds": time.perf_counter() - t0, "crash": crash,
        "drops": [(d.page, d.reason, d.detail[:300]) for d in ctx.drops],
        "counters": dict(ctx.counters),
    }  # fmt: skip


def run_child(path: str, cfg: C.PipelineConfig):
    """(pid, read end of its result pipe)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: extract, send the result, leave without cleanup handlers
        os.close(r)
        try:
            data = pickle.dumps(extract_one(path, cfg))
        except BaseException as e:  # noqa: BLE001
            data = pickle.dumps({"crash": f"{type(e).__name__}: {e}", "written": [], "drops": [], "seconds": 0})
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    return pid, r


def sweep(paths: list[str], cfg: C.PipelineConfig, jobs: int, timeout: float) -> list[dict]:
    todo, running, results = list(paths), {}, []
    while todo or running:
        while todo and len(running) < jobs:
            path = todo.pop(0)
            pid, r = run_child(path, cfg)
            running[pid] = {"path": path, "fd": r, "t0": time.monotonic(), "buf": b""}
        fds = {job["fd"]: pid for pid, job in running.items()}
        ready, _, _ = select.select(list(fds), [], [], 0.5)
        for fd in ready:
            chunk = os.read(fd, 1 << 20)
            job = running[fds[fd]]
            if chunk:
                job["buf"] += chunk
                continue
            results.append(_reap(fds[fd], job, hung=False))
            del running[fds[fd]]
        for pid, job in list(running.items()):
            if time.monotonic() - job["t0"] > timeout:
                os.kill(pid, signal.SIGKILL)
                results.append(_reap(pid, job, hung=True))
                del running[pid]
    return sorted(results, key=lambda r: r["path"])


def _reap(pid: int, job: dict, hung: bool) -> dict:
    _, status, usage = os.wait4(pid, 0)
    os.close(job["fd"])
    res = {"path": job["path"], "hang": hung, "rss_mb": usage.ru_maxrss / 1024, "wall": time.monotonic() - job["t0"]}
    if hung:
        return {**res, "crash": None, "written": [], "drops": []}
    if os.WIFSIGNALED(status):
        return {**res, "crash": f"killed by {signal.Signals(os.WTERMSIG(status)).name}", "written": [], "drops": []}
    return {**res, **pickle.loads(job["buf"])}


def accounting(res: dict, pages: int | None) -> str | None:
    """None when every page is accounted for: written + dropped pages = MuPDF's count, or the file dropped."""
    if res["crash"] or res["hang"]:
        return None  # reported as such
    if any(page is None for page, _, _ in res["drops"]):
        return None if not res["written"] else "pages written although the file was dropped"
    seen = sorted(res["written"] + [p for p, _, _ in res["drops"]])
    if pages is None or seen != list(range(pages)):
        return f"pages written+dropped {len(seen)} (unique {len(set(seen))}) != {pages} pages"
    return None


def raw_baseline(paths: list[str]) -> float:
    t0, n = time.process_time(), 0
    for p in paths:
        try:
            with pymupdf.open(p) as d:
                for page in d:
                    page.get_text("words")
                    n += 1
        except Exception:
            pass
    return (time.process_time() - t0) / max(n, 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", metavar="PDF_DIR")
    ap.add_argument("--backend", default="pdfplumber", choices=["pdfplumber", "pymupdf"])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120.0, help="wall seconds per file before it counts as a hang")
    ap.add_argument("--page-timeout", type=float, default=30.0, help="arxiv.page_timeout_s")
    ap.add_argument("--isolate", action="store_true", help="run the production reader-process path")
    ap.add_argument("--json", default=None, help="write every file's result here")
    args = ap.parse_args(argv)
    paths = list_inputs(args.folders)
    if not paths:
        print(f"no PDF files under {', '.join(args.folders)}", file=sys.stderr)
        return 2
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(backend=args.backend, isolate=args.isolate,
                                                             page_timeout_s=args.page_timeout))  # fmt: skip
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.monotonic()
    results = sweep(paths, cfg, args.jobs, args.timeout)
    wall = time.monotonic() - t0
    counts = {p: mupdf_pages(p) for p in paths}
    report(results, counts, base_rss, wall, raw_baseline(paths), args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    bad = sum(1 for r in results if r["crash"] or r["hang"] or accounting(r, counts[r["path"]]))
    return 1 if bad else 0


def report(results: list[dict], counts: dict, base_rss: float, wall: float, raw_s: float, args) -> None:
    by_page, by_doc = Counter(), Counter()
    for r in results:
        for page, reason, _ in r["drops"]:
            (by_doc if page is None else by_page)[reason] += 1
        problem = r["crash"] or ("hang" if r["hang"] else None) or accounting(r, counts[r["path"]])
        if problem:
            print(f"PROBLEM {display_name(r['path'])}: {problem}")
    crashes, hangs = sum(bool(r["crash"]) for r in results), sum(r["hang"] for r in results)
    written = sum(len(r["written"]) for r in results)
    total_pages = sum(c or 0 for c in counts.values())
    rss = [r["rss_mb"] for r in results]
    per_page = sum(r.get("seconds", 0) for r in results) / max(written, 1)
    fallbacks = sum(r.get("counters", {}).get("arxiv_backend_fallbacks", 0) for r in results)
    unaccounted = sum(1 for r in results if accounting(r, counts[r["path"]]))
    print(f"files {len(results)} | backend {args.backend} | isolate {args.isolate} | wall {wall:.1f} s with {args.jobs} jobs")
    print(f"crashes {crashes} | hangs {hangs} (>{args.timeout:g} s) | files with pages unaccounted for {unaccounted}")
    print(f"pages in the PDFs (MuPDF) {total_pages} | written {written} | dropped {sum(by_page.values())} "
          f"| in dropped files {sum(counts[r['path']] or 0 for r in results if any(p is None for p, _, _ in r['drops']))}")
    print(f"pages read by the other backend (fallback) {fallbacks}")
    print(f"files dropped by reason: {dict(by_doc.most_common())}")
    print(f"pages dropped by reason: {dict(by_page.most_common())}")
    print(f"peak RSS per file: median {statistics.median(rss):.0f} MB, max {max(rss):.0f} MB "
          f"({display_name(max(results, key=lambda r: r['rss_mb'])['path'])}); this process before: {base_rss:.0f} MB")
    print(f"time per written page {per_page * 1e3:.1f} ms = {per_page / raw_s:.1f}x raw MuPDF open + get_text('words') "
          f"({raw_s * 1e3:.2f} ms/page, same files, same run)")


if __name__ == "__main__":
    sys.exit(main())
