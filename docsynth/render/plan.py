"""From a document's paragraphs to styled, line-set blocks: the checks that reject bad input and the font choice."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from docsynth.config import LayoutConfig
from docsynth.render.figures import FIGURES
from docsynth.render.layout import FigureBlock, TextBlock, set_paragraph
from docsynth.render.metrics import metrics_for
from docsynth.render.segment import Piece, pieces
from docsynth.render.style import DocStyle, ParaStyle, draw_doc_style, draw_para_look, uniform

# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and their presentation forms; RTL historic scripts.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdcf\ufdf0-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]")


class Rejected(Exception):
    """A document this step cannot render: `reason` is the drop code, `detail` names the input."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass
class DocPlan:
    style: DocStyle
    family: str  # the body family
    blocks: list[TextBlock | FigureBlock]


def describe_cp(cp: int) -> str:
    return f"U+{cp:04X} ({chr(cp)!r})"


def check_text(paragraphs: list[str], max_word_chars: int) -> list[list[Piece]]:
    """The break units of every paragraph, or `Rejected` for right-to-left text and overlong words."""
    out = []
    for i, p in enumerate(paragraphs):
        m = _RTL.search(p)
        if m:
            raise Rejected("rtl_text", f"{describe_cp(ord(m.group()))} in paragraph {i}: right-to-left scripts are not laid out")
        out.append(pieces(p))
        for pc in out[-1]:
            if len(pc.text) > max_word_chars:
                raise Rejected("word_too_long", f"a {len(pc.text)}-character word in paragraph {i} "
                               f"(max_word_chars={max_word_chars}), starting {pc.text[:20]!r}")  # fmt: skip
    return out


def _first_of(text: str, cps: list[int]) -> int:
    wanted = set(cps)
    return next(ord(c) for c in text if ord(c) in wanted)


def uncovered_detail(pool, text: str, i: int, body) -> str:
    cps = pool.uncovered(text)
    if cps:
        return f"{describe_cp(_first_of(text, cps))} in paragraph {i}: no font in the pool covers it"
    missing = pool.missing(body, text) if body is not None else []
    first = f"; {body.family} lacks {describe_cp(_first_of(text, missing))}" if missing else ""
    return f"no single font covers all of paragraph {i}{first}"


def charset(text: str) -> str:
    """The distinct characters of text, sorted: all that coverage depends on, and far shorter."""
    return "".join(sorted(set(text)))


def pick_body(rng: np.random.Generator, pool, charsets: list[str]):
    """A face covering the whole document when one exists, else the first paragraph that has one."""
    face = pool.pick(rng, charset("".join(charsets)))
    for cs in charsets if face is None else ():
        face = pool.pick(rng, cs)
        if face is not None:
            break
    return face


def plan_document(paragraphs: list[str], cfg: LayoutConfig, pool, rng: np.random.Generator) -> DocPlan:
    units = check_text(paragraphs, cfg.max_word_chars)
    style = draw_doc_style(rng, cfg)
    charsets = [charset(p) for p in paragraphs]
    body = pick_body(rng, pool, charsets)
    family = body.family if body is not None else None
    blocks: list[TextBlock | FigureBlock] = []
    kinds = sorted(FIGURES)
    for i, text in enumerate(paragraphs):
        if not units[i]:  # whitespace only: nothing to set (the normalizer removes these)
            continue
        if rng.random() < cfg.figure_prob:
            kind = kinds[int(rng.integers(len(kinds)))]
            blocks.append(FigureBlock(kind, uniform(rng, (0.55, 1.0)), uniform(rng, (0.45, 0.85)), stream=i))
        look = draw_para_look(rng, cfg, style, len(text), len(units[i]))
        face = pool.pick(rng, charsets[i], bold=look["bold"], italic=look["italic"], family=family)
        if face is None:
            raise Rejected("uncovered_codepoint", uncovered_detail(pool, text, i, body))
        pst = ParaStyle(look["kind"], face, look["size"], look["color"], look["align"], look["line_spacing"])
        blocks.append(TextBlock(i, pst, set_paragraph(units[i], pst, metrics_for(face, pool), style.column_width)))
    if not any(isinstance(b, TextBlock) for b in blocks):
        raise Rejected("empty_text", "no paragraph has visible text")
    return DocPlan(style, family, blocks)
