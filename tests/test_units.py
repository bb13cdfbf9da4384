"""Samples beyond one page: `--unit document` (a document's pages in order) and `--unit glimpse`
(a global view, then looks at regions, every view the same size)."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

from docsynth import cli
from docsynth.corpus import Corpus
from docsynth.formats import ParseError, SeqElement, parse, serialize, strip_boxes, tokenize_text
from docsynth.glimpse import render_view
from docsynth.validate import validate
from docsynth.vocab import SPECIALS, VocabSpec
from docsynth.model.data import image_blocks, make_loader

VIEW = 256  # px: small views keep the test corpora cheap (the default is 512)


def _generate(out, unit: str, *extra: str) -> Corpus:
    assert cli.main(["generate", "--source", "faker", "--num-docs", "4", "--out", str(out), "--seed", "3", "--unit", unit,
                     "--set", f"tokens.glimpse_size={VIEW}", *extra]) == 0  # fmt: skip
    return Corpus(str(out))


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("units") / "doc", "document")


@pytest.fixture(scope="module")
def glimpses(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("units") / "glimpse", "glimpse")


# --------------------------------------------------------------------------- the grammar


@pytest.fixture
def vocab(small_tokenizer):
    return VocabSpec(text_vocab_size=small_tokenizer.get_vocab_size(), num_sizes=1000, coord_bins=1000, G=3, K=8)


def _image(rng, h, w, G=3):
    return SeqElement("image", codes=rng.integers(0, 8, (h, w, G)).astype(np.int32))


def test_pages_and_looks_round_trip(vocab, small_tokenizer):
    rng = np.random.default_rng(0)
    doc = [SeqElement("page", children=[_image(rng, 2, 3), SeqElement("text", text="The quick", box=(1, 2, 30, 40))]),
           SeqElement("page", children=[SeqElement("text", text="fox", box=(5, 6, 7, 8)), _image(rng, 3, 2)])]  # fmt: skip
    glimpse = [_image(rng, 2, 2), SeqElement("look", box=(10, 20, 500, 600)), _image(rng, 2, 2),
               SeqElement("text", text="lazy dog", box=(11, 21, 400, 90))]  # fmt: skip
    for elems in (doc, glimpse, strip_boxes(doc), strip_boxes(glimpse)):
        text, tokens = serialize(elems, vocab, small_tokenizer)
        assert parse(tokens, vocab, small_tokenizer) == elems
        codes = [e.codes for e in (c for x in elems for c in (x.children or [x])) if e.kind == "image"]
        assert np.array_equal(tokenize_text(text, vocab, small_tokenizer, codes), tokens)
    text, _ = serialize(strip_boxes(glimpse), vocab, small_tokenizer)
    assert "<look><box><size10><size20><size500><size600></box></look>" in text  # Format B keeps the action
    assert "<para>lazy dog</para>" in text and serialize(doc, vocab, small_tokenizer)[0].count("<page>") == 2


def test_malformed_pages_and_looks_name_the_position(vocab, small_tokenizer):
    def rows(*names):
        return np.repeat(np.array([[vocab.special(n) if not n.startswith("s") else vocab.size_id(int(n[1:])) for n in names]],
                                  dtype=np.int32).T, 3, axis=1)  # fmt: skip

    with pytest.raises(ParseError, match="position 2: expected <para>, <image> or </page>"):
        parse(rows("<bos>", "<page>", "<page>", "</page>", "</page>", "<eos>"), vocab, small_tokenizer)
    with pytest.raises(ParseError, match="a <look> needs its <box>"):
        parse(rows("<bos>", "<look>", "</look>", "<eos>"), vocab, small_tokenizer)
    with pytest.raises(ParseError, match="expected <para>, <image> or </page>"):
        parse(rows("<bos>", "<page>", "<look>", "<box>", "s1", "s2", "s3", "s4", "</box>", "</look>", "</page>", "<eos>"),
              vocab, small_tokenizer)  # fmt: skip
    with pytest.raises(ValueError, match="look element needs its box"):
        serialize([SeqElement("look")], vocab, small_tokenizer)


def test_version_1_vocabularies_stay_readable():
    v1 = VocabSpec(text_vocab_size=50, num_sizes=16, coord_bins=16, G=2, K=4, specials=SPECIALS[:12])
    d = v1.to_json()
    assert d["version"] == 1 and len(d["specials"]) == 12 and VocabSpec.from_json(d) == v1
    assert VocabSpec.from_json(VocabSpec(50, 16, 16, 2, 4).to_json()).special("</look>") == 50 + 15
    with pytest.raises(ValueError, match="not this docsynth's"):
        VocabSpec.from_json({**d, "specials": d["specials"][:11] + ["<look>"]})


# --------------------------------------------------------------------------- document samples


def test_document_corpus_validates_loads_and_runs_match_its_pages(documents):
    assert validate(documents.url).ok
    samples = list(documents.samples())
    assert len(samples) == documents.index["totals"]["docs_written"] == 4
    assert sum(len(s.pages()) for s in samples) == documents.index["totals"]["pages_written"]
    assert any(len(s.pages()) > 1 for s in samples), "the test wants a multi-page document"
    vocab = documents.vocab
    for s in samples:
        assert s.key.endswith("_doc") and s.unit == "document"
        pages = s.pages()
        assert [p["page"] for p in pages] == list(range(len(pages)))
        for fmt in ("A", "B"):
            tokens, text = s.tokens(fmt), s.text(fmt)
            assert text.count("<page>") == text.count("</page>") == len(pages)
            runs = [e - b for b, e in image_blocks(tokens, vocab.code_base)]
            want = []
            for p in pages:  # per page: its image, and its figure crops, in the direction's order
                figs = [np.prod(json.loads(el["attrs"])["grid"]) for el in p["elements"] if el["type"] in ("figure", "image")]
                page = p["grid"][0] * p["grid"][1]
                want += [page, *figs] if s.meta["direction"] == "read" else [*figs, page]
            assert runs == want
        for img, codes, p in zip(s.page_images(), s.image_codes(), pages):
            assert img.shape[:2] == (p["image"]["height"], p["image"]["width"])
            assert list(codes.shape[1::-1]) == p["grid"]


def test_glimpse_corpus_validates_and_every_view_has_the_fixed_size(glimpses):
    assert validate(glimpses.url).ok
    vocab = glimpses.vocab
    side = -(-VIEW // vocab.patch)  # a view's code grid, in the corpus tokenizer's patches
    looks = 0
    for s in glimpses.samples():
        m, views = s.meta, s.views()
        assert s.unit == "glimpse" and m["view_size"] == VIEW and m["views"][0]["kind"] == "global"
        assert all(v.shape[:2] == (VIEW, VIEW) for v in views)
        for fmt in ("A", "B"):
            runs = [e - b for b, e in image_blocks(s.tokens(fmt), vocab.code_base)]
            assert runs == [side * side] * len(m["views"])  # the global view and each look: the same size
            assert s.text(fmt).count("<look>") == len(m["views"]) - 1
        page = s.image()
        held = []
        for v, img in zip(m["views"][1:], views[1:]):
            looks += 1
            for i in v["elements"]:  # a look holds its elements
                b = m["elements"][i]["bbox"]
                assert v["bbox"][0] <= b[0] + 0.01 and v["bbox"][1] <= b[1] + 0.01 and b[2] <= v["bbox"][2] + 0.01 and b[3] <= v["bbox"][3] + 0.01
            held += v["elements"]
            again, scale = render_view(page, m["width"], m["height"], v["bbox"], VIEW, 3.0)
            assert scale == pytest.approx(v["scale"], abs=1e-3)
            assert np.abs(again.astype(int) - img.astype(int)).mean() < 2.0  # the stored view is the page there (box rounded to 1e-3 pt)
        assert held == list(range(len(m["elements"])))  # reading order, each element once
    assert looks > 8


def test_both_units_load_in_datasets(documents, glimpses):
    datasets = pytest.importorskip("datasets")
    for c, image in ((documents, "pages.png"), (glimpses, "views.png")):
        ds = datasets.load_dataset("webdataset", data_files={"train": f"{c.url}/data/*.tar"}, split="train")
        assert len(ds) == c.index["num_samples"] and image in ds.column_names
        assert {"meta.json", "tokens_a.npy", "codes.npy"} <= set(ds.column_names)


def test_validate_catches_a_look_that_moved_and_a_page_that_went_missing(glimpses, documents, tmp_path):
    def damaged(corpus, name, change):
        out = tmp_path / name
        import shutil

        shutil.copytree(corpus.url, out)
        shard = next((out / "data").iterdir())
        with tarfile.open(shard) as tf:
            members = [(ti, tf.extractfile(ti).read()) for ti in tf.getmembers()]
        with tarfile.open(shard, "w") as tf:
            done = False
            for ti, data in members:
                if ti.name.endswith("meta.json") and not done:
                    data, done = json.dumps(change(json.loads(data))).encode(), True
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
        return [m for _, _, m in validate(str(out)).violations]

    def move(meta):
        meta["views"][1]["bbox_norm"][0] += 1
        return meta

    assert any("look 1 box" in m for m in damaged(glimpses, "g", move))

    def drop_page(meta):
        meta["pages"] = meta["pages"][:-1] if len(meta["pages"]) > 1 else meta["pages"] * 2
        return meta

    found = damaged(documents, "d", drop_page)
    assert any(m.startswith("pages.png is") for m in found) and any(m.startswith("codes.npy") for m in found), found


# --------------------------------------------------------------------------- the loader


@pytest.mark.parametrize("unit", ["document", "glimpse"])
def test_pixels_and_targets_follow_every_image_of_the_unit(unit, documents, glimpses):
    """Each image position's pixels are its page's (document) or its view's (glimpse) pixels there, and a
    `write` sample predicts each page image (document) or each look's view (glimpse), never the global view."""
    corpus = documents if unit == "document" else glimpses
    by_key = {s.key: s for s in corpus.samples()}
    loader = make_loader(corpus.url, seq_len=65536, batch_size=1, pixels=True, shuffle_buffer=1, epochs=1)
    checked = 0
    for batch in loader:
        at = 0
        for key, a, b in batch["pieces"][0]:
            s, n = by_key[key], b - a
            blocks = batch["block_ids"][0, at : at + n]
            pix, tgt = batch["pixels"][0, at : at + n], batch["target_block"][0, at : at + n]
            at += n
            if a != 0 or n != len(s.tokens("A")):
                continue  # a piece cut at a row's end
            checked += _check_piece(s, unit, blocks, pix, tgt, corpus.vocab.patch)
    assert checked >= 4


def _check_piece(s, unit: str, blocks, pix, tgt, P: int) -> int:
    images = s.page_images() if unit == "document" else s.views()
    ids = [int(b) for b in dict.fromkeys(blocks[blocks >= 0].tolist())]
    firsts = [int((blocks == b).nonzero()[0][0]) for b in ids]
    is_target = [bool(tgt[f]) for f in firsts]
    if s.meta["direction"] == "read":
        assert not any(is_target)
    elif unit == "glimpse":
        assert is_target == [False] + [True] * (len(ids) - 1)
    else:
        assert sum(is_target) == len(images)
    if unit == "glimpse":
        owner = list(range(len(ids)))  # block i is view i
    else:  # per page: the page image, and its figure crops (None: not checked here), in the direction's order
        owner = []
        for i, p in enumerate(s.pages()):
            figs = [None] * sum(el["type"] in ("figure", "image") for el in p["elements"])
            owner += [i, *figs] if s.meta["direction"] == "read" else [*figs, i]
    assert len(owner) == len(ids)
    checked = 0
    for b, f, target, which in zip(ids, firsts, is_target, owner):
        n = int((blocks == b).sum())
        if target:
            assert not pix[f : f + n].any()
            continue
        if which is None:
            continue
        img = images[which]
        grey = img if img.ndim == 2 else np.rint(img[..., :3].astype(np.float32) @ [0.299, 0.587, 0.114]).astype(np.uint8)
        w = -(-grey.shape[1] // P)
        for k in (0, n // 2, n - 1):  # patches at the start, the middle and the end of the block
            i, j = divmod(k, w)
            want = np.full((P, P), 255, np.uint8)
            tile = grey[i * P : i * P + P, j * P : j * P + P]
            want[: tile.shape[0], : tile.shape[1]] = tile
            assert np.allclose(pix[f + k].numpy(), want.reshape(-1) / 255.0, atol=1e-6)
            checked += 1
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["document", "glimpse"])
def test_cpu_tiny_training_lowers_the_loss(unit, documents, glimpses, tmp_path):
    corpus = documents if unit == "document" else glimpses
    run = tmp_path / "run"
    assert cli.main(["train", "--data", corpus.url, "--out", str(run), "--steps", "16", "--preset", "cpu-tiny",
                     "--seq-len", "256", "--batch-size", "2", "--log-every", "100"]) == 0  # fmt: skip
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert sum(r["loss"] for r in rows[-3:]) < sum(r["loss"] for r in rows[:3])


def test_inspect_and_stats_show_pages_and_looks(documents, glimpses, tmp_path, capsys):
    from PIL import Image

    from docsynth.report.stats import collect_stats, summary_text

    assert cli.main(["inspect", glimpses.url, "--out", str(tmp_path / "g.png"), "--format", "B"]) == 0
    printed = capsys.readouterr().out
    assert "looks" in printed.splitlines()[0] and "\n<look><box>" in printed  # one look a line, its view beside it
    with Image.open(tmp_path / "g.png") as im:  # the page with its looks, then the views panel
        page_w = next(glimpses.samples(1)).image().shape[1]
        assert im.width > 2 * 1.5 * page_w
    multi = next(s for s in documents.samples() if len(s.pages()) > 1)
    assert cli.main(["inspect", documents.url, "--key", multi.key, "--page", "1", "--out", str(tmp_path / "d.png")]) == 0
    capsys.readouterr()
    assert cli.main(["inspect", documents.url, "--key", multi.key, "--page", "9", "--out", str(tmp_path / "x.png")]) != 0
    assert f"--page 9: sample {multi.key} has {len(multi.pages())} page(s)" in capsys.readouterr().err
    st = collect_stats(documents)
    pages = sum(len(s.pages()) for s in documents.samples())
    assert f"4 samples of {pages} pages" in summary_text(st) and st.counters["unit"] == {"document": 4}
    st = collect_stats(glimpses)
    assert "looks per page" in summary_text(st) and st.to_json()["per_page"]["looks"]["count"] == st.samples
