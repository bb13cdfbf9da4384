import io
import json
import math
import shutil
from collections import Counter

import numpy as np
import pytest
import webdataset as wds

from docsynth.corpus import Corpus
from docsynth.report.html import dropped_section
from docsynth.report.stats import Hist, StatsConfig, code_usage, collect_stats


@pytest.fixture(scope="module")
def truth(corpus) -> dict:
    """The numbers read back independently with webdataset's own reader."""
    c = Corpus(corpus)
    urls = [c.store.path("data", s) for s in c.shards]
    t = {"samples": 0, "docs": set(), "tokens": Counter(), "words": 0, "codes": np.zeros((c.vocab.G, c.vocab.K), np.int64)}
    for s in wds.WebDataset(urls, shardshuffle=False):
        meta = json.loads(s["meta.json"])
        t["samples"] += 1
        t["docs"].add(meta["docid"])
        for fmt in ("a", "b"):
            t["tokens"][fmt.upper()] += len(np.load(io.BytesIO(s[f"tokens_{fmt}.npy"])))
        t["words"] += sum(len(ln["words"]) for el in meta["elements"] for ln in el["lines"])
        codes = np.load(io.BytesIO(s["codes.npy"]))
        for g in range(c.vocab.G):
            t["codes"][g] += np.bincount(codes[..., g].ravel(), minlength=c.vocab.K)
    t["errors"] = Counter(json.loads(line)["reason"] for line in c.store.read_text(".docsynth/errors.jsonl").splitlines())
    return t


@pytest.fixture(scope="module")
def stats(corpus):
    return collect_stats(Corpus(corpus), StatsConfig(thumbnails=4))


def test_counts_match_an_independent_read(stats, truth):
    j = stats.to_json()
    assert j["samples_read"] == truth["samples"] and j["documents_read"] == len(truth["docs"])
    assert {f: d["total"] for f, d in j["tokens"].items()} == dict(truth["tokens"])
    assert sum(stats.per_page["words"]) == truth["words"] == stats.word_height.n
    assert j["dropped_by_reason"] == dict(truth["errors"])
    np.testing.assert_array_equal(stats.codes, truth["codes"])
    assert sum(j["counters"]["element type"].values()) == sum(stats.per_page["elements"])


def test_thumbnails_are_a_deterministic_sample(corpus, stats):
    again = collect_stats(Corpus(corpus), StatsConfig(thumbnails=4))
    assert [s.key for s in again.thumbs] == [s.key for s in stats.thumbs]
    assert len(stats.thumbs) == min(4, stats.samples)


def test_max_pages_stops_early(corpus):
    st = collect_stats(Corpus(corpus), StatsConfig(max_pages=2, thumbnails=0))
    assert st.samples == 2 and len(st.tokens["A"]) == 2 and not st.thumbs


def test_code_usage_of_known_distributions():
    K = 8
    counts = np.zeros((3, K), dtype=np.int64)
    counts[0] = 5  # uniform: all used, perplexity K
    counts[1, 3] = 7  # one code: perplexity 1
    counts[2, :2] = [1, 3]  # two codes, p = (1/4, 3/4)
    heads = code_usage(counts)
    assert heads[0]["used_frac"] == 1.0 and heads[0]["perplexity"] == pytest.approx(K)
    assert heads[1]["used"] == 1 and heads[1]["perplexity"] == pytest.approx(1.0) and heads[1]["top_share"] == 1.0
    h = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert heads[2]["perplexity"] == pytest.approx(math.exp(h)) and heads[2]["used_frac"] == 2 / K


def test_hist_summary_and_bin_quantiles():
    h = Hist(np.arange(0, 11, 1.0))
    h.add([0.5, 1.5, 1.5, 9.5, 42.0])  # 42 lands in the last bin, min/max stay exact
    j = h.to_json()
    assert (j["count"], j["min"], j["max"]) == (5, 0.5, 42.0)
    assert j["mean"] == pytest.approx(55 / 5) and j["p50"] == 1.5 and sum(j["counts"]) == 5
    assert Hist(np.arange(3.0)).to_json() == {"count": 0}


def test_cli_prints_summary_and_writes_json_and_html(corpus, cli, tmp_path, truth):
    rc, out, err = cli("stats", corpus, "--json", tmp_path / "s.json", "--html", tmp_path / "r.html", "--thumbnails", "3")
    assert rc == 0, err
    assert f"{truth['samples']} pages from {len(truth['docs'])} documents" in out
    assert "vision codes: G=" in out and "tokens A:" in out
    j = json.loads((tmp_path / "s.json").read_text())
    assert j["tokens"]["A"]["total"] == truth["tokens"]["A"]
    assert len(j["codes"]["heads"]) == truth["codes"].shape[0]
    html = (tmp_path / "r.html").read_text()
    assert "http://" not in html and "https://" not in html and "<link" not in html  # self-contained
    assert html.count("data:image/png;base64,") >= 7 and html.count("data:image/jpeg;base64,") == 3


def test_dropped_inputs_are_counted_by_reason(corpus, cli, tmp_path):
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    errors = copy / ".docsynth" / "errors.jsonl"
    reasons = ["empty", "empty", "uncovered_codepoint"]
    extra = [{"shard": 0, "source": "faker", "docid": f"x{i}", "page": None, "step": "normalize", "reason": reason,
              "detail": "injected by the test"} for i, reason in enumerate(reasons)]  # fmt: skip
    before = Counter(json.loads(line)["reason"] for line in errors.read_text().splitlines())
    errors.write_text(errors.read_text() + "".join(json.dumps(e) + "\n" for e in extra))
    st = collect_stats(Corpus(str(copy)), StatsConfig(thumbnails=0))
    assert st.dropped == before + Counter(empty=2, uncovered_codepoint=1)
    rc, out, _ = cli("stats", copy, "--thumbnails", "0")
    assert rc == 0 and f"empty {before['empty'] + 2}" in out
    html = dropped_section(st)
    assert f"<td>empty</td><td>{before['empty'] + 2}</td>" in html and "<td>uncovered_codepoint</td>" in html


def test_bad_max_pages_is_refused(corpus, cli):
    rc, _, err = cli("stats", corpus, "--max-pages", "0")
    assert rc == 2 and "max_pages" in err
