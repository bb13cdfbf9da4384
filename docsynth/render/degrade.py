"""A print-and-scan model for rendered pages, with every box carried through the same geometry.

A degraded page goes through, in this order: a warp (rotation and shear, always, drawn exactly
by MuPDF as it rasterizes the page through that affine map; and on `perspective_prob` of them a
small perspective on top, resampled by Pillow), then each with probability `op_prob`: ink bleed or fading, paper texture,
contrast and brightness, a defocus blur (box), sensor noise and JPEG. Each operation is recorded with its
parameters in the page's `layout.degradations`; the vision codes are computed from the result.

Geometry: the warp is one homography `H` (page pixels -> scan pixels: perspective @ affine). Each box's four corners go
through `H` and the box becomes their axis-aligned hull, so word, line, element and table-cell
boxes still hold their ink after a rotation. MuPDF draws the affine part (no resampling: vector
text stays sharp, and it costs nothing over a plain raster); Pillow resamples the perspective
(`Image.transform` with the inverse homography, ~10 ms an RGB Letter page at 72 dpi) and runs the
photometric steps (point tables, channel operations, box blur):
all deterministic for one generator.

We chose Pillow and numpy over Augraphy and albumentations: both pull in OpenCV (a large native
wheel) for the few operations needed here, Augraphy draws from Python's global `random` (per-page
determinism would need global state), and neither carries boxes through a perspective warp, which
is the part that has to be exact.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from docsynth.config import DegradeConfig
from docsynth.doc import Element, Word


def _r(v: float, nd: int = 4) -> float:
    return round(float(v), nd)


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """3x3 H with H @ [x, y, 1] ~ dst for the four point pairs (rows of src, dst)."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    h = np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64))
    return np.append(h, 1.0).reshape(3, 3)


def warp_points(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.c_[pts, np.ones(len(pts))] @ h.T
    return p[:, :2] / p[:, 2:3]


@dataclass
class Warp:
    """A scan's geometry in page pixels: an affine part (rotation and shear about the centre), drawn
    exactly by MuPDF as it rasterizes the page, and on some pages a small perspective on top (Pillow)."""

    affine: np.ndarray  # 3x3, last row (0, 0, 1)
    perspective: np.ndarray | None  # 3x3 or None
    params: dict

    @property
    def homography(self) -> np.ndarray:
        """Page pixels -> scan pixels, all of it."""
        return self.affine if self.perspective is None else self.perspective @ self.affine


def draw_warp(rng: np.random.Generator, cfg: DegradeConfig, w: int, h: int) -> Warp:
    angle = rng.uniform(-cfg.rotation, cfg.rotation)
    shear = rng.uniform(-cfg.skew, cfg.skew)
    t = np.deg2rad(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) @ np.array([[1, shear], [0, 1]])
    c = np.array([w / 2, h / 2])
    affine = np.eye(3)
    affine[:2, :2], affine[:2, 2] = rot, c - rot @ c
    params = {"op": "warp", "rotation_deg": _r(angle, 3), "shear": _r(shear)}
    persp = None
    if rng.random() < cfg.perspective_prob:
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
        dst = corners + rng.uniform(-cfg.perspective, cfg.perspective, size=(4, 2)) * [w, h]
        persp = homography(corners, dst)
        params["perspective_corners_px"] = [[_r(v, 2) for v in p] for p in dst]
    return Warp(affine, persp, params)


def warp_image(img: np.ndarray, hmat: np.ndarray) -> np.ndarray:
    """The image through a homography (bilinear; paper white outside)."""
    inv = np.linalg.inv(hmat)
    inv = inv / inv[2, 2]
    pil = Image.fromarray(img)
    fill = 255 if img.ndim == 2 else (255, 255, 255)
    out = pil.transform(pil.size, Image.Transform.PERSPECTIVE, tuple(inv.flatten()[:8]), resample=Image.Resampling.BILINEAR, fillcolor=fill)
    return np.asarray(out)


def warp_box(box, hmat: np.ndarray, sx: float, sy: float, width: float, height: float) -> tuple[float, float, float, float]:
    """A box in points through the pixel homography: the hull of its warped corners, clipped to the page."""
    x0, y0, x1, y1 = box
    pts = warp_points(hmat, np.array([[x0 * sx, y0 * sy], [x1 * sx, y0 * sy], [x1 * sx, y1 * sy], [x0 * sx, y1 * sy]]))
    return (max(0.0, float(pts[:, 0].min()) / sx), max(0.0, float(pts[:, 1].min()) / sy),
            min(width, float(pts[:, 0].max()) / sx), min(height, float(pts[:, 1].max()) / sy))  # fmt: skip


def warp_elements(elements: list[Element], hmat: np.ndarray, sx: float, sy: float, width: float, height: float) -> None:
    """Every box of every element (and a table's cell boxes) through the warp, in place."""
    wb = lambda b: warp_box(b, hmat, sx, sy, width, height)  # noqa: E731
    for el in elements:
        el.bbox = wb(el.bbox)
        for ln in el.lines:
            ln.bbox = wb(ln.bbox)
            ln.words = [Word(w.text, wb(w.bbox)) for w in ln.words]
        for cell in el.attrs.get("cells", ()):
            cell["bbox"] = [round(v, 3) for v in wb(cell["bbox"])]


def _texture(rng, size: tuple[int, int], scale: int, amp: float) -> Image.Image:
    """Low-frequency paper texture: how much darker the paper is, 0 .. 2 * amp grey levels (a coarse
    random grid upsampled bilinearly), as an 8-bit image."""
    w, h = size
    gh, gw = max(2, h // scale), max(2, w // scale)
    coarse = Image.fromarray((rng.random((gh, gw), dtype=np.float32) * 2 * amp).astype(np.uint8))
    return coarse.resize((w, h), Image.Resampling.BILINEAR)


def _noise(rng, size: tuple[int, int], std: float) -> Image.Image:
    """Zero-mean sensor noise of standard deviation `std`, offset by 128, as an 8-bit image: the sum of
    two uniform bytes (triangular, std 255 / sqrt(6)) mapped through a table; ~10x cheaper than normals."""
    w, h = size
    two = np.frombuffer(rng.bytes(2 * w * h), dtype=np.uint8).reshape(2, h, w)
    table = np.clip(np.round(128 + (np.arange(511) - 255) * (std * np.sqrt(6.0) / 255.0)), 0, 255).astype(np.uint8)
    return Image.fromarray(table[two[0].astype(np.uint16) + two[1]])


def _as(img: Image.Image, band: Image.Image) -> Image.Image:
    """A one-band image in the mode of `img` (the same values in every band)."""
    return band if img.mode == "L" else Image.merge(img.mode, [band] * len(img.getbands()))


def _affine(a: float, b: float, bands: int) -> list[int]:
    """Pillow's point table of v -> a * v + b, clipped, for every band."""
    return [min(255, max(0, round(a * v + b))) for v in range(256)] * bands


def degrade(img: np.ndarray, rng: np.random.Generator, cfg: DegradeConfig, dpi: int, warp: Warp) -> tuple[np.ndarray, list[dict]]:
    """(degraded image, operations applied) of a page rasterized through `warp.affine`: its perspective
    (if any), then the photometric steps, in Pillow's C loops (point tables, channel operations, box
    blur), one pass each."""
    k = dpi / 72.0
    ops = [warp.params]
    out = Image.fromarray(img if warp.perspective is None else warp_image(img, warp.perspective))
    nb = len(out.getbands())
    on = [rng.random() < cfg.op_prob for _ in range(6)]  # ink, texture, contrast, blur, noise, jpeg
    if on[0] and rng.random() < 0.5:  # ink spreads into the paper: a darkened blur under the ink
        r, gain = rng.uniform(0.3, 0.7) * k, rng.uniform(1.1, 1.4)
        spread = out.filter(ImageFilter.BoxBlur(r)).point(_affine(gain, 255 * (1 - gain), nb))
        out = ImageChops.darker(out, spread)
        ops.append({"op": "ink_bleed", "radius_px": _r(r, 3), "gain": _r(gain, 3)})
    elif on[0]:  # toner fades: ink lighter
        f = rng.uniform(0.65, 0.9)
        out = out.point(_affine(f, 255 * (1 - f), nb))
        ops.append({"op": "fade", "factor": _r(f, 3)})
    if on[1]:
        amp, scale = rng.uniform(4, 14), int(rng.integers(16, 64))
        out = ImageChops.subtract(out, _as(out, _texture(rng, out.size, max(2, int(scale * k)), amp)))
        ops.append({"op": "paper_texture", "amplitude": _r(amp, 2), "scale_px": int(scale * k)})
    if on[2]:
        c, br = rng.uniform(*cfg.contrast), rng.uniform(*cfg.brightness)
        out = out.point(_affine(c, 128.0 * (1 - c) + br, nb))
        ops.append({"op": "contrast_brightness", "contrast": _r(c, 3), "brightness": _r(br, 2)})
    if on[3]:  # defocus: a point spreads into a disc, closer to a box than to a Gaussian (and 2x cheaper)
        radius = rng.uniform(*cfg.blur) * k
        out = out.filter(ImageFilter.BoxBlur(radius))
        ops.append({"op": "blur", "radius_px": _r(radius, 3)})
    if on[4]:
        std = rng.uniform(*cfg.noise)
        out = ImageChops.add(out, _as(out, _noise(rng, out.size, std)), 1.0, -128)
        ops.append({"op": "noise", "std": _r(std, 3)})
    if on[5]:
        q = int(rng.integers(cfg.jpeg[0], cfg.jpeg[1] + 1))
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=q)
        out = Image.open(io.BytesIO(buf.getvalue())).convert(out.mode)
        ops.append({"op": "jpeg", "quality": q})
    return np.asarray(out).copy(), ops
