"""Matplotlib figures of corpus statistics, as inline PNG data URIs (no pyplot, no display)."""

from __future__ import annotations

import base64
import io
import re
from collections import Counter
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from docsynth.report.stats import CorpusStats, code_usage

STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.25,
    "axes.prop_cycle": matplotlib.cycler(color=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]),
}  # fmt: skip
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class Plot:
    title: str
    caption: str
    uri: str  # data:image/png;base64,…


def png_uri(fig: Figure, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _hist(ax, values, label: str | None = None, bins: int = 30) -> None:
    v = np.asarray(values, dtype=np.float64)
    if v.size:
        ax.hist(v, bins=min(bins, max(1, len(np.unique(v)))), alpha=0.7, label=label)


def _bars(ax, counter: Counter | None, top: int = 15, colors: bool = False) -> None:
    items = (counter or Counter()).most_common(top)[::-1]  # largest on top
    if not items:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    names, values = [k for k, _ in items], [v for _, v in items]
    color = [k if HEX.match(k) else "#999999" for k in names] if colors else None
    ax.barh(range(len(items)), values, height=0.7, color=color, edgecolor="#444444" if colors else None, linewidth=0.5)
    ax.set_yticks(range(len(items)), [n[:28] for n in names])


def tokens_plot(st: CorpusStats) -> Plot:
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.add_subplot()
    for fmt, v in st.tokens.items():
        _hist(ax, v, f"Format {fmt}")
    ax.set(xlabel="token rows per sample", ylabel="samples")
    ax.legend()
    caption = "Length of `tokens_a.npy` / `tokens_b.npy` (rows of G ids); the page image contributes w·h rows."
    return Plot("Tokens per sample", caption, png_uri(fig))


def boxes_plot(st: CorpusStats) -> Plot:
    fig = Figure(figsize=(9.6, 2.8))
    for i, (name, v) in enumerate(st.per_page.items()):
        ax = fig.add_subplot(1, len(st.per_page), i + 1)
        _hist(ax, v)
        ax.set(xlabel=f"{name} per page", ylabel="pages" if i == 0 else None)
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    fig.tight_layout()
    caption = "Elements (paragraph level), lines and words per page, and the size of the page's code grid (w·h)."
    return Plot("Boxes per page", caption, png_uri(fig))


def sizes_plot(st: CorpusStats) -> Plot:
    fig = Figure(figsize=(9.6, 3.4))
    ax = fig.add_subplot(1, 2, 1)
    if st.box_wh.sum():
        im = ax.imshow(st.box_wh.T, origin="lower", extent=(0, 1, 0, 1), cmap="viridis", norm=LogNorm(vmin=1), aspect="auto")
        fig.colorbar(im, ax=ax, label="elements")
    ax.set(xlabel="element width / page width", ylabel="element height / page height", title="element box sizes")
    ax.grid(False)
    ax = fig.add_subplot(1, 2, 2)
    h = st.word_height
    ax.stairs(h.counts, h.edges, fill=True, alpha=0.7)
    if h.n:
        ax.set_xlim(0, min(h.edges[-1], h.hi * 1.1 + 1))
    ax.set(xlabel="word box height (pt)", ylabel="words", title="word box heights")
    fig.tight_layout()
    caption = "Element boxes relative to the page (log colour scale), and word box heights in points."
    return Plot("Box sizes", caption, png_uri(fig))


def fonts_plot(st: CorpusStats) -> Plot:
    fig = Figure(figsize=(9.6, 3.8))
    _bars(fig.add_subplot(1, 2, 1), st.counters.get("font"), top=15)
    fig.axes[0].set(xlabel="text elements", title="font families")
    ax = fig.add_subplot(1, 2, 2)
    h = st.font_size
    ax.stairs(h.counts, h.edges, fill=True, alpha=0.7, color="#ff7f0e")
    if h.n:
        ax.set_xlim(max(0, h.lo - 2), h.hi + 2)
    ax.set(xlabel="font size (pt)", ylabel="text elements", title="font sizes")
    fig.tight_layout()
    return Plot("Fonts", "The font actually used per text element (top 15 families), and its size.", png_uri(fig))


def colours_plot(st: CorpusStats) -> Plot:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    _bars(ax, st.counters.get("colour"), top=20, colors=True)
    ax.set(xlabel="text elements", title="text colours")
    return Plot("Colours", "Text colour per element (top 20), each bar drawn in its colour.", png_uri(fig))


def layout_plot(st: CorpusStats) -> Plot:
    names = ("columns", "locale", "page size", "alignment", "element type", "direction", "source", "pages per document",
             "scan", "degradation")  # fmt: skip
    pages_per_doc = Counter(f"{n} page{'s' * (n != 1)}" for n in st.docs.values())
    fig = Figure(figsize=(14.0, 5.6))
    for i, name in enumerate(names):
        ax = fig.add_subplot(2, 5, i + 1)
        _bars(ax, pages_per_doc if name == "pages per document" else st.counters.get(name), top=14)
        xlabel = {"element type": "elements", "pages per document": "documents", "degradation": "degraded pages"}.get(name, "pages")
        ax.set(title=name, xlabel=xlabel)
    fig.tight_layout()
    return Plot("Layout", "Columns, locale, page size and alignment per page (from `meta.layout`), element types, "
                "directions, sources, pages per document, clean and degraded scans, and the operations on the "
                "degraded ones (`layout.degradations`).", png_uri(fig))  # fmt: skip


def codes_plot(st: CorpusStats) -> Plot:
    heads = code_usage(st.codes)
    fig = Figure(figsize=(9.6, 3.4))
    ax = fig.add_subplot(1, 2, 1)
    x = np.arange(st.G)
    ax.bar(x - 0.2, [h["used_frac"] for h in heads], 0.4, label="codes used / K")
    ax.bar(x + 0.2, [h["perplexity_frac"] for h in heads], 0.4, label="perplexity / K")
    ax.set(xticks=x, xlabel="head", ylim=(0, 1.05), title=f"usage per head (K = {st.K})")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    for g, c in enumerate(st.codes):  # (K,)
        freq = np.sort(c)[::-1]
        freq = freq[freq > 0] / max(c.sum(), 1)
        if freq.size:
            ax.loglog(np.arange(1, freq.size + 1), freq, lw=1, marker="." if freq.size < 20 else None, label=f"head {g}")
    ax.set(xlabel="code rank", ylabel="share of patches", title="rank–frequency per head")
    if st.G <= 8:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return Plot("Vision code usage", "Per head of the vision tokenizer, over the page codes (`codes.npy`) read: the fraction of "
                "the K codes used at least once, the perplexity exp(H) of the code distribution relative to K, and each "
                "head's rank–frequency curve.", png_uri(fig))  # fmt: skip


def all_plots(st: CorpusStats) -> list[Plot]:
    makers = (tokens_plot, boxes_plot, sizes_plot, fonts_plot, colours_plot, layout_plot, codes_plot)
    with matplotlib.rc_context(STYLE):
        return [p for make in makers if (p := make(st)) is not None]
