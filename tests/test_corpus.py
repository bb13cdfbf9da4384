"""End to end: the synth pipeline writes a corpus that is deterministic, resumable, loadable and valid."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docsynth import config as C
from docsynth.executors.local import LocalExecutor
from docsynth.pipelines import synth
from docsynth.runner import ResumeError, generate
from docsynth.validate import validate

SMALL = ["layout.page_sizes=a5", "render.dpi=48", "layout.max_pages=3", "source.paragraphs=2,6"]


def small_cfg(num_docs=6, per_shard=2, seed=0, extra=()):
    cfg = synth.config(num_docs=num_docs, seed=seed)
    return C.apply_overrides(cfg, SMALL + [f"shards.docs_per_shard={per_shard}", *extra])


def corpus_bytes(out: Path) -> dict[str, bytes]:
    files = sorted((out / "data").glob("*.tar")) + [out / ".docsynth/index.json", out / ".docsynth/errors.jsonl", out / "vocab.json"]
    return {f.name: f.read_bytes() for f in files}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "corpus"
    generate(small_cfg(), str(out), LocalExecutor(1))
    return out


def test_corpus_layout_and_validation(reference):
    assert (reference / "README.md").read_text().startswith("---\nconfigs:")
    index = json.loads((reference / ".docsynth/index.json").read_text())
    assert index["num_shards"] == 3 and index["num_samples"] > 0
    assert [s["name"] for s in index["shards"]] == [f"train-{i:05d}-of-00003.tar" for i in range(3)]
    assert sorted(p.name for p in (reference / ".docsynth/done").iterdir()) == ["00000.json", "00001.json", "00002.json"]
    t = index["totals"]
    assert t["docs_in"] == 6 == t["docs_written"] + t["docs_dropped"]
    rep = validate(str(reference))
    assert rep.ok, rep.violations[:5]
    assert rep.samples == index["num_samples"]


def test_same_seed_same_bytes_across_worker_counts(reference, tmp_path):
    generate(small_cfg(), str(tmp_path / "w2"), LocalExecutor(2))
    assert corpus_bytes(tmp_path / "w2") == corpus_bytes(reference)


def test_other_seed_other_bytes(reference, tmp_path):
    generate(small_cfg(seed=1), str(tmp_path / "s1"), LocalExecutor(1))
    assert corpus_bytes(tmp_path / "s1")["train-00000-of-00003.tar"] != corpus_bytes(reference)["train-00000-of-00003.tar"]


def test_kill_and_resume_is_identical(reference, tmp_path):
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "docsynth", "generate", "--source", "faker", "--num-docs", "6",
            "--out", str(out), "--seed", "0"] + [a for kv in SMALL + ["shards.docs_per_shard=2"] for a in ("--set", kv)]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / ".docsynth/done/00000.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "generator ended before the first shard record"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / ".docsynth/index.json").exists(), "the run finished before it was killed"
    # a crash may leave a temporary file or a tar without a record: plant both
    (out / "data/.tmp-train-00002-of-00003.tar.dead").write_bytes(b"partial")
    (out / "data/train-00002-of-00003.tar").write_bytes(b"looks complete but has no record")
    rc = subprocess.run(args + ["--resume"], capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    assert corpus_bytes(out) == corpus_bytes(reference)
    assert not [p for p in (out / "data").iterdir() if p.name.startswith(".tmp-")]


def test_resume_refuses_another_config(reference, tmp_path):
    out = tmp_path / "c"
    generate(small_cfg(num_docs=2), str(out), LocalExecutor(1))
    with pytest.raises(ResumeError, match="config hash"):
        generate(small_cfg(num_docs=2, seed=5), str(out), LocalExecutor(1), resume=True)
    with pytest.raises(ResumeError, match="--resume"):
        generate(small_cfg(num_docs=2), str(out), LocalExecutor(1))


def test_resume_refuses_shards_of_another_vocabulary(tmp_path):
    # a corpus begun when "default" named another vision tokenizer (8 heads): same config, other ids
    out = tmp_path / "c"
    generate(small_cfg(num_docs=2), str(out), LocalExecutor(1))
    vocab = json.loads((out / "vocab.json").read_text())
    old = {**vocab, "G": vocab["G"] + 1, "vocab_size": vocab["vocab_size"] + vocab["K"]}
    (out / "vocab.json").write_text(json.dumps(old))
    with pytest.raises(ResumeError, match=r"vocab.json differs .*G=%d, .* in the corpus, G=%d, " % (old["G"], vocab["G"])):
        generate(small_cfg(num_docs=2), str(out), LocalExecutor(1), resume=True)
    assert json.loads((out / "vocab.json").read_text()) == old  # left as the done shards need it


def test_a_corpus_of_an_older_docsynth_keeps_its_vision_tokenizer(tmp_path):
    """vocab.json names the vision tokenizer and its patch. A corpus whose vocab.json predates them (made
    when "default" was the 8x checkpoint) resumes, reads its codes with the 8x checkpoint (the one shipped
    file of its G and K), and asks for the patch by name where the loader needs it."""
    from docsynth.corpus import Corpus
    from docsynth.model.data import make_loader

    out = tmp_path / "c"
    cfg = small_cfg(num_docs=2, extra=["vision.checkpoint=vision_tokenizer.pt"])
    generate(cfg, str(out), LocalExecutor(1))
    vocab = json.loads((out / "vocab.json").read_text())
    assert (vocab["vision_tokenizer"], vocab["patch"], vocab["G"]) == ("vision_tokenizer.pt", 8, 8)
    older = {k: v for k, v in vocab.items() if k not in ("vision_tokenizer", "patch")}
    (out / "vocab.json").write_text(json.dumps(older))
    generate(cfg, str(out), LocalExecutor(1), resume=True)  # the keys it lacks are not a difference
    assert json.loads((out / "vocab.json").read_text()) == vocab
    (out / "vocab.json").write_text(json.dumps(older))
    plan = json.loads((out / ".docsynth/plan.json").read_text())
    plan["config"]["vision"]["checkpoint"] = "default"
    (out / ".docsynth/plan.json").write_text(json.dumps(plan))
    tok = Corpus(str(out)).vision_tokenizer()
    assert (tok.G, tok.patch) == (8, 8)
    with pytest.raises(ValueError, match="records no patch size .*pass patch="):
        make_loader(str(out), seq_len=64, batch_size=1, pixels=True)
    batch = next(iter(make_loader(str(out), seq_len=4096, batch_size=1, pixels=True, patch=8, epochs=1)))
    assert batch["pixels"].shape[-1] == 64


def test_datasets_loads_the_corpus(reference, tmp_path):
    datasets = pytest.importorskip("datasets")
    index = json.loads((reference / ".docsynth/index.json").read_text())
    cache = str(tmp_path / "hf-cache")  # a fresh cache: never a stale copy of another run's corpus
    ds = datasets.load_dataset("webdataset", data_files={"train": str(reference / "data/*.tar")}, split="train", cache_dir=cache)
    assert len(ds) == index["num_samples"]
    assert {"meta.json", "tokens_a.npy", "tokens_b.npy", "codes.npy", "a.txt", "b.txt"} <= set(ds.column_names)
    row = ds[0]
    assert row["meta.json"]["key"] == row["__key__"]
    card = datasets.load_dataset(str(reference), split="train", cache_dir=cache)
    assert len(card) == index["num_samples"]


def test_validate_reports_corruption(reference, tmp_path):
    import shutil

    out = tmp_path / "bad"
    shutil.copytree(reference, out)
    tar = out / "data/train-00001-of-00003.tar"
    raw = bytearray(tar.read_bytes())
    raw[2000] ^= 0xFF
    tar.write_bytes(bytes(raw))
    rep = validate(str(out))
    assert not rep.ok
    assert any(shard == tar.name and "checksum" in msg for shard, _, msg in rep.violations)


def test_cli_generate_and_validate(tmp_path):
    out = tmp_path / "cli"
    sets = [a for kv in SMALL for a in ("--set", kv)]
    r = subprocess.run([sys.executable, "-m", "docsynth", "generate", "--source", "faker", "--num-docs", "2", "--out", str(out),
                        "--seed", "3", "--formats", "A", *sets], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "documents in" in r.stdout
    r = subprocess.run([sys.executable, "-m", "docsynth", "validate", str(out)], capture_output=True, text=True)
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "docsynth", "generate", "--source", str(tmp_path / "missing.parquet"),
                        "--out", str(tmp_path / "x")], capture_output=True, text=True)  # fmt: skip
    assert r.returncode != 0 and "missing.parquet" in r.stderr


BREAKS = [  # (what, mutation of a valid meta.json) — each must make the sample invalid
    ("missing key", lambda m: m.pop("docid")),
    ("extra property", lambda m: m.update(colour="red")),
    ("wrong type", lambda m: m.update(page="0")),
    ("bool is no number", lambda m: m.update(width=True)),
    ("bad enum", lambda m: m.update(direction="sideways")),
    ("bad key pattern", lambda m: m.update(key="Faker doc 1")),
    ("short box", lambda m: m["elements"][0].update(bbox=m["elements"][0]["bbox"][:3])),
    ("negative coordinate", lambda m: m["elements"][0]["bbox"].__setitem__(0, -1.0)),
    ("nested extra property", lambda m: m["elements"][0].update(z=1)),
]


@pytest.mark.parametrize("what,mutate", BREAKS, ids=[b[0] for b in BREAKS])
def test_fast_and_reference_schema_checks_agree(reference, what, mutate):
    """jsonschema-rs answers valid/invalid; Python jsonschema words the errors: they must agree."""
    import copy

    from docsynth import schemas
    from docsynth.corpus import Corpus

    metas = [sample.meta for sample in Corpus(str(reference)).samples()]
    assert metas and schemas.fast_validator("sample") is not None
    reference_check = schemas.validator("sample")
    for meta in metas:
        assert schemas.fast_validator("sample").is_valid(meta) and reference_check.is_valid(meta)
        broken = copy.deepcopy(meta)
        mutate(broken)
        assert not schemas.fast_validator("sample").is_valid(broken), what
        assert not reference_check.is_valid(broken), what
        assert schemas.errors("sample", broken), what


def _damage(out: Path, shard: str, damage: dict) -> list[str]:
    """Rewrite one shard with some members' bytes replaced ({(sample no., field): bytes}); the index is
    updated to the new bytes so that only the damage itself is reported. Returns the shard's keys."""
    import hashlib
    import io
    import tarfile

    tar, keys, buf = out / "data" / shard, [], io.BytesIO()
    with tarfile.open(tar) as src, tarfile.open(fileobj=buf, mode="w") as dst:
        for ti in src.getmembers():
            key, _, fld = ti.name.partition(".")
            if key not in keys:
                keys.append(key)
            data = damage.get((len(keys) - 1, fld), src.extractfile(ti).read())
            ti.size = len(data)
            dst.addfile(ti, io.BytesIO(data))
    tar.write_bytes(buf.getvalue())
    index_path = out / ".docsynth/index.json"
    index = json.loads(index_path.read_text())
    for sh in index["shards"]:
        if sh["name"] == shard:
            sh["bytes"], sh["sha256"] = len(buf.getvalue()), hashlib.sha256(buf.getvalue()).hexdigest()
    index_path.write_text(json.dumps(index))
    return keys


def test_validate_names_every_damaged_member_and_goes_on(reference, tmp_path):
    import shutil

    out = tmp_path / "damaged"
    shutil.copytree(reference, out)
    shard = "train-00000-of-00003.tar"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40  # a PNG signature and garbage: PIL.UnidentifiedImageError
    keys = _damage(out, shard, {(0, "page.png"): png, (1, "codes.npy"): b"\x93NUMPY\x01\x00garbage", (1, "a.txt"): b"\xff\xfe<para>"})
    assert len(keys) >= 3, "the fixture shard needs three samples"
    rep = validate(str(out))
    by_key = {}
    for sh, key, msg in rep.violations:
        assert sh == shard, (sh, key, msg)
        by_key.setdefault(key, []).append(msg)
    assert any(m.startswith("page.png: cannot be read (UnidentifiedImageError") for m in by_key[keys[0]]), by_key
    assert any(m.startswith("codes.npy: cannot be read") for m in by_key[keys[1]]), by_key
    assert set(by_key) == {keys[0], keys[1]}, "samples after the damaged ones are checked and clean"
    assert rep.samples == json.loads((out / ".docsynth/index.json").read_text())["num_samples"]


def test_validate_reports_a_truncated_shard_by_name(reference, tmp_path):
    import shutil

    out = tmp_path / "truncated"
    shutil.copytree(reference, out)
    tar = out / "data/train-00002-of-00003.tar"
    tar.write_bytes(tar.read_bytes()[:5000])
    rep = validate(str(out))
    msgs = [m for sh, _, m in rep.violations if sh == tar.name]
    assert any(m.startswith("unreadable tar") for m in msgs), msgs
    assert any("checksum" in m for m in msgs)
