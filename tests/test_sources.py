import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsynth import config as C
from docsynth.sources import SOURCES, get_source
from docsynth.sources.fineweb import FineWebSource, PathSource, file_tag, unique_tags
from docsynth.steps import ShardContext

ASSETS = Path(__file__).parent / "assets" / "fineweb"
SAFE = re.compile(r"[A-Za-z0-9-]{1,64}")
SCRIPTS = {  # locale -> scripts its letters must be written in (first word of the Unicode name)
    "en_US": {"LATIN"}, "de_DE": {"LATIN"}, "fr_FR": {"LATIN"}, "ru_RU": {"CYRILLIC"}, "el_GR": {"GREEK"},
    "zh_CN": {"CJK"}, "ja_JP": {"CJK", "HIRAGANA", "KATAKANA"},
}  # fmt: skip


def config(kind="faker", num_docs=20, per=4, seed=0, **source):
    return C.PipelineConfig(
        seed=seed, num_docs=num_docs, source=C.SourceConfig(kind=kind, **source), shards=C.ShardConfig(docs_per_shard=per)
    )


def read_all(cfg):
    """(documents, drops, contexts) of every shard of the plan; checks each shard's books balance."""
    src = get_source(cfg)
    docs, drops, ctxs = [], [], []
    for i, spec in enumerate(src.plan(cfg)):
        json.dumps(spec)  # specs travel as JSON
        ctx = ShardContext(shard=i, seed=cfg.seed)
        shard_docs = list(src.read(spec, ctx))
        for d in shard_docs:
            ctx.saw(d.source, d.docid)
        assert len(ctx.inputs) == len(shard_docs) + len(ctx.drops), f"shard {i}: a document counted twice or lost"
        docs += shard_docs
        drops += ctx.drops
        ctxs.append(ctx)
    return docs, drops, ctxs


def script_share(text: str, scripts: set) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(unicodedata.name(c, "?").split()[0] in scripts for c in letters) / max(len(letters), 1)


# --------------------------------------------------------------------------- faker


def test_registry():
    assert set(SOURCES) == {"faker", "fineweb", "path"}
    assert get_source(config()).name == "faker"


def test_faker_text_does_not_depend_on_the_shard_split():
    a = {d.docid: d.text for d in read_all(config(per=3))[0]}
    b = {d.docid: d.text for d in read_all(config(per=8))[0]}
    assert a == b and len(a) == 20
    assert sorted(a) == [f"f{i:08d}" for i in range(20)]
    c = {d.docid: d.text for d in read_all(config(per=3, seed=1))[0]}
    assert sum(a[k] != c[k] for k in a) >= 18


def test_faker_text_is_the_same_in_another_process():
    code = (
        "import hashlib; from docsynth import config as C; from docsynth.sources.faker import faker_document;"
        "from docsynth.steps import ShardContext; ctx = ShardContext(shard=5, seed=7);"
        "print(hashlib.sha256(''.join(faker_document(i, C.SourceConfig(), ctx).text for i in range(12)).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
    from docsynth.sources.faker import faker_document

    ctx = ShardContext(shard=0, seed=7)
    here = hashlib.sha256("".join(faker_document(i, C.SourceConfig(), ctx).text for i in range(12)).encode()).hexdigest()
    assert out == here


def test_faker_text_does_not_depend_on_the_clock(monkeypatch):
    from faker.providers.date_time import Provider

    before = [d.text for d in read_all(config(num_docs=30))[0]]
    original = Provider._parse_end_datetime.__func__
    later = classmethod(lambda cls, value: 4_000_000_000 if value is None else original(cls, value))
    monkeypatch.setattr(Provider, "_parse_end_datetime", later)  # "now" in the year 2096
    assert [d.text for d in read_all(config(num_docs=30))[0]] == before


@pytest.mark.parametrize("locale", sorted(SCRIPTS))
def test_faker_locale_writes_its_script(locale):
    docs, _, _ = read_all(config(num_docs=4, locales=(locale,)))
    text = "\n".join(d.text for d in docs)
    assert script_share(text, SCRIPTS[locale]) > 0.9, text[:200]
    if locale == "ja_JP":
        assert script_share(text, {"HIRAGANA", "KATAKANA"}) > 0.2  # kana, not only Han
    if locale == "zh_CN":
        assert script_share(text, {"HIRAGANA", "KATAKANA"}) == 0
    assert all(d.meta["locale"] == locale for d in docs)


def test_faker_shape_follows_the_config():
    docs, _, _ = read_all(config(num_docs=12, paragraphs=(2, 4), sentences=(1, 1), locales=("en_US", "ru_RU"), title_prob=0.0))
    for d in docs:
        paras = d.text.split("\n\n")
        assert 2 <= len(paras) <= 4 and all(p.strip() == p and p for p in paras)
        assert d.source == "faker" and d.meta["index"] == int(d.docid[1:])
    assert {d.meta["locale"] for d in docs} == {"en_US", "ru_RU"}


def test_faker_plan_and_bad_config():
    specs = get_source(config(num_docs=10, per=4)).plan(config(num_docs=10, per=4))
    assert specs == [{"kind": "faker", "start": a, "stop": b} for a, b in ((0, 4), (4, 8), (8, 10))]
    with pytest.raises(ValueError, match="num_docs"):
        get_source(config(num_docs=0)).plan(config(num_docs=0))
    with pytest.raises(ValueError, match="source.locales"):
        get_source(config(locales=("xx_YY",)))


# --------------------------------------------------------------------------- local files

PLANNED = 10 + 8 + 1 + 8  # fw-00 rows, fw-01 non-blank lines, the corrupt file (one input), fw-03 rows
JSONL_ROWS = [ln.strip() for ln in (ASSETS / "fw-01.jsonl").read_bytes().splitlines() if ln.strip()]


def test_path_counts_reconcile_with_drops():
    docs, drops, ctxs = read_all(config("path", num_docs=0, per=5, path=str(ASSETS)))
    assert sum(len(c.inputs) for c in ctxs) == PLANNED == len(docs) + len(drops)
    assert len(docs) == 16
    assert Counter(d.reason for d in drops) == {"unreadable_row": 6, "unreadable_file": 5}
    details = {d.docid: d.detail for d in drops}
    assert details["fw-02-corrupt-file"].startswith("fw-02-corrupt.parquet: ")
    assert details["fw-01-4"].startswith("fw-01.jsonl:4: UnicodeDecodeError")
    assert "column 'text' holds int" in details["fw-01-3"]
    assert "no column 'text'" in details["fw-01-6"]
    assert [d.docid for d in drops if d.reason == "unreadable_file"][1:] == [f"fw-03-broken-{r}" for r in range(4, 8)]
    assert all(d.step == "read" and "\n" not in d.detail for d in drops)


def test_path_docids_and_meta():
    docs, drops, _ = read_all(config("path", num_docs=0, per=100, path=str(ASSETS)))
    ids = [d.docid for d in docs] + [d.docid for d in drops]
    assert len(set(ids)) == len(ids) and all(SAFE.fullmatch(i) for i in ids)
    by_id = {d.docid: d for d in docs}
    first = by_id["fw-00-0"]  # docids are positions; FineWeb's <urn:uuid:…> id is kept in meta
    assert first.meta == {
        "index": 0, "file": "fw-00.parquet", "row": 0, "url": "https://example.org/page/0", "dump": "CC-MAIN-2024-10",
        "date": "2024-02-21T10:00:00Z", "language": "en", "id": "<urn:uuid:00000000-7d2a-4c3b-9f1e-0123456789ab>",
    }  # fmt: skip
    assert first.text.startswith("Growing tomatoes on a balcony\nTomatoes")
    assert by_id["fw-00-7"].meta["row"] == 7 and by_id["fw-00-7"].meta["id"] == by_id["fw-00-2"].meta["id"]  # a repeated id
    assert by_id["fw-01-1"].meta["index"] == 11 and by_id["fw-01-1"].meta["id"] == "doc-1"
    assert by_id["fw-01-7"].meta["id"] == "a/b c"
    assert [d.meta["index"] for d in docs] == sorted(d.meta["index"] for d in docs)


@settings(max_examples=40, deadline=None)
@given(per=st.integers(1, 12), cap=st.integers(0, 30))
def test_path_plan_covers_every_row_once(per, cap):
    cfg = config("path", num_docs=cap, per=per, path=str(ASSETS))
    specs = PathSource(cfg).plan(cfg)
    seen, indices = [], []  # (file, row) of every planned input; their global indices
    for spec in specs:
        size = sum(1 if "error" in p else p["stop"] - p["start"] for p in spec["parts"])
        assert 1 <= size <= per
        for p in spec["parts"]:
            if "error" in p:
                seen.append((p["name"], "file"))
                indices.append(p["index"])
            else:
                seen += [(p["name"], r) for r in range(p["start"], p["stop"])]
                indices += range(p["index"], p["index"] + p["stop"] - p["start"])
                if p["name"].endswith(".jsonl") and p["start"] > 0:  # shards seek to their first line
                    with open(p["file"], "rb") as fh:
                        fh.seek(p["offset"])
                        assert fh.readline().strip() == JSONL_ROWS[p["start"]]
    assert len(seen) == len(set(seen)) == (min(cap, PLANNED) if cap else PLANNED)
    assert indices == list(range(len(indices)))
    assert all(sum(1 if "error" in p else p["stop"] - p["start"] for p in s["parts"]) == per for s in specs[:-1])


def test_path_single_file_and_bad_paths(tmp_path):
    docs, drops, _ = read_all(config("path", num_docs=0, per=3, path=str(ASSETS / "fw-01.jsonl")))
    assert len(docs) + len(drops) == 8 and len(docs) == 3
    with pytest.raises(ValueError, match="source.path"):
        PathSource(config("path", path=str(tmp_path / "missing"))).plan(config("path", path=str(tmp_path / "missing")))
    (tmp_path / "notes.txt").write_text("not an input")
    with pytest.raises(ValueError, match="holds no"):
        PathSource(config("path", path=str(tmp_path))).plan(config("path", path=str(tmp_path)))
    with pytest.raises(ValueError, match="is not a"):
        PathSource(config("path", path=str(tmp_path / "notes.txt"))).plan(config("path", path=str(tmp_path / "notes.txt")))


def test_path_gzipped_jsonl(tmp_path):
    (tmp_path / "fw-01.jsonl.gz").write_bytes(gzip.compress((ASSETS / "fw-01.jsonl").read_bytes()))
    plain = read_all(config("path", num_docs=0, per=3, path=str(ASSETS / "fw-01.jsonl")))
    zipped = read_all(config("path", num_docs=0, per=3, path=str(tmp_path)))
    assert [(d.docid, d.text) for d in zipped[0]] == [(d.docid, d.text) for d in plain[0]]
    assert [(d.docid, d.reason) for d in zipped[1]] == [(d.docid, d.reason) for d in plain[1]]


def test_path_file_that_shrinks_after_planning(tmp_path):
    src_file = tmp_path / "data.jsonl"
    src_file.write_text("\n".join(json.dumps({"text": f"row {i}", "id": f"r{i}"}) for i in range(6)) + "\n")
    cfg = config("path", num_docs=0, per=10, path=str(tmp_path))
    (spec,) = PathSource(cfg).plan(cfg)
    src_file.write_text("\n".join(json.dumps({"text": f"row {i}", "id": f"r{i}"}) for i in range(4)) + "\n")
    ctx = ShardContext(shard=0, seed=0)
    docs = list(PathSource(cfg).read(spec, ctx))
    assert [d.docid for d in docs] == ["data-0", "data-1", "data-2", "data-3"]
    assert [(d.docid, d.reason) for d in ctx.drops] == [("data-4", "unreadable_file"), ("data-5", "unreadable_file")]


def test_docid_helpers():
    assert unique_tags(["a-b.jsonl", "a/b.jsonl", "a_b.parquet", "c.jsonl"]) == ["a-b", "a-b-f2", "a-b-f3", "c"]
    assert file_tag("CC-MAIN-2024/000_00001.parquet") == "CC-MAIN-2024-000-00001"
    long = file_tag("a" * 80 + ".jsonl.gz")
    assert len(long) <= 40 and SAFE.fullmatch(long) and long != file_tag("a" * 81 + ".jsonl.gz")


# --------------------------------------------------------------------------- the hub stream, on a local copy


def _local_repo(root: Path, parquet: Path) -> str:
    """A FineWeb-shaped dataset repo (README configs + sample/10BT/*.parquet), as `load_dataset` reads it."""
    (root / "sample" / "10BT").mkdir(parents=True)
    shutil.copy(parquet, root / "sample" / "10BT" / "000_00000.parquet")
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: sample-10BT\n  data_files:\n  - split: train\n    path: sample/10BT/*\n---\n"
    )
    return str(root)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_fineweb_stream_matches_the_file(tmp_path, offline):
    repo = _local_repo(tmp_path, ASSETS / "fw-00.parquet")
    docs, drops, _ = read_all(config("fineweb", num_docs=10, per=5, fineweb_name=repo))
    ref_docs, ref_drops, _ = read_all(config("path", num_docs=0, per=5, path=str(ASSETS / "fw-00.parquet")))
    assert [(d.text, d.meta["index"], d.meta["url"], d.meta.get("id")) for d in docs] == [
        (d.text, d.meta["index"], d.meta["url"], d.meta.get("id")) for d in ref_docs
    ]
    assert [d.docid for d in docs] == [f"fw-{d.meta['index']}" for d in docs]  # the stream's positions
    assert [(d.docid.rsplit("-", 1)[1], d.reason) for d in drops] == [(d.docid.rsplit("-", 1)[1], d.reason) for d in ref_drops]
    assert all(d.source == "fineweb" for d in docs)


def test_fineweb_broken_stream_drops_the_rest(tmp_path, offline):
    repo = _local_repo(tmp_path, ASSETS / "fw-03-broken.parquet")
    docs, drops, _ = read_all(config("fineweb", num_docs=8, per=8, fineweb_name=repo))
    assert len(docs) + len(drops) == 8
    assert {d.reason for d in drops} == {"unreadable_stream"} and len(drops) >= 4
    assert drops[-1].docid == "fw-7" and drops[-1].detail.startswith(f"{repo}:7: ")


def test_fineweb_needs_a_count_and_a_reachable_name(tmp_path, offline):
    with pytest.raises(ValueError, match="num_docs"):
        FineWebSource(config("fineweb", num_docs=0)).plan(config("fineweb", num_docs=0))
    cfg = config("fineweb", num_docs=2, fineweb_name=str(tmp_path / "absent"))
    with pytest.raises(RuntimeError, match="source.fineweb_name"):
        list(FineWebSource(cfg).read({"kind": "fineweb", "start": 0, "stop": 2}, ShardContext(shard=0, seed=0)))


def test_faker_titles_are_short_lines_without_a_stop():
    docs, _, _ = read_all(config(num_docs=12, sentences=(3, 3), locales=("en_US",), title_prob=0.5))
    titles = [p for d in docs for p in d.text.split("\n\n") if not p.endswith(".")]
    assert titles and all(2 <= len(t.split()) <= 6 for t in titles)
