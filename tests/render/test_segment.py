"""Break units and line breaking."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsynth.render.segment import Item, break_lines, fit_prefix, natural_offsets, pieces, split_chunk, words_at


def test_latin_words_are_single_pieces():
    assert [(p.text, p.space) for p in pieces("Hello, big  world")] == [("Hello,", False), ("big", True), ("world", True)]


def test_cjk_breaks_between_characters_but_not_before_closing_punctuation():
    assert split_chunk("今日は良い。") == ["今", "日", "は", "良", "い。"]
    assert split_chunk("「東京」へ") == ["「東", "京」", "へ"]
    assert split_chunk("東京Tower") == ["東", "京", "Tower"]  # a Latin run stays whole


def test_combining_marks_stay_with_their_base():
    parts = split_chunk("กินข้าว")  # Thai: vowel and tone marks follow their consonant
    assert "".join(parts) == "กินข้าว"
    assert all(not p[0] in "\u0e34\u0e49" for p in parts)


def test_glued_pieces_carry_no_space():
    pcs = pieces("ab 今日 cd")
    assert [(p.text, p.space) for p in pcs] == [("ab", False), ("今", True), ("日", False), ("cd", True)]


def test_fit_prefix_never_cuts_before_a_mark():
    width = {"a": 1.0, "\u0301": 0.0, "b": 1.0}.get
    assert fit_prefix("aa\u0301b", width, 1.5) == 1
    assert fit_prefix("a\u0301ab", width, 1.5) == 2  # "á" fits (the mark has no width)
    assert fit_prefix("bbb", width, 0.1) == 1  # at least one character


def _unit_widths(s: str) -> float:
    return float(len(s))


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=30), min_size=1, max_size=40),
       width=st.integers(min_value=3, max_value=40))  # fmt: skip
def test_break_lines_fits_and_keeps_the_text(words, width):
    pcs = pieces(" ".join(words))
    lines = break_lines(pcs, _unit_widths, lambda c: 1.0, 1.0, float(width))
    for items in lines:
        offs = natural_offsets(items, 1.0)
        assert offs[-1] + items[-1].width <= width + 1e-6
    rejoined = "".join((" " if (k and it.space) else "") + it.text for k, it in enumerate(x for ln in lines for x in ln))
    assert rejoined == " ".join(words)


def test_words_merge_glued_items_with_their_extent():
    items = [Item("今", False, 10.0), Item("日", False, 10.0), Item("ok", True, 8.0)]
    assert words_at(items, natural_offsets(items, 3.0)) == [("今日", 0.0, 20.0), ("ok", 23.0, 31.0)]


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_text_has_no_pieces(text):
    assert pieces(text) == []
