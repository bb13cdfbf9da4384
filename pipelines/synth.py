"""The synthetic pipeline: web text -> randomized-font PDF pages -> boxes -> codes -> Format A/B.

A variant is a function that calls `config()` and changes fields, e.g.::

    def grey_a4(**kw):
        cfg = config(**kw)
        cfg.render.mode, cfg.layout.page_sizes = "L", ("a4",)
        return cfg
"""

from __future__ import annotations

from docsynth import config as C
from docsynth.pipeline import Pipeline, encode_and_serialize
from docsynth.render.step import Render
from docsynth.sources import get_source
from docsynth.text import Normalize


def config(**overrides) -> C.PipelineConfig:
    return C.PipelineConfig(name="synth", **overrides)


def build(cfg: C.PipelineConfig) -> Pipeline:
    return Pipeline(cfg, source=get_source(cfg), steps=[Normalize(cfg), Render(cfg), *encode_and_serialize(cfg)])
