"""A pipeline: a source that plans and reads inputs, then steps that turn them into samples.

Pipelines are rebuilt from `(name, config)` inside each worker (`build_pipeline`, cached per
process), so nothing heavy travels between processes or Ray tasks.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from docsynth import config as C
from docsynth.doc import Document
from docsynth.steps import ShardContext, Step
from docsynth.vocab import VocabSpec


class Source(Protocol):
    name: str

    def plan(self, cfg: C.PipelineConfig) -> list[dict]:
        """Split the inputs into per-shard specs (JSON objects), on the driver."""

    def read(self, inputs: dict, ctx: ShardContext) -> Iterator[Document]:
        """Yield the documents of one shard spec; unreadable inputs go to `ctx.drop`."""


@dataclass
class Pipeline:
    cfg: C.PipelineConfig
    source: Source
    steps: list[Step] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.cfg.name

    def plan(self) -> list[dict]:
        return self.source.plan(self.cfg)

    def samples(self, inputs: dict, ctx: ShardContext) -> Iterator[dict]:
        """The sample dicts (`__key__` + members) of one shard, in a fixed order."""
        items = self._counted(self.source.read(inputs, ctx), ctx)
        for step in self.steps:
            items = step(items, ctx)
        return items

    @staticmethod
    def _counted(docs: Iterator[Document], ctx: ShardContext) -> Iterator[Document]:
        for doc in docs:
            ctx.saw(doc.source, doc.docid)
            yield doc

    def vocab(self) -> VocabSpec:
        return vocab_for(self.cfg)


@lru_cache(maxsize=8)
def _vocab_cached(cfg_json: str) -> VocabSpec:
    from docsynth import text_tokenizer as tt
    from docsynth.model.vision.tokenizer import resolve_checkpoint

    cfg = C.pipeline_from_json(cfg_json)
    vt = load_vision(cfg.vision.checkpoint)
    tok = tt.load(cfg.tokens.tokenizer)
    return VocabSpec(
        text_vocab_size=tok.get_vocab_size(),
        num_sizes=max(cfg.tokens.coord_bins, max_grid_side(cfg, vt.patch)),
        coord_bins=cfg.tokens.coord_bins,
        G=vt.G,
        K=vt.K,
        tokenizer=cfg.tokens.tokenizer,
        tokenizer_sha256=tt.sha256(cfg.tokens.tokenizer),
        vision_tokenizer=resolve_checkpoint(cfg.vision.checkpoint).name,
        patch=vt.patch,
    )


def vocab_for(cfg: C.PipelineConfig) -> VocabSpec:
    """The corpus vocabulary implied by a config (text tokenizer + vision tokenizer + sizes)."""
    return _vocab_cached(C.to_json(cfg))


def max_grid_side(cfg: C.PipelineConfig, patch: int) -> int:
    """Largest code-grid side any page of this config can have (pages are capped at this size)."""
    side_pt = max(max(C.PAGE_SIZES[n]) for n in cfg.layout.page_sizes)
    if cfg.name == "arxiv":
        side_pt = cfg.arxiv.max_page_side_pt
    return math.ceil(side_pt * cfg.render.dpi / 72 / patch)


def encode_and_serialize(cfg: C.PipelineConfig) -> list[Step]:
    """The steps every pipeline ends with: the glimpse views (glimpse unit), vision codes, Format A/B samples."""
    from docsynth.encode import Encode
    from docsynth.glimpse import Glimpse
    from docsynth.serialize import Serialize

    return [*([Glimpse(cfg)] if cfg.tokens.unit == "glimpse" else []), Encode(cfg), Serialize(cfg)]


@lru_cache(maxsize=4)
def load_vision(checkpoint: str):
    from docsynth.model.vision import VisionTokenizer

    return VisionTokenizer.load(checkpoint)


PIPELINES = {"synth": "docsynth.pipelines.synth", "arxiv": "docsynth.pipelines.arxiv"}


def pipeline_module(name: str):
    if name not in PIPELINES:
        raise ValueError(f"unknown pipeline {name!r}; known: {sorted(PIPELINES)}")
    return importlib.import_module(PIPELINES[name])


@lru_cache(maxsize=4)
def _build_cached(name: str, cfg_json: str) -> Pipeline:
    return pipeline_module(name).build(C.pipeline_from_json(cfg_json))


def build_pipeline(cfg: C.PipelineConfig) -> Pipeline:
    return _build_cached(cfg.name, C.to_json(cfg))
