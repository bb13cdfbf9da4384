"""One page's words, figures and rotated text -> elements in reading order (a rotated stamp in the
page margin, such as arXiv's identifier, last)."""

from __future__ import annotations

import re

from docsynth.arxiv.figures import LABEL_REACH, LABEL_WORDS, Figure, drawn_tables, find_figures, in_figure, legends, split_labels
from docsynth.arxiv.geometry import Box, apply_box, center_inside, clip, gap, mat_inv
from docsynth.arxiv.layout import GUTTER, LINE_SPLIT, TLine, body_size, fragments, level_rows, reading_order
from docsynth.arxiv.paragraphs import build_elements, text_element
from docsynth.arxiv.words import TO_FRAME, PWord
from docsynth.doc import Element, Line, Word, box_union


_TICK = re.compile(r"[-+−–]?[\d.,%]+[a-zA-Z%]{0,3}")  # a tick label: 0.5, 10%, 20ms, -3
RULE_THICK = 1.5  # points: an image thinner than this is a rule (as a path this thin is)
STAMP_SIZE = 1.5  # body sizes: a rotated line this large in the margin is a stamp (JCAP's, arXiv's), never a label


def rotated_elements(rotated: dict[int, list[PWord]], granularity: str) -> list[Element]:
    """Text running down or up the page (margin stamps, rotated labels): one element per line."""
    out = []
    for angle, words in sorted(rotated.items()):
        if not words:
            continue
        inv = mat_inv(TO_FRAME[angle])
        for ws in level_rows(words):
            ws.sort(key=lambda w: w.bbox[0])
            for run in _runs(ws):  # two axis titles level with each other are two lines
                shown = [PWord(w.text, apply_box(inv, w.bbox), w.size, w.font, w.style, w.math_chars) for w in run]
                ln = TLine(shown, box_union(w.bbox for w in shown), -1, (0.0, 0.0, 0.0, 0.0))
                kind = "line" if granularity == "line" else "para"
                out.append(text_element(kind, [ln], {"rotation": angle} | ({"role": "para"} if kind == "line" else {})))
    return out


def _runs(words: list[PWord]) -> list[list[PWord]]:
    """A row's words (left to right) cut where a gap exceeds LINE_SPLIT font sizes."""
    runs = [[words[0]]]
    for w in words[1:]:
        if w.bbox[0] - runs[-1][-1].bbox[2] > LINE_SPLIT * max(w.size, runs[-1][-1].size):
            runs.append([])
        runs[-1].append(w)
    return runs


def figure_element(f: Figure, words: list[PWord], rotated: list[Line] = ()) -> Element:
    """A figure; the words inside it (axis labels, legends) are kept as its lines, a line per label (a
    run of words, top to bottom), rotated labels after them; its text stays empty."""
    inside = [w for w in words if in_figure(w, f)]
    lines = []  # one line a label: a run of words (a tick label, a legend entry), never a row across the figure
    for run in sorted(fragments(inside), key=lambda r: ((r.bbox[1] + r.bbox[3]) / 2, r.bbox[0])):
        ws = run.words
        lines.append(Line(" ".join(w.text for w in ws), box_union(w.bbox for w in ws), [Word(w.text, w.bbox) for w in ws]))
    lines.extend(rotated)
    return Element("figure", f.bbox, lines=lines, attrs={"kind": f.kind, "paths": f.paths, "images": f.images})


def on_page(words: list[PWord], width: float, height: float) -> list[PWord]:
    """Words whose centre is on the displayed page, boxes clipped to it (the schema wants boxes >= 0)."""
    out = []
    for w in words:
        if 0 <= w.xc <= width and 0 <= w.yc <= height:
            c = clip(w.bbox, width, height)
            if c is not None:
                w.bbox = c
                out.append(w)
    return out


def assemble(words: list[PWord], rotated: dict[int, list[PWord]], images: list[Box], paths: list[tuple[Box, str]],
             width: float, height: float, granularity: str) -> tuple[list[Element], dict]:  # fmt: skip
    """Elements in reading order and page facts (body size, figure count, label words)."""
    words = on_page(words, width, height)
    thin = [b for b in images if min(b[2] - b[0], b[3] - b[1]) < RULE_THICK]  # a rule drawn as a 1x1 image (dvips)
    images = [b for b in images if min(b[2] - b[0], b[3] - b[1]) >= RULE_THICK]
    paths = list(paths) + [(b, "hline" if b[3] - b[1] < b[2] - b[0] else "vline") for b in thin]
    rotated = {a: ws for a, ws in rotated.items() if ws}
    body = body_size(words)
    tables = drawn_tables(paths, words, body) if words else []
    figures = find_figures(images, paths, words, width, height, tables)
    outside = [w for w in words if not any(center_inside(w.bbox, f.bbox) for f in figures)]
    if outside and body_size(outside) != body:  # the body size is the text's, not a figure's (a page shown in a figure)
        body = body_size(outside)
        tables = drawn_tables(paths, words, body)
        figures = find_figures(images, paths, words, width, height, tables)
    framed = legends(tables, figures, words, body)
    tables = [t for t in tables if t not in framed]
    text_words, figures = split_labels(words, figures, body, tables)
    turned, stamps, labels = [], [], [[] for _ in figures]  # stamps: arXiv's identifier down the margin
    pending = []
    for e in rotated_elements(rotated, granularity):  # a journal's or arXiv's large stamp down the margin: no figure's
        if _on(e, width, height):  # axis title, whatever it is near
            large = min(e.bbox[2] - e.bbox[0], e.bbox[3] - e.bbox[1]) > STAMP_SIZE * body
            (stamps if large and _in_margin(e, text_words) else pending).append(e)
    while pending:  # a figure grown by its tick labels reaches its axis title: passes until none joins
        attached = [(e, k) for e in pending if (k := _rotated_label(e, figures)) is not None]
        for e, k in attached:
            labels[k].append(e)
        pending = [e for e in pending if all(e is not a for a, _ in attached)]
        if not attached:
            break
    for e in pending:
        (stamps if _in_margin(e, text_words) else turned).append(e)
    for f in figures:
        f.bbox = clip(f.bbox, width, height) or f.bbox
    kept = {id(w) for w in text_words}  # prose over a figure stays prose: it is no label of the figure as well
    label_words = [w for w in words if id(w) not in kept]
    blocks = [figure_element(f, label_words, [ln for e in extra for ln in e.lines]) for f, extra in zip(figures, labels)] + turned
    body = body_size(text_words)
    rules = [b for b, k in paths if k == "vline"]
    leaves = reading_order(text_words, [b.bbox for b in blocks], GUTTER * body, height, rules, tables)
    hrules, shading = [b for b, k in paths if k == "hline"], [b for b, k in paths if k == "fill"]
    elements = build_elements(leaves, blocks, body, height, granularity, hrules, shading) + stamps
    facts = {"body_size": body, "figures": len(figures), "label_words": len(words) - len(text_words)}
    return elements, facts


def _in_margin(e: Element, words: list[PWord]) -> bool:
    """A rotated line wholly left or right of all the page's upright text (a margin stamp): no part of the
    reading flow, it comes after the page's elements."""
    if not words:
        return False
    return e.bbox[2] <= min(w.bbox[0] for w in words) or e.bbox[0] >= max(w.bbox[2] for w in words)


def _rotated_label(e: Element, figures: list[Figure]) -> int | None:
    """A short rotated line beside a figure (an axis title, a column's label over a matrix plot), or a run
    of tick labels, is one of its labels when it comes within LABEL_REACH of its font size of the figure:
    the index of the figure that grows over it, or None."""
    words = e.text.split()
    if len(words) > LABEL_WORDS and not all(_TICK.fullmatch(w) for w in words):  # a rotated axis's tick labels are many
        return None
    reach = LABEL_REACH * min(e.bbox[2] - e.bbox[0], e.bbox[3] - e.bbox[1])  # the line's height: its font size
    near = [k for k, f in enumerate(figures) if gap(e.bbox, f.bbox) <= reach]  # its near end (a long label over a matrix)
    if not near:
        return None
    k = min(near, key=lambda k: gap(e.bbox, figures[k].bbox))  # the nearest figure's
    figures[k].bbox = box_union([figures[k].bbox, e.bbox])
    return k


def _on(e: Element, width: float, height: float) -> bool:
    c = clip(e.bbox, width, height)
    if c is None:
        return False
    e.bbox = c
    for ln in e.lines:
        ln.bbox = clip(ln.bbox, width, height) or ln.bbox
        for w in ln.words:
            w.bbox = clip(w.bbox, width, height) or w.bbox
    return True
