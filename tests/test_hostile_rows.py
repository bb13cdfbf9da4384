"""Hostile text sources: `generate` either writes a corpus that `validate` accepts, or stops with one
clear line before writing anything. Never a corpus with duplicate keys, never a traceback."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docsynth import config as C
from docsynth.cli import main
from docsynth.executors.local import LocalExecutor
from docsynth.pipelines import synth
from docsynth.runner import generate
from docsynth.validate import validate

GOOD = "An ordinary paragraph of text that renders without any trouble at all."
TINY = ["layout.page_sizes=a5", "render.dpi=36", "layout.max_pages=1", "layout.figure_prob=0", "source.max_chars=400"]


def path_cfg(folder, per: int = 2, extra=()):
    return C.apply_overrides(synth.config(num_docs=0),
                             ["source.kind=path", f"source.path={folder}", f"shards.docs_per_shard={per}", *TINY, *extra])  # fmt: skip


def write_jsonl(path, rows) -> None:
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def keys_of(out) -> list[str]:
    import tarfile

    keys = []
    for tar in sorted((out / "data").glob("*.tar")):
        with tarfile.open(tar) as tf:
            keys += [m.name.split(".")[0] for m in tf.getmembers() if m.name.endswith(".meta.json")]
    return keys


# Ids drawn from a tiny alphabet repeat across rows, files and shards, and spell other rows' positions.
IDS = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "b", "docs-0", "docs-1", "more-0", "x y", "<urn:uuid:0>"]))
TEXTS = st.one_of(
    st.just(GOOD),
    st.text(min_size=0, max_size=60),
    st.sampled_from(["", "   ", "\ufdd0\ufdef", "x" * 500, "שלום", "<para>", "tab\tand\x00nul " + GOOD, GOOD + " 😀"]),
)
ROWS = st.lists(st.fixed_dictionaries({"id": IDS, "text": TEXTS}), min_size=1, max_size=7)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(jsonl=ROWS, parquet=ROWS, per=st.integers(1, 3))
def test_generate_writes_only_corpora_that_validate(tmp_path_factory, jsonl, parquet, per):
    folder = tmp_path_factory.mktemp("rows")
    write_jsonl(folder / "docs.jsonl", jsonl)
    pq.write_table(pa.table({"id": [None if r["id"] is None else str(r["id"]) for r in parquet],
                             "text": [r["text"] for r in parquet]}), folder / "more.parquet")  # fmt: skip
    out = folder / "out"
    index = generate(path_cfg(folder, per), str(out), LocalExecutor(1))
    rep = validate(str(out))
    assert rep.ok, rep.violations[:5]
    keys = keys_of(out)
    assert len(keys) == len(set(keys)) == index["num_samples"]
    assert index["totals"]["docs_in"] == len(jsonl) + len(parquet)


def test_duplicate_ids_across_files_and_shards_give_unique_keys(tmp_path):
    rows = [{"id": "same", "text": GOOD}, {"id": "docs-1", "text": GOOD}, {"id": "same", "text": GOOD}]
    write_jsonl(tmp_path / "docs.jsonl", rows)
    write_jsonl(tmp_path / "docs_.jsonl", rows)  # its tag would be "docs" too
    out = tmp_path / "out"
    generate(path_cfg(tmp_path, per=1), str(out), LocalExecutor(1))
    keys = keys_of(out)
    assert len(keys) == len(set(keys)) == 6 and validate(str(out)).ok
    metas = []
    import tarfile

    for tar in sorted((out / "data").glob("*.tar")):
        with tarfile.open(tar) as tf:
            metas += [json.load(tf.extractfile(m)) for m in tf.getmembers() if m.name.endswith(".meta.json")]
    assert sorted(m["key"].split("_")[1] for m in metas) == ["docs-0", "docs-1", "docs-2", "docs-f2-0", "docs-f2-1", "docs-f2-2"]
    ids = sorted((json.loads(m["layout"])["doc"]["file"], json.loads(m["layout"])["doc"]["id"]) for m in metas)
    assert ids == sorted([(f, i) for f in ("docs.jsonl", "docs_.jsonl") for i in ("same", "docs-1", "same")])  # kept


@pytest.mark.parametrize("make", ["zero_bytes", "blank_lines", "zero_row_parquet"])
def test_an_empty_source_is_one_line_and_a_non_zero_exit(tmp_path, capsys, make):
    src = tmp_path / "src"
    src.mkdir()
    if make == "zero_bytes":
        (src / "a.jsonl").write_bytes(b"")
    elif make == "blank_lines":
        (src / "a.jsonl").write_text("\n   \n\n")
    else:
        pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), src / "a.parquet")
    out = tmp_path / "out"
    assert main(["generate", "--source", str(src), "--num-docs", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("docsynth generate: error: source.path:") and "holds no rows" in err[-1]
    assert "Traceback" not in "\n".join(err) and not out.exists()


def test_one_invalid_utf8_value_in_parquet_drops_its_row_alone(tmp_path):
    text = pa.array([GOOD.encode(), b"bad \xff\xfe value", GOOD.encode()], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": text}), tmp_path / "rows.parquet")
    out = tmp_path / "out"
    index = generate(path_cfg(tmp_path, per=3), str(out), LocalExecutor(1))
    assert index["totals"]["docs_written"] == 2 and index["dropped_by_reason"] == {"unreadable_row": 1}
    (err,) = [json.loads(ln) for ln in (out / ".docsynth/errors.jsonl").read_text().splitlines()]
    assert err["docid"] == "rows-1" and "column 'text' is not valid UTF-8" in err["detail"]


def test_file_names_that_are_not_utf8(tmp_path, capsys):
    name = os.fsdecode(b"caf\xe9.jsonl")
    write_jsonl(tmp_path / name, [{"id": "x", "text": GOOD}, "{broken json"])
    out = tmp_path / "out"
    assert main(["generate", "--source", str(tmp_path), "--num-docs", "0", "--out", str(out), "--set", "render.dpi=36"]) == 0
    (err,) = [json.loads(ln) for ln in (out / ".docsynth/errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert err["detail"].startswith("caf\\xe9.jsonl:1: ")
    assert validate(str(out)).ok and "caf" in (out / "README.md").read_text(encoding="utf-8")
