"""The `arxiv` pipeline: real papers (PDF, optionally with OCR) -> aligned elements -> codes -> Format A/B."""

from __future__ import annotations

from docsynth import config as C
from docsynth.pipeline import Pipeline, encode_and_serialize


def config(**kw) -> C.PipelineConfig:
    """The default arXiv configuration; keyword arguments replace top-level fields (e.g. arxiv=ArxivConfig(...))."""
    return C.PipelineConfig(name="arxiv", **kw)


def build(cfg: C.PipelineConfig) -> Pipeline:
    from docsynth.arxiv import Extract, PdfSource
        
    return Pipeline(cfg, source=PdfSource(), steps=[Extract(cfg), *encode_and_serialize(cfg)])
