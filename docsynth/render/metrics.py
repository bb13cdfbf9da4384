"""Advance widths exactly as the rendered PDF applies them.

MuPDF embeds a font with a `/W` array of glyph widths in 1/1000 em, truncated to integers,
and every viewer (MuPDF included) advances by those widths. Measuring with the unrounded
advances (`Font.text_length`) drifts by up to ~0.5 pt over a long line, so the layout
measures with the truncated widths instead. `Font.text_length` also costs ~100 µs a call in
PyMuPDF 2.0; a per-character table through the low-level binding costs ~2 µs once per
character and a dict lookup afterwards.
"""

from __future__ import annotations

import math

import pymupdf

_mupdf = pymupdf.mupdf


class FaceMetrics:
    """Widths in em of one font, cached per character and per string."""

    def __init__(self, face, pool):
        self._face, self._pool = face, pool  # the font itself stays in the pool's cache, not here
        self._chars: dict[str, float] = {}
        self._strings: dict[str, float] = {}

    def char(self, c: str) -> float:
        w = self._chars.get(c)
        if w is None:
            font = self._pool.font(self._face).this  # low-level fz_font
            gid = _mupdf.fz_encode_character(font, ord(c))
            w = math.floor(_mupdf.fz_advance_glyph(font, gid, 0) * 1000.0) / 1000.0
            self._chars[c] = w
        return w

    def width(self, s: str) -> float:
        w = self._strings.get(s)
        if w is None:
            try:
                w = sum(map(self._chars.__getitem__, s))
            except KeyError:  # a character seen for the first time
                w = sum(self.char(c) for c in s)
            if len(self._strings) < 200_000:  # bound the cache on huge vocabularies
                self._strings[s] = w
        return w


_CACHE: dict[str, FaceMetrics] = {}


def metrics_for(face, pool) -> FaceMetrics:
    """The process-wide metrics of `face` (keyed by its ref)."""
    m = _CACHE.get(face.ref)
    if m is None:
        m = _CACHE[face.ref] = FaceMetrics(face, pool)
    return m
