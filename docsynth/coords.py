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
