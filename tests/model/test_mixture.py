"""Mixtures of corpora: rows drawn at chosen weights, deterministic per seed, exactly resumable."""

from collections import Counter
from types import SimpleNamespace

import pytest
import torch
from test_data import write_corpus

from docsynth.model.data import MixtureLoader, make_loader, parse_mixture

KW = dict(seq_len=64, batch_size=4, seed=3, shuffle_buffer=4)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    samples = {"a": write_corpus(root / "a", shards=3, per_shard=6, seed=1), "b": write_corpus(root / "b", shards=2, per_shard=6, seed=2)}
    write_corpus(root / "other", shards=1, per_shard=3, seed=3, G=2)  # another vocabulary
    return SimpleNamespace(root=root, samples=samples)


def _take(it, n):
    return [next(it) for _ in range(n)]


def test_rows_follow_the_weights(corpora):
    loader = make_loader([(corpora.root / "a", 0.7), (corpora.root / "b", 0.3)], **KW)
    assert isinstance(loader, MixtureLoader)
    counts, it = Counter(), iter(loader)
    for batch in _take(it, 500):
        assert batch["corpus"].shape == (4,) and batch["tokens"].shape[0] == 4 and len(batch["pieces"]) == 4
        counts.update(batch["corpus"].tolist())
    share = counts[0] / sum(counts.values())
    print(f"\nshare of corpus a over 2000 rows: {share:.3f} (weight 0.7)")
    assert abs(share - 0.7) < 0.02


def test_rows_carry_their_corpus(corpora):
    """Every row holds the tokens of samples of the corpus the batch says it came from."""
    loader = make_loader([(corpora.root / "a", 1), (corpora.root / "b", 1)], **KW)
    seen = Counter()
    for batch in _take(iter(loader), 20):
        for r, (c, pieces) in enumerate(zip(batch["corpus"].tolist(), batch["pieces"])):
            samples, at = corpora.samples["ab"[c]], 0
            for key, a, b in pieces:
                assert (batch["tokens"][r, at : at + b - a].numpy() == samples[key]["A"][a:b]).all()
                at += b - a
            seen[c] += 1
    assert set(seen) == {0, 1}


def test_same_seed_same_batches_and_resume_is_exact(corpora):
    src = [(corpora.root / "a", 0.6), (corpora.root / "b", 0.4)]
    whole = _take(iter(make_loader(src, **KW)), 12)
    first = make_loader(src, **KW)
    it = iter(first)
    _take(it, 5)
    state = first.state_dict()
    again = make_loader(src, **KW)
    again.load_state_dict(state)
    rest = _take(iter(again), 7)
    for a, b in zip(whole[5:], rest):
        assert torch.equal(a["tokens"], b["tokens"]) and torch.equal(a["corpus"], b["corpus"]) and a["pieces"] == b["pieces"]
    with pytest.raises(ValueError, match="weights"):
        make_loader([(corpora.root / "a", 0.5), (corpora.root / "b", 0.5)], **KW).load_state_dict(state)


def test_corpora_with_other_vocabularies_are_refused(corpora):
    with pytest.raises(ValueError, match="another vocabulary"):
        make_loader([(corpora.root / "a", 1), (corpora.root / "other", 1)], **KW)


def test_mixture_specs_parse():
    assert parse_mixture(["synth_out:0.7", "arxiv_out:0.3"]) == [("synth_out", 0.7), ("arxiv_out", 0.3)]
    assert parse_mixture(["s3://bucket/corpus:2", "plain"]) == [("s3://bucket/corpus", 2.0), ("plain", 1.0)]
    assert parse_mixture(["s3://bucket/corpus"]) == [("s3://bucket/corpus", 1.0)]
