"""Figures: embedded images and clusters of vector graphics become image elements (box only).

Vector paths whose boxes lie within `GAP` points of each other are merged (sweep over x, then
union-find); images join the cluster they overlap. A cluster becomes a figure when it is at least
`MIN_SIDE` points each way and is not a drawn table or a text frame: clusters made only of
straight axis-aligned strokes (rules) around many words, and filled boxes mostly covered by words,
stay text, as do lines of text with formulas pasted in as many glyph-sized images (`GLYPH_IMAGE`); white paint without a stroke (page and text-box backgrounds) is no part of any figure.
A rule far longer than the rest of its cluster (a running head's rule touching a logo) is no part of
it, rules framing the page are none of a figure, and a picture with prose set on it (a shaded panel,
a background) is no figure: its text is read.
Words whose centre lies in a figure (or within half their size of it) are its labels, and short
runs of small text a little further out (tick labels, axis titles); they leave the text flow and the
figure's box grows to hold them. Body-size prose is never a label. Figures side by side with only
labels between them (the boxes and arrows of one diagram) become one. Glyphs of fonts none of whose
glyphs maps (XY-pic arrows: diagrams drawn with a font) count as drawn paths (kind `glyph`); a
figure made of them alone needs GLYPH_MARKS of them and no prose inside. The encode
step gives figures their vision codes by cropping the page raster at the box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docsynth.arxiv.geometry import Box, area, center_inside, clip, gap
from docsynth.arxiv.layout import assign_rows, body_size, fragments, level_rows
from docsynth.arxiv.paragraphs import CAPTION
from docsynth.arxiv.words import PWord
from docsynth.doc import box_union

_LETTERS = re.compile(r"[^\W\d_]{2}")
GAP = 6.0  # points: paths this close belong to one cluster
RULE_TOL = 2.0  # points: horizontal rules whose ends agree this closely are one table's
STROKE = 0.5  # points: the least thickness of a stroked path's ink (its box can be a bare segment)
MIN_SIDE = 18.0  # points: smaller clusters are decoration (rules, bullets, boxes around a word)
MAX_PAGE_FRACTION = 0.85  # a path covering more of the page is a background or frame
TABLE_WORDS = 8  # a cluster of straight rules around this many words is a table, kept as text
TEXT_COVER = 0.3  # a cluster whose area is this much covered by words is a text frame
LABEL_PAD = 0.5  # font sizes: a word this close outside a figure is one of its labels
LABEL_REACH = 2.0  # font sizes: a short run of small text this close is a label too (ticks, axis titles)
LABEL_WORDS, LABEL_SIZE = 4, 0.9  # such a run: at most this many words, at most this fraction of the body size
PROSE_WORDS, PROSE_SIZE = 5, 0.7  # a line of this many words this near the body size is prose (a caption too): never a label
PROSE_GAP = 2.0  # font sizes: runs of one row closer than this are one line (a justified line's wide spaces)
GLYPH_MARKS = 8  # a cluster made only of glyphs of unmapped symbol fonts needs this many to be a drawing (XY-pic)
GLYPH_IMAGE = 3.0  # body sizes: images no larger than this each way are pieces of a formula set as pictures (Word's)
STRAY_RULE = 2.0  # a rule this many times as long as the rest of its cluster's extent is no part of the figure
PANEL_LINES, PANEL_PATHS = 3, 4  # a picture (with at most this many paths) behind this many runs of prose is a text panel
BAND = 0.9  # a fill this share of its cluster's width or wider is a band of shading (a table's row), not a bar
CAPTION_UNDER = 2.0  # body sizes: a caption starting this close under a figure is its own
FIGURE_GAP = 2.5  # body sizes: figures closer than this side by side (labels between them) are one
BUCKET_ABOVE = 400  # with more paths than this, paths are merged per CELL-point grid cell first
CELL = 12.0
CELL_BANDS, CELL_GAP = 3, 0.6  # rows of prose cells between rules: this many bands, split by one clear gap of body sizes
HEADER_GAP, HEADER_ROWS, HEADER_CELLS = 0.6, 6, 3  # a table's header above its first rule: body sizes between rows, rows, cells


@dataclass
class Figure:
    bbox: Box
    kind: str  # image | vector | mixed
    paths: int  # vector paths in the cluster
    images: int  # embedded images in the cluster
    words: int = 0  # label words inside it


def _inked(b: Box) -> Box:
    """A path's box at least STROKE points thick: a stroked line has no area in its box (pdfplumber's and
    MuPDF's boxes of a horizontal or vertical segment), yet its ink is there: the arrows of a diagram."""
    dx, dy = max(0.0, STROKE - (b[2] - b[0])) / 2, max(0.0, STROKE - (b[3] - b[1])) / 2
    return (b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy) if dx or dy else b


def _reach(b: Box) -> float:
    """How far a path links to its neighbours: GAP, or for a small shape (both sides under MIN_SIDE: a
    cell of a drawn grid, a node, a marker) its own shorter side, so a grid of squares is one figure."""
    w, h = b[2] - b[0], b[3] - b[1]
    return max(GAP, min(w, h)) if max(w, h) < MIN_SIDE else GAP


def _clusters(boxes: list[Box], gap: float, reach: list[float] | None = None) -> list[list[int]]:
    """Indices of boxes grouped by proximity (boxes within `gap`, or within the smaller of both `reach`
    values where given, are linked, transitively)."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    widest = max(reach, default=gap) if reach else gap
    active: list[int] = []
    for i in order:
        b = boxes[i]
        active = [j for j in active if boxes[j][2] + widest >= b[0]]
        for j in active:
            o = boxes[j]
            g = min(reach[i], reach[j]) if reach else gap
            if o[2] + g >= b[0] and o[1] - g <= b[3] and b[1] - g <= o[3]:
                parent[find(i)] = find(j)
        active.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def find_figures(images: list[Box], paths: list[tuple[Box, str]], words: list[PWord], width: float,
                 height: float, tables: list[Box] | None = None) -> list[Figure]:  # fmt: skip
    """Figures of a page; `tables`: its `drawn_tables` where the caller has them already."""
    page_area = width * height
    items = [(b, "image") for b in images] + [(b, k) for b, k in paths if k != "background"]
    items = [(c, k) for b, k in items if (c := clip(_inked(b), width, height)) and area(c) < MAX_PAGE_FRACTION * page_area]
    body = body_size(words) if words else 0.0
    if tables is None:
        tables = drawn_tables(paths, words, body) if words else []
    items = [(b, k) for b, k in items if k == "image" or not any(center_inside(b, t, pad=1.0) for t in tables)]  # a table's paths
    if not items:
        return []
    boxes, kinds = _bucket(items)
    reach = [_reach(b) if all(k in ("fill", "rect", "curve", "image", "glyph") for k in ks) else GAP for b, ks in zip(boxes, kinds)]
    first = [g for g in _clusters(boxes, GAP, reach) if not _page_frame(g, boxes, kinds, page_area)]
    figures = []
    for group in _merge_until_stable(boxes, first):
        group = _without_stray_rules(group, boxes, kinds)
        gkinds = [k for i in group for k in kinds[i]]
        box = box_union(boxes[i] for i in group)
        if box[2] - box[0] < MIN_SIDE or box[3] - box[1] < MIN_SIDE:
            continue
        inside = [w for w in words if center_inside(w.bbox, box)]
        n_img = gkinds.count("image")
        banded = all(boxes[i][2] - boxes[i][0] >= BAND * (box[2] - box[0]) for i in group if "fill" in kinds[i])
        glyph_images = all(max(boxes[i][2] - boxes[i][0], boxes[i][3] - boxes[i][1]) <= GLYPH_IMAGE * body for i in group if "image" in kinds[i])
        if (not n_img or glyph_images) and _is_text(gkinds, inside, box, banded):
            continue  # text set with rules or frames, or with formulas pasted in as glyph-sized images
        if all(k == "glyph" for k in gkinds) and len(gkinds) < GLYPH_MARKS:
            continue  # a few glyphs of a symbol font (a big delimiter, a dingbat): no drawing
        kind = "image" if n_img == len(gkinds) else ("vector" if not n_img else "mixed")
        kind = "glyph" if all(k == "glyph" for k in gkinds) else kind
        figures.append(Figure(box, kind, len(gkinds) - n_img, n_img, len(inside)))
    return figures


def drawn_tables(paths: list[tuple[Box, str]], words: list[PWord], body: float) -> list[Box]:
    """Boxes of tables told by their horizontal rules: two or more rules of one extent (ends within
    RULE_TOL points: booktabs' top, mid and bottom rules, or a grid's) with TABLE_WORDS words or more
    between the first and the last, and no run of prose between two of them (rules above a running head
    and below a page's last line have the page's prose between them; a rule over a caption, the table's
    rules under it), unless the prose is in cells (`_prose_cells`). Their rules never join a figure, and their
    words are never a figure's labels (a table a few points above a figure was read as its labels)."""
    rows: dict[tuple[int, int], list[Box]] = {}
    for b, k in paths:
        if k == "hline" and b[2] - b[0] >= MIN_SIDE:
            rows.setdefault((round(b[0] / RULE_TOL), round(b[2] / RULE_TOL)), []).append(b)
    out = []
    for rules in rows.values():
        rules.sort(key=lambda r: r[1])
        if _prose_cells(rules, words, body):
            out.append(_header_above(box_union(rules), words, body))
            continue
        run = rules[:1]
        for r in rules[1:] + [None]:  # a run of rules with no prose between them (a caption above the first is none of it)
            if r is not None:
                space = (min(run[-1][0], r[0]), run[-1][1], max(run[-1][2], r[2]), r[3])  # between the two rules
                between = [w for w in words if center_inside(w.bbox, space)]
                if not any(_prose(fragments(between), body)) and not _crossed(space, words):
                    run.append(r)
                    continue
            box = box_union(run)
            if len(run) >= 2 and len([w for w in words if center_inside(w.bbox, box)]) >= TABLE_WORDS:
                out.append(_header_above(box, words, body))
            run = [r]
    return out


def legends(tables: list[Box], figures: list[Figure], words: list[PWord], body: float) -> list[Box]:
    """The drawn tables that are a plot's framed legend: inside a figure, with every word in them small
    (LABEL_SIZE of the body). Their words are the figure's labels, not a table's cells or the page's text."""
    out = []
    for t in tables:
        inside = [w for w in words if center_inside(w.bbox, t)]
        if any(center_inside(t, f.bbox, pad=1.0) for f in figures) and all(w.size <= LABEL_SIZE * body for w in inside):
            out.append(t)
    return out


def _prose_cells(rules: list[Box], words: list[PWord], body: float) -> bool:
    """Whether the bands between rules of one extent are rows of a table whose cells hold prose (a question
    and its answers, EACL's questionnaire): CELL_BANDS bands or more hold text, and one clear gap of
    CELL_GAP body sizes or more runs down through all of them with text on both sides in each. A caption
    or a page's prose between rules spans the gap in some band (a running head's rule and a footer's
    have one band between them)."""
    x0, x1 = min(r[0] for r in rules), max(r[2] for r in rules)
    bands = [[w for w in words if center_inside(w.bbox, (x0, a[3], x1, b[1]))] for a, b in zip(rules, rules[1:])]
    bands = [b for b in bands if b]
    if len(bands) < CELL_BANDS or _crossed((x0, rules[0][1], x1, rules[-1][3]), words):
        return False
    spans = sorted((w.bbox[0], w.bbox[2]) for b in bands for w in b)
    right, gaps = spans[0][1], []
    for a, b in spans[1:]:
        if a - right >= CELL_GAP * body:
            gaps.append((right, a))
        right = max(right, b)
    return any(all(any(w.bbox[2] <= g0 for w in b) and any(w.bbox[0] >= g1 for w in b) for b in bands) for g0, g1 in gaps)


def _crossed(box: Box, words: list[PWord]) -> bool:
    """Whether a word between two rules runs out over their ends: text across the rules' ends (the rules
    under two tables' column heads, drawn a column at a time, with prose between them), no table's."""
    ends = (box[0] - 1, box[2] + 1)
    return any(box[1] < (w.bbox[1] + w.bbox[3]) / 2 < box[3] and any(w.bbox[0] < x < w.bbox[2] for x in ends) for w in words)


def _header_above(box: Box, words: list[PWord], body: float) -> Box:
    """A drawn table's box grown up over a header set above its first rule (PeerJ sets the header on a
    shaded bar above the rules): the rows of text right above the rule, each within HEADER_GAP body sizes
    of the one under it and inside the rules' extent, up to the highest of them that is a row of
    HEADER_CELLS cells or more (fragments: runs of words under FRAG_GAP apart). A caption or prose above
    the rule has no such row."""
    reach = box[1] - HEADER_ROWS * 2 * body
    above = [w for w in words if w.bbox[0] >= box[0] - 1 and w.bbox[2] <= box[2] + 1 and reach < w.bbox[3] <= box[1] + 1]
    rows = [[f.bbox for f in row] for row in level_rows(fragments(above))]
    edge, top = box[1], None
    for cells in sorted(rows, key=lambda bs: -max(b[3] for b in bs))[:HEADER_ROWS]:
        if edge - max(b[3] for b in cells) > HEADER_GAP * body:
            break
        edge = min(b[1] for b in cells)
        if len(cells) >= HEADER_CELLS:
            top = edge
    return box if top is None else (box[0], top, box[2], box[3])


def _bucket(items: list[tuple[Box, str]]) -> tuple[list[Box], list[list[str]]]:
    """Many small paths (scatter plots, hatching) are first merged per grid cell to keep clustering near-linear."""
    if len(items) <= BUCKET_ABOVE:
        return [b for b, _ in items], [[k] for _, k in items]
    cells: dict[tuple[int, int], tuple[Box, list[str]]] = {}
    for b, k in items:
        key = (int((b[0] + b[2]) / 2 // CELL), int((b[1] + b[3]) / 2 // CELL))
        old = cells.get(key)
        cells[key] = (box_union((old[0], b)), old[1] + [k]) if old else (b, [k])
    return [v[0] for v in cells.values()], [v[1] for v in cells.values()]


def _page_frame(group: list[int], boxes: list[Box], kinds: list[list[str]], page_area: float) -> bool:
    """Rules along the edges of a box that covers MAX_PAGE_FRACTION of the page or more: a border drawn
    round the page (a manual's, a form's), no figure. Its box would hold every cluster on the page and
    merge them all into one figure over the text."""
    if not all(len(kinds[i]) == 1 and kinds[i][0] in ("hline", "vline") for i in group):
        return False
    x0, y0, x1, y1 = box = box_union(boxes[i] for i in group)
    if area(box) < MAX_PAGE_FRACTION * page_area:
        return False
    return all(min(b[0] - x0, b[1] - y0, x1 - b[2], y1 - b[3]) <= GAP for b in (boxes[i] for i in group))


def _without_stray_rules(group: list[int], boxes: list[Box], kinds: list[list[str]]) -> list[int]:
    """A cluster less its rules that run STRAY_RULE times as far as all the rest of it, where the rest is
    figure-sized that way (MIN_SIDE): a running head's rule that a journal's logo touches, a column-wide
    rule under a small picture. The rest is the figure; a plot's axis spans its data, a diagram's long
    arrow has nodes at both ends, and two rules at right angles (a frame's corner) keep each other."""
    if len(group) < 2:
        return group
    lows = [sorted(boxes[i][a] for i in group)[:2] for a in (0, 1)]  # per axis, the two least starts and
    highs = [sorted(boxes[i][a + 2] for i in group)[-2:] for a in (0, 1)]  # two greatest ends: the rest's span
    out = []
    for i in group:
        a = {"hline": 0, "vline": 1}.get(kinds[i][0]) if len(kinds[i]) == 1 else None
        if a is not None:
            b = boxes[i]
            lo = lows[a][1] if b[a] == lows[a][0] else lows[a][0]
            hi = highs[a][0] if b[a + 2] == highs[a][1] else highs[a][1]
            if hi - lo >= MIN_SIDE and b[a + 2] - b[a] > STRAY_RULE * (hi - lo):
                continue
        out.append(i)
    return out or group


def _merge_until_stable(boxes: list[Box], groups: list[list[int]]) -> list[list[int]]:
    """Cluster, then re-cluster the clusters' boxes until no two of them touch."""
    while True:
        gboxes = [box_union(boxes[i] for i in g) for g in groups]
        merged = _clusters(gboxes, GAP)
        if len(merged) == len(groups):
            return groups
        groups = [[i for k in m for i in groups[k]] for m in merged]


def _is_text(kinds: list[str], inside: list[PWord], box: Box, banded: bool = False) -> bool:
    """Whether a cluster of paths is text set with rules, frames or shading (a table, a boxed algorithm),
    not a drawing. `banded`: its fills span its width (a table's shaded rows, a shaded caption bar), which
    then count as straight lines do; a bar chart's bars do not."""
    glyphs = kinds.count("glyph")  # a few symbol glyphs inside a frame leave it a frame; many are a diagram
    straight = glyphs < GLYPH_MARKS and all(k in ("hline", "vline", "rect", "glyph") or (banded and k == "fill") for k in kinds)
    if straight and len(inside) >= TABLE_WORDS:
        return True
    covered = sum(area(w.bbox) for w in inside)
    return covered >= TEXT_COVER * area(box)


def in_figure(w: PWord, f: Figure) -> bool:
    """A label: the word's centre is in the figure, or within LABEL_PAD of its own size outside it."""
    return center_inside(w.bbox, f.bbox, pad=LABEL_PAD * w.size)


def split_labels(words: list[PWord], figures: list[Figure], body: float, keep_out: list[Box] = ()) -> tuple[list[PWord], list[Figure]]:
    """The words outside every figure, and the figures, each grown to hold its labels.

    Three passes: words inside a figure or within LABEL_PAD of their size; then, twice, short runs of
    small text (at most LABEL_WORDS words, LABEL_SIZE of the body size) within LABEL_REACH of their
    size (tick labels, then the axis title beyond them). Figures that now touch or nearly touch
    (FIGURE_GAP) side by side merge, when the space between them holds no prose: the boxes and arrows
    of one diagram, which its labels join. A run of body-size prose is never a label, nor a run in one of
    the `keep_out` boxes (drawn tables)."""
    if not figures:
        return words, figures
    runs = fragments(words)
    label_like = [len(r.words) <= LABEL_WORDS and max(w.size for w in r.words) <= LABEL_SIZE * body for r in runs]
    prose = [p or any(center_inside(r.bbox, t) for t in keep_out) for p, r in zip(_prose(runs, body), runs)]
    prose_boxes = [r.bbox for r, p in zip(runs, prose) if p]
    figures = [f for f in figures if f.kind != "glyph" or not any(center_inside(b, f.bbox) for b in prose_boxes)]
    figures = [f for f in figures if not _panel(f, prose_boxes)]
    if not figures:
        return words, figures
    taken = [False] * len(runs)
    for reach in (None, LABEL_REACH, LABEL_REACH):
        for k, r in enumerate(runs):
            if taken[k] or prose[k] or (reach is not None and not label_like[k]):
                continue
            pad = LABEL_PAD if reach is None else reach
            near = [f for f in figures if all(center_inside(w.bbox, f.bbox, pad=pad * w.size) for w in r.words) or (
                    reach is None and any(in_figure(w, f) for w in r.words)) or (
                    reach is not None and _beside(r.bbox, f.bbox, reach * r.words[0].size)
                    and not any(center_inside(b, box_union([f.bbox, r.bbox])) for b in prose_boxes))]  # fmt: skip
            if near:  # the nearest figure's (a tick label between two plots side by side belongs to the one it is next to)
                f = min(near, key=lambda f: gap(r.bbox, f.bbox))
                f.bbox = box_union([f.bbox, r.bbox])
                taken[k] = True
    captions = [r.bbox for r, t in zip(runs, taken) if not t and CAPTION.match(" ".join(w.text for w in r.words))]
    figures = _merge_figures(figures, [r.bbox for r, p in zip(runs, prose) if p], body, captions)
    out = []
    for r, t, p in zip(runs, taken, prose):
        if not t and (p or not any(all(in_figure(w, f) for w in r.words) for f in figures)):
            out.extend(r.words)
    return out, figures


def _panel(f: Figure, prose: list[Box]) -> bool:
    """A picture that prose is set on: a magazine's boxed example on a shaded image, a background picture
    behind a page's text. At most PANEL_PATHS paths (its frame, its shadow) and PANEL_LINES runs of prose
    wholly inside it: the text is the content and is read as text; the picture is no figure."""
    if not f.images or f.paths > PANEL_PATHS:
        return False
    x0, y0, x1, y1 = f.bbox
    return sum(x0 - 1 <= b[0] and y0 - 1 <= b[1] and b[2] <= x1 + 1 and b[3] <= y1 + 1 for b in prose) >= PANEL_LINES


def _beside(b: Box, f: Box, reach: float) -> bool:
    """A run level with a figure (its vertical centre within the figure's height) whose near edge is within
    `reach` of the figure's side: a side legend or axis note whose words are wider than the reach (taken
    only where the figure grown over it holds no prose: the last line of a caption set beside it is not)."""
    cy = (b[1] + b[3]) / 2
    return f[1] <= cy <= f[3] and (0 <= f[0] - b[2] <= reach or 0 <= b[0] - f[2] <= reach)


def _prose(runs: list, body: float) -> list[bool]:
    """Which runs are prose: part of a chain of runs along one row (gaps under PROSE_GAP font sizes: a
    justified line's stretched spaces split it into runs) with PROSE_WORDS words or more (words of two
    letters or more: a table's row of figures is no prose), near the body size."""
    out = [False] * len(runs)
    rows: dict[int, list[int]] = {}
    for k, r in enumerate(assign_rows(runs)):
        rows.setdefault(r, []).append(k)
    for ks in rows.values():
        ks.sort(key=lambda k: runs[k].bbox[0])
        chain = [ks[0]]
        for k in ks[1:] + [None]:
            last = runs[chain[-1]]
            if k is not None and runs[k].bbox[0] - last.bbox[2] <= PROSE_GAP * last.words[-1].size:
                chain.append(k)
                continue
            words = [w for c in chain for w in runs[c].words if _LETTERS.search(w.text)]  # a row of numbers is no prose
            if len(words) >= PROSE_WORDS and max(w.size for w in words) >= PROSE_SIZE * body:
                for c in chain:
                    out[c] = True
            chain = [k]
    return out


def _captioned(f: Box, captions: list[Box], body: float) -> bool:
    """Whether a caption starts right under a figure (within CAPTION_UNDER body sizes), at its left edge."""
    return any(0 <= c[1] - f[3] <= CAPTION_UNDER * body and f[0] - body <= c[0] <= (f[0] + f[2]) / 2 for c in captions)


def _merge_figures(figures: list[Figure], prose: list[Box], body: float, captions: list[Box] = ()) -> list[Figure]:
    """Merge figures side by side (overlapping vertically by half the shorter) or stacked (overlapping
    horizontally by half the narrower) with a gap under FIGURE_GAP body sizes, unless prose lies in the union.
    Two raster pictures side by side stay two: each is whole (one plot per column, each with its caption,
    merged into one that spans the gutter, made the page's columns one band). So do two figures side by
    side each with a caption of its own right under it (`captions`: runs that start "Figure 4:")."""
    merged = True
    while merged and len(figures) > 1:
        merged = False
        for i in range(len(figures)):
            for j in range(i + 1, len(figures)):
                a, b = figures[i].bbox, figures[j].bbox
                gx, gy = max(a[0], b[0]) - min(a[2], b[2]), max(a[1], b[1]) - min(a[3], b[3])
                ov_y = -gy / max(min(a[3] - a[1], b[3] - b[1]), 1e-6)
                ov_x = -gx / max(min(a[2] - a[0], b[2] - b[0]), 1e-6)
                pictures = figures[i].kind == figures[j].kind == "image" or (
                    _captioned(a, captions, body) and _captioned(b, captions, body))
                near = (ov_y >= 0.5 and gx < FIGURE_GAP * body and not pictures) or (ov_x >= 0.5 and gy < FIGURE_GAP * body)
                u = box_union([a, b])
                if not near or any(center_inside(p, u) for p in prose):
                    continue
                fa, fb = figures[i], figures[j]
                kinds = {fa.kind, fb.kind}
                figures[i] = Figure(u, kinds.pop() if len(kinds) == 1 else "mixed", fa.paths + fb.paths,
                                    fa.images + fb.images, fa.words + fb.words)  # fmt: skip
                del figures[j]
                merged = True
                break
            if merged:
                break
    return figures
