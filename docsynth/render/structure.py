"""Structured elements of synthetic pages, set from their structure with exact boxes: tables, lists,
code, display formulas, captions, footnotes and running heads — the element types the arXiv path reads.

Content comes from the document itself (its words and sentences) and the generator: a table's
labels are the document's words, its numbers, percentages and dates are drawn; a list is a
paragraph's sentences; code is made of the document's ASCII words as identifiers; a formula is
LaTeX from a small grammar, outlined by matplotlib's mathtext (no TeX installation) and drawn as
vector paths (PDF path operators), so the page holds no text for it and its ground truth is the LaTeX source.

Every text is set in a face that covers it (`FontPool.pick`), so no glyph falls back silently;
a structure whose text no face covers is not made (counted by the caller).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from docsynth.doc import Element, Line, Word
from docsynth.render.layout import Cell, MathBlock, PagePlan, Run, SetLine, TableBlock, TextBlock, set_paragraph
from docsynth.render.metrics import metrics_for
from docsynth.render.segment import Item, natural_offsets, pieces, words_at
from docsynth.render.style import DocStyle, ParaStyle, uniform

SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
WORD = re.compile(r"[^\W\d_]{2,}")
MIN_CELL_SIZE = 5.0  # points: a table that only fits below this size loses columns instead
MIN_CODE_SIZE = 5.5
MAX_ITEMS = 8  # items of a list made of a paragraph
MIN_ITEM_WORDS = 3  # a shorter "sentence" joins the item before it (cut at an abbreviation)
TABLE_MAX_HEIGHT = 0.6  # of the column's height
CELL_PAD = 0.6  # ems of space each side of a cell's text: 1.2 em between columns, as LaTeX's \tabcolsep (6 pt at 10 pt)
MATH_FONTSETS = ("dejavusans", "dejavuserif", "cm", "stix", "stixsans")
# Caption labels by language (the locale's first part); others use English.
LABELS = {
    "en": ("Figure", "Table", ": "), "de": ("Abbildung", "Tabelle", ": "), "ru": ("Рисунок", "Таблица", ". "),
    "el": ("Σχήμα", "Πίνακας", ": "), "zh": ("图", "表", "："), "ja": ("図", "表", "："),
}  # fmt: skip
BULLETS = ("•", "–", "▪", "◦", "*", "-")
CODE_WORDS = ("value", "items", "count", "total", "result", "data", "index", "node", "key", "size", "buffer", "name")


@dataclass
class Kit:
    """What every structure is set with: the document's style, body face family, font pool and words."""

    doc: DocStyle
    family: str | None
    pool: object
    words: list[str]  # the document's words (letters only), in order
    sentences: list[str]
    locale: str

    def face(self, rng, text: str, bold: bool = False, italic: bool = False, family: str | None = None):
        return self.pool.pick(rng, "".join(sorted(set(text))), bold=bold, italic=italic, family=family or self.family)

    def style(self, kind: str, face, size: float, align: str = "left", spacing: float | None = None) -> ParaStyle:
        return ParaStyle(kind, face, size, self.doc.color, align, spacing or self.doc.line_spacing)

    def word(self, rng) -> str:
        return self.words[int(rng.integers(len(self.words)))] if self.words else "x"

    def sentence(self, rng, max_words: int = 18) -> str:
        s = self.sentences[int(rng.integers(len(self.sentences)))] if self.sentences else " ".join(self.word(rng) for _ in range(6))
        parts = s.split()
        return " ".join(parts[:max_words]) if len(parts) > 1 else s[: max_words * 2]


def make_kit(doc: DocStyle, family: str | None, pool, paragraphs: list[str], locale: str | None) -> Kit:
    words = [w for p in paragraphs for w in WORD.findall(p) if len(w) <= 14]
    sentences = [s.strip() for p in paragraphs for s in SENTENCE.split(p) if len(s.strip()) >= 8]
    return Kit(doc, family, pool, words, sentences, (locale or "en").split("_")[0])


def set_words(text: str, m, size: float, x: float) -> list[tuple[str, float, float]]:
    """(word, x0, x1) of one line of single-spaced text set from `x`, at the widths the PDF applies."""
    items = [Item(t, k > 0, m.width(t) * size) for k, t in enumerate(text.split(" "))]
    return [(w, x + a, x + b) for w, a, b in words_at(items, natural_offsets(items, m.char(" ") * size))]


def _set(kit: Kit, st: ParaStyle, text: str, width: float) -> list[SetLine]:
    return set_paragraph(pieces(text), st, metrics_for(st.face, kit.pool), width)


def text_block(kit: Kit, rng, kind: str, text: str, size: float, width: float | None = None, *, italic: bool = False,
               index: int = -1, **kw) -> TextBlock | None:  # fmt: skip
    """A block of one kind set at the column width (or `width`), or None when no face covers the text."""
    face = kit.face(rng, text, italic=italic)
    if face is None:
        return None
    st = kit.style(kind, face, size)
    return TextBlock(index, st, _set(kit, st, text, width or kit.doc.column_width), **kw)


# --------------------------------------------------------------------------- captions, footnotes


def caption(kit: Kit, rng, what: str, number: int, width: float | None = None) -> TextBlock | None:
    fig, tab, sep = LABELS.get(kit.locale, LABELS["en"])
    label = f"{fig if what == 'figure' else tab} {number}{sep}".replace(" ：", "：")
    if kit.locale in ("zh", "ja"):
        label = label.replace(" ", "")
    return text_block(kit, rng, "caption", label + kit.sentence(rng), round(kit.doc.size * uniform(rng, (0.85, 0.95)), 1),
                      width, attrs={"for": what, "number": number})  # fmt: skip


SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def footnote_marker(n: int) -> str:
    return SUPERSCRIPTS[(n - 1) % len(SUPERSCRIPTS)]


def footnote(kit: Kit, rng, mark: str, index: int) -> TextBlock | None:
    """Small text with its marker hanging left of it, set at the foot of the column."""
    text = kit.sentence(rng, 24)
    face = kit.face(rng, mark + text)
    if face is None:
        return None
    st = kit.style("footnote", face, round(max(kit.doc.size * 0.78, 5.0), 1), spacing=1.15)
    m = metrics_for(face, kit.pool)
    indent = (m.width(mark) + m.char(" ")) * st.size
    lines = _set(kit, st, text, kit.doc.column_width - indent)
    return TextBlock(index, st, lines, indent=indent, marker=(mark, 0.0, m.width(mark) * st.size), attrs={"marker": mark}, foot=True)


# --------------------------------------------------------------------------- lists


def list_blocks(kit: Kit, rng, paragraph: str, index: int) -> list[TextBlock] | None:
    """A paragraph as a list: its sentences are the items (bulleted or numbered; some nested one level)."""
    cuts = sorted({m.end() for m in SENTENCE.finditer(paragraph)} - {0, len(paragraph)})
    if not cuts:  # one sentence: cut at spaces instead
        spaces = [m.start() for m in re.finditer(" ", paragraph)]
        if len(spaces) < 3:
            return None
        k = int(rng.integers(2, min(5, len(spaces)) + 1))
        cuts = [spaces[int(j)] for j in np.linspace(0, len(spaces) - 1, k + 1)[1:-1].round()]
    if len(cuts) > MAX_ITEMS - 1:  # sentences grouped into at most MAX_ITEMS items; nothing is left out
        cuts = [cuts[int(j)] for j in np.linspace(0, len(cuts) - 1, MAX_ITEMS - 1).round()]
    bounds = [0, *sorted(set(cuts)), len(paragraph)]
    items: list[str] = []
    for a, b in zip(bounds, bounds[1:]):
        piece = paragraph[a:b].strip()
        if items and len(piece.split()) < MIN_ITEM_WORDS and " " in paragraph:  # "B. Sc.": an abbreviation, not a sentence
            items[-1] = f"{items[-1]} {piece}"  # normalized text: one space between sentences
        elif piece:
            items.append(piece)
    if len(items) < 2:
        return None
    ordered = bool(rng.random() < 0.45)
    bullet = BULLETS[int(rng.integers(len(BULLETS)))]
    nested = [k > 0 and rng.random() < 0.35 for k in range(len(items))]
    size = round(kit.doc.size * uniform(rng, (0.95, 1.0)), 1)
    face = kit.face(rng, "".join(items) + bullet + "–0123456789.)(abcdefgh")
    if face is None:
        return None
    m = metrics_for(face, kit.pool)
    st = kit.style("list", face, size)
    em = size
    out, top, sub = [], 0, 0
    for k, (text, deep) in enumerate(zip(items, nested)):
        if deep:
            sub += 1
            mark = f"{'abcdefgh'[(sub - 1) % 8]})" if ordered else "–"
        else:
            top, sub = top + 1, 0
            mark = f"{top}." if ordered else bullet
        at = em * (2.2 if deep else 0.6)
        indent = at + em * (1.8 if ordered else 1.2)
        lines = _set(kit, st, text, kit.doc.column_width - indent)
        attrs = {"level": int(deep), "marker": mark, "item": k, "ordered": ordered}
        out.append(TextBlock(index, st, lines, indent=indent, marker=(mark, at, m.width(mark) * size), attrs=attrs))
    return out


# --------------------------------------------------------------------------- code


def _identifiers(kit: Kit) -> list[str]:
    ids = sorted({w.lower() for w in kit.words if w.isascii()})
    return ids if len(ids) >= 6 else list(CODE_WORDS)


def code_lines(rng, names: list[str]) -> list[str]:
    """A few lines of Python-like code: a function whose body opens blocks (each with a body) and closes them."""
    n = lambda: names[int(rng.integers(len(names)))]  # noqa: E731
    out = [f"def {n()}_{n()}({n()}, {n()}):"]
    depth, opened = 1, True
    for _ in range(int(rng.integers(3, 10))):
        pad = "    " * depth
        r = rng.random()
        if not opened and r < 0.3 and depth < 3:
            out.append(f"{pad}for {n()} in {n()}:" if r < 0.15 else f"{pad}if {n()} > {int(rng.integers(0, 10))}:")
            depth, opened = depth + 1, True
            continue
        if r < 0.55:
            out.append(f"{pad}{n()} = {n()}({n()}) + {int(rng.integers(1, 100))}")
        elif r < 0.75:
            out.append(f'{pad}print("{n()}", {n()})')
        else:
            out.append(f"{pad}{n()}.append({n()}[{int(rng.integers(0, 9))}])")
        opened = False
        if depth > 1 and rng.random() < 0.35:  # the block ends
            depth -= 1
    if opened:
        out.append(f"{'    ' * depth}pass")
    out.append(f"    return {n()}")
    return out


def code_block(kit: Kit, rng, index: int) -> TextBlock | None:
    """A monospace block, one line per source line (never wrapped), some with line numbers."""
    src = code_lines(rng, _identifiers(kit))
    numbered = bool(rng.random() < 0.35)
    cs = "".join(sorted(set("".join(src) + "0123456789")))
    mono = sorted({f.family for f in kit.pool.covering(cs) if f.monospace})
    if not mono:
        return None
    face = kit.pool.pick(rng, cs, family=mono[int(rng.integers(len(mono)))])
    m = metrics_for(face, kit.pool)
    gutter = (m.width(str(len(src))) + 2 * m.char(" ")) if numbered else 0.0  # in em
    widest = max(m.width(s) for s in src) + gutter
    size = math.floor(min(kit.doc.size * uniform(rng, (0.8, 0.92)), kit.doc.column_width / widest) * 10) / 10
    if size < MIN_CODE_SIZE:
        return None
    st = kit.style("code", face, size, spacing=1.15)
    space = m.char(" ") * size
    lines = []
    for k, s in enumerate(src, 1):
        body = s.lstrip(" ")
        x = gutter * size + (len(s) - len(body)) * space
        words, runs = set_words(body, m, size, x), [(body, x)]
        text = s
        if numbered:
            num = str(k)
            nw = m.width(num) * size
            words.insert(0, (num, gutter * size - 2 * space - nw, gutter * size - 2 * space))
            runs.append((num, words[0][1]))
            text = f"{num} {s}"
        lines.append(SetLine(text, words, runs, space_after=False))
    return TextBlock(index, st, lines, attrs={"language": "python", "line_numbers": numbered}, newlines=True)


# --------------------------------------------------------------------------- tables


def _cell_text(rng, kind: str, kit: Kit) -> str:
    if kind == "label":
        return " ".join(kit.word(rng) for _ in range(int(rng.integers(1, 3))))
    if kind == "int":
        v = int(rng.integers(0, 100_000 if rng.random() < 0.3 else 1000))
        return f"{v:,}" if v >= 1000 and rng.random() < 0.5 else str(v)
    if kind == "float":
        return f"{rng.uniform(0, 100):.{int(rng.integers(1, 4))}f}"
    if kind == "percent":
        return f"{rng.uniform(0, 100):.1f}%"
    y, mo, d = int(rng.integers(1990, 2027)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    return (f"{y:04d}-{mo:02d}-{d:02d}", f"{d:02d}.{mo:02d}.{y}", f"{mo}/{d}/{y}")[int(rng.integers(3))]


def table_block(kit: Kit, rng, width: float | None = None) -> TableBlock | None:
    """A grid of generated data: header row (optionally a spanning group header above it), ruled,
    booktabs-style (rules at top, under the header, at bottom) or unruled; labels left, numbers right."""
    cols = int(rng.integers(2, 6))
    kinds = ["label"] + [("int", "float", "percent", "date", "label")[int(rng.choice(5, p=[0.3, 0.3, 0.15, 0.1, 0.15]))] for _ in range(cols - 1)]
    body_rows = int(rng.integers(2, 9))
    header = [kit.word(rng).capitalize() for _ in range(cols)]
    body = [[_cell_text(rng, k, kit) for k in kinds] for _ in range(body_rows)]
    group = None
    if cols >= 3 and rng.random() < 0.3:
        span = int(rng.integers(2, cols))  # columns 1 .. span
        group = (1, span, kit.word(rng).capitalize())
    style = ("ruled", "booktabs", "unruled")[int(rng.choice(3, p=[0.3, 0.45, 0.25]))]
    text = "".join(header) + "".join("".join(r) for r in body) + (group[2] if group else "")
    face = kit.face(rng, text)
    if face is None:
        return None
    head_face = kit.face(rng, "".join(header) + (group[2] if group else ""), bold=True, family=face.family) or face
    right = [k != "label" for k in kinds]
    rows = ([[None] + [group[2] if c == group[0] else None for c in range(1, cols)]] if group else []) + [header] + body
    heads = 2 if group else 1
    size = kit.doc.size * uniform(rng, (0.8, 0.95))
    mb, mh = metrics_for(face, kit.pool), metrics_for(head_face, kit.pool)
    # widths in em, then the size that fits the column (fewer columns when even MIN_CELL_SIZE does not)
    while True:
        col_em = [max(((mh if r < heads else mb).width(rows[r][c] or "") for r in range(len(rows)) if not (group and r == 0)), default=0) + 2 * CELL_PAD
                  for c in range(cols)]  # fmt: skip
        if group:
            g0, g1, gtext = group
            need = mh.width(gtext) + 2 * CELL_PAD - sum(col_em[g0 : g1 + 1])
            if need > 0:
                col_em[g1] += need
        fit = (width or kit.doc.column_width) / sum(col_em)
        if fit >= MIN_CELL_SIZE or cols <= 2:
            break
        cols -= 1
        rows = [r[:cols] for r in rows]
        kinds, right = kinds[:cols], right[:cols]
        if group and group[1] >= cols:
            group = None if cols - 1 < group[0] + 1 else (group[0], cols - 1, group[2])
            if group is None:
                rows, heads = rows[1:], 1
    size = math.floor(min(size, fit) * 10) / 10
    if size < MIN_CELL_SIZE:
        return None
    st = kit.style("table", face, size)
    hst = kit.style("table", head_face, size)
    pad_y, lw = 0.3 * size, (0.4 if style == "ruled" else 0.5)
    row_h = max(st.ascent + st.descent, hst.ascent + hst.descent) + 2 * pad_y
    widths = [e * size for e in col_em]
    xs = np.concatenate([[0.0], np.cumsum(widths)])
    width, height = float(xs[-1]), row_h * len(rows) + lw
    if height > TABLE_MAX_HEIGHT * (kit.doc.height - kit.doc.margins[1] - kit.doc.margins[3]):
        return None
    cells: list[Cell] = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if not text:
                continue
            is_head = r < heads
            m, s = (mh, hst) if is_head else (mb, st)
            span = (group[1] - group[0] + 1) if (group and r == 0) else 1
            x0, x1 = xs[c] + CELL_PAD * size, xs[c + span] - CELL_PAD * size
            w = m.width(text) * size
            x = (x0 + x1 - w) / 2 if is_head and (span > 1 or right[c]) else (x1 - w if right[c] else x0)
            words = set_words(text, m, size, float(x))
            base = lw / 2 + r * row_h + pad_y + max(st.ascent, hst.ascent)
            cells.append(Cell(r, c, span, text, words, float(base), is_head))
    rules = _rules(style, xs, row_h, len(rows), heads, group, lw)
    attrs = {"style": style, "header_rows": heads}
    return TableBlock(cells, len(rows), cols, width, height, rules, st, hst, attrs)


def _rules(style: str, xs, row_h: float, nrows: int, heads: int, group, lw: float) -> list[tuple]:
    y = lambda r: lw / 2 + r * row_h  # noqa: E731
    left, right = float(xs[0]), float(xs[-1])
    if style == "unruled":
        return []
    if style == "booktabs":
        out = [(left, y(0), right, y(0), 0.8), (left, y(heads), right, y(heads), 0.5), (left, y(nrows), right, y(nrows), 0.8)]
        if group:
            out.append((float(xs[group[0]]) + 2, y(1), float(xs[group[1] + 1]) - 2, y(1), 0.4))
        return out
    out = [(left, y(r), right, y(r), lw) for r in range(nrows + 1) if not (group and r == 1)]
    if group:
        out.append((float(xs[group[0]]), y(1), float(xs[group[1] + 1]), y(1), lw))
    for k, x in enumerate(xs):
        inner = group and group[0] < k <= group[1]
        out.append((float(x), y(1) if inner else y(0), float(x), y(nrows), lw))
    return out


# --------------------------------------------------------------------------- display math

GREEK = ("alpha", "beta", "gamma", "delta", "theta", "lambda", "mu", "sigma", "phi", "omega")
VARS = ("x", "y", "z", "t", "u", "v", "a", "b", "n", "k")
LHS = ("f(x)", "E", "\\mathcal{L}", "y_{i}", "\\Phi(t)", "g(t)", "p(x|y)")
RELATIONS = ("=", "\\leq", "\\approx", "=", "\\geq", "\\propto")
BINARY = ("+", "-", "\\cdot", "+", "\\pm")
BIG = ("\\sum_{i=1}^{n}", "\\int_{0}^{\\infty}", "\\prod_{k=1}^{N}", "\\sum_{j=0}^{m}", "\\int_{a}^{b}")
SPACE = {"rel": 0.28, "bin": 0.22, "ord": 0.12}  # em between chunks: TeX's thick, medium and about a thin space


def _var(rng) -> str:
    return VARS[int(rng.integers(len(VARS)))] if rng.random() < 0.6 else "\\" + GREEK[int(rng.integers(len(GREEK)))]


def _atom(rng) -> str:
    r, v = rng.random(), _var(rng)
    if r < 0.25:
        return f"{v}_{{{VARS[int(rng.integers(len(VARS)))]}}}"
    if r < 0.45:
        return f"{v}^{{{int(rng.integers(2, 4))}}}"
    if r < 0.55:
        return f"\\hat{{{v}}}"
    return v


def _term(rng) -> list[tuple[str, str]]:
    """One term as (kind, LaTeX) chunks: each chunk is typeset alone (and cached), chunks side by side."""
    r = rng.random()
    if r < 0.2:
        return [("ord", f"\\frac{{{_atom(rng)}}}{{{_var(rng)}}}")]
    if r < 0.3:
        return [("ord", f"\\sqrt{{{_atom(rng)}}}")]
    if r < 0.4:
        inner = [("ord", "("), ("ord", _atom(rng)), ("bin", BINARY[int(rng.integers(len(BINARY)))]), ("ord", _atom(rng)), ("ord", ")")]
        return [("ord", str(int(rng.integers(2, 10))))] + inner if rng.random() < 0.5 else inner
    coef = str(int(rng.integers(2, 10))) if rng.random() < 0.3 else ""
    return [("ord", coef + _atom(rng))]


def formula_chunks(rng) -> list[tuple[str, str]]:
    """A display formula as chunks: left side, relation, an optional big operator, terms joined by binary operators."""
    out = [("ord", LHS[int(rng.integers(len(LHS)))]), ("rel", RELATIONS[int(rng.integers(len(RELATIONS)))])]
    integral = False
    if rng.random() < 0.45:
        big = BIG[int(rng.integers(len(BIG)))]
        integral = "int" in big
        out.append(("ord", big))
    for k in range(int(rng.integers(1, 5))):
        if k:
            out.append(("bin", BINARY[int(rng.integers(len(BINARY)))]))
        out += _term(rng)
    if integral:
        out.append(("ord", "dt"))
    return out


def chunks_latex(chunks: list[tuple[str, str]]) -> str:
    """The LaTeX source of a chunked formula: what a TeX user would type for what is drawn."""
    out = chunks[0][1]
    for (kind, tex), (prev, before) in zip(chunks[1:], chunks):
        if tex == "dt":
            out += " \\, dt"
        elif "rel" in (kind, prev) or "bin" in (kind, prev) or (before[-1].isalpha() and tex[0].isalpha()):
            out += f" {tex}"  # spaced as typed; and "\\alpha x" is not "\\alphax"
        else:
            out += tex
    return out


UNI_VARS = ("x", "y", "n", "k", "t", "α", "β", "γ", "λ", "μ", "σ", "θ", "ε")
UNI_SUP = "²³ⁿ"
UNI_SUB = "ᵢⱼ₀₁₂"
UNI_REL = ("=", "≤", "≥", "≈", "≠", "<", ">", "∈")
UNI_OP = ("+", "−", "·", "×")
INLINE_LEAD = ("where", "with", "for", "so that", "i.e.")


def inline_math(rng) -> str:
    """A short inline formula spelled in Unicode, as the text layer of a typeset paper spells it
    ("where α ≤ 2β², …"): the arXiv path reads inline math this way, so both sources agree."""
    pick = lambda seq: seq[int(rng.integers(len(seq)))]  # noqa: E731

    def term() -> str:
        t = (str(int(rng.integers(2, 10))) if rng.random() < 0.3 else "") + pick(UNI_VARS)
        r = rng.random()
        return t + pick(UNI_SUP) if r < 0.3 else t + pick(UNI_SUB) if r < 0.55 else t

    lhs = term()
    rhs = term() + "".join(f" {pick(UNI_OP)} {term()}" for _ in range(int(rng.integers(0, 3))))
    return f"{pick(INLINE_LEAD)} {lhs} {pick(UNI_REL)} {rhs}."


def latex_formula(rng) -> str:
    return chunks_latex(formula_chunks(rng))


@functools.lru_cache(maxsize=8192)
def _chunk_path(tex: str, fontset: str) -> tuple[np.ndarray, np.ndarray]:
    """(vertices at 1 pt, codes) of one chunk, baseline at y = 0: mathtext's parser costs ~5-20 ms a
    call, and chunks repeat, so a process parses each chunk once."""
    import matplotlib
    from matplotlib.textpath import TextPath

    with matplotlib.rc_context({"mathtext.fontset": fontset}):
        path = TextPath((0, 0), f"${tex}$", size=1.0)
    return path.vertices.copy(), path.codes.copy()


def outlines(chunks: list[tuple[str, str]] | str, size: float, fontset: str) -> tuple[str, float, float]:
    """Glyph outlines of a formula at `size` points as PDF path operators (y up, origin at the bottom-left
    of the ink box), and the ink box's width and height. Chunks sit on one baseline, spaced as TeX spaces
    relations and binary operators. Extents come from the outline points (glyph outlines put a point at
    every extreme, so this is the ink box)."""
    from matplotlib.path import Path as MPath

    if isinstance(chunks, str):
        chunks = [("ord", chunks)]
    verts, codes, x, prev = [], [], 0.0, None
    for kind, tex in chunks:
        v, c = _chunk_path(tex, fontset)
        drawn = v[(c != MPath.CLOSEPOLY) & (c != MPath.STOP)]
        if not len(drawn):
            continue
        if prev is not None:
            x += SPACE["rel" if "rel" in (kind, prev) else "bin" if "bin" in (kind, prev) else "ord"]
        shift = x - drawn[:, 0].min()
        verts.append((v + (shift, 0.0)) * size)
        codes.append(c)
        x, prev = shift + drawn[:, 0].max(), kind
    if not verts:
        return "", 0.0, 0.0
    v, c = np.concatenate(verts), np.concatenate(codes)
    drawn = v[(c != MPath.CLOSEPOLY) & (c != MPath.STOP)]
    (x0, y0), (x1, y1) = drawn.min(axis=0), drawn.max(axis=0)
    return path_ops((v - (x0, y0)).round(3).tolist(), c), float(x1 - x0), float(y1 - y0)


def path_ops(v: list, codes) -> str:
    """PDF path operators of matplotlib path vertices and codes (quadratic segments made cubic)."""
    from matplotlib.path import Path as MPath

    ops, k, last = [], 0, (0.0, 0.0)
    while k < len(codes):
        code = codes[k]
        if code == MPath.MOVETO:
            last = v[k]
            ops.append(f"{last[0]:g} {last[1]:g} m")
            k += 1
        elif code == MPath.LINETO:
            last = v[k]
            ops.append(f"{last[0]:g} {last[1]:g} l")
            k += 1
        elif code == MPath.CURVE3:  # quadratic -> cubic: controls 2/3 of the way to the quadratic's control
            (qx, qy), (px, py) = v[k], v[k + 1]
            c1 = (last[0] + 2 / 3 * (qx - last[0]), last[1] + 2 / 3 * (qy - last[1]))
            c2 = (px + 2 / 3 * (qx - px), py + 2 / 3 * (qy - py))
            ops.append(f"{c1[0]:.3f} {c1[1]:.3f} {c2[0]:.3f} {c2[1]:.3f} {px:g} {py:g} c")
            last = (px, py)
            k += 2
        elif code == MPath.CURVE4:
            (ax, ay), (bx, by), (px, py) = v[k : k + 3]
            ops.append(f"{ax:g} {ay:g} {bx:g} {by:g} {px:g} {py:g} c")
            last = (px, py)
            k += 3
        else:  # CLOSEPOLY, STOP
            ops.append("h")
            k += 1
    return "\n".join(ops) + "\n"


def math_block(kit: Kit, rng) -> MathBlock | None:
    chunks = formula_chunks(rng)
    fontset = MATH_FONTSETS[int(rng.integers(len(MATH_FONTSETS)))]
    size = round(kit.doc.size * uniform(rng, (1.0, 1.2)), 1)
    try:
        ops, w, h = outlines(chunks, size, fontset)
    except ValueError:  # mathtext could not parse a chunk (the grammar should never get here)
        return None
    if w > kit.doc.column_width:
        ops, w, h = outlines(chunks, size * kit.doc.column_width / w * 0.98, fontset)
    return MathBlock(chunks_latex(chunks), w, h, ops, kit.doc.color) if ops else None


# --------------------------------------------------------------------------- running heads


@dataclass
class Heads:
    """Running heads and page numbers, set on every page after the flow."""

    head: TextBlock | None  # the running head's one line (laid out at offset 0)
    head_align: str
    number_format: str | None  # "{n}", "Page {n}", "- {n} -"
    number_style: ParaStyle | None
    number_align: str

    def room(self, st: ParaStyle | None) -> float:
        return 0.0 if st is None else (st.ascent + st.descent) * 2.2


def plan_heads(kit: Kit, rng, head_prob: float, number_prob: float, title: str) -> Heads:
    head = None
    if rng.random() < head_prob:
        text = " ".join(title.split()[:8]) if title.split() else kit.sentence(rng, 6)
        head = text_block(kit, rng, "header", text[:80], round(kit.doc.size * 0.8, 1), width=1e6, italic=bool(rng.random() < 0.5))
        head = head if head and len(head.lines) == 1 else None
    fmt, nst = None, None
    if rng.random() < number_prob:
        fmt = ("{n}", "Page {n}" if kit.locale == "en" else "{n}", "- {n} -")[int(rng.integers(3))]
        face = kit.face(rng, fmt + "0123456789")
        nst = kit.style("footer", face, round(kit.doc.size * 0.85, 1)) if face else None
        fmt = fmt if nst else None
    aligns = ("left", "center", "right")
    return Heads(head, aligns[int(rng.integers(3))], fmt, nst, aligns[int(rng.integers(3))])


def place_heads(pages: list[PagePlan], doc: DocStyle, heads: Heads, pool) -> None:
    """The running head first and the page number last on every page, in the margins the flow kept free."""
    left, right = doc.margins[0], doc.width - doc.margins[2]

    def line(text: str, st: ParaStyle, baseline: float, align: str, plan: PagePlan) -> Line:
        m = metrics_for(st.face, pool)
        width = m.width(text) * st.size
        x = left if align == "left" else right - width if align == "right" else (left + right - width) / 2
        words = [Word(t, (a, baseline - st.ascent, b, baseline + st.descent)) for t, a, b in set_words(text, m, st.size, x)]
        plan.runs.append(Run(text, x, baseline, st.face, st.size, st.color))
        return Line(text, (words[0].bbox[0], words[0].bbox[1], words[-1].bbox[2], words[0].bbox[3]), words)

    for n, plan in enumerate(pages, 1):
        if heads.head is not None:
            st = heads.head.style
            ln = line(heads.head.lines[0].text, st, doc.margins[1] + st.ascent, heads.head_align, plan)
            plan.elements.insert(0, Element("header", ln.bbox, ln.text, [ln], st.font_record(), attrs={"running": True}))
        if heads.number_format is not None:
            st = heads.number_style
            ln = line(heads.number_format.format(n=n), st, doc.height - doc.margins[3] - st.descent, heads.number_align, plan)
            plan.elements.append(Element("footer", ln.bbox, ln.text, [ln], st.font_record(), attrs={"page_number": n}))
