"""Rasters and their encodings."""

import numpy as np
import pymupdf
import pytest

from docsynth.render.raster import decode_image, encode_image, png_bytes, rasterize


def _page():
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=100)
    page.insert_text((20, 50), "Hello raster", fontsize=14, color=(0.2, 0.3, 0.8))
    return doc, page


@pytest.mark.parametrize("shape", [(37, 53), (20, 31, 3), (1, 1), (64, 1, 3)])
def test_png_round_trips_exactly(shape):
    arr = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    data = encode_image(arr, "png")
    assert data == encode_image(arr.copy(), "png")  # deterministic
    assert np.array_equal(decode_image(data), arr)


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_lossy_formats_decode_to_the_same_shape(fmt, mode):
    _, page = _page()
    arr = rasterize(page, 72, mode)
    data = encode_image(arr, fmt, 90)
    assert data == encode_image(arr, fmt, 90)
    back = decode_image(data, mode)
    assert back.shape == arr.shape
    assert np.abs(back.astype(int) - arr).mean() < 4


def test_rasterize_shapes_and_display_list_equality():
    _, page = _page()
    grey, rgb = rasterize(page, 144, "L"), rasterize(page, 144, "RGB")
    assert grey.shape == (200, 400) and rgb.shape == (200, 400, 3)
    assert grey.dtype == np.uint8 and grey.min() < 100 and grey.max() == 255
    assert np.array_equal(rasterize(page.get_displaylist(), 144, "RGB"), rgb)


def test_our_png_decodes_like_pymupdf_png():
    _, page = _page()
    pix = page.get_pixmap(dpi=100, colorspace=pymupdf.csRGB, alpha=False)
    arr = rasterize(page, 100, "RGB")
    assert np.array_equal(decode_image(pix.tobytes("png")), decode_image(png_bytes(arr)))


@pytest.mark.parametrize("arr, fmt", [(np.zeros((4, 4), np.float32), "png"), (np.zeros((4, 4, 4), np.uint8), "png"),
                                      (np.zeros((4, 4), np.uint8), "gif")])  # fmt: skip
def test_bad_images_and_formats_are_refused(arr, fmt):
    with pytest.raises(ValueError):
        encode_image(arr, fmt)


def test_unknown_mode_is_refused():
    _, page = _page()
    with pytest.raises(ValueError, match="CMYK"):
        rasterize(page, 72, "CMYK")
