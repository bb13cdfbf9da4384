"""The fuzz suite: hostile PDFs the project builds (tests/arxiv/hostile.py) never cost a run, a page
that could be read, or the truth (a page's words are always that page's words)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pikepdf")
from arxiv_helpers import extract  # noqa: E402
from hostile import token, write_hostile  # noqa: E402

from docsynth.cli import main  # noqa: E402

BACKENDS = ["pdfplumber", "pymupdf"]
# name -> (pages written, {page: drop reason}, {page: fallback reason prefix}) with the pdfplumber backend
EXPECTED = {
    "duplicate_kid": (4, {}, {}),  # page 3 is page 0's object again: pdfminer's page 0 is that page
    "untyped_page": (3, {}, {1: "page_mismatch"}),  # pdfminer skips page 1; its page 1 is MuPDF's page 2
    "untyped_tree": (2, {}, {0: "corrupt_pdf", 1: "corrupt_pdf"}),  # pdfminer finds no pages: MuPDF reads both
    "user_unit": (1, {}, {}),
    "inline_font": (1, {}, {}),
    "deep_branch": (1, {}, {0: "corrupt_pdf"}),  # MuPDF shows page 0 only; pdfminer recurses out opening it
    "cyclic_kids": (3, {}, {}),
    "zero_size": (2, {}, {0: "frame_mismatch"}),
    "rotated_offset": (2, {}, {}),
    "huge_image": (1, {}, {}),
    "missing_kid": (2, {2: "missing_page"}, {}),
    "broken_xref": (3, {}, {}),
}
WHY_NOT_PDFMINER = {"deep_branch": "PdfminerException: maximum recursion depth exceeded", "untyped_tree": "pdfminer finds no pages"}
DOC_DROPS = {"deep_tree": "corrupt_pdf", "truncated_mid": "corrupt_pdf", "empty_file": "corrupt_pdf"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return write_hostile(tmp_path_factory.mktemp("hostile"))


def _own_words(page) -> bool:
    """The page's text holds its own token and no other page's (the base document has 3 pages)."""
    text = " ".join(e.text for e in page.elements)
    own = token(page.page if page.meta["pages_in_pdf"] <= 3 else page.page % 3)
    return own in text and not any(token(k) in text for k in range(3) if token(k) != own)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_pdf_costs_only_what_it_must(hostile, name):
    n, drops, fallbacks = EXPECTED[name]
    pages, ctx = extract(hostile[name], "pdfplumber")
    assert len(pages) == n, [(d.page, d.reason, d.detail) for d in ctx.drops]
    assert {d.page: d.reason for d in ctx.drops} == drops
    assert {p.page: p.meta["backend_fallback"].split(":")[0] for p in pages if "backend_fallback" in p.meta} == fallbacks
    for p in pages:
        assert p.meta["backend"] == ("pymupdf" if p.page in fallbacks else "pdfplumber")
        if name in WHY_NOT_PDFMINER:
            assert p.meta["backend_fallback"] == f"corrupt_pdf: pdfplumber cannot read the file ({WHY_NOT_PDFMINER[name]})"
        if p.meta["pages_in_pdf"] <= 4:
            assert _own_words(p), (name, p.page, [e.text for e in p.elements])
    assert ctx.counters["arxiv_close_errors"] == (name == "deep_branch")  # logged and counted, never raised
    seen = sorted([p.page for p in pages] + [d.page for d in ctx.drops])
    assert seen == list(range(pages[0].meta["pages_in_pdf"])), "every page written or dropped, once"


@pytest.mark.parametrize("name, reason", sorted(DOC_DROPS.items()))
@pytest.mark.parametrize("backend", BACKENDS)
def test_unreadable_files_are_dropped_whole_with_a_true_reason(hostile, name, reason, backend):
    pages, ctx = extract(hostile[name], backend)
    assert pages == [] and [(d.page, d.reason) for d in ctx.drops] == [(None, reason)]
    if name == "deep_tree":
        assert "page tree" in ctx.drops[0].detail


def test_the_pymupdf_backend_reads_inline_fonts_and_user_units(hostile):
    for name in ("inline_font", "user_unit", "rotated_offset"):
        mu, ctx = extract(hostile[name], "pymupdf")
        pl, _ = extract(hostile[name], "pdfplumber")
        assert not ctx.drops and [p.meta["backend"] for p in mu] == ["pymupdf"] * len(mu)
        for a, b in zip(mu, pl):
            assert (a.width, a.height) == (b.width, b.height)
            wa = [(w.text, w.bbox) for e in a.elements for ln in e.lines for w in ln.words]
            wb = [(w.text, w.bbox) for e in b.elements for ln in e.lines for w in ln.words]
            assert [t for t, _ in wa] == [t for t, _ in wb]
            assert all(max(abs(u - v) for u, v in zip(x, y)) < 1.5 for (_, x), (_, y) in zip(wa, wb)), name


def test_user_unit_pages_keep_the_displayed_size(hostile):
    (page,), _ = extract(hostile["user_unit"], "pdfplumber")
    assert (page.width, page.height) == (600, 800)
    assert page.elements[0].bbox[0] == pytest.approx(80, abs=2)  # x = 40 user units of 2 pt


@pytest.mark.parametrize("fault, reason", [("crash", "worker_crash"), ("hang", "page_timeout"), ("oom", "memory_limit")])
def test_a_reader_that_dies_hangs_or_runs_out_costs_one_page(hostile, fault, reason, tmp_path):
    """The reader process (arxiv.isolate) is killed or fails on page 1; pages 0 and 2 still come out.
    Run in a fresh interpreter: the reader inherits DOCSYNTH_FAULT from it."""
    res = _faulty_extract(hostile["untyped_page"], f"{fault}:1")
    assert res["pages"] == [0, 2]
    assert [(p, r) for p, r, _ in res["drops"]] == [(1, reason)], res["drops"]
    assert "page 1" in res["drops"][0][2]


def _faulty_extract(path: Path, fault: str) -> dict:
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from arxiv_helpers import extract\n"
        "pages, ctx = extract(__import__('pathlib').Path(sys.argv[1]), page_timeout_s=2)\n"
        "print(json.dumps({'pages': [p.page for p in pages], 'drops': [[d.page, d.reason, d.detail] for d in ctx.drops]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path), str(Path(__file__).parent)],
                         env={**os.environ, "DOCSYNTH_FAULT": fault}, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_file_that_kills_its_reader_three_times_gives_up_on_the_rest(hostile):
    res = _faulty_extract(hostile["duplicate_kid"], "crash:0,1,2")  # 4 pages
    assert res["pages"] == []
    assert [(p, r) for p, r, _ in res["drops"]] == [(0, "worker_crash"), (1, "worker_crash"), (2, "worker_crash"),
                                                    (3, "too_many_failures")]  # fmt: skip


def test_a_run_over_the_whole_suite_finishes_resumes_and_validates(hostile, tiny_vision, tmp_path, capsys):
    """`docsynth arxiv` on every hostile file (and a name that is not UTF-8), with 2 workers, then --resume."""
    folder = tmp_path / "in"
    folder.mkdir()
    for p in hostile.values():
        shutil.copy(p, folder / p.name)
    latin1 = os.fsdecode(b"caf\xe9.pdf")  # a Latin-1 file name: not UTF-8
    shutil.copy(hostile["inline_font"], folder / latin1)
    out = tmp_path / "out"
    argv = ["arxiv", "--pdf", str(folder), "--out", str(out), "--set", f"vision.checkpoint={tiny_vision}",
            "--set", "render.dpi=36", "--docs-per-shard", "4"]  # fmt: skip
    assert main([*argv, "--workers", "2"]) == 0
    index = json.loads((out / ".docsynth/index.json").read_text())
    t = index["totals"]
    assert t["docs_in"] == len(hostile) + 1 == t["docs_written"] + t["docs_dropped"]
    assert t["docs_dropped"] == len(DOC_DROPS)
    errors = [json.loads(ln) for ln in (out / ".docsynth/errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["reason"] for e in errors if e["page"] is None} == set(DOC_DROPS.values())
    assert main(["validate", str(out)]) == 0
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "caf\\xe9.pdf" in card or "caf\\udce9.pdf" in card  # the name, escaped, in the config block
    metas = [json.loads(ln) for ln in _metas(out)]
    assert any(m["key"].startswith("arxiv_caf") for m in metas)
    (out / ".docsynth/index.json").unlink()  # as if the driver died before finishing
    capsys.readouterr()
    assert main([*argv, "--workers", "1", "--resume"]) == 0
    assert json.loads((out / ".docsynth/index.json").read_text()) == index


def _metas(out: Path):
    import tarfile

    for tar in sorted((out / "data").glob("*.tar")):
        with tarfile.open(tar) as tf:
            for m in tf.getmembers():
                if m.name.endswith(".meta.json"):
                    yield tf.extractfile(m).read().decode()


def test_bench_sweep_accounts_for_every_page_of_the_suite(hostile):
    """bench/sweep.py over the suite: no crash, no hang, every page written or dropped (exit 0)."""
    bench = Path(__file__).parents[2] / "bench" / "sweep.py"
    out = subprocess.run([sys.executable, str(bench), str(hostile["duplicate_kid"].parent), "-j", "2", "--timeout", "120"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert f"files {len(hostile)} " in out.stdout and "crashes 0 | hangs 0" in out.stdout
    assert "files with pages unaccounted for 0" in out.stdout
