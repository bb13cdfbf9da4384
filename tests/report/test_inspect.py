import json
import re

import numpy as np
import pytest
from PIL import Image

from docsynth.corpus import Corpus
from docsynth.report.draw import PAD, header_height, inspect_size, page_boxes, scaled, type_color
from docsynth.report.sequence import compact_sequence


@pytest.fixture(scope="module")
def sample(corpus):
    return next(Corpus(corpus).samples(max_samples=2))


def _edge_colour_found(fig: np.ndarray, origin: tuple[int, int], box, px: float, colour) -> bool:
    """Is the type colour drawn on the box's left edge, around its vertical middle?"""
    x = origin[0] + box[0] * px
    y = origin[1] + (box[1] + box[3]) / 2 * px
    win = fig[int(y) - 1 : int(y) + 2, int(x) - 2 : int(x) + 3].reshape(-1, 3).astype(int)
    return bool((np.abs(win - np.array(colour)).max(axis=1) <= 3).any())


@pytest.mark.parametrize("level", ["para", "line", "word"])
def test_figure_has_expected_size_boxes_and_reconstruction(corpus, sample, cli, tmp_path, level):
    out, scale = tmp_path / f"{level}.png", 1.5
    rc, _, err = cli("inspect", corpus, "--key", sample.key, "--out", out, "--level", level, "--scale", scale)
    assert rc == 0, err
    fig = np.asarray(Image.open(out).convert("RGB"))
    H, W = sample.image().shape[:2]
    assert (fig.shape[1], fig.shape[0]) == inspect_size(W, H, scale, panels=2)
    origin, px = (PAD, header_height(scale)), W * scale / sample.meta["width"]
    boxes = page_boxes(sample.meta, level)
    assert boxes and len(boxes) >= len(sample.meta["elements"])
    drawn = [_edge_colour_found(fig, origin, b, px, type_color(kind)) for kind, _, b in boxes if b[2] - b[0] > 4]
    assert sum(drawn) >= 0.9 * len(drawn), f"{sum(drawn)}/{len(drawn)} {level} boxes found in the figure"
    # the right panel is the page decoded from codes.npy, scaled the same way
    recon = Corpus(corpus).vision_tokenizer().decode(sample.codes())[:H, :W]
    expected = np.asarray(scaled(recon, scale))
    x1 = PAD + expected.shape[1] + PAD
    panel = fig[origin[1] : origin[1] + expected.shape[0], x1 : x1 + expected.shape[1]]
    np.testing.assert_array_equal(panel, expected)


def test_no_recon_draws_one_panel(corpus, sample, cli, tmp_path):
    out = tmp_path / "page.png"
    rc, _, err = cli("inspect", corpus, "--key", sample.key, "--out", out, "--no-recon", "--scale", "1")
    assert rc == 0, err
    H, W = sample.image().shape[:2]
    assert Image.open(out).size == inspect_size(W, H, 1.0, panels=1)


def test_format_a_prints_compact_image_run_and_text(corpus, sample, cli):
    rc, out, err = cli("inspect", corpus, "--key", sample.key, "--format", "A")
    assert rc == 0, err
    w, h = sample.meta["grid"]
    assert f"<image_pad>×{w * h}</image>" in out
    assert "<image_pad><image_pad>" not in out
    for el in sample.meta["elements"]:
        if el["text"]:
            assert f"</box>{el['text']}</para>" in out
    assert out.count("<box>") == len(sample.meta["elements"])  # every element, figures included, has a box
    lines = out.splitlines()
    assert lines[0].startswith(f"# {sample.key} · Format A")
    assert lines[1] == "<bos>" and lines[-1] == "<eos>"


def test_format_b_has_no_boxes(corpus, sample, cli):
    rc, out, _ = cli("inspect", corpus, "--key", sample.key, "--format", "B")
    assert rc == 0
    assert "<box>" not in out and "<image_pad>×" in out


def test_bad_key_names_the_key_and_lists_existing_ones(corpus, sample, cli, tmp_path):
    rc, out, err = cli("inspect", corpus, "--key", "faker_nosuchdoc_0000", "--out", tmp_path / "x.png")
    assert rc == 2 and out == ""
    assert "faker_nosuchdoc_0000" in err and sample.key in err and "keys look like" in err
    assert not (tmp_path / "x.png").exists()


def test_not_a_corpus_and_nothing_to_do(cli, corpus, tmp_path):
    rc, _, err = cli("inspect", tmp_path, "--out", tmp_path / "x.png")
    assert rc == 2 and "not a finished docsynth corpus" in err
    rc, _, err = cli("inspect", corpus)
    assert rc == 2 and "--out" in err and "--format" in err


def test_first_sample_is_the_default_key(corpus, sample, cli):
    rc, out, _ = cli("inspect", corpus, "--format", "B")
    assert rc == 0 and out.startswith(f"# {sample.key} ")


def test_tokenizer_of_another_shape_is_refused(corpus, tmp_path):
    import torch
    from docsynth.model.vision import MultiHeadAutoencoder, VisionTokenizer, VisionTokenizerConfig

    c = Corpus(corpus)
    torch.manual_seed(0)
    cfg = VisionTokenizerConfig(heads=c.vocab.G + 1, levels=(2, 2), widths=(2, 2, 2), latent=4)
    other = VisionTokenizer(MultiHeadAutoencoder(cfg))
    other.save(tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"G=\d+, K=\d+ but .*vocab.json"):
        c.vision_tokenizer(str(tmp_path / "other.pt"))


def test_compact_sequence_collapses_runs_only():
    text = "<bos><image><size><size3><size2></size>" + "<image_pad>" * 6 + "</image><para>a <b> c</para><eos>"
    out = compact_sequence(text)
    image = "<image><size><size3><size2></size><image_pad>×6</image>"
    assert out.splitlines() == ["<bos>", image, "<para>a <b> c</para>", "<eos>"]
    assert re.sub(r"<image_pad>×(\d+)", lambda m: "<image_pad>" * int(m.group(1)), out).replace("\n", "") == text


def test_table_cells_and_degradations_are_shown():
    """The inspect header names a page's degradations; a table's cells are outlined inside its frame."""
    from docsynth.report.draw import cell_boxes, degradations_text, draw_boxes

    meta = {"width": 100.0, "height": 100.0, "layout": json.dumps({"degradations": [{"op": "warp", "rotation_deg": -0.7, "shear": 0.01},
                                                                                    {"op": "jpeg", "quality": 48}]}),
            "elements": [{"type": "table", "bbox": [10, 10, 90, 50], "lines": [], "attrs": json.dumps(
                {"cells": [{"row": 0, "col": 0, "bbox": [20, 20, 40, 30], "text": "a"}]})}]}  # fmt: skip
    assert cell_boxes(meta) == [[20, 20, 40, 30]]
    assert degradations_text(meta) == "degraded scan: warp (rotation_deg -0.7, shear 0.01); jpeg (quality 48)"
    assert degradations_text({"layout": "{}"}) == "clean page"
    white = np.full((100, 100, 3), 255, np.uint8)
    drawn = np.asarray(draw_boxes(white, meta, "para", labels=False))
    assert (drawn[20, 30] != 255).any() and (drawn[25, 30] == drawn[35, 60]).all()  # the cell's top edge; inside stays fill
