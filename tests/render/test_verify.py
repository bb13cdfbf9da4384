"""Matching ground-truth words against extracted words."""

from docsynth.render.verify import Verdict, iou, match_words

BOX = (10.0, 10.0, 50.0, 22.0)


def _found(text, box=BOX):
    return (*box, text, 0, 0, 0)


def test_iou():
    assert iou(BOX, BOX) == 1.0
    assert iou(BOX, (50.0, 10.0, 60.0, 22.0)) == 0.0
    assert abs(iou((0, 0, 2, 1), (1, 0, 3, 1)) - 1 / 3) < 1e-9


def test_exact_words_match_once_each():
    v = match_words([("a", BOX, None), ("a", BOX, None)], [_found("a")])
    assert (v.total, v.matched) == (2, 1) and "'a'" in v.first_mismatch


def test_moved_or_changed_words_do_not_match():
    moved = (30.0, 10.0, 70.0, 22.0)  # IoU 1/3
    assert match_words([("word", BOX, None)], [_found("word", moved)]).matched == 0
    v = match_words([("word", BOX, None)], [_found("ward")])
    assert v.matched == 0 and "extracted 'ward'" in v.first_mismatch and "IoU 1.00" in v.first_mismatch


def test_compatibility_ideographs_compare_equal():
    assert match_words([("不行", BOX, None)], [_found("\uf967行")]).matched == 1


def test_shared_glyphs_match_through_the_font():
    def same(ref, a, b):  # font "f" draws U+2011 with the glyph of "-"
        return ref == "f" and a.replace("\u2011", "-") == b.replace("\u2011", "-")

    assert match_words([("1976-08", BOX, "f")], [_found("1976\u201108")], same).matched == 1
    assert match_words([("1976-08", BOX, "g")], [_found("1976\u201108")], same).matched == 0


def test_verdict_detail_names_the_page_and_fraction():
    v = Verdict(total=240, matched=218, first_mismatch="'x' at [..]")
    assert v.detail(2) == "page 2: 90.8% of 240 words matched (first mismatch: 'x' at [..])"
    assert Verdict(0, 0, None).fraction == 1.0
