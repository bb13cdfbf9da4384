"""Generated figures: deterministic pixels from a generator."""

import numpy as np
import pytest

from docsynth.render.figures import FIGURES, MAX_SIDE_PX, figure_pixels


@pytest.mark.parametrize("kind", sorted(FIGURES))
def test_figures_are_deterministic_images(kind):
    a = figure_pixels(kind, np.random.default_rng(7), 200.0, 120.0, 72)
    b = figure_pixels(kind, np.random.default_rng(7), 200.0, 120.0, 72)
    c = figure_pixels(kind, np.random.default_rng(8), 200.0, 120.0, 72)
    assert a.dtype == np.uint8 and a.shape == (120, 200, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 0  # something is drawn


def test_figure_size_follows_dpi_up_to_the_cap():
    assert figure_pixels("bar", np.random.default_rng(0), 100.0, 50.0, 144).shape == (100, 200, 3)
    big = figure_pixels("bar", np.random.default_rng(0), 500.0, 300.0, 300)
    assert max(big.shape[:2]) == MAX_SIDE_PX
