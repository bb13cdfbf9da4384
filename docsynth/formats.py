"""Format A / Format B serialization and parsing (DESIGN §5).

Format A::

    <bos><para><box><size{x0}><size{y0}><size{x1}><size{y1}></box>text</para>
         <image><box>…</box><size><size{w}><size{h}></size><image_pad>×(w*h)</image><eos>

Format B is Format A with every `<box>…</box>` removed, except a look's: that box is the
action, not an annotation. The page image is an `<image>` with no box.

Beyond one page (`tokens.unit`): a document is its pages in order, each wrapped in
`<page>…</page>`; a glimpse sample is the global view, then per look
`<look><box>…</box></look>`, the view of that box and the text elements it holds. A sequence is a list of `SeqElement`; `serialize` gives the text spelling
(`a.txt`/`b.txt`, image positions spelled `<image_pad>`) and the `[L, G]` int32 token rows;
`parse(tokens)` inverts it exactly, and `tokenize_text(txt, codes)` rebuilds the rows from
the text spelling and the image codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from docsynth import text_tokenizer as tt
from docsynth.doc import Page, norm_box
from docsynth.vocab import SPECIAL_PATTERN, VocabSpec

DIRECTIONS = ("read", "write")
FORMATS = ("A", "B")


class ReservedTokenError(ValueError):
    """Source text spells a docsynth special token; it would not survive a round trip."""


class ParseError(ValueError):
    pass


KINDS = ("text", "image", "look", "page")


@dataclass(eq=False)
class SeqElement:
    kind: str  # "text" | "image" | "look" (a glimpse's action: its box) | "page" (a document's page: children)
    text: str = ""
    box: tuple[int, int, int, int] | None = None  # normalized bins; None in Format B (but a look's) and for the page image
    codes: np.ndarray | None = None  # (h, w, G) for images
    children: list["SeqElement"] | None = None  # a page's text and image elements

    def __eq__(self, other) -> bool:
        if not isinstance(other, SeqElement):
            return NotImplemented
        same_codes = (self.codes is None and other.codes is None) or (
            self.codes is not None and other.codes is not None and np.array_equal(self.codes, other.codes)
        )
        return (self.kind, self.text, self.box, self.children) == (other.kind, other.text, other.box, other.children) and same_codes

    def __repr__(self) -> str:
        if self.kind == "page":
            return f"SeqElement(page, {len(self.children or [])} elements)"
        if self.kind == "look":
            return f"SeqElement(look, box={self.box})"
        if self.kind == "image":
            shape = None if self.codes is None else tuple(self.codes.shape)
            return f"SeqElement(image, box={self.box}, codes={shape})"
        return f"SeqElement(text, box={self.box}, {self.text[:40]!r})"


def page_elements(page: Page, fmt: str, direction: str, bins: int) -> list[SeqElement]:
    """A page as a sequence: the page image first (`read`) or last (`write`)."""
    if fmt not in FORMATS or direction not in DIRECTIONS:
        raise ValueError(f"unknown format {fmt!r} or direction {direction!r}")
    body = []
    for e in page.elements:
        box = tuple(norm_box(e.bbox, page.width, page.height, bins)) if fmt == "A" else None
        if e.is_image:
            body.append(SeqElement("image", box=box, codes=e.codes))
        else:
            body.append(SeqElement("text", text=e.text, box=box))
    image = SeqElement("image", codes=page.codes)
    return [image, *body] if direction == "read" else [*body, image]


def document_elements(pages: list[Page], fmt: str, direction: str, bins: int) -> list[SeqElement]:
    """A document: its pages in order, each a `page` element holding what `page_elements` gives."""
    return [SeqElement("page", children=page_elements(p, fmt, direction, bins)) for p in pages]


def glimpse_elements(page: Page, fmt: str, direction: str, bins: int) -> list[SeqElement]:
    """A page as glimpses: the global view, then per look its action box, its view and the text elements it
    holds (`read`: view then text; `write`: text then view). `page.views[0]` is the global view."""
    if fmt not in FORMATS or direction not in DIRECTIONS:
        raise ValueError(f"unknown format {fmt!r} or direction {direction!r}")
    if not page.views or page.views[0].codes is None:
        raise ValueError(f"page {page.key} has no encoded views (the glimpse step did not run)")
    out = [SeqElement("image", codes=page.views[0].codes)]
    for v in page.views[1:]:
        texts = [page.elements[i] for i in v.elements if not page.elements[i].is_image]
        body = [SeqElement("text", text=e.text, box=tuple(norm_box(e.bbox, page.width, page.height, bins)) if fmt == "A" else None)
                for e in texts]  # fmt: skip
        view = SeqElement("image", codes=v.codes)
        look = SeqElement("look", box=tuple(norm_box(v.box, page.width, page.height, bins)))
        out += [look, view, *body] if direction == "read" else [look, *body, view]
    return out


def check_text(text: str, vocab: VocabSpec) -> None:
    m = vocab.special_pattern.search(text)
    if m:
        raise ReservedTokenError(f"text spells the reserved token {m.group(0)!r} at offset {m.start()}")


# --------------------------------------------------------------------------- serialize


def serialize(elems: list[SeqElement], vocab: VocabSpec, tok) -> tuple[str, np.ndarray]:
    """-> (text spelling, tokens (L, G) int32)."""
    texts = [e.text for e in flatten(elems) if e.kind == "text"]
    for t in texts:
        check_text(t, vocab)
    text_ids = iter(tt.encode_many(tok, texts))
    sp, G = vocab.special, vocab.G
    parts: list[str] = ["<bos>"]
    rows: list[np.ndarray] = [_ids([sp("<bos>")], G)]

    def special(*names: str) -> None:
        parts.extend(names)
        rows.append(_ids([sp(n) for n in names], G))

    def box(b) -> None:
        if b is not None:
            names = [f"<size{v}>" for v in b]
            parts.extend(["<box>", *names, "</box>"])
            rows.append(_ids([sp("<box>"), *(vocab.size_id(v) for v in b), sp("</box>")], G))

    def element(e: SeqElement, inside_page: bool = False) -> None:
        if e.kind == "text":
            special("<para>")
            box(e.box)
            parts.append(e.text)
            rows.append(_ids(next(text_ids), G))
            special("</para>")
        elif e.kind == "page" and not inside_page:
            special("<page>")
            for c in e.children or []:
                element(c, inside_page=True)
            special("</page>")
        elif e.kind == "look" and not inside_page:
            if e.box is None:
                raise ValueError("a look element needs its box (the action)")
            special("<look>")
            box(e.box)
            special("</look>")
        elif e.kind == "image":
            if e.codes is None or e.codes.ndim != 3 or e.codes.shape[2] != G:
                raise ValueError(f"image element needs codes of shape (h, w, {G}), got {None if e.codes is None else e.codes.shape}")
            h, w, _ = e.codes.shape
            special("<image>")
            box(e.box)
            special("<size>", f"<size{w}>", f"<size{h}>", "</size>")
            parts.append("<image_pad>" * (w * h))
            rows.append(vocab.code_row(e.codes.reshape(h * w, G)))
            special("</image>")
        else:
            raise ValueError(f"element kind {e.kind!r} cannot stand {'inside a page' if inside_page else 'here'}")

    for e in elems:
        element(e)
    special("<eos>")
    return "".join(parts), np.concatenate(rows, axis=0).astype(np.int32)


def flatten(elems: list[SeqElement]) -> list[SeqElement]:
    """Elements in sequence order with pages opened (their children in place)."""
    out = []
    for e in elems:
        out += flatten(e.children or []) if e.kind == "page" else [e]
    return out


def _ids(ids, G: int) -> np.ndarray:
    return np.repeat(np.asarray(ids, dtype=np.int32).reshape(-1, 1), G, axis=1)


# --------------------------------------------------------------------------- parse


class _Reader:
    def __init__(self, tokens: np.ndarray, vocab: VocabSpec):
        if tokens.ndim != 2 or tokens.shape[1] != vocab.G:
            raise ParseError(f"tokens must have shape (L, {vocab.G}), got {tokens.shape}")
        self.t, self.v, self.i = tokens, vocab, 0

    def peek(self) -> int:
        if self.i >= len(self.t):
            raise ParseError(f"sequence ends early at position {self.i}")
        row = self.t[self.i]
        return int(row[0]) if (row == row[0]).all() else -1

    def take(self, name: str) -> None:
        if self.peek() != self.v.special(name):
            raise ParseError(f"position {self.i}: expected {name}, found {self._name()}")
        self.i += 1

    def size(self) -> int:
        k = self.peek() - self.v.size_id(0)
        if not 0 <= k < self.v.num_sizes:
            raise ParseError(f"position {self.i}: expected <size{{k}}>, found {self._name()}")
        self.i += 1
        return k

    def box(self) -> tuple[int, int, int, int] | None:
        if self.peek() != self.v.special("<box>"):
            return None
        self.i += 1
        b = (self.size(), self.size(), self.size(), self.size())
        self.take("</box>")
        return b

    def _name(self) -> str:
        r = self.t[self.i]
        return self.v.id_name(int(r[0])) if (r == r[0]).all() else f"code row {r.tolist()}"


def parse(tokens: np.ndarray, vocab: VocabSpec, tok) -> list[SeqElement]:
    """Token rows (L, G) -> elements; raises ParseError naming the position on malformed input."""
    r = _Reader(tokens, vocab)
    r.take("<bos>")
    elems = _parse_items(r, vocab, tok, "<eos>")
    r.take("<eos>")
    if r.i != len(tokens):
        raise ParseError(f"{len(tokens) - r.i} rows after <eos>")
    return elems


def _parse_items(r: _Reader, vocab: VocabSpec, tok, end: str) -> list[SeqElement]:
    """Elements up to `end` (`<eos>`, or `</page>` inside a page, where pages and looks cannot nest)."""
    top = end == "<eos>"
    names = {vocab.special(n): n for n in vocab.specials if n in ("<para>", "<image>", "<page>", "<look>")}
    elems: list[SeqElement] = []
    while r.peek() != vocab.special(end):
        name = names.get(r.peek())
        if name == "<para>":
            elems.append(_parse_text(r, vocab, tok))
        elif name == "<image>":
            elems.append(_parse_image(r, vocab))
        elif name == "<page>" and top:
            r.take("<page>")
            elems.append(SeqElement("page", children=_parse_items(r, vocab, tok, "</page>")))
            r.take("</page>")
        elif name == "<look>" and top:
            r.take("<look>")
            box = r.box()
            if box is None:
                raise ParseError(f"position {r.i}: a <look> needs its <box>")
            r.take("</look>")
            elems.append(SeqElement("look", box=box))
        else:
            want = "<para>, <image>, <page>, <look> or <eos>" if top else f"<para>, <image> or {end}"
            raise ParseError(f"position {r.i}: expected {want}, found {r._name()}")
    return elems


def _parse_text(r: _Reader, vocab: VocabSpec, tok) -> SeqElement:
    r.take("<para>")
    box = r.box()
    start = r.i
    while 0 <= r.peek() < vocab.text_vocab_size:
        r.i += 1
    r.take("</para>")
    ids = r.t[start : r.i - 1, 0].tolist()
    return SeqElement("text", text=tt.decode(tok, ids), box=box)


def _parse_image(r: _Reader, vocab: VocabSpec) -> SeqElement:
    r.take("<image>")
    box = r.box()
    r.take("<size>")
    w, h = r.size(), r.size()
    r.take("</size>")
    block = r.t[r.i : r.i + w * h]
    if len(block) != w * h:
        raise ParseError(f"position {r.i}: image of {w}x{h} needs {w * h} code rows, sequence has {len(block)}")
    codes = vocab.codes_from_rows(block)
    if ((codes < 0) | (codes >= vocab.K)).any():
        bad = int(np.nonzero(((codes < 0) | (codes >= vocab.K)).any(axis=1))[0][0])
        raise ParseError(f"position {r.i + bad}: row is not a code row of pools 0..{vocab.G - 1}")
    r.i += w * h
    r.take("</image>")
    return SeqElement("image", box=box, codes=codes.reshape(h, w, vocab.G))


# --------------------------------------------------------------------------- text spelling


_PAD = "<image_pad>"
_WITH_PAD_RUNS = re.compile(rf"(?:{re.escape(_PAD)})+|{SPECIAL_PATTERN.pattern}")  # a run of pads is one match


def tokenize_text(text: str, vocab: VocabSpec, tok, image_codes: list[np.ndarray]) -> np.ndarray:
    """Rebuild token rows from a serialized spelling, putting `image_codes` (in order) at the pads."""
    G, rows, pos, used = vocab.G, [], 0, 0
    flat = vocab.code_row(np.concatenate([c.reshape(-1, G) for c in image_codes])) if image_codes else np.zeros((0, G), np.int32)
    for m in _WITH_PAD_RUNS.finditer(text):
        if m.start() > pos:
            rows.append(_ids(tt.encode(tok, text[pos : m.start()]), G))
        name = m.group(0)
        if name.startswith(_PAD):
            n = len(name) // len(_PAD)
            if used + n > len(flat):
                raise ParseError(f"offset {m.start()}: more <image_pad> than image codes given")
            rows.append(flat[used : used + n])  # (n, G)
            used += n
        else:
            rows.append(_ids([vocab.special(name)], G))
        pos = m.end()
    if pos < len(text):
        rows.append(_ids(tt.encode(tok, text[pos:]), G))
    if used != len(flat):
        raise ParseError("fewer <image_pad> than image codes given")
    return np.concatenate(rows, axis=0).astype(np.int32)


def strip_boxes(elems: list[SeqElement]) -> list[SeqElement]:
    """Format A elements -> the Format B elements they imply (a look keeps its box: it is the action)."""
    return [
        SeqElement(e.kind, text=e.text, box=e.box if e.kind == "look" else None, codes=e.codes,
                   children=None if e.children is None else strip_boxes(e.children))
        for e in elems
    ]  # fmt: skip
