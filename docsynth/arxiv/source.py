"""`PdfSource`: PDF files (or folders of them) -> per-shard specs -> `Document`s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from docsynth import config as C
from docsynth.doc import Document
from docsynth.steps import ShardContext

MAX_DOCID = 64  # sample keys keep this many docid characters


def sanitize_docid(stem: str) -> str:
    """'2101.00001v2' -> '2101-00001v2': ASCII letters, digits and '-' only (sample keys allow no dots)."""
    safe = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9-]", "-", stem.encode("ascii", "replace").decode())).strip("-")
    return (safe or "doc")[:MAX_DOCID]


def list_pdfs(paths: tuple[str, ...] | list[str]) -> list[Path]:
    """Files as given, folders searched recursively for *.pdf; sorted within each argument, duplicates removed."""
    out, seen = [], set()
    for p in paths:
        path = Path(p).expanduser()
        if not path.exists():
            raise ValueError(f"arxiv.pdfs: {p} does not exist")
        found = [path] if path.is_file() else sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() == ".pdf")
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


def unique_docids(files: list[Path]) -> list[str]:
    """Sanitized stems, made unique with a numeric suffix when two files share one."""
    ids, used = [], set()
    for f in files:
        base = sanitize_docid(f.stem)
        docid, k = base, 2
        while docid in used:
            suffix = f"-{k}"
            docid, k = base[: MAX_DOCID - len(suffix)] + suffix, k + 1
        used.add(docid)
        ids.append(docid)
    return ids


class PdfSource:
    name = "arxiv"

    def plan(self, cfg: C.PipelineConfig) -> list[dict]:
        files = list_pdfs(cfg.arxiv.pdfs)
        if not files:
            raise ValueError(f"arxiv.pdfs: no PDF files found in {', '.join(cfg.arxiv.pdfs) or '(nothing given)'}")
        entries = [{"path": str(f), "docid": d, "index": i} for i, (f, d) in enumerate(zip(files, unique_docids(files)))]
        n = cfg.shards.docs_per_shard
        return [{"files": entries[k : k + n]} for k in range(0, len(entries), n)]

    def read(self, inputs: dict, ctx: ShardContext) -> Iterator[Document]:
        for e in inputs["files"]:
            yield Document(source="arxiv", docid=e["docid"], text="", meta={"path": e["path"], "index": e["index"]})
