"""Corpus statistics in one streaming pass: counts, distributions, vision-code usage, sample pages.

Per-sample quantities (tokens, boxes per page) are kept whole; per-box quantities (box
sizes, font sizes) go into fixed-edge histograms, so memory stays bounded by the number of
pages, not of words. Thumbnails are a seeded reservoir sample over the whole corpus.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from docsynth.corpus import Corpus, Sample


@dataclass(kw_only=True)
class StatsConfig:
    max_pages: int | None = None  # stop after this many samples (None: all)
    thumbnails: int = 12  # sample pages shown with their boxes in the report
    seed: int = 0  # seed of the thumbnail reservoir sample

    def __post_init__(self):
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError(f"max_pages: must be at least 1, got {self.max_pages}")
        if self.thumbnails < 0:
            raise ValueError(f"thumbnails: must be >= 0, got {self.thumbnails}")


class Hist:
    """Fixed-edge histogram with exact count, mean, min and max; quantiles come from the bins."""

    def __init__(self, edges: np.ndarray):
        self.edges = np.asarray(edges, dtype=np.float64)
        self.counts = np.zeros(len(self.edges) - 1, dtype=np.int64)
        self.n, self.total, self.lo, self.hi = 0, 0.0, math.inf, -math.inf

    def add(self, values) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            return
        self.counts += np.histogram(np.clip(v, self.edges[0], self.edges[-1]), self.edges)[0]
        self.n, self.total = self.n + v.size, self.total + float(v.sum())
        self.lo, self.hi = min(self.lo, float(v.min())), max(self.hi, float(v.max()))

    def quantile(self, q: float) -> float:
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, q * cum[-1]))
        return float((self.edges[i] + self.edges[i + 1]) / 2)

    def to_json(self) -> dict:
        if self.n == 0:
            return {"count": 0}
        summary = {"count": self.n, "mean": self.total / self.n, "min": self.lo, "max": self.hi,
                   "p50": self.quantile(0.5), "p90": self.quantile(0.9)}  # fmt: skip
        return summary | {"edges": self.edges.tolist(), "counts": self.counts.tolist()}


def describe(values) -> dict:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return {"count": 0}
    return {"count": int(v.size), "mean": float(v.mean()), "min": float(v.min()), "p50": float(np.median(v)),
            "p90": float(np.quantile(v, 0.9)), "max": float(v.max())}  # fmt: skip


def code_usage(counts: np.ndarray) -> list[dict]:
    """Per head: codes used (fraction of K), perplexity exp(H) of the code distribution, top code share."""
    out = []
    for g, c in enumerate(counts):  # c: (K,)
        n = int(c.sum())
        p = c[c > 0] / max(n, 1)
        ppl = float(np.exp(-(p * np.log(p)).sum())) if n else 0.0
        out.append({"head": g, "used": int((c > 0).sum()), "used_frac": float((c > 0).mean()), "perplexity": ppl,
                    "perplexity_frac": ppl / len(c), "top_share": float(c.max() / n) if n else 0.0})  # fmt: skip
    return out


@dataclass
class CorpusStats:
    url: str
    index: dict  # the corpus index (totals, shards)
    G: int
    K: int
    samples: int = 0
    docs: Counter = field(default_factory=Counter)  # (source, docid) -> pages
    tokens: dict[str, list[int]] = field(default_factory=lambda: {"A": [], "B": []})  # rows per sample
    per_page: dict[str, list[int]] = field(default_factory=lambda: {"elements": [], "lines": [], "words": [], "code grid": []})
    counters: dict[str, Counter] = field(default_factory=dict)  # element types, fonts, colours, columns, locales, …
    font_size: Hist = field(default_factory=lambda: Hist(np.arange(0, 80.5, 0.5)))  # points, one per text element
    word_height: Hist = field(default_factory=lambda: Hist(np.arange(0, 80.5, 0.5)))  # points
    box_wh: np.ndarray = field(default_factory=lambda: np.zeros((20, 20), dtype=np.int64))  # element (w, h) / page, 20 bins
    codes: np.ndarray | None = None  # (G, K) counts of each code per head
    dropped: Counter = field(default_factory=Counter)  # reason -> inputs
    thumbs: list[Sample] = field(default_factory=list)

    def count(self, name: str, value, n: int = 1) -> None:
        self.counters.setdefault(name, Counter())[str(value)] += n

    def add(self, s: Sample) -> None:
        self.samples += 1
        for fmt, n in s.meta["num_tokens"].items():
            if n is not None:
                self.tokens.setdefault(fmt, []).append(int(n))
        self.count("unit", s.unit)
        if s.unit == "glimpse":
            self.per_page.setdefault("looks", []).append(len(s.meta["views"]) - 1)
            self.count("look scale", "downscaled (< 1)" if any(v["scale"] < 1 for v in s.meta["views"][1:]) else "≥ 1")
        for meta in s.pages():
            self._add_page(meta)
        for codes in s.image_codes():  # (h, w, G)
            flat = (codes.reshape(-1, self.G).astype(np.int64) + np.arange(self.G) * self.K).ravel()
            self.codes += np.bincount(flat, minlength=self.G * self.K).reshape(self.G, self.K)

    def _add_page(self, meta: dict) -> None:
        layout = json.loads(meta.get("layout") or "{}")
        self.docs[(meta["source"], meta["docid"])] += 1
        self._add_elements(meta)
        self.per_page["code grid"].append(int(meta["grid"][0] * meta["grid"][1]))
        size = f"{meta['width']:.0f}×{meta['height']:.0f} pt"
        for name, value in (("source", meta["source"]), ("direction", meta["direction"]), ("image mode", meta["image"]["mode"]),
                            ("page size", f"{layout['page_size']} ({size})" if layout.get("page_size") else size),
                            ("columns", layout.get("columns")), ("locale", layout.get("locale")),
                            ("alignment", layout.get("alignment"))):  # fmt: skip
            self.count(name, "n/a" if value is None else value)
        ops = [op.get("op", "?") for op in layout.get("degradations") or ()]
        self.count("scan", "degraded" if ops else "clean")
        for op in ops:
            self.count("degradation", op)

    def _add_elements(self, meta: dict) -> None:
        W, H = meta["width"], meta["height"]
        els = meta["elements"]
        lines = [ln for el in els for ln in el["lines"]]
        words = [w["bbox"] for ln in lines for w in ln["words"]]
        self.per_page["elements"].append(len(els))
        self.per_page["lines"].append(len(lines))
        self.per_page["words"].append(len(words))
        if words:
            b = np.asarray(words, dtype=np.float64)  # (n, 4)
            self.word_height.add(b[:, 3] - b[:, 1])
        sizes = []
        for el in els:
            self.count("element type", el["type"])
            x0, y0, x1, y1 = el["bbox"]
            i, j = min(19, int((x1 - x0) / W * 20)), min(19, int((y1 - y0) / H * 20))
            self.box_wh[max(i, 0), max(j, 0)] += 1
            if font := el.get("font"):
                self.count("font", font["family"])
                self.count("colour", font.get("color", "n/a"))
                sizes.append(font["size"])
        self.font_size.add(sizes)

    def to_json(self) -> dict:
        t = self.index.get("totals", {})
        return {
            "corpus": self.url,
            "shards": len(self.index.get("shards", [])),
            "samples_read": self.samples,
            "documents_read": len(self.docs),
            "totals": t,
            "dropped_by_reason": dict(sorted(self.dropped.items())),
            "tokens": {f: {"total": int(sum(v)), **describe(v)} for f, v in self.tokens.items() if v},
            "per_page": {k: describe(v) for k, v in self.per_page.items()},
            "pages_per_document": describe(list(self.docs.values())),
            "counters": {k: dict(c.most_common()) for k, c in sorted(self.counters.items())},
            "font_size_pt": self.font_size.to_json(),
            "word_height_pt": self.word_height.to_json(),
            "element_size_frac": {"bins": 20, "counts_w_by_h": self.box_wh.tolist()},
            "codes": {"G": self.G, "K": self.K, "heads": code_usage(self.codes)},
        }


def collect_stats(
    corpus: Corpus, cfg: StatsConfig | None = None, progress: Callable[[Sample], None] | None = None
) -> CorpusStats:
    """Stream every shard once (up to `cfg.max_pages` samples)."""
    cfg = cfg or StatsConfig()
    vocab = corpus.vocab
    st = CorpusStats(corpus.url, corpus.index, vocab.G, vocab.K, codes=np.zeros((vocab.G, vocab.K), dtype=np.int64))
    st.dropped.update(e["reason"] for e in corpus.errors())
    rng = np.random.default_rng(cfg.seed)
    for s in corpus.samples(cfg.max_pages):
        st.add(s)
        if len(st.thumbs) < cfg.thumbnails:  # reservoir sampling (Algorithm R)
            st.thumbs.append(s)
        elif cfg.thumbnails and (j := int(rng.integers(0, st.samples))) < cfg.thumbnails:
            st.thumbs[j] = s
        if progress is not None:
            progress(s)
    st.thumbs.sort(key=lambda s: s.key)
    return st


def _top(c: Counter | None, n: int = 4) -> str:
    if not c:
        return "n/a"
    total = sum(c.values())
    return ", ".join(f"{k} {v / total:.0%}" for k, v in c.most_common(n)) + (f" (+{len(c) - n} more)" if len(c) > n else "")


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'s' * (k != 1)}"


def summary_text(st: CorpusStats, name: str | None = None) -> str:
    """A few lines for a terminal; `name` replaces the corpus URL in the first line."""
    j = st.to_json()
    t, lines = j["totals"], []
    dropped = ", ".join(f"{k} {v}" for k, v in j["dropped_by_reason"].items()) or "none"
    units = st.counters.get("unit") or Counter()
    what = _n(st.samples, "page") if set(units) <= {"page", "glimpse"} else f"{_n(st.samples, 'sample')} of {_n(sum(st.docs.values()), 'page')}"
    lines.append(f"{name or st.url}: {_n(j['shards'], 'shard')}, {what} from {_n(len(st.docs), 'document')} "
                 f"({t.get('docs_in', '?')} in, {t.get('docs_dropped', '?')} dropped: {dropped})")  # fmt: skip
    if looks := j["per_page"].get("looks"):
        lines.append(f"glimpse: {looks['mean']:.1f} looks per page (max {looks['max']:.0f}); "
                     f"{(st.counters.get('look scale') or Counter()).get('downscaled (< 1)', 0)} pages have a look shown below the raster's scale")  # fmt: skip
    for f, d in j["tokens"].items():
        lines.append(f"tokens {f}: {d['total']} in all, per sample mean {d['mean']:.0f}, min {d['min']:.0f}, max {d['max']:.0f}")
    pp = j["per_page"]
    lines.append("per page: " + ", ".join(f"{k} mean {v['mean']:.1f}" for k, v in pp.items() if v["count"]))
    for counter in ("font", "locale", "columns"):
        lines.append(f"{counter}: {_top(st.counters.get(counter))}")
    lines.append(f"element types: {_top(st.counters.get('element type'), 16)}")
    scans = st.counters.get("scan") or Counter()
    if scans.get("degraded"):
        ops = st.counters.get("degradation") or Counter()
        lines.append(f"degraded scans: {scans['degraded'] / sum(scans.values()):.0%} of pages; operations on them: "
                     + ", ".join(f"{k} {v / scans['degraded']:.0%}" for k, v in ops.most_common()))  # fmt: skip
    heads = j["codes"]["heads"]
    if heads and st.samples:
        used = [h["used_frac"] for h in heads]
        ppl = [h["perplexity"] for h in heads]
        lines.append(f"vision codes: G={st.G} heads of K={st.K}: {min(used):.0%}–{max(used):.0%} of codes used per head, "
                     f"perplexity {min(ppl):.0f}–{max(ppl):.0f}")  # fmt: skip
    return "\n".join(lines)


def write_json(st: CorpusStats, path: str) -> None:
    with open(path, "w") as f:
        json.dump(st.to_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")
