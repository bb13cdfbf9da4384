"""Streaming loader: exactly once per epoch across ranks × workers, exact resume, corrupt shards,
packing that keeps documents and image blocks intact, and a layout that matches the tokens."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch
import webdataset as wds
from docsynth.model import masks
from docsynth.model.data import Cursor, LoaderConfig, Packer, make_loader

from docsynth import text_tokenizer as tt
from docsynth.formats import SeqElement, serialize
from docsynth.vocab import VocabSpec

WORDS = ["the", "page", "holds", "text", "and", "boxes", "while", "a", "figure", "shows", "codes", "in", "rows", "of", "ids", "for", "every", "patch"]


# --------------------------------------------------------------------------- a tiny real corpus


def tiny_vocab(tmp: Path, G: int = 4, K: int = 16) -> tuple[VocabSpec, object]:
    """A byte-level BPE trained on a few sentences and a vocabulary of G pools of K codes."""
    tok = tt.train_bpe([" ".join(WORDS)] * 20, vocab_size=300, out=tmp / "tokenizer.json", min_frequency=1)
    vocab = VocabSpec(text_vocab_size=tok.get_vocab_size(), num_sizes=32, coord_bins=32, G=G, K=K)
    return vocab, tok


def _elements(rng: np.random.Generator, vocab: VocabSpec, fmt: str, direction: str, page_hw) -> list[SeqElement]:
    def box():
        x0, y0 = rng.integers(0, 16, 2)
        return (int(x0), int(y0), int(x0 + rng.integers(1, 16)), int(y0 + rng.integers(1, 16))) if fmt == "A" else None

    body = []
    for _ in range(rng.integers(1, 4)):
        text = " ".join(rng.choice(WORDS, rng.integers(2, 12)))
        body.append(SeqElement("text", text=text, box=box()))
    if rng.random() < 0.5:  # a figure inside the body
        body.insert(1, SeqElement("image", box=box(), codes=rng.integers(0, vocab.K, (2, 3, vocab.G)).astype(np.int32)))
    h, w = page_hw
    page = SeqElement("image", codes=rng.integers(0, vocab.K, (h, w, vocab.G)).astype(np.int32))
    return [page, *body] if direction == "read" else [*body, page]


def write_corpus(out: Path, *, shards: int = 3, per_shard: int = 5, seed: int = 0, page_hw=((2, 5), (2, 6)),
                 G: int = 4, K: int = 16, index: bool = True) -> dict[str, dict[str, np.ndarray]]:  # fmt: skip
    """A corpus in the docsynth layout (vocab.json, .docsynth/index.json, data/*.tar); returns
    {key: {"A": tokens, "B": tokens, "direction": ...}} of every sample."""
    out.mkdir(parents=True, exist_ok=True)
    vocab, tok = tiny_vocab(out, G, K)
    vocab.save(out / "vocab.json")
    rng, samples, records = np.random.default_rng(seed), {}, []
    (out / "data").mkdir(exist_ok=True)
    for s in range(shards):
        name = f"train-{s:05d}-of-{shards:05d}.tar"
        with wds.TarWriter(str(out / "data" / name), mtime=0, encoder=False) as tw:
            for j in range(per_shard):
                key, direction = f"synth_doc{s}-{j}_0000", ("read", "write")[int(rng.integers(2))]
                hw = (int(rng.integers(*page_hw[0])), int(rng.integers(*page_hw[1])))
                state = rng.bit_generator.state
                rows = {}
                for fmt in "AB":
                    rng.bit_generator.state = state  # the same document in both formats
                    rows[fmt] = serialize(_elements(rng, vocab, fmt, direction, hw), vocab, tok)[1]
                meta = {"key": key, "direction": direction, "formats": ["A", "B"], "elements": []}
                tw.write({"__key__": key, "meta.json": json.dumps(meta).encode(),
                          "tokens_a.npy": _npy(rows["A"]), "tokens_b.npy": _npy(rows["B"])})  # fmt: skip
                samples[key] = {**rows, "direction": direction}
        data = (out / "data" / name).read_bytes()
        records.append({"name": name, "index": s, "samples": per_shard, "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    if index:
        (out / ".docsynth").mkdir(exist_ok=True)
        (out / ".docsynth" / "index.json").write_text(json.dumps({"version": 1, "shards": records}))
    return samples


def _npy(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def collect(loader) -> list[dict]:
    return [b for b in loader]


def pieces_by_key(batches) -> dict[str, list[tuple[int, int]]]:
    got = defaultdict(list)
    for b in batches:
        for row in b["pieces"]:
            for key, a, e in row:
                got[key].append((a, e))
    return got


def assert_each_sample_once(got: dict, samples: dict, fmt: str = "A") -> None:
    assert set(got) == set(samples)
    for key, pieces in got.items():
        pieces.sort()
        n = len(samples[key][fmt])
        assert pieces[0][0] == 0 and pieces[-1][1] == n, key
        assert all(p[1] == q[0] for p, q in zip(pieces, pieces[1:])), f"{key}: pieces {pieces} overlap or leave gaps"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return root, write_corpus(root, shards=6, per_shard=4)


# --------------------------------------------------------------------------- exactly once


@pytest.mark.parametrize("shards", [6, 3])  # 6 >= 4 streams: split by shard; 3 < 4: split by sample
def test_every_sample_once_per_epoch_across_ranks_and_workers(tmp_path, shards):
    samples = write_corpus(tmp_path, shards=shards, per_shard=4, seed=shards)
    batches, total = [], 0
    for rank in range(2):
        loader = make_loader(tmp_path, seq_len=48, batch_size=2, rank=rank, world_size=2, num_workers=2,
                             shuffle_buffer=3, epochs=1, seed=1)  # fmt: skip
        batches += collect(loader)
        total += loader.stats["samples"]
    assert_each_sample_once(pieces_by_key(batches), samples)
    assert total == len(samples)


def test_epochs_reshuffle_and_still_cover_everything(corpus):
    root, samples = corpus
    loader = make_loader(root, seq_len=64, batch_size=2, epochs=2, shuffle_buffer=4)
    starts = [key for b in collect(loader) for row in b["pieces"] for key, a, _ in row if a == 0]
    assert sorted(starts[: len(samples)]) == sorted(samples) == sorted(starts[len(samples) :])
    assert starts[: len(samples)] != starts[len(samples) :]  # each epoch has its own order
    assert loader.stats["samples"] == 2 * len(samples)


# --------------------------------------------------------------------------- resume


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_continues_the_exact_sequence(corpus, num_workers):
    root, _ = corpus
    kw = dict(seq_len=40, batch_size=2, num_workers=num_workers, shuffle_buffer=3, epochs=2, seed=7)
    whole = make_loader(root, **kw)
    full = collect(whole)
    for stop in (1, len(full) // 2 + 1):
        first = make_loader(root, **kw)
        head = []
        for b in first:
            head.append(b)
            if len(head) == stop:
                break
        state = json.loads(json.dumps(first.state_dict()))  # survives a JSON round trip (checkpoints)
        second = make_loader(root, **kw)
        second.load_state_dict(state)
        resumed = head + collect(second)
        assert second.stats == whole.stats  # re-read windows are not counted twice
        assert len(resumed) == len(full)
        for a, b in zip(full, resumed):
            assert a["pieces"] == b["pieces"]
            torch.testing.assert_close(a["tokens"], b["tokens"])
            torch.testing.assert_close(a["targets"], b["targets"])


def test_resume_mid_document_keeps_the_packed_offset(corpus):
    root, _ = corpus
    kw = dict(seq_len=16, batch_size=1, shuffle_buffer=1, shard_shuffle=False, epochs=1)
    full = collect(make_loader(root, **kw))
    loader = make_loader(root, **kw)
    next(iter(loader))
    state = loader.state_dict()
    assert state["workers"][0]["offset"] > 0  # every sample is longer than 16 rows: the first row cut one
    resumed = make_loader(root, **kw)
    resumed.load_state_dict(state)
    assert next(iter(resumed))["pieces"] == full[1]["pieces"]


def test_state_from_another_configuration_is_refused(corpus):
    root, _ = corpus
    loader = make_loader(root, seq_len=32, batch_size=2, epochs=1)
    next(iter(loader))
    other = make_loader(root, seq_len=64, batch_size=2, epochs=1)
    with pytest.raises(ValueError, match="seq_len"):
        other.load_state_dict(loader.state_dict())


# --------------------------------------------------------------------------- corrupt shards


def test_truncated_and_garbage_shards_are_skipped_and_counted(tmp_path, caplog):
    samples = write_corpus(tmp_path, shards=4, per_shard=4, seed=3)
    data = sorted((tmp_path / "data").glob("*.tar"))
    raw = data[1].read_bytes()
    data[1].write_bytes(raw[: len(raw) // 2])  # truncated in the middle of a member
    data[2].write_bytes(b"this is not a tar file" * 40)
    with caplog.at_level(logging.WARNING, logger="docsynth.model.data"):
        loader = make_loader(tmp_path, seq_len=64, batch_size=2, epochs=1, shuffle_buffer=2)
        got = pieces_by_key(collect(loader))
    assert loader.stats["corrupt_shards"] == 2
    assert sum("skipping the rest of shard" in r.getMessage() for r in caplog.records) == 2
    intact = {k for k in samples if k.startswith(("synth_doc0-", "synth_doc3-"))}
    assert intact <= set(got) and not any(k.startswith("synth_doc2-") for k in got)
    assert_each_sample_once(got, {k: samples[k] for k in got})  # what was read of shard 1 is whole


def test_missing_shard_is_counted_and_an_empty_training_stream_raises(tmp_path):
    samples = write_corpus(tmp_path, shards=2, per_shard=3, seed=4)
    vocab = str(tmp_path / "vocab.json")
    urls = [str(p) for p in sorted((tmp_path / "data").glob("*.tar"))] + [str(tmp_path / "data" / "gone.tar")]
    loader = make_loader(urls, vocab=vocab, seq_len=64, batch_size=2, epochs=1)
    assert_each_sample_once(pieces_by_key(collect(loader)), samples)
    assert loader.stats["corrupt_shards"] == 1
    endless = make_loader(urls[-1:], vocab=vocab, seq_len=8, batch_size=1)  # epochs=None: a training loader
    with pytest.raises(RuntimeError, match="no samples"):
        next(iter(endless))
    with pytest.raises(FileNotFoundError, match="nope: no such corpus folder or shard file"):
        make_loader(str(tmp_path / "nope"), vocab=vocab, seq_len=8, batch_size=1)


# --------------------------------------------------------------------------- packing and layout


@pytest.mark.parametrize("fmt,strategy,L", [("A", "causal", 24), ("B", "block", 24), ("A", "block", 12)])
def test_packing_keeps_documents_and_image_blocks(corpus, fmt, strategy, L):
    root, samples = corpus  # figures have 6 rows, pages 4 to 20: L=12 cuts some pages, never a figure
    loader = make_loader(root, seq_len=L, batch_size=3, format=fmt, strategy=strategy, epochs=1)
    vocab = loader.vocab
    batches = collect(loader)
    assert_each_sample_once(pieces_by_key(batches), samples, fmt)
    cuts = 0
    for b in batches:
        for r, row in enumerate(b["pieces"]):
            at = 0
            for d, (key, a, e) in enumerate(row):
                doc = torch.from_numpy(samples[key][fmt]).long()
                torch.testing.assert_close(b["tokens"][r, at : at + e - a], doc[a:e])
                assert (b["doc_ids"][r, at : at + e - a] == d).all()
                for cut in (a, e):  # a cut inside an image block only where the block is longer than L
                    s0, s1 = _block_around(doc, cut, vocab.code_base)
                    assert s0 is None or s1 - s0 > L, f"{key}: cut at {cut} splits block [{s0}, {s1})"
                at += e - a
                cuts += a > 0
            assert (b["doc_ids"][r, at:] == -1).all()
            assert (b["tokens"][r, at:] == vocab.special("<pad>")).all()
    assert cuts > 0


def _block_around(doc: torch.Tensor, cut: int, code_base: int):
    is_code = doc[:, 0] >= code_base
    if not (0 < cut < len(doc) and is_code[cut - 1] and is_code[cut]):
        return None, None
    s0, s1 = cut, cut
    while s0 > 0 and is_code[s0 - 1]:
        s0 -= 1
    while s1 < len(doc) and is_code[s1]:
        s1 += 1
    return s0, s1


@pytest.mark.parametrize("strategy", ["causal", "block"])
def test_layout_fields_agree_with_the_tokens(corpus, strategy):
    root, samples = corpus
    loader = make_loader(root, seq_len=96, batch_size=2, format="B", strategy=strategy, epochs=1)
    vocab = loader.vocab
    for b in collect(loader):
        is_code = b["tokens"][..., 0] >= vocab.code_base  # (B, L)
        assert torch.equal(b["block_ids"] >= 0, is_code)
        assert b["tokens"].dtype == torch.int64 and b["doc_ids"].dtype == torch.int32
        masks.check_layout(b["doc_ids"], b["block_ids"])
        inputs, targets = masks.make_targets(strategy, b["tokens"], b["doc_ids"], b["block_ids"],
                                             b["target_block"], vocab.special("<image_pad>"))  # fmt: skip
        assert torch.equal(inputs, b["inputs"]) and torch.equal(targets, b["targets"])
        assert torch.equal(b["loss_mask"], (targets != -100).any(-1))
        assert torch.equal(b["loss_weights"], b["loss_mask"].float())
        for r, row in enumerate(b["pieces"]):
            at = 0
            for d, (key, a, e) in enumerate(row):
                tb = b["target_block"][r, at : at + e - a]
                blocks = b["block_ids"][r, at : at + e - a]
                if samples[key]["direction"] == "read":
                    assert not tb.any()
                elif e == len(samples[key]["B"]):  # the piece holding the end holds the page image
                    last = blocks[blocks >= 0].max()
                    assert torch.equal(tb, blocks == last)
                at += e - a
        if strategy == "block":
            assert (b["inputs"][b["target_block"]] == vocab.special("<image_pad>")).all()


def test_direction_filter_keeps_only_the_asked_direction(corpus):
    root, samples = corpus
    loader = make_loader(root, seq_len=64, batch_size=2, direction_mix="write", epochs=1)
    got = pieces_by_key(collect(loader))
    writes = {k for k, v in samples.items() if v["direction"] == "write"}
    assert set(got) == writes
    assert loader.stats["filtered"] == len(samples) - len(writes)


def test_a_document_whose_cut_would_split_a_fitting_block_closes_the_row():
    code_base, G = 100, 2
    doc_rows = np.array([[1, 1]] * 5 + [[100, 101]] * 4 + [[2, 2]] * 3, dtype=np.int32)  # block at [5, 9)
    from docsynth.model.data import Doc, image_blocks

    doc = Doc("k", doc_rows, image_blocks(doc_rows, code_base), np.array([False]))
    packer = Packer(iter([(doc, Cursor(0))]), Cursor(0), 0, L=7, G=G, pad_id=0)
    rows = list(packer.rows())
    assert [r.pieces for r in rows] == [[("k", 0, 5)], [("k", 5, 12)]]
    assert (rows[0].doc_ids[5:] == -1).all() and (rows[1].block_ids[:4] == 0).all()


# --------------------------------------------------------------------------- sources and config


def test_reads_fsspec_urls(tmp_path):
    import fsspec

    samples = write_corpus(tmp_path, shards=2, per_shard=3, seed=5)
    fs = fsspec.filesystem("memory")
    for p in [tmp_path / "vocab.json", tmp_path / ".docsynth" / "index.json", *(tmp_path / "data").glob("*.tar")]:
        fs.pipe(f"/corpus/{p.relative_to(tmp_path)}", p.read_bytes())
    mem = collect(make_loader("memory://corpus", seq_len=64, batch_size=2, epochs=1))
    assert_each_sample_once(pieces_by_key(mem), samples)
    urls = "file://" + str(tmp_path / "data" / "train-{00000..00001}-of-00002.tar")
    braced = collect(make_loader(urls, vocab=str(tmp_path / "vocab.json"), seq_len=64, batch_size=2, epochs=1))
    assert_each_sample_once(pieces_by_key(braced), samples)
    pipes = [f"pipe:cat {p}" for p in sorted((tmp_path / "data").glob("*.tar"))]
    piped = collect(make_loader(pipes, vocab=str(tmp_path / "vocab.json"), seq_len=64, batch_size=2, epochs=1))
    assert_each_sample_once(pieces_by_key(piped), samples)


@pytest.mark.parametrize("field,value", [("seq_len", 0), ("format", "C"), ("direction_mix", "both"),
                                         ("strategy", "diagonal"), ("rank", 2)])  # fmt: skip
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field if field != "strategy" else "strategy"):
        LoaderConfig(**{field: value})


@pytest.fixture(scope="module")
def real_corpus(tmp_path_factory):
    """A corpus `docsynth generate` wrote (page images, figure crops, the shipped tokenizer)."""
    from docsynth import cli

    out = tmp_path_factory.mktemp("pixels") / "c"
    assert cli.main(["generate", "--source", "faker", "--num-docs", "3", "--out", str(out), "--seed", "0"]) == 0
    return out


def test_pixels_at_each_image_position_are_the_page_there(real_corpus):
    """`pixels=True`: the patch at every position of a page's image block equals the stored page's pixels
    at that patch (grey, padded white); text positions and written blocks carry zeros."""
    from docsynth.corpus import Corpus

    corpus = Corpus(str(real_corpus))
    pages, P = {s.key: (s.image(), s.meta) for s in corpus.samples()}, corpus.vocab.patch
    assert P == corpus.vision_tokenizer().patch  # vocab.json records the patch the loader cuts
    loader = make_loader(real_corpus, seq_len=8192, batch_size=1, pixels=True, shuffle_buffer=1, epochs=1)
    checked = 0
    for batch in loader:
        key, a, _ = batch["pieces"][0][0]
        blocks, pix = batch["block_ids"][0], batch["pixels"][0]
        assert not pix[blocks < 0].any() and not pix[batch["target_block"][0]].any()
        if a or batch["target_block"][0].any():
            continue  # a continued piece, or a write sample (its page is the answer)
        image, meta = pages[key]
        grey = image if image.ndim == 2 else np.rint(image[..., :3].astype(np.float32) @ [0.299, 0.587, 0.114]).astype(np.uint8)
        w, h = meta["grid"]
        padded = np.full((h * P, w * P), 255, np.uint8)
        padded[: grey.shape[0], : grey.shape[1]] = grey
        s = int(torch.nonzero(blocks >= 0)[0])  # a read sample: the page is its first block
        for k in range(0, w * h, 11):
            i, j = divmod(k, w)
            want = torch.from_numpy(padded[i * P : i * P + P, j * P : j * P + P].reshape(-1) / 255.0).float()
            torch.testing.assert_close(pix[s + k], want)
            checked += 1
    assert checked > 50
