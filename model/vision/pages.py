"""A small self-contained page generator used as the tokenizer's default training data.

It lays out Faker text with PyMuPDF directly (random page size, margins, 1-3 columns, fonts,
sizes, colours, headings, a few rules and shapes) and rasterizes each page. The tokenizer's
trainer only needs an iterator of uint8 page arrays, so the project renderer can replace this
source without touching the trainer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pymupdf
import pymupdf_fonts  # noqa: F401  (registers the pymupdf-fonts font names with pymupdf.Font)
from faker import Faker

LOCALES = ("en_US", "en_US", "de_DE", "fr_FR", "ru_RU", "el_GR", "zh_CN")
LATIN_FONTS = (
    "notos",
    "notosbo",
    "notosit",
    "notosbi",
    "figo",
    "figbo",
    "figit",
    "ubuntu",
    "ubuntubo",
    "ubuntuit",
    "ubuntm",
    "fimo",
    "spacemo",
    "cascadia",
    "helv",
    "tiro",
    "cour",
    "hebo",
    "tibo",
)
CJK_FONT = (
    "cjk"  # MuPDF's built-in Droid Sans Fallback, covers CJK ideographs and Latin
)


@dataclass(kw_only=True)
class PageGenConfig:
    width_pt: tuple[int, int] = (300, 700)  # page width range in points
    height_pt: tuple[int, int] = (360, 900)  # page height range in points
    font_size: tuple[float, float] = (8.0, 16.0)  # body font size range in points
    columns: tuple[int, int] = (1, 3)  # number of text columns, inclusive range
    dpi: tuple[int, ...] = (72,)  # rasterization resolutions to choose from
    rgb_fraction: float = 0.5  # share of pages rendered in colour (the rest are grey)
    colour_fraction: float = 0.35  # share of paragraphs set in a non-black colour
    shape_fraction: float = (
        0.3  # chance that a page gets rules, boxes or a filled shape
    )

    def __post_init__(self):
        for name in ("width_pt", "height_pt", "font_size", "columns"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be a range 0 < lo <= hi, got {(lo, hi)}")
        if not self.dpi or min(self.dpi) < 18:
            raise ValueError(
                f"dpi must be a non-empty tuple of resolutions >= 18, got {self.dpi}"
            )
        for name in ("rgb_fraction", "colour_fraction", "shape_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"{name} must lie in [0, 1], got {getattr(self, name)}"
                )


_FONT_CACHE: dict[str, pymupdf.Font] = {}
_COVER_CACHE: dict[tuple[str, str], bool] = {}
_ADVANCE_CACHE: dict[tuple[int, str], float] = {}
_FAKERS: dict[str, Faker] = {}


def _font(name: str) -> pymupdf.Font:
    if name not in _FONT_CACHE:
        _FONT_CACHE[name] = pymupdf.Font(name)
    return _FONT_CACHE[name]


def _covers(name: str, text: str) -> bool:
    font = _font(name)
    for ch in set(text):
        key = (name, ch)
        if key not in _COVER_CACHE:
            _COVER_CACHE[key] = ch.isspace() or font.has_glyph(ord(ch)) != 0
        if not _COVER_CACHE[key]:
            return False
    return True


def _text_length(font: pymupdf.Font, text: str, size: float) -> float:
    # Font.text_length goes through MuPDF per character with fallback lookup; cache advances
    total = 0.0
    for ch in text:
        key = (id(font), ch)
        if key not in _ADVANCE_CACHE:
            _ADVANCE_CACHE[key] = font.glyph_advance(ord(ch))
        total += _ADVANCE_CACHE[key]
    return total * size


def _paragraph(fake: Faker, rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.75:
        return fake.paragraph(nb_sentences=rng.randint(2, 9))
    if kind < 0.9:
        return f"{fake.name()}, {fake.address()}".replace("\n", ", ")
    return " ".join(
        f"{rng.uniform(-1e4, 1e4):.{rng.randint(0, 3)}f}"
        for _ in range(rng.randint(4, 30))
    )


def _wrap(
    text: str, font: pymupdf.Font, size: float, width: float, cjk: bool
) -> list[str]:
    units = list(text) if cjk else text.split()
    sep = "" if cjk else " "
    lines, cur = [], ""
    for u in units:
        cand = f"{cur}{sep}{u}" if cur else u
        if cur and _text_length(font, cand, size) > width:
            lines.append(cur)
            cur = u
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return lines


def _colour(rng: random.Random, cfg: PageGenConfig) -> tuple[float, float, float]:
    if rng.random() >= cfg.colour_fraction:
        g = rng.uniform(0.0, 0.25)
        return (g, g, g)
    return tuple(rng.uniform(0.0, 0.8) for _ in range(3))


def _shapes(page: pymupdf.Page, rng: random.Random) -> None:
    r = page.rect
    for _ in range(rng.randint(1, 4)):
        x0, y0 = rng.uniform(0, r.width * 0.8), rng.uniform(0, r.height * 0.9)
        box = pymupdf.Rect(
            x0, y0, x0 + rng.uniform(20, r.width * 0.4), y0 + rng.uniform(2, 120)
        )
        col = tuple(rng.uniform(0.0, 1.0) for _ in range(3))
        fill = col if rng.random() < 0.4 else None
        if rng.random() < 0.5:
            page.draw_line(
                box.tl,
                pymupdf.Point(box.x1, box.y0),
                color=col,
                width=rng.uniform(0.3, 2),
            )
        else:
            page.draw_rect(
                box, color=col, fill=fill, width=rng.uniform(0.3, 2), fill_opacity=0.6
            )


def _layout(page: pymupdf.Page, rng: random.Random, cfg: PageGenConfig) -> None:
    r = page.rect
    margin = rng.uniform(18, 60)
    ncol = rng.randint(*cfg.columns)
    gutter = rng.uniform(10, 24)
    col_w = (r.width - 2 * margin - (ncol - 1) * gutter) / ncol
    if col_w < 60:
        ncol, col_w = 1, r.width - 2 * margin
    locale = rng.choice(LOCALES)
    if locale not in _FAKERS:
        _FAKERS[locale] = Faker(locale)
    fake = _FAKERS[locale]
    fake.seed_instance(rng.getrandbits(32))
    cjk = locale.startswith("zh")
    fonts = [CJK_FONT] if cjk else list(LATIN_FONTS)
    body = rng.uniform(*cfg.font_size)
    leading = rng.uniform(1.1, 1.5)
    col, y = 0, margin
    while col < ncol:
        text = _paragraph(fake, rng)
        heading = rng.random() < 0.12
        size = body * (rng.uniform(1.2, 1.8) if heading else rng.uniform(0.9, 1.1))
        if heading:
            text = " ".join(text.split()[: rng.randint(2, 6)]) if not cjk else text[:12]
        usable = [f for f in rng.sample(fonts, len(fonts)) if _covers(f, text)]
        if not usable:
            continue
        font = _font(usable[0])
        x = margin + col * (col_w + gutter)
        tw = pymupdf.TextWriter(r, color=_colour(rng, cfg))
        for line in _wrap(text, font, size, col_w, cjk):
            if y + size * leading > r.height - margin:
                col, y = col + 1, margin
                if col >= ncol:
                    break
                x = margin + col * (col_w + gutter)
            y += size * leading
            tw.append((x, y), line, font=font, fontsize=size)
        tw.write_text(page)
        y += size * rng.uniform(0.2, 1.2)


def render_page(
    rng: random.Random, cfg: PageGenConfig | None = None, rgb: bool | None = None
) -> np.ndarray:
    """One random page as uint8 (H, W) grey or (H, W, 3) RGB."""
    cfg = cfg or PageGenConfig()
    rgb = rng.random() < cfg.rgb_fraction if rgb is None else rgb
    doc = pymupdf.open()
    page = doc.new_page(
        width=rng.randint(*cfg.width_pt), height=rng.randint(*cfg.height_pt)
    )
    if rng.random() < cfg.shape_fraction:
        _shapes(page, rng)
    _layout(page, rng, cfg)
    pix = page.get_pixmap(
        dpi=rng.choice(cfg.dpi),
        colorspace=pymupdf.csRGB if rgb else pymupdf.csGRAY,
        alpha=False,
    )
    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(
        pix.height, pix.width, pix.n
    )
    doc.close()
    return arr.copy() if rgb else arr[:, :, 0].copy()


def synthetic_pages(
    seed: int,
    cfg: PageGenConfig | None = None,
    rgb: bool | None = None,
    limit: int | None = None,
) -> Iterator[np.ndarray]:
    """Endless (or `limit`-long) seeded stream of rendered pages."""
    rng = random.Random(seed)
    n = 0
    while limit is None or n < limit:
        yield render_page(rng, cfg, rgb)
        n += 1


def rendered_pages(seed: int, *, rgb: bool = False, limit: int | None = None, dpi: int = 72, word_masks: bool = False):
    """Pages made by docsynth's own synth renderer (Faker text, randomized layouts), as uint8 arrays;
    with `word_masks`, (page, mask) pairs: the mask (H, W) uint8 is 1 inside the page's word boxes.

    This is the distribution the pipeline encodes; `seed` picks the document stream, so two
    different seeds give disjoint pages (held-out evaluation uses a far-away seed).
    """
    from itertools import count

    from docsynth import config as C
    from docsynth.pipelines import synth
    from docsynth.render.step import Render
    from docsynth.sources import get_source
    from docsynth.steps import ShardContext
    from docsynth.text import Normalize

    cfg = C.apply_overrides(synth.config(num_docs=1 << 30, seed=seed), [f"render.dpi={dpi}", f"render.mode={'RGB' if rgb else 'L'}"])
    source, ctx = get_source(cfg), ShardContext(shard=0, seed=seed)
    docs = (doc for i in count() for doc in source.read({"kind": "faker", "start": i, "stop": i + 1}, ctx))
    for n, page in enumerate(Render(cfg)(Normalize(cfg)(docs, ctx), ctx)):
        if limit is not None and n >= limit:
            return
        yield (page.image, word_mask(page)) if word_masks else page.image


def word_mask(page) -> np.ndarray:
    """(H, W) uint8: 1 inside the page's word boxes (mapped to its pixels, rounded outwards)."""
    H, W = page.image.shape[:2]
    sx, sy = W / page.width, H / page.height
    mask = np.zeros((H, W), dtype=np.uint8)
    for el in page.elements:
        for ln in el.lines:
            for w in ln.words:
                x0, y0, x1, y1 = w.bbox
                mask[max(int(y0 * sy), 0) : min(int(np.ceil(y1 * sy)), H), max(int(x0 * sx), 0) : min(int(np.ceil(x1 * sx)), W)] = 1
    return mask


def held_out_page(index: int) -> bool:
    """Real paper pages kept for evaluation (bench/tokenizer.py): every third page, from the second."""
    return index % 3 == 1


def paper_pages(folder, seed: int, *, rgb: bool = False, dpi: int = 72, word_masks: bool = False) -> Iterator:
    """Real paper pages for training, endlessly: every PDF under `folder` rasterized at `dpi`, the pages
    `held_out_page` keeps for evaluation left out, in a shuffled order per pass; with `word_masks`,
    (page, mask) pairs from the text layer's word boxes. Raises ValueError when no page qualifies."""
    from pathlib import Path

    paths = sorted(Path(folder).glob("*.pdf"))
    picks = []
    for p in paths:
        try:
            with pymupdf.open(p) as d:
                picks += [(p, k) for k in range(d.page_count) if not held_out_page(k)]
        except (RuntimeError, ValueError) as e:  # a damaged PDF: named, skipped
            print(f"paper_pages: skipping {p}: {e}")
    if not picks:
        raise ValueError(f"paper_pages: no training pages in {folder} (no readable PDF with pages outside the held-out ones)")
    rng = np.random.default_rng(seed)
    while True:
        for i in rng.permutation(len(picks)):
            path, k = picks[i]
            with pymupdf.open(path) as d:
                page = d[k]
                pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB if rgb else pymupdf.csGRAY, alpha=False)
                img = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n).copy()
                img = img if rgb else img[:, :, 0]
                if not word_masks:
                    yield img
                    continue
                mask = np.zeros(img.shape[:2], dtype=np.uint8)
                s = dpi / 72
                for x0, y0, x1, y1, *_ in page.get_text("words"):
                    mask[max(int(y0 * s), 0) : max(int(np.ceil(y1 * s)), 0), max(int(x0 * s), 0) : max(int(np.ceil(x1 * s)), 0)] = 1
                yield img, mask


def interleave(streams: list[Iterator], weights: list[float], seed: int) -> Iterator:
    """Items drawn from `streams` at random with `weights` (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    p = np.asarray(weights, dtype=np.float64) / sum(weights)
    while True:
        yield next(streams[int(rng.choice(len(streams), p=p))])
