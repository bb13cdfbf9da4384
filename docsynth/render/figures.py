"""Generated figures placed in the text flow: cheap charts and shapes, deterministic from a generator.

Each kind is a function `(rng, width_px, height_px) -> (H, W, 3) uint8`, registered in
`FIGURES`; it draws with Pillow or numpy only (no fonts, so no text to ground).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

MAX_SIDE_PX = 480  # figures are generated at the page dpi, capped at this side


def _palette(rng: np.random.Generator, n: int) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in rng.integers(20, 230, size=3)) for _ in range(n)]


def _canvas(w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    bg = (255, 255, 255) if rng.random() < 0.7 else tuple(int(v) for v in rng.integers(225, 256, size=3))
    img = Image.new("RGB", (w, h), bg)
    return img, ImageDraw.Draw(img)


def _axes(draw: ImageDraw.ImageDraw, w: int, h: int) -> tuple[int, int, int, int]:
    """Draw the axes; returns the plot area (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = max(2, w // 10), max(2, h // 10), w - max(2, w // 20), h - max(2, h // 10)
    draw.line([(x0, y0), (x0, y1), (x1, y1)], fill=(40, 40, 40), width=max(1, w // 200))
    return x0, y0, x1, y1


def bar_chart(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    img, draw = _canvas(w, h, rng)
    x0, y0, x1, y1 = _axes(draw, w, h)
    n = int(rng.integers(3, 12))
    values = rng.uniform(0.1, 1.0, size=n)
    colors = _palette(rng, 1 if rng.random() < 0.6 else n)
    slot = (x1 - x0) / n
    for i, v in enumerate(values):
        left = x0 + i * slot + slot * 0.15
        draw.rectangle([left, y1 - v * (y1 - y0), left + slot * 0.7, y1 - 1], fill=colors[i % len(colors)])
    return np.asarray(img)


def line_chart(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    img, draw = _canvas(w, h, rng)
    x0, y0, x1, y1 = _axes(draw, w, h)
    for color in _palette(rng, int(rng.integers(1, 4))):
        n = int(rng.integers(5, 40))
        ys = np.cumsum(rng.normal(0, 1, size=n))
        ys = (ys - ys.min()) / (np.ptp(ys) + 1e-9)
        pts = [(x0 + (x1 - x0) * i / (n - 1), y1 - 2 - ys[i] * (y1 - y0 - 4)) for i in range(n)]
        draw.line(pts, fill=color, width=max(1, w // 150))
    return np.asarray(img)


def scatter(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    img, draw = _canvas(w, h, rng)
    x0, y0, x1, y1 = _axes(draw, w, h)
    r = max(1, min(w, h) // 60)
    for color in _palette(rng, int(rng.integers(1, 4))):
        centre = rng.uniform(0.2, 0.8, size=2)
        pts = np.clip(rng.normal(centre, 0.12, size=(int(rng.integers(10, 80)), 2)), 0.02, 0.98)
        for px, py in pts:
            cx, cy = x0 + px * (x1 - x0), y1 - py * (y1 - y0)
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
    return np.asarray(img)


def shapes(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    img, draw = _canvas(w, h, rng)
    for color in _palette(rng, int(rng.integers(3, 10))):
        a, b = rng.uniform(0, 1, size=2) * (w, h), rng.uniform(0, 1, size=2) * (w, h)
        box = [min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]) + 2, max(a[1], b[1]) + 2]
        kind = int(rng.integers(3))
        if kind == 0:
            draw.rectangle(box, fill=color)
        elif kind == 1:
            draw.ellipse(box, fill=color)
        else:
            draw.polygon([(box[0], box[3]), ((box[0] + box[2]) / 2, box[1]), (box[2], box[3])], fill=color)
    return np.asarray(img)


def gradient(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    c0, c1 = (np.array(c, dtype=np.float32) for c in _palette(rng, 2))
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)  # (H, W) each
    t = xx / max(w - 1, 1) * np.cos(angle) + yy / max(h - 1, 1) * np.sin(angle)
    t = (t - t.min()) / (np.ptp(t) + 1e-9)  # (H, W) in [0, 1]
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]  # (H, W, 3)
    return np.round(img).astype(np.uint8)


FIGURES: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "bar": bar_chart,
    "line": line_chart,
    "scatter": scatter,
    "shapes": shapes,
    "gradient": gradient,
}


def figure_pixels(kind: str, rng: np.random.Generator, w_pt: float, h_pt: float, dpi: int) -> np.ndarray:
    """(H, W, 3) uint8 pixels for a figure of w_pt x h_pt points rendered at `dpi`."""
    scale = min(dpi / 72.0, MAX_SIDE_PX / max(w_pt, h_pt))
    w, h = max(4, round(w_pt * scale)), max(4, round(h_pt * scale))
    return np.ascontiguousarray(FIGURES[kind](rng, w, h))
