import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docsynth.doc import Element, Page
from docsynth.formats import (
    ParseError,
    ReservedTokenError,
    SeqElement,
    page_elements,
    parse,
    serialize,
    strip_boxes,
    tokenize_text,
)
from docsynth.vocab import VocabSpec

G, K = 3, 8


@pytest.fixture(scope="module")
def vocab(small_tokenizer):
    return VocabSpec(text_vocab_size=small_tokenizer.get_vocab_size(), num_sizes=1000, coord_bins=1000, G=G, K=K)


texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40).filter(lambda t: "<" not in t)
boxes = st.tuples(*[st.integers(0, 999)] * 4)


@st.composite
def images(draw, with_box):
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    codes = np.array(draw(st.lists(st.integers(0, K - 1), min_size=h * w * G, max_size=h * w * G)), dtype=np.int32)
    return SeqElement("image", box=draw(boxes) if with_box else None, codes=codes.reshape(h, w, G))


@st.composite
def sequences(draw):
    with_box = draw(st.booleans())
    text_el = st.builds(lambda t, b: SeqElement("text", text=t, box=b if with_box else None), texts, boxes)
    return draw(st.lists(st.one_of(text_el, images(with_box)), max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(elems=sequences())
def test_parse_inverts_serialize(vocab, small_tokenizer, elems):
    text, tokens = serialize(elems, vocab, small_tokenizer)
    assert tokens.dtype == np.int32 and tokens.shape[1] == G
    assert parse(tokens, vocab, small_tokenizer) == elems
    # the text spelling plus the codes gives exactly the rows
    codes = [e.codes for e in elems if e.kind == "image"]
    assert np.array_equal(tokenize_text(text, vocab, small_tokenizer, codes), tokens)
    assert text.count("<image_pad>") == sum(c.shape[0] * c.shape[1] for c in codes)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(elems=sequences())
def test_format_b_is_a_without_boxes(vocab, small_tokenizer, elems):
    b_elems = strip_boxes(elems)
    text_b, tokens_b = serialize(b_elems, vocab, small_tokenizer)
    assert "<box>" not in text_b
    assert parse(tokens_b, vocab, small_tokenizer) == b_elems


def test_rows_follow_design(vocab, small_tokenizer):
    codes = np.arange(2 * 1 * G, dtype=np.int32).reshape(2, 1, G) % K
    elems = [SeqElement("text", text="Hi", box=(1, 2, 3, 4)), SeqElement("image", codes=codes)]
    text, tokens = serialize(elems, vocab, small_tokenizer)
    assert text.startswith("<bos><para><box><size1><size2><size3><size4></box>Hi</para><image><size><size1><size2></size>")
    assert text.endswith("<image_pad><image_pad></image><eos>")
    sp = vocab.special
    assert (tokens[0] == sp("<bos>")).all() and (tokens[-1] == sp("<eos>")).all()
    pads = tokens[-4:-2]  # the two patch rows before </image><eos>
    for r, (row, c) in enumerate(zip(pads, codes.reshape(-1, G))):
        assert row.tolist() == [vocab.code_base + g * K + int(c[g]) for g in range(G)]


def test_page_elements_directions(vocab):
    page = Page("faker", "d1", 0, 600.0, 800.0, codes=np.zeros((2, 2, G), np.int32))
    page.elements = [Element("para", (60, 80, 300, 100), text="a"), Element("figure", (0, 0, 600, 800), codes=np.ones((1, 1, G), np.int32))]
    read = page_elements(page, "A", "read", 1000)
    write = page_elements(page, "B", "write", 1000)
    assert read[0].kind == "image" and read[0].box is None and read[1].box == (100, 100, 500, 125)
    assert read[2].box == (0, 0, 999, 999)
    assert write[-1].kind == "image" and all(e.box is None for e in write)


def test_reserved_tokens_in_text_are_refused(vocab, small_tokenizer):
    with pytest.raises(ReservedTokenError, match="<para>"):
        serialize([SeqElement("text", text="a <para> b")], vocab, small_tokenizer)


@pytest.mark.parametrize("cut", [1, 3, -1, -2])
def test_malformed_sequences_name_the_position(vocab, small_tokenizer, cut):
    elems = [SeqElement("text", text="Hello", box=(1, 2, 3, 4)), SeqElement("image", codes=np.zeros((2, 2, G), np.int32))]
    _, tokens = serialize(elems, vocab, small_tokenizer)
    broken = np.delete(tokens, cut if cut >= 0 else len(tokens) + cut, axis=0)
    with pytest.raises(ParseError, match="position|rows|ends early"):
        parse(broken, vocab, small_tokenizer)


def test_mixed_row_is_not_a_code_row(vocab, small_tokenizer):
    _, tokens = serialize([SeqElement("image", codes=np.zeros((1, 2, G), np.int32))], vocab, small_tokenizer)
    bad = tokens.copy()
    bad[6, 1] = bad[6, 0]  # pool 1 holds a pool-0 id
    with pytest.raises(ParseError, match="code row"):
        parse(bad, vocab, small_tokenizer)
