"""PdfSource planning and reading; the pipeline definition."""

from __future__ import annotations

import pytest

from docsynth import config as C
from docsynth.arxiv import PdfSource
from docsynth.arxiv.source import sanitize_docid
from docsynth.steps import ShardContext


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return path


def plan(*pdfs, per_shard=2):
    cfg = C.PipelineConfig(name="arxiv", arxiv=C.ArxivConfig(pdfs=tuple(str(p) for p in pdfs)),
                           shards=C.ShardConfig(docs_per_shard=per_shard))  # fmt: skip
    return PdfSource().plan(cfg)


def test_folders_are_searched_sorted_and_files_kept_in_order(tmp_path):
    for name in ("b.pdf", "a.PDF", "sub/c.pdf", "notes.txt"):
        touch(tmp_path / "dir" / name)
    single = touch(tmp_path / "z.pdf")
    specs = plan(single, tmp_path / "dir", per_shard=2)
    files = [e for s in specs for e in s["files"]]
    assert [e["docid"] for e in files] == ["z", "a", "b", "c"]
    assert [len(s["files"]) for s in specs] == [2, 2] and [e["index"] for e in files] == [0, 1, 2, 3]


def test_same_file_twice_is_read_once_and_same_stems_get_unique_ids(tmp_path):
    a, b = touch(tmp_path / "x" / "2101.00001v2.pdf"), touch(tmp_path / "y" / "2101.00001v2.pdf")
    files = [e for s in plan(a, a, b) for e in s["files"]]
    assert [e["docid"] for e in files] == ["2101-00001v2", "2101-00001v2-2"]


def test_missing_path_is_an_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="nothing-here"):
        plan(tmp_path / "nothing-here.pdf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no PDF files"):
        plan(tmp_path / "empty")


def test_read_yields_documents():
    spec = {"files": [{"path": "/x/a.pdf", "docid": "a", "index": 3}]}
    (doc,) = PdfSource().read(spec, ShardContext(0, 0))
    assert (doc.source, doc.docid, doc.text, doc.meta) == ("arxiv", "a", "", {"path": "/x/a.pdf", "index": 3})


@pytest.mark.parametrize("stem,want", [("2101.00001v2", "2101-00001v2"), ("ünïcode name", "n-code-name"),
                                       ("...", "doc"), ("a" * 80, "a" * 64)])  # fmt: skip
def test_docids_are_key_safe(stem, want):
    assert sanitize_docid(stem) == want


def test_pipeline_definition():
    from docsynth.arxiv import Extract
    from docsynth.encode import Encode
    from docsynth.pipelines import arxiv
    from docsynth.serialize import Serialize

    cfg = arxiv.config(arxiv=C.ArxivConfig(pdfs=("x.pdf",)))
    assert cfg.name == "arxiv"
    pipe = arxiv.build(cfg)
    assert isinstance(pipe.source, PdfSource)
    assert [type(s) for s in pipe.steps] == [Extract, Encode, Serialize]


@pytest.mark.parametrize("field,value", [("ocr", "pdf:/x"), ("ocr_scope", "some"), ("ocr_dpi", 10),
                                         ("max_unmapped_frac", 2.0), ("backend", "poppler")])  # fmt: skip
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=f"arxiv.{field}"):
        C.ArxivConfig(**{field: value})
