"""Figures: embedded images and clusters of vector graphics become image elements (box only).

Vector paths whose boxes lie within `GAP` points of each other are merged (sweep over x, then
union-find); images join the cluster they overlap. A cluster becomes a figure when it is at least
`MIN_SIDE` points each way and is not a drawn table or a text frame: clusters made only of
straight axis-aligned strokes (rules) around many words, and filled boxes mostly covered by words,
stay text. Words whose centre lies in a figure (or within half their size of it) are its labels:
they leave the text flow and the figure's box grows to hold them. The encode
step gives figures their vision codes by cropping the page raster at the box.
"""

from __future__ import annotations

from dataclasses import dataclass

from docsynth.arxiv.geometry import Box, area, center_inside, clip
from docsynth.arxiv.words import PWord
from docsynth.doc import box_union

GAP = 6.0  # points: paths this close belong to one cluster
MIN_SIDE = 18.0  # points: smaller clusters are decoration (rules, bullets, boxes around a word)
MAX_PAGE_FRACTION = 0.85  # a path covering more of the page is a background or frame
TABLE_WORDS = 8  # a cluster of straight rules around this many words is a table, kept as text
TEXT_COVER = 0.3  # a cluster whose area is this much covered by words is a text frame
LABEL_PAD = 0.5  # font sizes: a word this close outside a figure is one of its labels
BUCKET_ABOVE = 400  # with more paths than this, paths are merged per CELL-point grid cell first
CELL = 12.0


@dataclass
class Figure:
    bbox: Box
    kind: str  # image | vector | mixed
    paths: int  # vector paths in the cluster
    images: int  # embedded images in the cluster
    words: int = 0  # label words inside it


def _clusters(boxes: list[Box], gap: float) -> list[list[int]]:
    """Indices of boxes grouped by proximity (boxes within `gap` are linked, transitively)."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    active: list[int] = []
    for i in order:
        b = boxes[i]
        active = [j for j in active if boxes[j][2] + gap >= b[0]]
        for j in active:
            o = boxes[j]
            if o[1] - gap <= b[3] and b[1] - gap <= o[3]:
                parent[find(i)] = find(j)
        active.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def find_figures(images: list[Box], paths: list[tuple[Box, str]], words: list[PWord], width: float,
                 height: float) -> list[Figure]:  # fmt: skip
    page_area = width * height
    items = [(b, "image") for b in images] + list(paths)
    items = [(c, k) for b, k in items if (c := clip(b, width, height)) and area(c) < MAX_PAGE_FRACTION * page_area]
    if not items:
        return []
    boxes, kinds = _bucket(items)
    figures = []
    for group in _merge_until_stable(boxes, [[i] for i in range(len(boxes))]):
        gkinds = [k for i in group for k in kinds[i]]
        box = box_union(boxes[i] for i in group)
        if box[2] - box[0] < MIN_SIDE or box[3] - box[1] < MIN_SIDE:
            continue
        inside = [w for w in words if center_inside(w.bbox, box)]
        n_img = gkinds.count("image")
        if not n_img and _is_text(gkinds, inside, box):
            continue
        kind = "image" if n_img == len(gkinds) else ("vector" if not n_img else "mixed")
        figures.append(Figure(box, kind, len(gkinds) - n_img, n_img, len(inside)))
    return figures


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


def _merge_until_stable(boxes: list[Box], groups: list[list[int]]) -> list[list[int]]:
    """Cluster, then re-cluster the clusters' boxes until no two of them touch."""
    while True:
        gboxes = [box_union(boxes[i] for i in g) for g in groups]
        merged = _clusters(gboxes, GAP)
        if len(merged) == len(groups):
            return groups
        groups = [[i for k in m for i in groups[k]] for m in merged]


def _is_text(kinds: list[str], inside: list[PWord], box: Box) -> bool:
    straight = all(k in ("hline", "vline", "rect") for k in kinds)
    if straight and len(inside) >= TABLE_WORDS:
        return True
    covered = sum(area(w.bbox) for w in inside)
    return covered >= TEXT_COVER * area(box)


def in_figure(w: PWord, f: Figure) -> bool:
    """A label: the word's centre is in the figure, or within LABEL_PAD of its own size outside it."""
    return center_inside(w.bbox, f.bbox, pad=LABEL_PAD * w.size)


def split_labels(words: list[PWord], figures: list[Figure]) -> list[PWord]:
    """The words outside every figure; each figure's box grows to hold its labels."""
    if not figures:
        return words
    out = []
    for w in words:
        f = next((f for f in figures if in_figure(w, f)), None)
        if f is None:
            out.append(w)
        else:
            f.bbox = box_union((f.bbox, w.bbox))
    return out
