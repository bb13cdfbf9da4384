import numpy as np
import pytest

from docsynth import schemas
from docsynth.coords import denormalize_box, from_bin, normalize_box, to_bin
from docsynth.vocab import SPECIALS, VocabSpec


def spec(**kw):
    args = dict(text_vocab_size=100, num_sizes=1000, coord_bins=1000, G=4, K=16)
    args.update(kw)
    return VocabSpec(**args)


def test_layout_matches_design():
    v = spec()
    assert v.special("<bos>") == 100
    assert v.special("<image_pad>") == 100 + SPECIALS.index("<image_pad>") and v.special("</look>") == 100 + len(SPECIALS) - 1
    assert v.size_id(0) == 100 + len(SPECIALS) and v.size_id(999) == v.code_base - 1
    assert v.code_base == 100 + len(SPECIALS) + 1000
    assert v.size == v.code_base + 4 * 16
    rows = v.code_row(np.array([[0, 1, 2, 15]]))
    assert rows.tolist() == [[v.code_base + 0, v.code_base + 16 + 1, v.code_base + 32 + 2, v.code_base + 48 + 15]]
    assert np.array_equal(v.codes_from_rows(rows), [[0, 1, 2, 15]])


def test_json_round_trip_and_schema(tmp_path):
    v = spec(tokenizer="x", tokenizer_sha256="0" * 64)
    assert schemas.errors("vocab", v.to_json()) == []
    v.save(tmp_path / "vocab.json")
    assert VocabSpec.load(tmp_path) == v


def test_rejects_inconsistent_json():
    d = spec().to_json()
    d["vocab_size"] += 1
    with pytest.raises(ValueError, match="vocab_size"):
        VocabSpec.from_json(d)
    with pytest.raises(ValueError, match="num_sizes"):
        spec(num_sizes=10)


def test_special_pattern_finds_every_special_but_not_lookalikes():
    v = spec()
    for name in v.special_names[:20]:
        assert v.special_pattern.fullmatch(name)
    for text in ["<b>", "< para>", "<sizex>", "</bos>", "<paragraph>"]:
        assert not v.special_pattern.fullmatch(text), text


def test_bins_follow_design():
    assert to_bin(0, 612, 1000) == 0
    assert to_bin(612, 612, 1000) == 999  # the far corner clamps
    assert to_bin(306, 612, 1000) == 500
    assert to_bin(-3, 612, 1000) == 0
    assert from_bin(0, 1000, 1000) == 0.5
    box = [10.0, 20.0, 300.0, 400.0]
    back = denormalize_box(normalize_box(box, 612, 792, 1000), 612, 792, 1000)
    assert all(abs(a - b) <= 0.792 / 2 + 1e-9 for a, b in zip(box, back))
