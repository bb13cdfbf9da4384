"""JSON Schemas shipped as package data: sample metadata, vocabulary spec, corpus index."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import jsonschema

NAMES = ("sample", "vocab", "index")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    if name not in NAMES:
        raise ValueError(f"unknown schema {name!r}; known: {NAMES}")
    return json.loads((resources.files(__name__) / f"{name}.schema.json").read_text())


@lru_cache(maxsize=None)
def validator(name: str):
    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(name: str, obj) -> list[str]:
    """Every violation as 'path: message' (empty when valid)."""
    out = []
    for e in sorted(validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{path}: {e.message}")
    return out
