"""Planning for sources addressed by a global document index (Faker, a FineWeb stream)."""

from __future__ import annotations

from docsynth import config as C


def range_specs(kind: str, cfg: C.PipelineConfig, why: str) -> list[dict]:
    """`[{"kind", "start", "stop"}]` covering indices [0, num_docs) in shards of docs_per_shard."""
    if cfg.num_docs < 1:
        raise ValueError(f"num_docs: the {kind} source {why}")
    per = cfg.shards.docs_per_shard
    return [{"kind": kind, "start": a, "stop": min(a + per, cfg.num_docs)} for a in range(0, cfg.num_docs, per)]


def check_spec(kind: str, inputs: dict) -> None:
    if inputs.get("kind") != kind:
        raise ValueError(f"{kind} source: shard spec {inputs!r} is not a {kind} spec")
