"""The step contract: a step takes an iterator of records and yields records.

`ShardContext` carries what every step of one shard task shares: the shard's seed, the
exclusion log and counters. A document or page a step cannot handle goes to
`ctx.drop(...)` with a reason code and a detail; it is never lost silently, and the shard
record reconciles `inputs == written + dropped` (checked in `ShardContext.finish`).
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from docsynth.doc import Document


def why(e: BaseException, limit: int = 300) -> str:
    """One line naming an exception for a drop detail: its type and message, whitespace collapsed."""
    return f"{type(e).__name__}: {' '.join(str(e).split())[:limit]}"


def stream_seed(*parts: Any) -> int:
    """A stable 63-bit seed from any mix of ints and strings (no Python `hash`: it is salted)."""
    h = 0
    for p in parts:
        h = zlib.crc32(str(p).encode(), h) | (zlib.adler32(str(p).encode(), h) << 32)
    return h & ((1 << 63) - 1)


@dataclass
class Drop:
    source: str
    docid: str
    reason: str  # short machine-readable code, e.g. "uncovered_codepoint"
    detail: str  # human-readable: names the input and what was wrong
    step: str
    page: int | None = None  # None: the whole document is dropped

    def to_json(self, shard: int) -> dict:
        return {"shard": shard, "source": self.source, "docid": self.docid, "page": self.page,
                "step": self.step, "reason": self.reason, "detail": self.detail}  # fmt: skip


@dataclass
class ShardContext:
    shard: int  # shard index
    seed: int  # root seed of the corpus
    drops: list[Drop] = field(default_factory=list)
    inputs: dict[tuple[str, str], None] = field(default_factory=dict)  # (source, docid) in input order
    written: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, docid) -> pages written
    counters: Counter = field(default_factory=Counter)
    timings: Counter = field(default_factory=Counter)  # step name -> seconds
    encoder: Callable | None = None  # crops -> codes supplied by the executor (a vision actor pool); None: local

    def rng(self, doc: Document | str, *stream: Any) -> np.random.Generator:
        """The random stream of one document: depends only on the root seed and the doc, never on sharding."""
        docid = doc.docid if isinstance(doc, Document) else doc
        return np.random.default_rng(stream_seed(self.seed, docid, *stream))

    def saw(self, source: str, docid: str) -> None:
        self.inputs.setdefault((source, docid), None)

    def drop(self, source: str, docid: str, reason: str, detail: str, *, step: str, page: int | None = None) -> None:
        self.saw(source, docid)
        self.drops.append(Drop(source, docid, reason, detail, step, page))
        self.counters[f"dropped_{'pages' if page is not None else 'docs'}"] += 1

    def wrote(self, source: str, docid: str, pages: int = 1) -> None:
        self.written[(source, docid)] = self.written.get((source, docid), 0) + pages

    @contextmanager
    def timer(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += time.perf_counter() - t

    def finish(self) -> dict:
        """Close the books: a document with no page written and no document-level drop gets one."""
        dropped_docs = {(d.source, d.docid) for d in self.drops if d.page is None}
        for key in self.inputs:
            if key not in self.written and key not in dropped_docs:
                reasons = sorted({d.reason for d in self.drops if (d.source, d.docid) == key})
                detail = f"every page was dropped ({', '.join(reasons) or 'no pages produced'})"
                self.drop(*key, "no_pages", detail, step="finish")
                dropped_docs.add(key)
        written = sum(1 for k in self.inputs if k in self.written and k not in dropped_docs)
        assert written + len(dropped_docs) == len(self.inputs), "document accounting broken"
        return {
            "docs_in": len(self.inputs),
            "docs_written": written,
            "docs_dropped": len(dropped_docs),
            "pages_written": sum(self.written.values()),
            "pages_dropped": sum(1 for d in self.drops if d.page is not None),
            "counters": dict(sorted(self.counters.items())),
            "seconds": {k: round(v, 4) for k, v in sorted(self.timings.items())},
        }


class Step:
    """Base of every pipeline step; subclasses implement `run` and time their own work with `ctx.timer`."""

    name = "step"

    def run(self, items: Iterator, ctx: ShardContext) -> Iterator:
        raise NotImplementedError

    def __call__(self, items: Iterator, ctx: ShardContext) -> Iterator:
        return self.run(items, ctx)
