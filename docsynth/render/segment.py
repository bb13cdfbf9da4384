"""Break units and line breaking.

A paragraph becomes a list of *pieces*: the unbreakable units of line breaking. Latin,
Cyrillic or Greek words are one piece each. Scripts written without spaces (CJK, Thai, Lao,
Khmer, Myanmar) break between characters, so each of their characters is a piece glued to its
neighbours (`space=False`), with the usual Japanese/Chinese rules that keep closing punctuation
off the start of a line and opening punctuation off its end.

On a finished line, glued pieces form one *word*: a maximal run without a space, which is
what `page.get_text("words")` returns for the same line (it splits at spaces only), so the
ground truth and the verification agree on word units for every script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_BREAKABLE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f"
    "\u3190-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
_UNITS = re.compile(f"{_BREAKABLE.pattern}|(?:(?!{_BREAKABLE.pattern}).)+")  # one breakable character, or a run of others
NO_START = frozenset("、。，．・：；！？）」』】〕〉》〙〗｝］ー々ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ,.:;!?)]}%…‥”’")
NO_END = frozenset("（「『【〔〈《〘〖｛［([{“‘")
EPS = 1e-6


@dataclass
class Piece:
    text: str
    space: bool  # a space precedes it in the source (False: glued to the previous piece)


@dataclass
class Item:
    """A piece set on a line, with its width in points."""

    text: str
    space: bool
    width: float


def is_mark(c: str) -> bool:
    return unicodedata.category(c)[0] == "M"


def split_chunk(chunk: str) -> list[str]:
    """A space-free chunk cut at its break opportunities: around every breakable character, except
    before closing punctuation or a combining mark and after opening punctuation."""
    if _BREAKABLE.search(chunk) is None:
        return [chunk]
    parts: list[str] = []
    for tok in _UNITS.findall(chunk):
        if parts and (tok[0] in NO_START or parts[-1][-1] in NO_END or is_mark(tok[0])):
            parts[-1] += tok
        else:
            parts.append(tok)
    return parts


def pieces(paragraph: str) -> list[Piece]:
    if _BREAKABLE.search(paragraph) is None:  # the common case: one piece per word
        return [Piece(w, n > 0) for n, w in enumerate(paragraph.split())]
    out: list[Piece] = []
    for n, chunk in enumerate(paragraph.split()):
        for k, part in enumerate(split_chunk(chunk)):
            out.append(Piece(part, space=(n > 0 and k == 0)))
    return out


def fit_prefix(text: str, char_width: Callable[[str], float], max_w: float) -> int:
    """Length of the longest prefix (>= 1 character) within `max_w`, never cutting before a mark."""
    w, k = 0.0, 0
    while k < len(text) and w + char_width(text[k]) <= max_w + EPS:
        w += char_width(text[k])
        k += 1
    k = max(k, 1)
    while 1 < k < len(text) and is_mark(text[k]):
        k -= 1
    return k


def break_lines(pcs: list[Piece], width: Callable[[str], float], char_width: Callable[[str], float],
                space_w: float, max_w: float) -> list[list[Item]]:  # fmt: skip
    """Greedy first-fit line breaking; a piece wider than a whole line is cut at characters."""
    lines: list[list[Item]] = []
    cur: list[Item] = []
    cur_w = 0.0
    for pc in pcs:
        text, space, w = pc.text, pc.space, width(pc.text)
        while True:
            gap = space_w if (cur and space) else 0.0
            if cur and cur_w + gap + w <= max_w + EPS:
                cur.append(Item(text, space, w))
                cur_w += gap + w
                break
            if cur:
                lines.append(cur)
                cur, cur_w = [], 0.0
            if w <= max_w + EPS:
                cur, cur_w = [Item(text, space, w)], w
                break
            k = fit_prefix(text, char_width, max_w)
            lines.append([Item(text[:k], space, width(text[:k]))])
            text, space = text[k:], False
            w = width(text)
    if cur:
        lines.append(cur)
    return lines


def natural_offsets(items: list[Item], space_w: float) -> list[float]:
    """Start offset of each item on its line, with one space of `space_w` points where the source has one."""
    offs, x = [], 0.0
    for i, it in enumerate(items):
        if i and it.space:
            x += space_w
        offs.append(x)
        x += it.width
    return offs


def words_at(items: list[Item], offs: list[float]) -> list[tuple[str, float, float]]:
    """Glued items merged into words: (text, start, end) in points."""
    words: list[tuple[str, float, float]] = []
    for i, (it, x) in enumerate(zip(items, offs)):
        if i and not it.space:
            text, x0, _ = words[-1]
            words[-1] = (text + it.text, x0, x + it.width)
        else:
            words.append((it.text, x, x + it.width))
    return words
