"""Lines in reading order -> paragraphs -> typed elements.

A paragraph breaks between two lines when they sit in different columns or non-adjacent leaves,
when the gap exceeds the page's usual line gap by half a body size, when the font size or the
all-bold style changes, when the next line is indented (a first line), when the previous line
ends short with a full stop, before a bullet or a footnote's raised mark, and around display math
and captions. An entry set with a hanging indent (a bibliography's entry, a numbered item: a first
line that fills the column or starts with a label, its other lines indented under it) is one
paragraph; the next line that sticks out starts the next entry.

Types, checked in this order: `math` (display lines dominated by math glyphs, or centred with an
equation number), `caption` ("Figure 3:", "Table 2.", …), `list` (a bulleted item, a bibliography
entry "[12] …"), `footnote` (under a raised mark), `list` (an entry set with a hanging indent, not a
subcaption "(c) …"), `header`/`footer` (at most two lines in the
top/bottom `MARGIN_ZONE` of the page, not larger than body text, set off from the body text), `footnote` (small text in the
lower half with only footnotes or the footer below it in its column), `heading` (short,
unpunctuated, larger than body, bold and numbered, or capitals after a section number), `list` (a
numbered item: "2. It …", "3) Bayesian …", "(ii) Push …"), else `para`.
With granularity `line` every text line is its own `line` element carrying its paragraph's type
as `attrs.role`.

Element text keeps the page (ligature glyphs, a hyphen at a line end, lines joined by a space);
`attrs.joined` records the reading form (ligatures spelled out, line-end hyphens joined) when it
differs.
"""

from __future__ import annotations

import re
from collections import Counter

from docsynth.arxiv.geometry import Box
from docsynth.arxiv.layout import FOLIO, Leaf, TLine, justified_rows
from docsynth.arxiv.tables import author_groups, header_lines, table_element
from docsynth.arxiv.words import BOLD, ITALIC, PWord, expand_ligatures
from docsynth.doc import Element, Line, Word, box_union

# a caption's label, not a sentence that starts by naming the figure ("Table 1, 2 and 3 show …", "Figure 5 shows …")
CAPTION = re.compile(r"^(figure|fig\.|table|tab\.|algorithm|listing|scheme|chart)\s*(\d+[a-z]?|[ivxlc]+\b|[a-z]\.?\d+)(?!(?-i:[a-z]?\s*(,|[a-z]{2,})))", re.I)
BULLET = re.compile(r"^[\u2022\u25e6\u25aa\u25ab\u2023\u2043\u2219\u25cf\u25cb\u25a0\u25a1\u2013\u2014*-]\s")
EQNO = re.compile(r"\(\s*\d+(\.\d+)*[a-z]?\s*\)$")
LABEL = re.compile(r"^(\[\w[\w+-]*\]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s")  # an entry's label: [12] 3. 2) (b) iv.
ITEM = re.compile(r"^(\d{1,3}[.)]|\([ivx]{1,4}\))\s+[^\W\d_a-z]")  # a numbered item: 2. It … / 3) Bayes … / (ii) Push …
SUBCAPTION = re.compile(r"^\([a-z]\)\s")  # "(c) The artistic style …": a subfigure's caption, no list item
# the words an optimization program's rows start with, set in roman ("minimize d^T z", "subject to Az >= b")
PROGRAM = re.compile(r"^(minimi[sz]e|maximi[sz]e|min|max|arg\s?min|arg\s?max|subject to|s\.\s?t\.|such that)\b", re.I)
NUMBERED = re.compile(r"^((\d+|[A-Z])(\.\d+)*\.?|[IVX]+\.)\s+\S")
HYPHENS = ("-", "\u00ad", "\u2010")
MARGIN_ZONE = 0.1  # fraction of the page height holding headers (top) and footers (bottom)
HEADER_GAP = 0.6  # body sizes: a header is set off from the text under it (a column's first line is not)
FOOTNOTE_SIZE = 0.92  # footnotes are at most this fraction of the body size
DISPLAY_GAP = 0.6  # body sizes: math paragraphs closer than this are pieces of one displayed formula
DISPLAY_ROWS = 1.6  # body sizes: math paragraphs closer than this, one above the other, are rows of one display
MARKS = "*∗†‡§¶#"  # footnote marks besides digits
HANG_INDENT = (0.8, 4.0)  # font sizes right of the line above: an indented line
HANG_FULL = 0.75  # share of the lines above an indented one that fill the column: entries with a hanging indent
PIECE_CHARS = 3  # a one-line paragraph this short touching a formula is a piece of it


def _frac_math(ln: TLine) -> float:
    return _math_share([ln])


def _math_share(lines: list[TLine]) -> float:
    """Share of math glyphs in some lines (a display's operator word, "minimize", in a row of math is math)."""
    n = sum(len(w.text) for ln in lines for w in ln.words)
    return sum(w.math_chars for ln in lines for w in ln.words) / max(n, 1)


def is_math_line(ln: TLine, body: float) -> bool:
    """A display line: mostly math glyphs, or set off from both column edges (its equation number aside)
    with some math in it or a program's word first (its variables in bold roman, "minimize d^T z"). A
    line larger than the body is a heading with a symbol in it, unless it is mostly math."""
    frac, text = _frac_math(ln), ln.text
    if frac >= 0.5:
        return True
    if ln.size >= 1.15 * body:
        return False
    numbered = bool(EQNO.search(text))
    formula = [w for w in ln.words if not EQNO.fullmatch(w.text)] if numbered else ln.words
    right = max((w.bbox[2] for w in formula), default=ln.bbox[2])
    centred = ln.bbox[0] - ln.col[0] > 1.5 * body and ln.col[2] - right > 1.5 * body
    return centred and (frac >= 0.2 or (numbered and "=" in text) or bool(PROGRAM.match(text)))


def _usual_gap(lines: list[TLine]) -> float:
    gaps = sorted(b.bbox[1] - a.bbox[3] for a, b in zip(lines, lines[1:]) if a.leaf == b.leaf and a.col == b.col)
    gaps = [g for g in gaps if -2.0 < g < 20.0]
    return gaps[len(gaps) // 2] if gaps else 2.0


def _hanging(lines: list[TLine]) -> set[Box]:
    """Columns whose unlabelled entries hang: where a line starts at the column's left and the next one
    is indented (0.8 to 4 font sizes, HANG_INDENT), the line above fills the column (HANG_FULL of such
    steps, two or more), and no line starts with a label. An author-year bibliography: an entry's
    first line sticks out and runs to the margin, its other lines are indented. Paragraphs with an
    indented first line step in after their last, short line instead."""
    by_col: dict[Box, list[TLine]] = {}
    for ln in lines:
        by_col.setdefault(ln.col, []).append(ln)
    out = set()
    for col, lns in by_col.items():
        left = min(ln.bbox[0] for ln in lns)
        steps = [_hangs(a, b) for a, b in zip(lns, lns[1:]) if a.bbox[0] - left < HANG_INDENT[0] * a.size and _steps_in(a, b)]
        if len(steps) >= 2 and sum(steps) >= HANG_FULL * len(steps) and not any(LABEL.match(ln.text) for ln in lns):
            out.add(col)  # (labelled entries are told by their labels, in any column)
    return out


def _breaks(a: TLine, b: TLine, body: float, gap_limit: float, math: tuple[bool, bool], first: bool = True,
            entry: bool = False, hanging: bool = False, c: TLine | None = None) -> bool:  # fmt: skip
    """Whether `b` starts a paragraph after `a`; `c` is the line after `b`. `first`: `a` is its
    paragraph's first line; `entry`: that paragraph hangs (a line of it stuck out over the next, `_hangs`).
    `hanging`: the column's entries hang (`_hanging`); an entry that starts with a label (`LABEL`) may
    hang in any column."""
    if a.leaf == b.leaf and a.row == b.row and a.row >= 0:
        return False  # the rest of the same row (an equation number)
    if a.col != b.col or math[0] != math[1]:
        return True
    gap = b.bbox[1] - a.bbox[3]
    if gap > gap_limit or gap < -0.5 * a.size or (a.leaf != b.leaf and not 0 <= gap <= 1.5 * a.size):
        return True
    if abs(a.size - b.size) > 0.12 * max(a.size, b.size) or a.bold != b.bold:
        return True
    if first and _wrapped_head(a, b, body):
        return False  # a numbered heading's title wrapped onto a second line, under its first word
    if CAPTION.match(b.text) or BULLET.match(b.text) or _footnote_mark(b, body) or (first and _numbered_head(a) and not _numbered_head(b)):
        return True
    size = max(a.size, b.size)
    short_end = a.bbox[2] < a.col[2] - 4 * size and a.text.rstrip()[-1:] in ".:!?"
    indented = b.bbox[0] - a.bbox[0] > 0.8 * size and b.bbox[0] - b.col[0] > 0.8 * size
    if entry and a.bbox[0] - b.bbox[0] > 0.8 * size:  # b sticks out like the entry's first line: the next entry
        return True
    if entry and abs(b.bbox[0] - a.bbox[0]) <= 0.8 * size:  # b under a: more of the entry, unless a sentence
        # ended short and b starts a paragraph, its next line sticking out with no label, in a column that
        # is no bibliography of unlabelled entries ("… Applications." / "Boston, MA: …" / "[5] …" is one entry)
        return (short_end and not hanging and c is not None and c.col == b.col and b.bbox[0] - c.bbox[0] > 0.8 * size
                and not LABEL.match(c.text))  # fmt: skip
    if indented and (first and hanging or LABEL.match(a.text)) and _hangs(a, b):  # an entry's first
        return False  # line, then its indented rest
    return indented or short_end


def _wrapped_head(a: TLine, b: TLine, body: float) -> bool:
    """Whether `b` carries on the numbered heading `a` ("3.1 Representing and manipulating" over
    "visually-rich documents"): `a` set as a heading is (bold or italic, or larger than the body) and
    ending in no punctuation, `b` starting under the title's first word (a first paragraph starts at the
    column's edge, and in another weight) and ending in no full stop."""
    text = a.text.rstrip()
    styled = all(w.style & (ITALIC | BOLD) for w in a.words) or a.size >= 1.15 * body
    return (bool(NUMBERED.match(text)) and len(a.words) > 1 and len(text) <= 80 and text[-1:] not in ".,;:" and styled
            and not NUMBERED.match(b.text) and abs(b.bbox[0] - a.words[1].bbox[0]) <= 0.3 * b.size
            and b.text.rstrip()[-1:] not in ".:")  # fmt: skip


def _continues(prev: list[TLine], para: list[TLine], body: float) -> bool:
    """Whether `para` is the indented rest of the one-line entry `prev` (a label, then a hanging indent)."""
    a, b = prev[-1], para[0]
    return (len(prev) == 1 and a.col == b.col and bool(LABEL.match(a.text)) and _hangs(a, b)
            and 0 <= b.bbox[1] - a.bbox[3] <= 0.5 * body and not is_math_line(b, body))  # fmt: skip


def _footnote_mark(ln: TLine, body: float) -> bool:
    """Whether a line of text no larger than the body starts with a footnote's mark: a raised digit or
    sign (1, 12, ∗, †) at most 0.8 times the height of the word after it."""
    if len(ln.words) < 2:
        return False
    m, w = ln.words[0].bbox, ln.words[1]
    h = w.bbox[3] - w.bbox[1]
    return (len(ln.words[0].text) <= 3 and all(c.isdigit() or c in MARKS for c in ln.words[0].text)
            and w.size <= body and m[3] - m[1] <= 0.8 * h and m[3] < w.bbox[3] - 0.15 * h)  # fmt: skip


def _steps_in(a: TLine, b: TLine) -> bool:
    """Whether `b` starts HANG_INDENT (0.8 to 4 of its font sizes) right of `a`."""
    return HANG_INDENT[0] * b.size <= b.bbox[0] - a.bbox[0] <= HANG_INDENT[1] * b.size


def _hangs(a: TLine, b: TLine) -> bool:
    """Whether `b` sits where a hanging indent puts an entry's second line under its first line `a`:
    HANG_INDENT right of it, with `a` filling the column, or `a` a label whose text `b` lines up with
    (a ragged-right bibliography: "[19] E. van den Berg," over "G. Hennenfent, …")."""
    if not _steps_in(a, b):
        return False
    under_text = len(a.words) > 1 and bool(LABEL.match(a.text)) and abs(b.bbox[0] - a.words[1].bbox[0]) <= 0.3 * b.size
    return a.bbox[2] >= a.col[2] - 2 * a.size or under_text


def group_paragraphs(lines: list[TLine], body: float) -> list[list[TLine]]:
    gap_limit = _usual_gap(lines) + 0.5 * body
    maths = [is_math_line(ln, body) for ln in lines]
    for i in range(1, len(lines)):  # the rest of a word hyphenated at the line end above continues its paragraph
        if maths[i] and not maths[i - 1] and lines[i - 1].text.endswith(HYPHENS) and lines[i].text[:1].islower():
            maths[i] = False
    hanging = _hanging(lines)
    paras: list[list[TLine]] = []
    entry = False  # the paragraph being built hangs
    for i, ln in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else None
        if i and maths[i] and not maths[i - 1] and CAPTION.match(paras[-1][0].text) and abs(ln.bbox[0] - lines[i - 1].bbox[0]) <= 0.5 * ln.size:
            maths[i] = False  # a caption's line of symbols set flush with the caption's lines: more caption, no display
        if i and not _next_entry(paras[-1][0], ln) and not _breaks(lines[i - 1], ln, body, gap_limit, (maths[i - 1], maths[i]),
                                                                   len(paras[-1]) == 1, entry, ln.col in hanging, after):  # fmt: skip
            entry = entry or _hangs(lines[i - 1], ln)
            paras[-1].append(ln)
        else:
            entry = False
            paras.append([ln])
    return paras


_NUMBER = re.compile(r"^[\[(]?(\d{1,3})[\].)]\s")  # a numbered label's number: [12] 3. 2) (4)


def _next_entry(head: TLine, b: TLine) -> bool:
    """Whether `b` starts the entry numbered after the one `head` starts ("[5] …" / "[6] …"), at the left
    edge of `head` or left of it: a one-line entry that ends a little short of the column, followed by
    the next, is two entries even where the column's lines do not hang."""
    m, n = _NUMBER.match(head.text), _NUMBER.match(b.text)
    return (m is not None and n is not None and int(n[1]) == int(m[1]) + 1 and head.col == b.col
            and b.bbox[0] <= head.bbox[0] + 0.3 * b.size)  # fmt: skip


def join_text(lines: list[str]) -> tuple[str, str]:
    """(page text, joined reading text): lines joined by a space; the joined form also un-hyphenates line ends."""
    page = " ".join(lines)
    out = lines[0] if lines else ""
    for nxt in lines[1:]:
        if out[-1:] in HYPHENS and len(out) > 1 and out[-2].isalpha() and nxt[:1].islower():
            out = out[:-1] + nxt
        else:
            out = out + " " + nxt
    return page, expand_ligatures(out)


def classify(para: list[TLine], body: float, height: float, is_math: bool, below: list[str], gap_below: float = float("inf"),
             gap_above: float = float("inf")) -> str:  # fmt: skip
    text = " ".join(ln.text for ln in para)
    box = box_union(ln.bbox for ln in para)
    size = max(ln.size for ln in para)
    if is_math:
        return "math"
    if CAPTION.match(text):
        return "caption"
    if BULLET.match(text) or text.startswith("[") and LABEL.match(text):  # a bulleted item, a bibliography entry
        return "list"
    if _footnote_mark(para[0], body):  # a note at the foot of the page or of a table, under its mark
        return "footnote"
    if len(para) >= 2 and _hangs(para[0], para[1]) and not SUBCAPTION.match(text) and not _heading_style(para, size, body, text):
        return "list"  # an entry set with a hanging indent: an author-year reference, a numbered item
    broken = text[-1:] in HYPHENS and text[-2:-1].isalpha()  # a word broken at the line's end: the text goes on
    folio = len(para) == 1 and bool(FOLIO.fullmatch(text.strip()))  # a page number: larger than a page of references' body
    if (len(para) <= 2 and size <= 1.05 * body and not broken) or folio:
        if box[3] <= MARGIN_ZONE * height and gap_below >= HEADER_GAP * body:  # set off from the text below it
            return "header"
        if box[1] >= (1 - MARGIN_ZONE) * height and gap_above >= HEADER_GAP * body:  # set off from the text above it
            return "footer"
    if size <= FOOTNOTE_SIZE * body and box[1] > 0.5 * height and all(t in ("footnote", "footer") for t in below):
        return "footnote"
    if len(para) <= 3 and len(text) <= 200 and text.rstrip()[-1:] not in ".,;" and _heading_style(para, size, body, text):
        return "heading"
    if ITEM.match(text) and not _heading_style(para, size, body, text) and not para[0].words[0].style & ITALIC:
        return "list"  # a numbered item: "2. It is possible …" (an italic label starts a run-in heading, IEEE's "1) Suffix Tree")
    return "para"


def _numbered_head(ln: TLine) -> bool:
    """A short line in italics or bold under a section label, ending in no punctuation: IEEE's
    "B. Overall Speedup", a subsection heading set in the body's italics (no larger, no bold)."""
    text = ln.text.rstrip()
    return (bool(NUMBERED.match(text)) and len(text) <= 60 and text[-1:] not in ".,;:" and ln.bbox[2] < ln.col[2] - 4 * ln.size
            and all(w.style & (ITALIC | BOLD) for w in ln.words))  # fmt: skip


def _heading_style(para: list[TLine], size: float, body: float, text: str) -> bool:
    if size >= 1.15 * body or (len(para) == 1 and _numbered_head(para[0])):
        return True
    if len(para) == 1 and NUMBERED.match(text) and len(text) <= 80 and text.isupper() and sum(map(str.isalpha, text)) >= 4:
        # "3. SIMULATION: RANDOM SIGNALS", "II. PURSUIT METHODS"
        return True
    # bold and short; a bold word in lower case is an algorithm's keyword ("repeat", "end"), no heading
    return all(ln.bold for ln in para) and len(para) <= 2 and (bool(NUMBERED.match(text)) or len(text) <= 80) and not text[:1].islower()


def _font(words: list[PWord]) -> dict:
    w = Counter((w.font, w.size, w.style) for w in words for _ in w.text).most_common(1)[0][0]
    return {"family": w[0] or "unknown", "size": round(float(w[1]), 2), "weight": 700 if w[2] & BOLD else 400,
            "italic": bool(w[2] & ITALIC)}  # fmt: skip


def to_line(ln: TLine) -> Line:
    return Line(ln.text, ln.bbox, [Word(w.text, w.bbox) for w in ln.words])


def text_element(kind: str, lines: list[TLine], attrs: dict) -> Element:
    page_text, joined = join_text([ln.text for ln in lines])
    attrs = dict(attrs)
    if joined != page_text:
        attrs["joined"] = joined
    words = [w for ln in lines for w in ln.words]
    scores = [w.ocr for w in words if w.ocr is not None]
    if scores:
        attrs["ocr"] = True
        attrs["score"] = round(sum(scores) / len(scores), 4)  # corrected words count 1, others their OCR confidence
    return Element(kind, box_union(ln.bbox for ln in lines), page_text, [to_line(ln) for ln in lines], _font(words), attrs=attrs)


def _types(paras: list[list[TLine]], maths: list[bool], body: float, height: float) -> list[str]:
    """Types bottom-up within each column, so a footnote knows what lies below it."""
    types = [""] * len(paras)
    boxes = [box_union(ln.bbox for ln in p) for p in paras]
    for i in sorted(range(len(paras)), key=lambda k: -boxes[k][1]):
        under = [j for j in range(len(paras)) if j != i and boxes[j][1] >= boxes[i][3] - 0.5
                 and boxes[j][0] < boxes[i][2] and boxes[i][0] < boxes[j][2]]  # fmt: skip
        gap = min((boxes[j][1] - boxes[i][3] for j in under if types[j] != "header"), default=float("inf"))  # a head of lines
        over = [j for j in range(len(paras)) if j != i and boxes[j][3] <= boxes[i][1] + 0.5 and min(boxes[j][2], boxes[i][2])
                - max(boxes[j][0], boxes[i][0]) >= 0.5 * min(boxes[j][2] - boxes[j][0], boxes[i][2] - boxes[i][0])]  # fmt: skip
        nearest = max(over, key=lambda j: boxes[j][3], default=None)
        above = float("inf") if nearest is None or boxes[nearest][1] >= (1 - MARGIN_ZONE) * height else boxes[i][1] - boxes[nearest][3]
        types[i] = classify(paras[i], body, height, maths[i], [types[j] for j in under], gap, above)  # a foot of lines: inf
    return types


def build_elements(leaves: list[Leaf], blocks: list[Element], body: float, height: float, granularity: str,
                   hrules: list = (), shading: list = ()) -> list[Element]:  # fmt: skip
    """Elements in reading order: text paragraphs (or lines) interleaved with `blocks` (figures, rotated text).
    `hrules`, `shading`: the page's horizontal rules and fills, which part a table's rows."""
    seq: list = []  # TLine or int (a block index)
    for leaf in leaves:
        pending = sorted(leaf.blocks, key=lambda b: b.bbox[1])
        for ln in leaf.lines:  # lines keep the leaf's order; a block goes before the first line below its top
            while pending and pending[0].bbox[1] <= ln.bbox[1]:
                seq.append(pending.pop(0).ref)
            seq.append(ln)
        seq.extend(b.ref for b in pending)
    out: list[Element] = []
    run: list[TLine] = []
    for item in seq + [None]:
        if isinstance(item, TLine):
            run.append(item)
            continue
        groups = _by_table(run, leaves)
        heads = [0] * len(groups)
        for g in range(1, len(groups)):  # header rows the XY-cut put above a table's region join the table
            if groups[g][0] is not None and groups[g - 1][0] is None:
                before, lines = groups[g - 1][1], groups[g][1]
                heads[g] = header_lines(before, lines, body)
                if heads[g]:
                    groups[g] = (groups[g][0], before[len(before) - heads[g] :] + lines)
                    del before[len(before) - heads[g] :]
        text: tuple[list, list] = ([], [])  # paragraphs and types since the last table: a display split over
        for (table, lines), head in zip(groups, heads):  # two regions of the XY-cut is still one formula
            ruled = table is not None and leaves[lines[-1].leaf].ruled
            element = table_element(lines, to_line, _font, head, hrules, ruled, shading) if table is not None else None
            authors = author_groups(lines) if table is not None and element is None else None
            if element is not None:
                out.extend(_emit(*text, body, granularity))
                text = ([], [])
                out.append(element)
            elif authors:  # one paragraph an author, in the order the block is read
                out.extend(_emit(*text, body, granularity))
                text = ([], [])
                out.extend(e for group in authors for e in _emit(*_paragraphs(group, body, height), body, granularity))
            else:  # running text; a region that was no table after all gets its justified rows back whole
                paras, types = _paragraphs(justified_rows(lines) if table is not None else lines, body, height)
                if text[0] and paras and _continues(text[0][-1], paras[0], body):  # an entry's first line was a row
                    paras[0] = text[0].pop() + paras[0]  # of a would-be table, its indented rest running text:
                    types[0] = text[1].pop()  # one entry, of its first line's type
                text = (text[0] + paras, text[1] + types)
        out.extend(_emit(*text, body, granularity))
        run = []
        if item is not None:
            out.append(blocks[item])
    return out


def _by_table(lines: list[TLine], leaves: list[Leaf]) -> list[tuple[int | None, list[TLine]]]:
    """Consecutive lines grouped by the table region their leaf belongs to (None: running text)."""
    groups: list[tuple[int | None, list[TLine]]] = []
    for ln in lines:
        table = leaves[ln.leaf].table
        if groups and groups[-1][0] == table:
            groups[-1][1].append(ln)
        else:
            groups.append((table, [ln]))
    return groups


def merge_displays(paras: list[list[TLine]], types: list[str], body: float) -> tuple[list[list[TLine]], list[str]]:
    """One `math` element per displayed formula: consecutive math paragraphs of one column that touch
    (a gap under DISPLAY_GAP body sizes: a fraction's numerator and denominator, limits under an
    operator, the rows of a cases block), the rows of one display (`_rows_of_one`), and an equation
    number or a one-line piece of a few characters (a numerator typed apart) touching them, become one.
    Its lines are put in content-stream order, the order the formula was typeset in, where the stream
    gives it."""
    out_p: list[list[TLine]] = []
    out_t: list[str] = []
    for para, kind in zip(paras, types):
        if out_p and _joins(out_p[-1], out_t[-1], para, kind, body):
            out_p[-1] = out_p[-1] + para
            out_t[-1] = "math"
            continue
        out_p.append(list(para))
        out_t.append(kind)
    for k, (para, kind) in enumerate(zip(out_p, out_t)):
        if kind == "math" and all(w.seq >= 0 for ln in para for w in ln.words):
            out_p[k] = _stream_lines(para)
    return out_p, out_t


def _joins(prev: list[TLine], prev_kind: str, para: list[TLine], kind: str, body: float) -> bool:
    """Whether `para` is more of the display `prev` ends: another row of it, or a piece touching it."""
    if prev_kind == "math" and kind == "math" and _rows_of_one(prev, para, body):
        return True
    if not _touches(prev, para, body):
        return False
    if prev_kind == "math" and (kind == "math" or _piece(para)) and para[0].col == prev[-1].col:
        return True
    return (prev_kind == "math" and _piece(para) and _within(para, prev)) or (
        kind == "math" and _piece(prev) and _within(prev, para))


def _rows_of_one(a: list[TLine], b: list[TLine], body: float) -> bool:
    """Whether two math paragraphs, one right below the other, are rows of one display (an aligned
    system, a constraint list under "minimize", a long formula broken over rows): less than DISPLAY_ROWS
    body sizes apart, overlapping horizontally, whatever leaf or column the XY-cut gave each, and not
    two formulas that each carry their own equation number."""
    ba, bb = box_union(ln.bbox for ln in a), box_union(ln.bbox for ln in b)
    if not -0.5 * body <= bb[1] - ba[3] < DISPLAY_ROWS * body or min(ba[2], bb[2]) <= max(ba[0], bb[0]):
        return False
    return not (any(EQNO.search(ln.text) for ln in a) and any(EQNO.search(ln.text) for ln in b))


def _stream_lines(para: list[TLine]) -> list[TLine]:
    """A display's lines in content-stream order; a line typeset in the middle of another (the limits
    under an operator, a fraction inside a row, an equation number set before its row's end) joins it,
    words in stream order, so no line of the display interleaves with another."""
    out: list[TLine] = []
    for ln in sorted(para, key=lambda ln: min(w.seq for w in ln.words)):
        if out and min(w.seq for w in ln.words) < max(w.seq for w in out[-1].words):
            host = out[-1]
            words = sorted(host.words + ln.words, key=lambda w: w.seq)
            out[-1] = TLine(words, box_union([host.bbox, ln.bbox]), host.leaf, host.col, host.row)
        else:
            out.append(ln)
    return out


def _piece(para: list[TLine]) -> bool:
    """A paragraph that can only be a piece of a formula beside it: lines each an equation number or at
    most PIECE_CHARS characters (a numerator, a limit, an exponent set apart)."""
    text = " ".join(ln.text for ln in para).strip()
    return bool(EQNO.fullmatch(text)) or all(EQNO.fullmatch(ln.text.strip()) or len(ln.text.replace(" ", "")) <= PIECE_CHARS
                                             for ln in para)  # fmt: skip


def _within(piece: list[TLine], para: list[TLine]) -> bool:
    """Whether a piece lies inside a paragraph's x-range (a denominator under its formula, whatever leaf
    the XY-cut gave it) or in the paragraph's column."""
    box = box_union(ln.bbox for ln in para)
    return piece[0].col == para[-1].col or (box[0] <= piece[0].bbox[0] and piece[-1].bbox[2] <= box[2])


def _touches(a: list[TLine], b: list[TLine], body: float) -> bool:
    top, bottom = min(ln.bbox[1] for ln in b), max(ln.bbox[3] for ln in a)
    return top - bottom < DISPLAY_GAP * body


def _paragraphs(lines: list[TLine], body: float, height: float) -> tuple[list[list[TLine]], list[str]]:
    """A run of lines -> paragraphs and their types."""
    if not lines:
        return [], []
    paras = group_paragraphs(lines, body)
    maths = [is_math_line(p[0], body) or _math_share(p) >= 0.5 for p in paras]
    return paras, _types(paras, maths, body, height)


def _emit(paras: list[list[TLine]], types: list[str], body: float, granularity: str) -> list[Element]:
    """Paragraphs -> elements, a displayed formula's pieces merged into one `math` element first."""
    paras, types = merge_displays(paras, types, body)
    if granularity == "line":
        return [text_element("line", [ln], {"role": t}) for p, t in zip(paras, types) for ln in p]
    return [text_element(t, p, {}) for p, t in zip(paras, types)]
