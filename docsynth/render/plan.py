"""From a document's paragraphs to styled, line-set blocks: the checks that reject bad input and the font choice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from docsynth.config import LayoutConfig
from docsynth.render.figures import FIGURES
from docsynth.render import structure as S
from docsynth.render.layout import Block, FigureBlock, TextBlock, set_paragraph
from docsynth.render.metrics import metrics_for
from docsynth.render.segment import Piece, pieces
from docsynth.render.style import DocStyle, ParaStyle, draw_doc_style, draw_para_look, uniform

ABSTRACT_INSET = 0.08  # a spanning abstract is indented by this share of the text width on both sides

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
    blocks: list[Block]
    heads: S.Heads | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # structures drawn but not made (no face covers them, too wide)


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


def plan_document(paragraphs: list[str], cfg: LayoutConfig, pool, rng: np.random.Generator, locale: str | None = None) -> DocPlan:
    units = check_text(paragraphs, cfg.max_word_chars)
    style = draw_doc_style(rng, cfg)
    charsets = [charset(p) for p in paragraphs]
    body = pick_body(rng, pool, charsets)
    family = body.family if body is not None else None
    kit = S.make_kit(style, family, pool, paragraphs, locale)
    plan = DocPlan(style, family, [])
    blocks = plan.blocks
    kinds = sorted(FIGURES)
    numbers = {"figure": 0, "table": 0, "footnote": 0}
    multi, band = style.columns > 1, None

    def made(kind: str, block) -> bool:
        if block is None:
            plan.skipped[kind] = plan.skipped.get(kind, 0) + 1
        return block is not None

    def captioned(block, what: str):
        """The figure or table, numbered and captioned with probability caption_prob."""
        if rng.random() < cfg.caption_prob:
            cap = S.caption(kit, rng, what, numbers[what] + 1, style.text_width if block.span else None)
            if made("caption", cap):
                numbers[what] += 1
                block.caption, block.number = cap, numbers[what]
        return block

    for i, text in enumerate(paragraphs):
        if not units[i]:  # whitespace only: nothing to set (the normalizer removes these)
            continue
        if rng.random() < cfg.figure_prob:
            kind = kinds[int(rng.integers(len(kinds)))]
            span = multi and rng.random() < cfg.span_float_prob
            fig = FigureBlock(kind, uniform(rng, (0.45, 0.8) if span else (0.55, 1.0)), uniform(rng, (0.3, 0.55) if span else (0.45, 0.85)), stream=i, span=span)
            blocks.append(captioned(fig, "figure"))
        structured = i > 0 and blocks
        if structured and rng.random() < cfg.table_prob:
            span = multi and rng.random() < cfg.span_float_prob
            table = S.table_block(kit, rng, style.text_width if span else None)
            if made("table", table):
                table.span = span
                blocks.append(captioned(table, "table"))
        if structured and rng.random() < cfg.code_prob:
            code = S.code_block(kit, rng, i)
            if made("code", code):
                blocks.append(code)
        if structured and rng.random() < cfg.list_prob:
            items = S.list_blocks(kit, rng, text, i)
            if made("list", items):
                blocks.extend(items)
                continue
        extra = {}
        if structured and rng.random() < cfg.inline_math_prob and " " in text:
            formula = S.inline_math(rng)  # the text layer of a typeset paper spells inline math so
            inline = f"{text} {formula}"
            if pool.pick(rng, charset(inline), family=family) is not None:
                text, units[i], charsets[i], extra = inline, pieces(inline), charset(inline), {"inline_math": formula}
            else:
                plan.skipped["inline_math"] = plan.skipped.get("inline_math", 0) + 1
        footnote = None
        if structured and rng.random() < cfg.footnote_prob and len(text.split(" ")) >= 8:
            numbers["footnote"] += 1
            mark = S.footnote_marker(numbers["footnote"])
            words = text.split(" ")
            cut = 5 + int(rng.integers(len(words) - 6))
            marked = " ".join(words[: cut + 1]) + mark + (" " + " ".join(words[cut + 1 :]) if cut + 1 < len(words) else "")
            footnote = S.footnote(kit, rng, mark, i)
            if made("footnote", footnote) and pool.pick(rng, charset(marked), family=family) is not None:
                text, units[i], charsets[i] = marked, pieces(marked), charset(marked)
                extra["footnote"] = mark
            else:
                footnote, numbers["footnote"] = None, numbers["footnote"] - 1
        look = draw_para_look(rng, cfg, style, len(text), len(units[i]))
        face = pool.pick(rng, charsets[i], bold=look["bold"], italic=look["italic"], family=family)
        if face is None:
            raise Rejected("uncovered_codepoint", uncovered_detail(pool, text, i, body))
        if i == 0 and look["kind"] == "heading" and multi and rng.random() < cfg.span_title_prob:
            band = "title"  # the title, and the next paragraph as its abstract, across all columns
            look.update(align="center", size=round(look["size"] * 1.25, 1))
        elif band == "title" and i == 1 and look["kind"] == "para":
            band = "abstract"
            look.update(size=round(style.size * 0.92, 1), align="justify")
        else:
            band = None
        pst = ParaStyle(look["kind"], face, look["size"], look["color"], look["align"], look["line_spacing"])
        if band is None:
            blocks.append(TextBlock(i, pst, set_paragraph(units[i], pst, metrics_for(face, pool), style.column_width), attrs=extra))
        else:
            inset = ABSTRACT_INSET * style.text_width if band == "abstract" else 0.0
            lines = set_paragraph(units[i], pst, metrics_for(face, pool), style.text_width - 2 * inset)
            blocks.append(TextBlock(i, pst, lines, indent=inset, span=True, attrs={band: True, **extra}))
        if footnote is not None:
            blocks.append(footnote)
        if structured and rng.random() < cfg.math_prob:
            formula = S.math_block(kit, rng)
            if made("math", formula):
                blocks.append(formula)
    if not any(isinstance(b, TextBlock) and b.style.kind in ("para", "heading", "list") for b in blocks):
        raise Rejected("empty_text", "no paragraph has visible text")
    title = next((b for b in blocks if isinstance(b, TextBlock) and b.style.kind == "heading"), None)
    heads = S.plan_heads(kit, rng, cfg.running_head_prob, cfg.page_number_prob, paragraphs[title.index] if title else "")
    plan.heads = heads if (heads.head or heads.number_format) else None
    return plan
