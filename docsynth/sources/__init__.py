"""Text sources: each plans per-shard input specs on the driver and reads one spec into documents.

A source is built from the pipeline config (`get_source`) and follows the `Source` protocol of
`docsynth.pipeline`: `plan(cfg) -> list[dict]` (JSON specs) and `read(spec, ctx) -> Iterator[Document]`.
"""

from __future__ import annotations

from docsynth import config as C
from docsynth.sources.faker import FakerSource
from docsynth.sources.fineweb import FineWebSource, PathSource

SOURCES = {"faker": FakerSource, "fineweb": FineWebSource, "path": PathSource}


def get_source(cfg: C.PipelineConfig):
    if cfg.source.kind not in SOURCES:
        raise ValueError(f"source.kind: unknown source {cfg.source.kind!r}; known: {sorted(SOURCES)}")
    return SOURCES[cfg.source.kind](cfg)
