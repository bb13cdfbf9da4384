"""End to end: `docsynth arxiv --pdf … --out DIR`, then `docsynth validate DIR`."""

from __future__ import annotations

import json
import tarfile

import pytest

from docsynth.cli import main

SMALL = ["--set", "render.mode=L", "--set", "render.dpi=36", "--docs-per-shard", "3"]


def corpus(fx, out, tiny_vision, *extra):
    pdfs = [str(fx[n]) for n in ("one_column", "encrypted", "two_column", "truncated", "cid_font", "landscape", "scan")]
    argv = ["arxiv", "--pdf", *pdfs, "--out", str(out), "--set", f"vision.checkpoint={tiny_vision}", *SMALL, *extra]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def out(fx, tiny_vision, tmp_path_factory):
    return corpus(fx, tmp_path_factory.mktemp("cli") / "corpus", tiny_vision)


def samples(out):
    for tar in sorted((out / "data").glob("*.tar")):
        with tarfile.open(tar) as tf:
            for m in tf.getmembers():
                if m.name.endswith("meta.json"):
                    yield json.load(tf.extractfile(m))


def test_corpus_validates(out, capsys):
    assert main(["validate", str(out)]) == 0
    assert "OK" in capsys.readouterr().out


def test_samples_keep_elements_boxes_and_lines(out):
    metas = list(samples(out))
    assert [m["key"] for m in metas] == ["arxiv_one-column_0000", "arxiv_two-column_0000", "arxiv_two-column_0001",
                                         "arxiv_landscape_0000"]  # fmt: skip
    one = metas[0]
    assert one["source"] == "arxiv" and one["image"]["dpi"] == 36.0
    layout = json.loads(one["layout"])
    assert layout["backend"] == "pdfplumber" and layout["text_layer"] is True and layout["rotation"] == 0
    kinds = [e["type"] for e in one["elements"]]
    assert {"header", "heading", "para", "math", "figure", "caption", "footnote", "footer"} <= set(kinds)
    para = next(e for e in one["elements"] if e["type"] == "para")
    assert len(para["bbox_norm"]) == 4 and para["lines"] and para["lines"][0]["words"][0]["bbox"]
    assert "joined" in json.loads(para["attrs"])
    fig = next(e for e in one["elements"] if e["type"] == "figure")
    assert json.loads(fig["attrs"])["grid"] and fig["text"] == ""
    assert json.loads(metas[3]["layout"])["rotation"] == 90 and metas[3]["width"] == 792


def test_bad_inputs_are_recorded(out):
    errors = [json.loads(ln) for ln in (out / ".docsynth/errors.jsonl").read_text().splitlines()]
    reasons = {(e["docid"], e["page"]): e["reason"] for e in errors}
    assert reasons[("encrypted", None)] == "encrypted" and reasons[("truncated", None)] == "corrupt_pdf"
    assert reasons[("cid-font", 0)] == "no_unicode_map" and reasons[("scan", 0)] == "no_text_layer"
    index = json.loads((out / ".docsynth/index.json").read_text())
    assert index["totals"]["docs_in"] == 7 and index["totals"]["docs_written"] == 3


def test_same_inputs_same_bytes(fx, tiny_vision, out, tmp_path):
    again = corpus(fx, tmp_path / "again", tiny_vision)
    for tar in sorted((out / "data").glob("*.tar")):
        assert (again / "data" / tar.name).read_bytes() == tar.read_bytes()


def test_line_granularity_and_pymupdf_backend(fx, tiny_vision, tmp_path):
    out = tmp_path / "lines"
    argv = ["arxiv", "--pdf", str(fx["one_column"]), "--out", str(out), "--backend", "pymupdf", "--granularity", "line",
            "--set", f"vision.checkpoint={tiny_vision}", *SMALL]  # fmt: skip
    assert main(argv) == 0 and main(["validate", str(out)]) == 0
    (meta,) = samples(out)
    assert {e["type"] for e in meta["elements"]} == {"line", "figure"}
    assert json.loads(meta["layout"])["backend"] == "pymupdf"


def test_missing_pdf_fails_naming_it(tmp_path, capsys):
    assert main(["arxiv", "--pdf", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "o")]) == 2
    assert "nope.pdf" in capsys.readouterr().err
