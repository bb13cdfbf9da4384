"""Score the arXiv path on real papers against poppler, for both backends.

    python bench/arxiv_real.py [PDF_DIR] [--backend pdfplumber,pymupdf] [--pages-per-file N] [--json OUT] [-v]

PDF_DIR defaults to ../shared/real_pdfs (the run is skipped, exit 0, where it is absent). For every
page both backends write (in-process `Extract`, as `docsynth arxiv` reads a page):

  line F1        (all pages, and _pdftex: pdfTeX pages only) our lines against `pdftotext -bbox-layout` lines, one-to-one at IoU >= 0.5 (micro)
  line F1 rows   the same, and a line left unmatched counts as matched where two or more unmatched lines of
                 the other side lie in it and cover it at IoU >= 0.5 together (one printed row that one
                 side splits at a wide space: poppler cuts justified lines at stretched spaces)
  line F1 prose  the same on the text flow: our lines of prose elements (para, heading, caption, list,
                 footnote, header, footer) against the reference lines whose centre lies in one of them
                 (display math, tables and figure labels left out on both sides: there a "line" is
                 poppler's glyph row or cell run against our stream line or cell)
  BoW F1         the page's words as a multiset against poppler's words (micro; NFKC-folded)
  order tau      pdfTeX pages only: Kendall tau between our line order (figure labels left out:
                 they have no reading order; so are our running heads and feet: a publisher stamps
                 them onto the typeset page, ACL's proceedings line and page number first in the
                 stream, so the stream holds no reading order for them) and the position of each line's words in the content stream (`pdftotext -raw -bbox`, pdfTeX typesets in
                 reading order); `perfect` is the share of those pages with no pair out of order
  prose in fig   poppler lines of body height (the median height of the lines outside our figures) with
                 >= 5 words (2+ letters) whose centre lies in one of our figure boxes (prose swallowed
                 as figure labels)
  gutter         our lines that span a column gutter (found from poppler's lines) and hold poppler
                 lines from both columns (text glued across the gutter)
  entries whole  numbered entries set with a hanging indent (a bibliography's [12] or a list's 3., found
                 from poppler's lines: a labelled line and the indented line under it) that are one
                 element of ours, starting with the label and holding no other entry
  dropped        pages dropped, by reason;  s/page: CPU seconds of the extraction per page
  table cells    cells of our `table` elements, and the share agreeing (text at the same row and
                 column, grids aligned by their most common offset) with PyMuPDF's `find_tables`
                 on the table it finds at the same place: an independent reference, right on ruled
                 tables (ours that it does not find count as disagreeing)
  vs printed     with --truth (default bench/data/real_tables.json: tables of ../shared/real_pdfs typed
                 by eye from the rendered pages): cell precision and recall against the printed grids

Reference text comes from poppler, an independent implementation; boxes are compared in the
displayed page's points (`-cropbox`). Reference lines mostly made of glyphs without a Unicode map
(diagram and symbol fonts, which we leave out of the text and poppler prints as stray letters) are
not counted (nor our lines inside them: a diagram's digits among its arrows), nor are reference lines with a degenerate box (under half a point wide or high: poppler's
zero-width boxes for diagram-font glyphs, which no line can match at IoU >= 0.5), nor reference lines
in which MuPDF draws no character (text a clip path hides, which poppler prints and the page does not show).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pymupdf  # noqa: E402

from docsynth import config as C  # noqa: E402
from docsynth.arxiv.agreement import match_lines, parse_xhtml, pdftotext_available  # noqa: E402
from docsynth.arxiv.extract import Extract  # noqa: E402
from docsynth.arxiv.geometry import iou  # noqa: E402
from docsynth.doc import Document  # noqa: E402
from docsynth.steps import ShardContext  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "real_pdfs"
XHTML = "{http://www.w3.org/1999/xhtml}"
_WORD = re.compile(r"\w+")
PROSE_TYPES = ("para", "heading", "caption", "list", "footnote", "header", "footer")
PDFTEX = re.compile(r"pdf-?e?tex", re.IGNORECASE)  # pdfTeX and pdfeTeX write the content stream in reading order
_PROSE_WORD = re.compile(r"[^\W\d_]{2,}")  # a word of prose: two letters or more ("(b) 2 × 2 × 2" is a label)


def raw_words(path: Path) -> list[list[tuple[str, tuple]]]:
    """Per page: (word, box) in content-stream order (`pdftotext -raw -bbox`)."""
    out = subprocess.run(["pdftotext", "-raw", "-bbox", "-cropbox", "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, timeout=120, check=True).stdout  # fmt: skip
    root = parse_xhtml(out)
    return [[(w.text or "", tuple(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))) for w in page.iter(f"{XHTML}word")]
            for page in root.iter(f"{XHTML}page")]  # fmt: skip


def tokens(text: str) -> Counter:
    """Word tokens, NFKC-folded (a ligature glyph and its letters count the same, as in our element text)."""
    return Counter(t.lower() for t in _WORD.findall(unicodedata.normalize("NFKC", text)))


def poppler_lines(path: Path, widths: list[float]) -> list[list[tuple[str, tuple]]]:
    """Per page: poppler's lines (`pdftotext -bbox-layout`), each cut where its words straddle a column
    gutter (6 pt or wider) with three words or more before it and two or more after it (poppler glues a
    left column's line to the right column's line level with it on some files; a reference's label or
    an equation number beside a line stays with it)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-cropbox", "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, timeout=120, check=True).stdout  # fmt: skip
    box = lambda el: tuple(float(el.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))  # noqa: E731
    pages = []
    for page, width in zip(parse_xhtml(out).iter(f"{XHTML}page"), widths):
        lines = [[(w.text or "", box(w)) for w in ln.iter(f"{XHTML}word")] for ln in page.iter(f"{XHTML}line")]
        cuts = [g for g in gutters([ws for ws in lines if len(ws) >= 3], width) if g[1] - g[0] >= 6]
        out_lines = []
        for ws in (ws for ws in lines if ws):
            part = [ws[0]]
            for k, w in enumerate(ws[1:], 1):  # both sides a column's line (a reference's label is not)
                if len(part) >= 3 and len(ws) - k >= 2 and any(part[-1][1][2] <= g0 + 0.5 and w[1][0] >= g1 - 0.5 for g0, g1 in cuts):
                    out_lines.append(part)
                    part = []
                part.append(w)
            out_lines.append(part)
        pages.append([(" ".join(t for t, _ in part), (min(b[0] for _, b in part), min(b[1] for _, b in part),
                                                       max(b[2] for _, b in part), max(b[3] for _, b in part)))
                      for part in out_lines])  # fmt: skip
    return pages


def gutters(lines: list[list[tuple[str, tuple]]], width: float) -> list[tuple[float, float]]:
    """Column gutters of a page from poppler's words: x-ranges in the middle of the page (10-90 %) at least
    4 pt wide that no word of a line of 3 or more words covers, with 8 or more such lines wholly on each
    side (a line glued across the gutter by poppler leaves the gap between its words open)."""
    covered = [False] * (int(width) + 2)
    for ws in lines:
        for _, b in ws:
            for x in range(max(int(b[0]), 0), min(int(b[2]) + 1, len(covered))):
                covered[x] = True
    extents = [(ws[0][1][0], max(b[2] for _, b in ws)) for ws in lines]
    out, x = [], int(0.1 * width)
    while x < 0.9 * width:
        if covered[x]:
            x += 1
            continue
        start = x
        while x < 0.9 * width and not covered[x]:
            x += 1
        left = sum(e[1] <= start + 1 for e in extents)
        right = sum(e[0] >= x - 1 for e in extents)
        if x - start >= 4 and left >= 8 and right >= 8:
            out.append((float(start), float(x)))
    return out


def kendall_tau(xs: list[float]) -> tuple[float, int]:
    """Tau-a of a sequence against its sorted order, and the number of discordant pairs (ties count neither)."""
    n, conc, disc = len(xs), 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            if xs[i] < xs[j]:
                conc += 1
            elif xs[i] > xs[j]:
                disc += 1
    pairs = n * (n - 1) / 2
    return (conc - disc) / pairs if pairs else 1.0, disc


def centre_in(box, outer, pad: float = 0.0) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] - pad <= cx <= outer[2] + pad and outer[1] - pad <= cy <= outer[3] + pad


def order_positions(lines: list[tuple[str, tuple]], raw: list[tuple[str, tuple]]) -> list[float]:
    """For each of our lines, the median content-stream index of the raw words inside its box that it spells."""
    out = []
    for text, box in lines:
        mine = set(_WORD.findall(text.lower()))
        idx = [k for k, (w, b) in enumerate(raw) if centre_in(b, box, 0.5) and (set(_WORD.findall(w.lower())) & mine)]
        out.append(statistics.median(idx) if idx else None)
    return [p for p in out if p is not None]


def one_row(line, pieces: list[tuple]) -> bool:
    """Pieces (sorted by x) side by side on the line's row: each about the line's height, none overlapping the next."""
    h = line[3] - line[1]
    return all(0.6 * h <= p[3] - p[1] <= 1.5 * h for p in pieces) and all(a[2] <= b[0] + 1 for a, b in zip(pieces, pieces[1:]))


def split_rows(ours: list[tuple], ref: list[tuple], pairs) -> tuple[int, int]:
    """Lines left unmatched one-to-one that one side prints as one row and the other splits at a wide space:
    a line whose unmatched partners (same row: centre inside it, 2 or more) cover it at IoU >= 0.5 together.
    Returns (our lines, reference lines) so matched; poppler splits justified lines at stretched spaces and
    a listing's numbers from its code, and merges "subject to  Az >= b"."""
    free_p = set(range(len(ours))) - {p[0] for p in pairs}
    free_r = set(range(len(ref))) - {p[1] for p in pairs}
    got_p = got_r = 0
    for one, many, free_one, free_many in ((ours, ref, free_p, free_r), (ref, ours, free_r, free_p)):
        for i in sorted(free_one):
            box = one[i]
            parts = sorted((j for j in free_many if centre_in(many[j], box)), key=lambda j: many[j][0])
            if len(parts) < 2 or not one_row(box, [many[j] for j in parts]):
                continue
            union = (min(many[j][0] for j in parts), min(many[j][1] for j in parts),
                     max(many[j][2] for j in parts), max(many[j][3] for j in parts))  # fmt: skip
            if iou(union, box) >= 0.5:
                free_one.discard(i)
                free_many.difference_update(parts)
                n_one, n_many = 1, len(parts)
                got_p, got_r = (got_p + n_one, got_r + n_many) if one is ours else (got_p + n_many, got_r + n_one)
    return got_p, got_r


def mupdf_marks(path: Path) -> list[tuple[list[tuple], list[tuple[float, float]]]]:
    """Per page: boxes of the glyphs without a Unicode map (MuPDF's U+FFFD), and the centres of all the
    characters MuPDF draws, sorted by y. poppler prints something for unmapped glyphs (often garbage
    letters); we leave them out of the text, so reference lines made of them are not counted against us.
    poppler also prints text a clip path hides, which the page image does not show: reference lines
    holding no drawn character are not counted either."""
    out = []
    with pymupdf.open(path) as d:
        for page in d:
            raw = page.get_text("rawdict", flags=pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CLIP)
            rm = page.rotation_matrix
            chars = [(ch["c"], pymupdf.Rect(ch["bbox"]) * rm) for b in raw["blocks"] for ln in b.get("lines", ())
                     for sp in ln["spans"] for ch in sp["chars"] if not ch["c"].isspace()]  # fmt: skip
            centres = sorted(((r.y0 + r.y1) / 2, (r.x0 + r.x1) / 2) for _, r in chars)
            words = {}
            for x0, y0, x1, y1, text, *_ in page.get_text("words", flags=pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CLIP):
                r = pymupdf.Rect(x0, y0, x1, y1) * rm
                words.setdefault(unicodedata.normalize("NFKC", text), []).append(tuple(r))
            out.append(([tuple(r) for c, r in chars if c == "\ufffd"], centres, words))
    return out


def drawn_word(word: tuple[str, tuple], words: dict[str, list[tuple]]) -> bool:
    """Whether MuPDF draws this word of poppler's stream: the same word at the same place (a document
    whose earlier text layer lies under a clip holds both versions, nearly in place, in its stream)."""
    return any(centre_in(word[1], b, 1.0) for b in words.get(unicodedata.normalize("NFKC", word[0]), ()))


def drawn(box, centres: list[tuple[float, float]]) -> bool:
    """Whether MuPDF draws a character whose centre lies in `box` (centres sorted by y)."""
    k = bisect.bisect_left(centres, (box[1] - 0.5, float("-inf")))
    while k < len(centres) and centres[k][0] <= box[3] + 0.5:
        if box[0] - 0.5 <= centres[k][1] <= box[2] + 0.5:
            return True
        k += 1
    return False


def mostly_unmapped(box, marks: list[tuple]) -> bool:
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    covered = sum(max(0.0, min(box[2], m[2]) - max(box[0], m[0])) * max(0.0, min(box[3], m[3]) - max(box[1], m[1])) for m in marks)
    return covered >= 0.5 * area


def score_page(page, ref_lines, raw, pdftex: bool, marks: list[tuple] = (), centres: list | None = None,
               words: dict | None = None) -> dict:  # fmt: skip
    keep = [min(r[1][2] - r[1][0], r[1][3] - r[1][1]) >= 0.5 and not (marks and mostly_unmapped(r[1], marks))
            and (centres is None or drawn(r[1], centres)) for r in ref_lines]  # fmt: skip
    raw = raw if words is None else [w for w in raw if drawn_word(w, words)]  # the stream's hidden words too
    unscored = [r[1] for r, k in zip(ref_lines, keep) if not k]
    ref_lines = [r for r, k in zip(ref_lines, keep) if k]
    # our lines inside a reference line left out (a diagram's digits among its arrow glyphs) are left out too
    ours = [(ln.text, tuple(ln.bbox)) for e in page.elements for ln in e.lines
            if not any(centre_in(ln.bbox, u) for u in unscored)]  # fmt: skip
    figures = [tuple(e.bbox) for e in page.elements if e.type in ("figure", "image")]
    m = match_lines([b for _, b in ours], [b for _, b in ref_lines])
    split_p, split_r = split_rows([b for _, b in ours], [b for _, b in ref_lines], m.pairs)
    a, b = tokens(" ".join(t for t, _ in ours)), tokens(" ".join(t for t, _ in ref_lines))
    common = sum((a & b).values())
    # body height from the lines outside our figures (a figure showing a page of small text outnumbers the body)
    outside = [r for r in ref_lines if not any(centre_in(r[1], f) for f in figures)] or ref_lines
    heights = sorted(r[1][3] - r[1][1] for r in outside) or [0.0]
    body = heights[len(heights) // 2]
    prose = [r for r in ref_lines if len(_PROSE_WORD.findall(r[0])) >= 5 and abs((r[1][3] - r[1][1]) - body) <= 0.15 * body]
    swallowed = sum(1 for _, box in prose if any(centre_in(box, f) for f in figures))
    gutter = 0
    for g0, g1 in gutters([[(t, b)] for t, b in ref_lines if len(t.split()) >= 3], page.width):
        for _, box in ours:  # a line over the gutter holding poppler lines from both columns
            if box[0] < g0 and box[2] > g1:
                inside = [r for _, r in ref_lines if centre_in(r, box)]
                gutter += any(r[2] <= g0 + 1 for r in inside) and any(r[0] >= g1 - 1 for r in inside)
    # the text flow alone: lines of prose elements on both sides (a reference line by the element its centre is in)
    prose_boxes = [tuple(e.bbox) for e in page.elements if e.type in PROSE_TYPES]
    ours_p = [b for e in page.elements if e.type in PROSE_TYPES for b in (tuple(ln.bbox) for ln in e.lines)]
    ref_p = [b for _, b in ref_lines if any(centre_in(b, pb) for pb in prose_boxes)]
    mp = match_lines(ours_p, ref_p)
    entries, whole = entries_whole(page, ref_lines)
    res = {"pred": len(ours), "ref": len(ref_lines), "matched": len(m.pairs), "split_pred": split_p, "split_ref": split_r, "bow_pred": sum(a.values()),
           "entries": entries, "entries_whole": whole,
           "pred_prose": len(ours_p), "ref_prose": len(ref_p), "matched_prose": len(mp.pairs),
           "bow_ref": sum(b.values()), "bow_common": common, "swallowed": swallowed, "gutter": gutter}  # fmt: skip
    if pdftex:  # the labels inside a figure have no reading order; page furniture is stamped out of it: left out
        flow = [(ln.text, tuple(ln.bbox)) for e in page.elements if e.type not in FURNITURE for ln in e.lines]
        tau, disc = kendall_tau(order_positions(flow, raw))
        res.update(tau=tau, discordant=disc)
    return res


FURNITURE = ("figure", "image", "header", "footer")  # no place in the reading order that tau judges
_ENTRY = re.compile(r"^(\[\d{1,3}\]|\d{1,3}\.)\s+\S")  # a numbered entry's label: [12] or 12.


def entries_whole(page, ref_lines: list[tuple[str, tuple]]) -> tuple[int, int]:
    """(numbered entries, entries that are one element of ours) on a page. An entry starts at a poppler
    line that begins with its label ([12] or 12.) and is followed, in poppler's order, by a line of it
    that starts further right (a hanging indent: bibliographies, numbered lists); both lines of one
    height, the first at least 60 % as wide as the two together span (a numbered heading is neither).
    It is whole when one element holds both lines' centres, starts with that label and holds no other
    entry's label line."""
    boxes = [tuple(e.bbox) for e in page.elements]
    texts = [e.text.lstrip() for e in page.elements]
    starts = [k for k, (t, _) in enumerate(ref_lines) if _ENTRY.match(t)]
    labelled = set(starts)
    n = whole = 0
    for k in starts:
        if k + 1 >= len(ref_lines) or k + 1 in labelled:
            continue
        (t, box), (_, nxt) = ref_lines[k], ref_lines[k + 1]
        size = box[3] - box[1]
        if not (0.8 * size <= nxt[0] - box[0] <= 4 * size and 0 <= nxt[1] - box[3] <= size
                and abs(nxt[3] - nxt[1] - size) <= 0.1 * size and box[2] - box[0] >= 0.6 * (nxt[2] - box[0])):
            continue  # not a hanging entry's first two lines (a numbered heading is short, or larger)
        n += 1
        label = t.split()[0]
        holder = [i for i, b in enumerate(boxes) if centre_in(box, b) and centre_in(nxt, b)]
        whole += any(texts[i].startswith(label) and not any(centre_in(ref_lines[j][1], boxes[i]) for j in starts if j != k)
                     for i in holder)  # fmt: skip
    return n, whole


def _norm(text: str | None) -> str:
    """Letters and digits only: PyMuPDF's table text sometimes breaks a decimal point onto its own line."""
    return "".join(_WORD.findall(unicodedata.normalize("NFKC", text or "").lower()))


def _text_rows(rows: list[list[str | None]]) -> dict[tuple[int, int], str]:
    """PyMuPDF's grid by text rows: a ruled row whose cells hold k lines (an unruled block inside one
    rule) becomes k rows, line j of each cell in row j."""
    grid, r0 = {}, 0
    for row in rows:
        split = [[t for t in map(_norm, (v or "").split("\n")) if t] for v in row]
        for c, lines in enumerate(split):
            for j, line in enumerate(lines):
                grid[(r0 + j, c)] = line
        r0 += max((len(x) for x in split), default=1)
    return grid


def table_agreement(page, fpage) -> tuple[int, int, int]:
    """(our table cells, cells agreeing with PyMuPDF's `find_tables`, tables compared) on one page.

    A table of ours is compared with the PyMuPDF table overlapping it most (IoU >= 0.3); its cells are
    matched to PyMuPDF's by text, the most common (row, column) offset between matches aligns the two
    grids (header rows may be cut differently), and a cell agrees when PyMuPDF's grid (split into text
    rows) holds the same text at its row and column after that offset."""
    ours = [e for e in page.elements if e.type == "table"]
    if not ours:
        return 0, 0, 0
    theirs = [(tuple(t.bbox), t.extract()) for t in fpage.find_tables().tables]
    total = agree = compared = 0
    for e in ours:
        cells = e.attrs["cells"]
        total += len(cells)
        best = max(theirs, key=lambda t: iou(t[0], tuple(e.bbox)), default=None)
        if best is None or iou(best[0], tuple(e.bbox)) < 0.3:
            continue
        compared += 1
        agree += len(aligned_hits([(c["row"], c["col"], c["text"]) for c in cells], _text_rows(best[1])))
    return total, agree, compared


def aligned_hits(cells: list[tuple[int, int, str]], grid: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
    """The places in `grid` (normalized texts by (row, col)) where our cells (row, col, text) stand with
    their text, after aligning the two grids by the most common (row, col) offset between equal texts
    (header rows may be cut differently); one place per agreeing cell."""
    where: dict[str, list] = {}
    for rc, v in grid.items():
        where.setdefault(v, []).append(rc)
    offsets = Counter((i - r, j - c) for r, c, v in cells for i, j in where.get(_norm(v), ()))
    if not offsets:
        return []
    dr, dc = offsets.most_common(1)[0][0]
    return [(r + dr, c + dc) for r, c, v in cells if _norm(v) and grid.get((r + dr, c + dc)) == _norm(v)]


def truth_agreement(rows: list[dict], truth: list[dict]) -> dict:
    """Our table cells against tables typed by eye (`bench/data/real_tables.json`). Each of our tables on a
    page goes to the printed table there sharing most cell texts; its grid is aligned by the most common
    (row, column) offset between equal texts. precision: our cells of those tables whose text stands at
    their aligned place in the printed grid; recall: the printed table's non-empty cells so found; tables:
    printed tables with at least one of our tables on them."""
    ours_by_page: dict[tuple, list] = {}
    for r in rows:
        ours_by_page[(r["file"], r["page"])] = r.get("tables", [])
    cells = correct = found = total = hit_tables = 0
    by_page: dict[tuple, list] = {}
    for t in truth:
        by_page.setdefault((t["file"], t["page"]), []).append(t)
    for key, printed in by_page.items():
        if key not in ours_by_page:
            continue
        grids = [{(i, j): _norm(v) for i, row in enumerate(t["rows"]) for j, v in enumerate(row) if _norm(v)} for t in printed]
        hits = [set() for _ in printed]
        used = [False] * len(printed)
        for table in ours_by_page[key]:
            texts = {_norm(v) for _, _, v in table}
            k = max(range(len(printed)), key=lambda k: len(texts & set(grids[k].values())))
            grid = grids[k]
            if not texts & set(grid.values()):
                continue
            used[k] = True
            cells += len(table)
            places = aligned_hits(table, grid)
            correct += len(places)
            hits[k].update(places)
        for grid, h, u in zip(grids, hits, used):
            total += len(grid)
            found += len(h)
            hit_tables += u
    return {"printed_tables": len(truth), "tables_found": hit_tables, "cells_printed": total,
            "cell_precision": round(correct / max(cells, 1), 3), "cell_recall": round(found / max(total, 1), 3)}  # fmt: skip


def find_tables_rows(folder: Path, truth: list[dict]) -> list[dict]:
    """PyMuPDF's `find_tables` on the printed tables' pages, as `truth_agreement` reads our tables: the
    library baseline the issue names, scored the same way."""
    out = []
    for file, page in sorted({(t["file"], t["page"]) for t in truth}):
        with pymupdf.open(folder / file) as d:
            tables = [[(r, c, v or "") for r, row in enumerate(t.extract()) for c, v in enumerate(row) if v]
                      for t in d[page].find_tables().tables]  # fmt: skip
        out.append({"file": file, "page": page, "tables": tables})
    return out


def run_file(path: Path, backend: str, max_pages: int | None) -> tuple[list[dict], list, float]:
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(backend=backend, isolate=False))
    ctx = ShardContext(shard=0, seed=0)
    doc = Document("arxiv", path.stem, "", {"path": str(path), "index": 0})
    t = time.process_time()
    pages = [p for p in Extract(cfg).document(doc, ctx) if max_pages is None or p.page < max_pages]
    seconds = time.process_time() - t
    with pymupdf.open(path) as d:
        widths = [pg.rect.width for pg in d]
    ref, raw = poppler_lines(path, widths), raw_words(path)
    with pymupdf.open(path) as d:
        pdftex = bool(PDFTEX.search(d.metadata.get("producer") or ""))
    marks = mupdf_marks(path)
    rows = [{"file": path.name, "page": p.page, "pdftex": pdftex, **score_page(p, ref[p.page], raw[p.page], pdftex, *marks[p.page])}
            for p in pages]  # fmt: skip
    with pymupdf.open(path) as d:
        for row, p in zip(rows, pages):
            row["table_cells"], row["table_cells_agree"], row["tables_compared"] = table_agreement(p, d[p.page])
            row["tables"] = [[(c["row"], c["col"], c["text"]) for c in e.attrs["cells"]] for e in p.elements if e.type == "table"]
    drops = [d for d in ctx.drops if max_pages is None or (d.page or 0) < max_pages]
    return rows, drops, seconds / max(len(pages), 1)


def f1(rows: list[dict], hit: str, pred: str, ref: str, extra: tuple[str, str] | None = None) -> float:
    """Micro F1 of matched lines over pages; `extra` adds split-row matches (pred side, ref side)."""
    s = lambda k: sum(r[k] for r in rows)  # noqa: E731
    hp, hr = (s(hit) + s(extra[0]), s(hit) + s(extra[1])) if extra else (s(hit), s(hit))
    p, r = hp / max(s(pred), 1), hr / max(s(ref), 1)
    return round(2 * p * r / max(p + r, 1e-9), 4)


def summarize(rows: list[dict], drops: list, spp: list[float]) -> dict:
    s = lambda k: sum(r[k] for r in rows)  # noqa: E731
    bp, br = s("bow_common") / max(s("bow_pred"), 1), s("bow_common") / max(s("bow_ref"), 1)
    tex = [r for r in rows if "tau" in r]
    return {
        "pages": len(rows), "line_f1": f1(rows, "matched", "pred", "ref"),
        "line_f1_rows": f1(rows, "matched", "pred", "ref", ("split_pred", "split_ref")),
        "line_f1_prose": f1(rows, "matched_prose", "pred_prose", "ref_prose"),
        "line_f1_pdftex": f1(tex, "matched", "pred", "ref"),
        "line_f1_rows_pdftex": f1(tex, "matched", "pred", "ref", ("split_pred", "split_ref")),
        "line_f1_prose_pdftex": f1(tex, "matched_prose", "pred_prose", "ref_prose"),
        "bow_f1": round(2 * bp * br / max(bp + br, 1e-9), 4),
        "tau_pdftex": round(statistics.fmean(r["tau"] for r in tex), 4) if tex else None,
        "perfect_order_pdftex": round(sum(r["discordant"] == 0 for r in tex) / len(tex), 3) if tex else None,
        "pdftex_pages": len(tex), "prose_in_figures": s("swallowed"), "gutter_crossings": s("gutter"),
        "entries_whole": round(s("entries_whole") / max(s("entries"), 1), 3), "entries": s("entries"),
        "dropped": dict(Counter(d.reason for d in drops).most_common()), "s_per_page": round(statistics.fmean(spp), 4),
        "table_cells": s("table_cells"), "tables_compared": s("tables_compared"),
        "table_cells_agree_pymupdf": round(s("table_cells_agree") / max(s("table_cells"), 1), 3),
    }  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_DIR), metavar="PDF_DIR")
    ap.add_argument("--backend", default="pdfplumber,pymupdf", help="comma-separated backends to score")
    ap.add_argument("--pages-per-file", type=int, default=None, help="score only the first N pages of each file")
    ap.add_argument("--json", default=None)
    ap.add_argument("--truth", default=str(Path(__file__).parent / "data" / "real_tables.json"),
                    help="tables typed by eye from the pages (JSON); scored where the folder holds their files")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every page that is not perfect")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"skipped: {folder} does not exist")
        return 0
    if not pdftotext_available():
        print("skipped: pdftotext (poppler-utils) is not installed")
        return 0
    paths = sorted(folder.glob("*.pdf"))
    results = {}
    for backend in args.backend.split(","):
        rows, drops, spp = [], [], []
        for path in paths:
            r, d, t = run_file(path, backend, args.pages_per_file)
            rows += r
            drops += d
            spp.append(t)
        summary = summarize(rows, drops, spp)
        if args.truth and Path(args.truth).is_file():
            truth = [t for t in json.loads(Path(args.truth).read_text())["tables"] if (folder / t["file"]).is_file()]
            if truth:
                summary["tables_vs_printed"] = truth_agreement(rows, truth)
                summary["pymupdf_find_tables_vs_printed"] = truth_agreement(find_tables_rows(folder, truth), truth)
        results[backend] = {"summary": summary, "pages": rows,
                            "drops": [(d.docid, d.page, d.reason, d.detail) for d in drops]}  # fmt: skip
        print(f"{backend}: {json.dumps(results[backend]['summary'])}")
        if args.verbose:
            for r in rows:
                if r.get("discordant") or r["swallowed"] or r["gutter"] or r["matched"] < min(r["pred"], r["ref"]):
                    print(f"  {r['file']} p{r['page']}: lines {r['matched']}/{r['pred']} pred, {r['ref']} ref; "
                          f"discordant {r.get('discordant', '-')} swallowed {r['swallowed']} gutter {r['gutter']}")  # fmt: skip
            for d in drops:
                print(f"  dropped {d.docid} p{d.page}: {d.reason}: {d.detail[:160]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
