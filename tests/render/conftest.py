"""Fixtures of the render tests (helpers: render_helpers.py)."""

import pytest
from render_helpers import LOCALES, config, faker_docs, render

from docsynth import config as C
from docsynth.fonts import FontPool


@pytest.fixture(scope="session")
def pool():
    return FontPool.from_config(C.FontConfig())


@pytest.fixture(scope="session")
def rendered():
    """Pages over every test locale, a few seeds, grey and RGB, two resolutions."""
    out = []
    for k, (dpi, mode) in enumerate(((72, "RGB"), (110, "L"), (150, "L"))):
        docs = [d for loc in LOCALES for d in faker_docs(loc, 3, seed=k)]
        pages, ctx = render(docs, config(render_dpi=dpi, render_mode=mode), seed=k)
        out.append((pages, ctx))
    return out
