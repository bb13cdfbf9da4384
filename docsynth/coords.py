"""Coordinate normalization (DESIGN §3): `bin(v, extent) = min(N-1, floor(v / extent * N))`."""

from __future__ import annotations

import math


def to_bin(v: float, extent: float, bins: int) -> int:
    if extent <= 0:
        raise ValueError(f"extent must be positive, got {extent}")
    return max(0, min(bins - 1, math.floor(v / extent * bins)))


def from_bin(b: int, extent: float, bins: int) -> float:
    """Decode at the bin centre."""
    return (b + 0.5) * extent / bins


def normalize_box(box, width: float, height: float, bins: int) -> list[int]:
    x0, y0, x1, y1 = box
    return [to_bin(x0, width, bins), to_bin(y0, height, bins), to_bin(x1, width, bins), to_bin(y1, height, bins)]


def denormalize_box(nbox, width: float, height: float, bins: int) -> list[float]:
    x0, y0, x1, y1 = nbox
    return [from_bin(x0, width, bins), from_bin(y0, height, bins), from_bin(x1, width, bins), from_bin(y1, height, bins)]


def crop_slices(shape: tuple[int, ...], width: float, height: float, bbox) -> tuple[slice, slice]:
    """A box in points -> (rows, cols) pixel slices of a page raster of `shape` (at least one pixel each way)."""
    H, W = shape[:2]
    sx, sy = W / width, H / height
    x0, x1 = int(math.floor(bbox[0] * sx)), int(math.ceil(bbox[2] * sx))
    y0, y1 = int(math.floor(bbox[1] * sy)), int(math.ceil(bbox[3] * sy))
    x0, y0 = min(max(x0, 0), W - 1), min(max(y0, 0), H - 1)
    return slice(y0, max(min(y1, H), y0 + 1)), slice(x0, max(min(x1, W), x0 + 1))
