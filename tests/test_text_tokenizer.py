from hypothesis import given, settings
from hypothesis import strategies as st

from docsynth import text_tokenizer as tt


def test_shipped_tokenizer_loads_offline():
    tok = tt.load()
    assert tok.get_vocab_size() == 16384
    assert len(tt.sha256()) == 64
    ids = tt.encode(tok, "Hello, world! Привет, мир! Γειά σου! 你好，世界！")
    assert ids and max(ids) < tok.get_vocab_size()


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_byte_level_round_trip(text):
    tok = tt.load()
    assert tt.decode(tok, tt.encode(tok, text)) == text


def test_batch_encoding_matches_single():
    tok = tt.load()
    texts = ["one", "", "  leading spaces", "三つ目"]
    assert tt.encode_many(tok, texts) == [tt.encode(tok, t) for t in texts]


def test_missing_file_is_named(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="nope.json"):
        tt.load(str(tmp_path / "nope.json"))
