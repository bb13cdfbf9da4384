"""JSON Schemas shipped as package data: sample metadata, vocabulary spec, corpus index."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import jsonschema

try:  # Rust implementation of the same drafts: the fast yes/no answer for valid objects
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the platform's wheels
    jsonschema_rs = None

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


@lru_cache(maxsize=None)
def fast_validator(name: str):
    """jsonschema-rs for the schema (None without it); answers is_valid ~100x faster."""
    return None if jsonschema_rs is None else jsonschema_rs.validator_for(load(name))


def errors(name: str, obj) -> list[str]:
    """Every violation as 'path: message' (empty when valid).

    jsonschema-rs decides whether `obj` is valid; only an invalid object goes through the Python
    `jsonschema` validator, whose messages are the ones reported (both implement the schema's
    draft, and tests/test_corpus.py checks they agree on valid and broken samples).
    """
    fast = fast_validator(name)
    if fast is not None and fast.is_valid(obj):
        return []
    out = []
    for e in sorted(validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{path}: {e.message}")
    return out
