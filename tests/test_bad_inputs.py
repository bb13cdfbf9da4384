"""Every kind of bad input gets a reason in errors.jsonl, and the counts reconcile."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from docsynth import config as C
from docsynth.executors.local import LocalExecutor
from docsynth.pipelines import synth
from docsynth.runner import generate
from docsynth.validate import validate

GOOD = "A perfectly ordinary paragraph of text that renders without trouble.\n\nAnd a second one, short."
BAD = {
    "empty": "",
    "blank": "   \n\t  \n ",
    "controls-only": "\x00\x01\x02\u200b\u200d\ufeff",
    "long-word": "x" * 100_000,
    "emoji": "Happy text with an emoji 😀 inside.",
    "rtl": "Some Hebrew: שלום עולם and Arabic: مرحبا",
    "uncovered": "Linear B 𐀀𐀁𐀂 is covered by no font here.",
    "reserved": "A paragraph that spells <para> literally.",
    "huge-word": "y" * 200_000,
    "nonchar": "Noncharacters \ufdd0 and \U0010ffff are not text; the rest of this paragraph renders.",
    "too-long": "\n\n".join(["Paragraph number %d is long enough to take a few lines on a small page. " % i * 3 for i in range(400)]),
}
EXPECTED = {
    "empty": "empty_text", "blank": "empty_text", "controls-only": "empty_text", "long-word": "word_too_long",
    "emoji": "uncovered_codepoint", "rtl": "rtl_text", "uncovered": "uncovered_codepoint",
    "reserved": "reserved_token", "huge-word": "word_too_long",
}  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rows = [{"id": "good-1", "text": GOOD}, {"id": "ctl", "text": "Tabs\tand\u200bzero\u200dwidth\x07chars " + GOOD}]
    rows += [{"id": k, "text": v} for k, v in BAD.items()]
    with open(d / "docs.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write('{"id": "broken-json", "text": \n')  # an unreadable row
        f.write(json.dumps({"id": "not-text", "text": 12345}) + "\n")  # a mistyped row
    pq.write_table(pa.table({"id": ["pq-1"], "text": [GOOD]}), d / "more.parquet")
    (d / "corrupt.parquet").write_bytes(b"PAR1 this is not a parquet file")
    cfg = C.apply_overrides(
        synth.config(num_docs=0),
        [f"source.kind=path", f"source.path={d}", "layout.page_sizes=a5", "render.dpi=48", "layout.max_pages=2",
         "shards.docs_per_shard=4", "layout.figure_prob=0"],
    )  # fmt: skip
    out = d / "out"
    index = generate(cfg, str(out), LocalExecutor(1))
    errors = [json.loads(line) for line in (out / ".docsynth/errors.jsonl").read_text().splitlines()]
    return out, index, errors


ROW = {name: f"docs-{i}" for i, name in enumerate(["good-1", "ctl", *BAD])}  # docids are positions in docs.jsonl


def test_each_bad_input_has_its_reason(corpus):
    _, _, errors = corpus
    by_doc = {}
    for e in errors:
        by_doc.setdefault(e["docid"], set()).add(e["reason"])
    for name, reason in EXPECTED.items():
        assert reason in by_doc.get(ROW[name], set()), (name, by_doc.get(ROW[name]))
    huge = next(e for e in errors if e["docid"] == ROW["huge-word"])
    assert "a 200000-character word" in huge["detail"], huge
    assert not by_doc.get(ROW["nonchar"]) and not by_doc.get(ROW["too-long"]), "noncharacters removed; a long text cut to fit"
    emoji = next(e for e in errors if e["docid"] == ROW["emoji"])
    assert "U+1F600" in emoji["detail"]
    assert any(e["reason"] == "unreadable_row" for e in errors)
    assert any("corrupt.parquet" in e["detail"] for e in errors)


def test_counts_reconcile_and_good_docs_survive(corpus):
    out, index, errors = corpus
    t = index["totals"]
    assert t["docs_in"] == t["docs_written"] + t["docs_dropped"]
    assert t["docs_dropped"] == sum(1 for e in errors if e["page"] is None)
    keys = set()
    for rec in (out / ".docsynth/done").iterdir():
        keys.add(json.loads(rec.read_text())["first_key"])
    assert t["docs_written"] >= 3  # good-1, ctl, pq-1
    assert validate(str(out)).ok


def test_control_and_zero_width_characters_are_removed(corpus):
    import tarfile

    out, _, _ = corpus
    for tar in (out / "data").glob("*.tar"):
        with tarfile.open(tar) as tf:
            for m in tf.getmembers():
                if m.name.startswith(f"path_{ROW['ctl']}_") and m.name.endswith(".meta.json"):
                    meta = json.loads(tf.extractfile(m).read())
                    text = " ".join(e["text"] for e in meta["elements"])
                    assert "\u200b" not in text and "\x07" not in text and "Tabs and" in text
                    return
    pytest.fail("the document with control characters was not written")
