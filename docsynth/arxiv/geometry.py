"""Page frames: every backend's coordinates mapped into the displayed page space.

The contract (DESIGN §3) is PyMuPDF's view of a page: points, origin at the top-left corner of
the *cropbox as displayed* (after `/Rotate`), y down. `pymupdf` reports text and drawings on the
unrotated, cropbox-relative page, so its boxes go through `page.rotation_matrix`. pdfplumber
reports pdfminer device coordinates (mediabox-relative, rotated by pdfminer's own matrix) and
ignores the cropbox and `/UserUnit`; `PageFrame.from_plumber` undoes pdfminer's matrix back to PDF user space and
applies the display transform derived from the raw boxes, so both backends land on the same
pixels of the rendered page (tests/arxiv/test_geometry.py checks all rotations and offsets).
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]  # (a, b, c, d, e, f): x' = a x + c y + e, y' = b x + d y + f


def mat_mul(m: Matrix, n: Matrix) -> Matrix:
    """The matrix applying `m` first, then `n`."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def mat_inv(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    if det == 0:
        raise ValueError(f"singular matrix {m}")
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def apply_box(m: Matrix, box: Box) -> Box:
    """Transform a box; rotations by multiples of 90 degrees keep it axis-aligned."""
    xa, ya = apply(m, box[0], box[1])
    xb, yb = apply(m, box[2], box[3])
    return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


def _norm_box(raw) -> Box:
    x0, y0, x1, y1 = (float(v) for v in raw)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _rotation(rot) -> int:
    rot = int(rot or 0) % 360
    return rot if rot in (0, 90, 180, 270) else 0


@dataclass(frozen=True)
class PageFrame:
    """The displayed page: its size in points and the map from PDF user space onto it."""

    width: float
    height: float
    rotation: int  # /Rotate, clockwise degrees
    cropbox: Box  # raw cropbox in PDF user space (bottom-left origin), clipped to the mediabox
    user_to_page: Matrix  # PDF user space -> displayed top-left page space

    @classmethod
    def from_boxes(cls, mediabox, cropbox, rotation, user_unit: float = 1.0) -> "PageFrame":
        """`user_unit`: the page's /UserUnit (PDF 1.6): the size of one user-space unit in points;
        MuPDF scales the displayed page by it, pdfminer does not."""
        frame = cls._unscaled(mediabox, cropbox, rotation)
        if user_unit == 1.0:
            return frame
        u = float(user_unit)
        return cls(frame.width * u, frame.height * u, frame.rotation, frame.cropbox,
                   mat_mul(frame.user_to_page, (u, 0.0, 0.0, u, 0.0, 0.0)))  # fmt: skip

    @classmethod
    def _unscaled(cls, mediabox, cropbox, rotation) -> "PageFrame":
        mb, rot = _norm_box(mediabox), _rotation(rotation)
        cb = _norm_box(cropbox) if cropbox is not None else mb
        cb = (max(cb[0], mb[0]), max(cb[1], mb[1]), min(cb[2], mb[2]), min(cb[3], mb[3]))
        if cb[2] <= cb[0] or cb[3] <= cb[1]:
            cb = mb  # an empty intersection: MuPDF falls back to the mediabox too
        w, h = cb[2] - cb[0], cb[3] - cb[1]
        unrot = (1.0, 0.0, 0.0, -1.0, -cb[0], cb[3])  # user -> top-left, cropbox-relative
        turn = {0: (1, 0, 0, 1, 0, 0), 90: (0, 1, -1, 0, h, 0), 180: (-1, 0, 0, -1, w, h), 270: (0, -1, 1, 0, 0, w)}[rot]
        size = (h, w) if rot in (90, 270) else (w, h)
        return cls(size[0], size[1], rot, cb, mat_mul(unrot, tuple(float(v) for v in turn)))

    def from_plumber(self, mediabox) -> Matrix:
        """pdfminer device space (pdfplumber's `x0 - page.mediabox[0]`, `y0`) -> displayed page."""
        x0, y0, x1, y1 = _norm_box(mediabox)
        ctm = {90: (0, -1, 1, 0, -y0, x1), 180: (-1, 0, 0, -1, x1, y1), 270: (0, 1, -1, 0, y1, -x0)}.get(
            self.rotation, (1, 0, 0, 1, -x0, -y0)
        )  # pdfminer's PDFPageInterpreter.process_page
        return mat_mul(mat_inv(tuple(float(v) for v in ctm)), self.user_to_page)


def iou(a: Box, b: Box) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def gap(a: Box, b: Box) -> float:
    """How far apart two boxes are: the wider of their horizontal and vertical gaps (0 where they overlap)."""
    return max(0.0, b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])


def clip(b: Box, width: float, height: float) -> Box | None:
    """The part of `b` inside the page, or None when nothing is left."""
    c = (max(0.0, b[0]), max(0.0, b[1]), min(width, b[2]), min(height, b[3]))
    return c if c[2] > c[0] and c[3] > c[1] else None


def center_inside(b: Box, outer: Box, pad: float = 0.0) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return outer[0] - pad <= cx <= outer[2] + pad and outer[1] - pad <= cy <= outer[3] + pad
