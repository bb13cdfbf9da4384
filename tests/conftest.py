import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def small_tokenizer(tmp_path_factory):
    """A tiny byte-level BPE trained on the spot (the format tests must not depend on the shipped one)."""
    from docsynth import text_tokenizer as tt

    texts = ["The quick brown fox jumps over the lazy dog. Съешь же ещё этих мягких булок. Γειά σου κόσμε. 你好世界"] * 50
    return tt.train_bpe(texts, 400, tmp_path_factory.mktemp("tok") / "tok.json")
