"""Pages with their boxes drawn (PIL), and the side-by-side figure of `docsynth inspect`.

Boxes are in PDF points (DESIGN §3); a page image of `W` pixels for a page `width` points
wide maps a point to `W / width` pixels, times the drawing `scale`.
"""

from __future__ import annotations

import io
import json
import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LEVELS = ("para", "line", "word")
TYPE_COLORS: dict[str, tuple[int, int, int]] = {  # element type -> RGB (matplotlib tab10)
    "para": (31, 119, 180),
    "heading": (214, 39, 40),
    "caption": (148, 103, 189),
    "list": (255, 127, 14),
    "math": (23, 190, 207),
    "footnote": (140, 86, 75),
    "header": (127, 127, 127),
    "footer": (127, 127, 127),
    "line": (188, 189, 34),
    "table": (230, 171, 2),
    "code": (102, 102, 102),
    "figure": (44, 160, 44),
    "image": (44, 160, 44),
}
OTHER_COLOR = (227, 119, 194)  # a type this table does not know
FILL_ALPHA = 38  # translucent box fill, out of 255
LABEL_ALPHA = 200  # label tags let the text they overlap show through a little
PAD = 16  # pixels around and between panels
BACKGROUND = (246, 246, 244)
INK = (34, 34, 34)


def type_color(kind: str) -> tuple[int, int, int]:
    return TYPE_COLORS.get(kind, OTHER_COLOR)


@lru_cache(maxsize=16)
def label_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """FiraGO from pymupdf-fonts (Latin, Cyrillic, Greek), else DejaVu Sans, else PIL's own."""
    try:
        import pymupdf_fonts

        buf = pymupdf_fonts._figbo() if bold else pymupdf_fonts._figo()
        return ImageFont.truetype(io.BytesIO(buf), size)
    except (ImportError, AttributeError, OSError):
        pass
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def page_boxes(meta: dict, level: str) -> list[tuple[str, int, list[float]]]:
    """(element type, element index, box in points) for every box of `level`."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: expected one of {LEVELS}")
    out = []
    for i, el in enumerate(meta["elements"]):
        if level == "para" or not el["lines"]:  # image elements have no lines: keep their box
            out.append((el["type"], i, el["bbox"]))
        elif level == "line":
            out.extend((el["type"], i, ln["bbox"]) for ln in el["lines"])
        else:
            out.extend((el["type"], i, w["bbox"]) for ln in el["lines"] for w in ln["words"])
    return out


def to_rgb(image: np.ndarray) -> Image.Image:
    im = Image.fromarray(np.asarray(image))
    return im.convert("RGB")


def scaled(image: np.ndarray, scale: float) -> Image.Image:
    im = to_rgb(image)
    if scale != 1.0:
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    return im


LOOK_COLOR = (20, 20, 20)


def draw_boxes(image: np.ndarray, meta: dict, level: str = "para", scale: float = 1.0, labels: bool = True) -> Image.Image:
    """The page scaled by `scale` with its `level` boxes: outline and light fill in the type's colour; a
    glimpse sample's looks (`meta.views`) as numbered dark frames."""
    im = scaled(image, scale).convert("RGBA")
    px = im.width / meta["width"]  # output pixels per point
    overlay = Image.new("RGBA", im.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width = 1 if level == "word" or scale < 0.75 else 2
    for kind, _, box in page_boxes(meta, level):
        r, g, b = type_color(kind)
        x0, y0, x1, y1 = (v * px for v in box)
        x1, y1 = max(x0, x1), max(y0, y1)
        draw.rectangle([x0, y0, x1, y1], fill=(r, g, b, FILL_ALPHA))
        # the outline goes just outside the box, so it never covers the glyphs the box holds
        draw.rectangle([x0 - width, y0 - width, x1 + width, y1 + width], outline=(r, g, b, 255), width=width)
    if level == "para":  # a table's cells inside its frame
        r, g, b = type_color("table")
        for box in cell_boxes(meta):
            x0, y0, x1, y1 = (v * px for v in box)
            draw.rectangle([x0, y0, max(x0, x1), max(y0, y1)], outline=(r, g, b, 200), width=1)
    if labels:
        _draw_labels(draw, meta, px, max(9, round(7 * scale)))
    looks = [v["bbox"] for v in meta.get("views") or () if v["kind"] == "look"]
    font = label_font(max(10, round(8 * scale)), bold=True)
    for i, box in enumerate(looks, 1):
        x0, y0, x1, y1 = (v * px for v in box)
        draw.rectangle([x0, y0, x1, y1], outline=(*LOOK_COLOR, 255), width=max(2, round(scale * 1.5)))
        l, t, r, b = draw.textbbox((0, 0), f"look {i}", font=font)
        draw.rectangle([x1 - (r - l) - 6, y0, x1, y0 + b - t + 4], fill=(*LOOK_COLOR, 220))
        draw.text((x1 - (r - l) - 3 - l, y0 + 2 - t), f"look {i}", font=font, fill=(255, 255, 255, 255))
    return Image.alpha_composite(im, overlay).convert("RGB")


def views_panel(views: list[np.ndarray], height: int) -> Image.Image:
    """A glimpse sample's views (global first) in a grid as tall as `height`, each framed and numbered."""
    n = len(views)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    side = max(16, (height - (rows - 1) * PAD // 2) // rows)
    panel = Image.new("RGB", (cols * side + (cols - 1) * PAD // 2, height), BACKGROUND)
    draw = ImageDraw.Draw(panel)
    font = label_font(max(10, side // 20), bold=True)
    for i, v in enumerate(views):
        x, y = (i % cols) * (side + PAD // 2), (i // cols) * (side + PAD // 2)
        panel.paste(scaled(v, side / v.shape[1]), (x, y))
        draw.rectangle([x, y, x + side - 1, y + side - 1], outline=(190, 190, 190))
        label = "global" if i == 0 else f"look {i}"  # bottom-right: a view's content starts at its top-left
        l, t, r, b = draw.textbbox((0, 0), label, font=font)
        x1, y1 = x + side - 2, y + side - 2
        draw.rectangle([x1 - (r - l) - 6, y1 - (b - t) - 4, x1, y1], fill=LOOK_COLOR)
        draw.text((x1 - (r - l) - 3 - l, y1 - (b - t) - 2 - t), label, font=font, fill=(255, 255, 255))
    return panel


def _attrs(el: dict) -> dict:
    a = el.get("attrs") or {}
    return json.loads(a) if isinstance(a, str) else a  # meta.json stores attrs as a JSON object string


def cell_boxes(meta: dict) -> list[list[float]]:
    """The cell boxes of every table on the page, in points."""
    return [c["bbox"] for el in meta["elements"] if el["type"] == "table" for c in _attrs(el).get("cells", ())]


def degradations_text(meta: dict) -> str:
    """'clean scan', or the degradations applied to the page image with their main parameters."""
    layout = meta.get("layout") or {}
    layout = json.loads(layout) if isinstance(layout, str) else layout
    ops = layout.get("degradations") or []
    if not ops:
        return "clean page"
    parts = []
    for op in ops:
        args = ", ".join(f"{k} {v:g}" if isinstance(v, float | int) else k for k, v in op.items() if k != "op" and not isinstance(v, list))
        parts.append(f"{op['op']} ({args})" if args else op["op"])
    return "degraded scan: " + "; ".join(parts)


def _draw_labels(draw: ImageDraw.ImageDraw, meta: dict, px: float, size: int) -> None:
    """A small tag `i type` at each element's top-left corner (inside the box when at the page top)."""
    font = label_font(size, bold=True)
    for i, el in enumerate(meta["elements"]):
        x0, y0 = el["bbox"][0] * px, el["bbox"][1] * px
        text = f"{i} {el['type']}"
        l, t, r, b = draw.textbbox((0, 0), text, font=font)
        w, h = r - l + 6, b - t + 4
        top = y0 - h if y0 - h >= 0 else y0
        draw.rectangle([x0, top, x0 + w, top + h], fill=(*type_color(el["type"]), LABEL_ALPHA))
        draw.text((x0 + 3 - l, top + 2 - t), text, font=font, fill=(255, 255, 255, 255))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images of the same size (grey and RGB are compared as grey)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != b.ndim:
        a, b = (np.asarray(Image.fromarray(x).convert("L")) for x in (a, b))
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def header_height(scale: float) -> int:
    return 4 * _line_h(_title_size(scale)) + PAD


def _title_size(scale: float) -> int:
    return max(12, round(9 * scale))


def _line_h(size: int) -> int:
    return round(size * 1.5)


def inspect_size(image_w: int, image_h: int, scale: float, panels: int) -> tuple[int, int]:
    """Width and height of the `inspect` figure for a page image of `image_w`×`image_h` pixels."""
    pw, ph = max(1, round(image_w * scale)), max(1, round(image_h * scale))
    return PAD + panels * (pw + PAD), header_height(scale) + ph + PAD


def inspect_figure(
    meta: dict, image: np.ndarray, recon: np.ndarray | None, *, level: str = "para", scale: float = 1.5, title: str = "",
    views: list[np.ndarray] | None = None,
) -> Image.Image:
    """Header (title, legend), the page with boxes, and beside it the reconstruction (when given) and a
    glimpse sample's views (when given)."""
    left = draw_boxes(image, meta, level, scale)
    panels = [(f"page with {level} boxes" + (" and looks" if meta.get("views") else ""), left)]
    if recon is not None:
        H, W = image.shape[:2]
        r = np.asarray(recon)[:H, :W]
        panels.append((f"reconstructed from codes · PSNR {psnr(image, r):.1f} dB", scaled(r, scale)))
    if views:
        S = views[0].shape[0]
        panels.append((f"the {len(views)} views, {S}×{S} px each", views_panel(views, left.height)))
    W = PAD + sum(im.width + PAD for _, im in panels)
    H = header_height(scale) + left.height + PAD
    canvas = Image.new("RGB", (W, H), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    size = _title_size(scale)
    draw.text((PAD, PAD // 2), title, font=label_font(size, bold=True), fill=INK)
    draw.text((PAD, PAD // 2 + _line_h(size)), degradations_text(meta), font=label_font(size), fill=INK)
    _draw_legend(draw, meta, (PAD, PAD // 2 + 2 * _line_h(size)), size)
    y, x = header_height(scale), PAD
    for caption, im in panels:
        draw.text((x, y - _line_h(size)), caption, font=label_font(size), fill=INK)
        canvas.paste(im, (x, y))
        draw.rectangle([x - 1, y - 1, x + im.width, y + im.height], outline=(190, 190, 190))
        x += im.width + PAD
    return canvas


def _draw_legend(draw: ImageDraw.ImageDraw, meta: dict, xy: tuple[int, int], size: int) -> None:
    kinds = sorted({el["type"] for el in meta["elements"]}, key=lambda k: list(TYPE_COLORS).index(k) if k in TYPE_COLORS else 99)
    x, y = xy
    font = label_font(size)
    for kind in kinds:
        draw.rectangle([x, y + 3, x + size - 2, y + size + 1], fill=type_color(kind))
        draw.text((x + size + 4, y), kind, font=font, fill=INK)
        x += size + 4 + round(draw.textlength(kind, font=font)) + 2 * size
