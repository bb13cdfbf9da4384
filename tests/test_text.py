import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsynth import config as C
from docsynth.doc import Document
from docsynth.steps import ShardContext
from docsynth.text import INVISIBLE, Normalize, normalize, truncate

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def run_step(texts, **source):
    cfg = C.PipelineConfig(source=C.SourceConfig(**source))
    ctx = ShardContext(shard=0, seed=0)
    docs = [Document("faker", f"d{i}", t) for i, t in enumerate(texts)]
    out = list(Normalize(cfg)(iter(docs), ctx))
    return out, ctx


# --------------------------------------------------------------------------- normalize


def test_nfc():
    paras, stats = normalize("Cafe\u0301 \u1100\u1161")  # e + combining acute; conjoining Hangul jamo
    assert paras == ["Café 가"] and stats["nfc_changed"]


def test_controls_removed_and_breaks_kept():
    assert normalize("a\x00b\x07c\x7f\x80d\x9fe")[0] == ["abcde"]
    assert normalize("tab\there")[0] == ["tab here"]
    assert normalize("one.\r\ntwo.\rthree.\x85four.\u2028five.")[0] == ["one.", "two.", "three.", "four.", "five."]
    assert normalize("page one.\x0cpage two.\u2029end")[0] == ["page one.", "page two.", "end"]


@pytest.mark.parametrize("ch", list(ZERO_WIDTH))
def test_zero_width_and_soft_hyphen_removed(ch):
    paras, stats = normalize(f"in{ch}visible")
    assert paras == ["invisible"] and stats["invisible_removed"] == 1


def test_whitespace_collapses():
    assert normalize("  a \u00a0\u3000 b\u2003c   ")[0] == ["a b c"]


def test_paragraph_splitting():
    text = (
        "A title\nThe first paragraph starts here and it is\nwrapped over two lines.\n"
        "Another paragraph.\n\n\n  \nAfter blank lines.\n- a list item\n- another"
    )
    paras, stats = normalize(text)
    assert paras == [
        "A title",
        "The first paragraph starts here and it is wrapped over two lines.",
        "Another paragraph.",
        "After blank lines.",
        "- a list item",
        "- another",
    ]
    assert stats["soft_breaks_joined"] == 1 and stats["paragraphs"] == 6


def test_cjk_lines_are_not_joined():
    assert normalize("東京都は日本の首都です\nひらがな")[0] == ["東京都は日本の首都です", "ひらがな"]


def test_truncate_at_paragraph_boundary():
    paras = ["a" * 10, "b" * 10, "c" * 10]
    assert truncate(paras, 22) == paras[:2]  # 10 + 2 + 10
    assert truncate(paras, 21) == paras[:1]
    assert truncate(["word " * 10], 12) == ["word word"]
    assert truncate(["x" * 100], 7) == []  # cutting the word would invent one: Normalize drops it
    assert truncate(["中文" * 10], 5) == ["中文中文中"]  # scripts without spaces break between characters


# --------------------------------------------------------------------------- properties

MESSY = st.text(
    alphabet=st.sampled_from(list("ab Zé.\n\t\r\x00\x1f\x85\x9f\u2028\u2029\u0301\u00a0\u3000東") + list(INVISIBLE[:12])),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), MESSY))
def test_normalize_is_idempotent(text):
    paras, _ = normalize(text)
    assert normalize("\n\n".join(paras))[0] == paras


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), MESSY))
def test_output_is_clean(text):
    for p in normalize(text)[0]:
        assert p and p == p.strip() and "  " not in p and "\n" not in p
        assert unicodedata.is_normalized("NFC", p)
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in p)
        assert not any(c in ZERO_WIDTH for c in p)


# --------------------------------------------------------------------------- the step


@pytest.mark.parametrize("text", ["", "   \n\t \u3000 ", "\x00\x01\x1f\x7f", "\u200b\ufeff\u00ad", "\n\n\n"])
def test_empty_text_is_dropped(text):
    out, ctx = run_step([text])
    assert out == [] and [d.reason for d in ctx.drops] == ["empty_text"]
    assert ctx.drops[0].step == "normalize" and ctx.drops[0].docid == "d0"


@pytest.mark.parametrize(
    "text, cp",
    [("abc אבג", "U+05D0"), ("Hello مرحبا", "U+0645"), ("value ٣", "U+0663"), ("x\u200fy ok", None)],
)
def test_rtl_text_is_dropped_naming_the_code_point(text, cp):
    out, ctx = run_step([text])
    if cp is None:  # a stray right-to-left mark is an invisible control: removed, not a reason to drop
        assert [d.paragraphs for d in out] == [["xy ok"]]
        return
    assert out == [] and ctx.drops[0].reason == "rtl_text"
    assert cp in ctx.drops[0].detail


@pytest.mark.parametrize("token", ["<para>", "</box>", "<image_pad>", "<size12>", "<size>", "<bos>"])
def test_reserved_token_is_dropped(token):
    out, ctx = run_step([f"Text that spells {token} in the middle."])
    assert out == [] and ctx.drops[0].reason == "reserved_token" and token in ctx.drops[0].detail


def test_lookalikes_are_not_reserved():
    out, ctx = run_step(["a < b and <sizes> or <para > or <p>", "<pa\u200bra>"])
    assert len(out) == 1 and [d.reason for d in ctx.drops] == ["reserved_token"]  # the zero-width split is seen through


def test_step_fills_paragraphs_and_meta():
    out, ctx = run_step(["First line.\nSecond para\u200b.\n\nThird."])
    (doc,) = out
    assert doc.paragraphs == ["First line.", "Second para.", "Third."]
    assert doc.meta["normalize"]["invisible_removed"] == 1 and doc.meta["normalize"]["paragraphs"] == 3
    assert ctx.drops == [] and ctx.timings["normalize"] > 0


def test_long_documents_are_cut_not_dropped():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(50))
    out, ctx = run_step([text], max_chars=1000)
    (doc,) = out
    assert ctx.drops == []
    assert len("\n\n".join(doc.paragraphs)) <= 1000 and doc.paragraphs[0].startswith("Paragraph 0")
    cut = doc.meta["normalize"]["truncated"]
    assert cut["paragraphs"] == 50 and cut["kept_paragraphs"] == len(doc.paragraphs) < 50


@pytest.mark.parametrize("text, char", [("नमस्ते दुनिया", "U+0928"), ("ภาษาไทย", "U+0E20"), ("ខ្មែរ", "U+1781")])
def test_scripts_that_need_shaping_are_dropped(text, char):
    from docsynth import config as C
    from docsynth.doc import Document
    from docsynth.text import Normalize

    problem = Normalize(C.PipelineConfig()).apply(Document("path", "d", "Intro. " + text))
    assert problem[0] == "complex_script" and char in problem[1]


def test_precomposed_hangul_is_kept():
    from docsynth import config as C
    from docsynth.doc import Document
    from docsynth.text import Normalize

    assert Normalize(C.PipelineConfig()).apply(Document("path", "d", "안녕하세요 세계")) is None
