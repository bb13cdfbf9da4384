"""FineWeb text: streamed from the hub by name (`fineweb`), or local parquet/jsonl files with
FineWeb's columns (`path`: text, id, dump, url, date, file_path, language, ...).

Local files are read a row group (parquet) or a line (jsonl) at a time, never whole. Bad
input is data, not an exception:

- a row whose text is missing, null, not a string or not decodable -> one `unreadable_row` drop;
- a file that cannot be opened or counted at plan time -> its own spec part, read as one
  `unreadable_file` drop naming the file (its rows are unknown);
- a file that fails while it is read -> one `unreadable_file` drop per planned row not yet
  read, so every planned row is accounted for.

docids are positions, unique corpus-wide by construction: `<file tag>-<row>` for local files (tags
are made unique over the whole plan) and `fw-<index>` for the hub stream. A row's own id (FineWeb's
`<urn:uuid:…>`, any `source.id_column` value) is kept in `meta["id"]`: ids in the wild repeat, across
files and shards, and may spell another row's position, so they never make a sample key.
"""

from __future__ import annotations

import gc
import gzip
import json
import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from docsynth import config as C
from docsynth.doc import Document, display_name
from docsynth.sources.ranges import check_spec, range_specs
from docsynth.steps import ShardContext, why

log = logging.getLogger("docsynth.sources")
SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")
META_COLUMNS = ("url", "dump", "date", "language")  # copied into Document.meta when present
BATCH_ROWS = 512


def file_tag(rel: str) -> str:
    """A docid-safe tag for a file: its relative path without suffix, '-' for anything else."""
    stem = rel
    for suffix in SUFFIXES:
        stem = stem.removesuffix(suffix)
    tag = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "file"
    return tag if len(tag) <= 40 else f"{tag[:31]}-{zlib.crc32(rel.encode('utf-8', 'surrogateescape')):08x}"


def unique_tags(rels: list[str]) -> list[str]:
    """`file_tag` of each file, made unique over the list ('a-b.jsonl' and 'a/b.jsonl' would share one)
    with an 'f<n>' suffix that no row number can spell."""
    tags, used = [], set()
    for rel in rels:
        base = tag = file_tag(rel)
        k = 2
        while tag in used:
            tag, k = f"{base}-f{k}", k + 1
        used.add(tag)
        tags.append(tag)
    return tags


class RowReader:
    """Turns rows (dicts) into documents, dropping unreadable ones."""

    def __init__(self, source: str, cfg: C.SourceConfig, ctx: ShardContext):
        self.source, self.cfg, self.ctx = source, cfg, ctx

    def document(self, row, docid: str, where: str, meta: dict) -> Document | None:
        col = self.cfg.text_column
        problem = None
        if not isinstance(row, dict):
            problem = f"row is a JSON {type(row).__name__}, not an object"
        elif col not in row:
            problem = f"no column {col!r}"
        elif not isinstance(row[col], str):
            problem = f"column {col!r} holds {type(row[col]).__name__}, not a string"
        if problem:
            self.drop(docid, "unreadable_row", f"{where}: {problem}")
            return None
        meta = {**meta, **{k: row[k] for k in META_COLUMNS if isinstance(row.get(k), (str, int, float))}}
        if isinstance(row.get(self.cfg.id_column), str):
            meta["id"] = row[self.cfg.id_column]
        return Document(self.source, docid, row[col], meta=meta)

    def drop(self, docid: str, reason: str, detail: str) -> None:
        self.ctx.drop(self.source, docid, reason, detail, step="read")


# --------------------------------------------------------------------------- local files


def list_files(path: str) -> list[tuple[str, str]]:
    """(absolute file, name relative to the source root) of every parquet/jsonl input, sorted."""
    p = Path(path)
    if p.is_file():
        if not p.name.endswith(SUFFIXES):
            raise ValueError(f"source.path: {path!r} is not a {'/'.join(SUFFIXES)} file")
        return [(str(p.resolve()), p.name)]
    if not p.is_dir():
        raise ValueError(f"source.path: {path!r} does not exist")
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SUFFIXES))
    if not files:
        raise ValueError(f"source.path: {path!r} holds no {'/'.join(SUFFIXES)} files")
    return [(str(f.resolve()), f.relative_to(p).as_posix()) for f in files]


def _open_jsonl(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def count_rows(path: str, first_cut: int = 0, per: int = 1) -> tuple[int, dict[int, int]]:
    """Rows of a file without reading its data (parquet metadata, or non-blank jsonl lines, streamed),
    and for plain jsonl the byte offsets of rows first_cut, first_cut + per, ... where shards start reading."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows, {}
    seekable = not path.endswith(".gz")
    n, pos, offsets = 0, 0, {}
    with _open_jsonl(path) as fh:
        for line in fh:
            if line.strip():
                if seekable and n >= first_cut and (n - first_cut) % per == 0:
                    offsets[n] = pos
                n += 1
            pos += len(line)
    return n, offsets


def _jsonl_rows(path: str, start: int, stop: int, offset: int | None) -> Iterator[tuple[int, object, str | None]]:
    """(row, parsed object or None, problem) for rows [start, stop) of a jsonl file; `offset`: where row `start` begins."""
    with _open_jsonl(path) as fh:
        row = -1
        if offset is not None:
            fh.seek(offset)
            row = start - 1
        for line in fh:
            if not line.strip():
                continue
            row += 1
            if row >= stop:
                return
            if row >= start:
                try:
                    yield row, json.loads(line.decode("utf-8")), None
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    yield row, None, why(e)


def _parquet_rows(path: str, start: int, stop: int, columns: tuple[str, ...]) -> Iterator[tuple[int, object, None]]:
    """(row, dict, None) for rows [start, stop), one batch of one row group in memory at a time."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    cols = [c for c in columns if c in pf.schema_arrow.names]
    first = 0
    for rg in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(rg).num_rows
        if first + n > start and first < stop:
            row = first
            for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[rg], columns=cols):
                lo, hi = max(start - row, 0), min(stop - row, batch.num_rows)
                for k, (rec, problem) in enumerate(_records(batch.slice(lo, max(hi - lo, 0)))):
                    yield row + lo + k, rec, problem
                row += batch.num_rows
        first += n
        if first >= stop:
            return


def _records(batch) -> list[tuple[dict | None, str | None]]:
    """(row dict, None) per row; a batch holding an invalid UTF-8 string is read again as bytes, so its
    bad rows alone become (None, problem) and the rest of the batch survives."""
    try:
        return [(rec, None) for rec in batch.to_pylist()]
    except UnicodeDecodeError:
        pass
    import pyarrow as pa

    strings = [n for n, c in zip(batch.schema.names, batch.columns) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type)]
    raw = pa.RecordBatch.from_arrays([c.cast(pa.binary()) if n in strings else c for n, c in zip(batch.schema.names, batch.columns)],
                                     names=batch.schema.names)  # fmt: skip
    return [_decoded(rec, strings) for rec in raw.to_pylist()]


def _decoded(rec: dict, strings: list[str]) -> tuple[dict | None, str | None]:
    for col in strings:
        if rec[col] is not None:
            try:
                rec[col] = rec[col].decode("utf-8")
            except UnicodeDecodeError as e:
                return None, f"column {col!r} is not valid UTF-8 ({why(e)})"
    return rec, None


class PathSource:
    name = "path"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def plan(self, cfg: C.PipelineConfig) -> list[dict]:
        root, per = cfg.source.path, cfg.shards.docs_per_shard
        cap = cfg.num_docs or float("inf")
        units, index = [], 0  # units: one per unreadable file, or a row range of a readable one
        files = list_files(root)
        for (path, rel), tag in zip(files, unique_tags([rel for _, rel in files])):
            rel = display_name(rel)
            if index >= cap:
                break
            try:  # shards cut this file at rows (-index) % per + k * per: jsonl notes their byte offsets
                count, offsets = count_rows(path, -index % per, per)
            except Exception as e:  # any reason a file cannot be counted makes it one bad input
                units.append({"file": path, "name": rel, "tag": tag, "index": index, "error": why(e)})
                index += 1
                continue
            rows = int(min(count, cap - index))
            units.append({"file": path, "name": rel, "tag": tag, "index": index, "start": 0, "stop": rows, "offsets": offsets})
            index += rows
        if index == 0:  # nothing to read and nothing to account for: a corpus of it would say nothing
            names = ", ".join(u["name"] for u in units[:3]) + (", …" if len(units) > 3 else "")
            raise ValueError(f"source.path: {root!r} holds no rows ({len(units)} file(s), each empty, blank lines "
                             f"only or 0 rows: {names})")  # fmt: skip
        return _pack(units, per)

    def read(self, inputs: dict, ctx: ShardContext) -> Iterator[Document]:
        if inputs.get("kind") != "path":
            raise ValueError(f"path source: shard spec {inputs!r} is not a path spec")
        rows = RowReader("path", self.cfg.source, ctx)
        for part in inputs["parts"]:
            yield from self._read_part(part, rows)

    def _read_part(self, part: dict, rows: RowReader) -> Iterator[Document]:
        tag, name = part["tag"], part["name"]
        if "error" in part:
            rows.drop(f"{tag}-file", "unreadable_file", f"{name}: {part['error']}")
            return
        start, stop = part["start"], part["stop"]
        if name.endswith(".parquet"):
            cols = (self.cfg.source.text_column, self.cfg.source.id_column, *META_COLUMNS)
            it = _parquet_rows(part["file"], start, stop, cols)
        else:
            it = _jsonl_rows(part["file"], start, stop, part.get("offset"))
        done = start
        try:
            for row, rec, problem in it:
                where, meta = f"{name}:{row}", {"index": part["index"] + row - part["start"], "file": name, "row": row}
                done = row + 1
                if problem:
                    rows.drop(f"{tag}-{row}", "unreadable_row", f"{where}: {problem}")
                    continue
                doc = rows.document(rec, f"{tag}-{row}", where, meta)
                if doc is not None:
                    yield doc
        except Exception as e:  # the file broke mid-read: every planned row not read yet is dropped
            for row in range(done, stop):
                rows.drop(f"{tag}-{row}", "unreadable_file", f"{name}:{row}: {why(e)}")
            return
        for row in range(done, stop):  # the file shrank since planning
            rows.drop(f"{tag}-{row}", "unreadable_file", f"{name}:{row}: row no longer in the file")


def _pack(units: list[dict], per: int) -> list[dict]:
    """Cut file units into shards of `per` inputs each (an unreadable file counts as one)."""
    shards, parts, room = [], [], per
    for unit in units:
        if "error" in unit:
            pieces = [(unit, 1)]
        else:
            pieces, a = [], unit["start"]
            base = {k: v for k, v in unit.items() if k != "offsets"}
            while a < unit["stop"]:
                b = min(unit["stop"], a + (room if not pieces else per))
                seek = {"offset": unit["offsets"][a]} if a in unit["offsets"] else {}
                pieces.append(({**base, "index": unit["index"] + a, "start": a, "stop": b, **seek}, b - a))
                a = b
        for piece, n in pieces:
            parts.append(piece)
            room -= n
            if room == 0:
                shards.append({"kind": "path", "parts": parts})
                parts, room = [], per
    if parts:
        shards.append({"kind": "path", "parts": parts})
    return shards


# --------------------------------------------------------------------------- the hub stream


def open_stream(cfg: C.SourceConfig):
    """FineWeb as a streaming `datasets.IterableDataset` (a hub name, or a local copy of the repo)."""
    import datasets

    return datasets.load_dataset(cfg.fineweb_name, name=cfg.fineweb_config, split="train", streaming=True)


class FineWebSource:
    name = "fineweb"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg

    def plan(self, cfg: C.PipelineConfig) -> list[dict]:
        return range_specs("fineweb", cfg, "streams; give the number of documents to take")

    def read(self, inputs: dict, ctx: ShardContext) -> Iterator[Document]:
        check_spec("fineweb", inputs)
        start, stop = inputs["start"], inputs["stop"]
        rows, name = RowReader("fineweb", self.cfg.source, ctx), self.cfg.source.fineweb_name
        done = start  # rows read so far end here
        try:
            stream = iter(open_stream(self.cfg.source).skip(start).take(stop - start))
        except Exception as e:  # a wrong name or no network is a config problem, not bad rows
            raise RuntimeError(f"source.fineweb_name: cannot stream {name!r} ({self.cfg.source.fineweb_config}): {why(e)}") from e
        try:
            for index, rec in enumerate(stream, start):
                done = index + 1
                doc = rows.document(rec, f"fw-{index}", f"{name}:{index}", {"index": index})
                if doc is not None:
                    yield doc
        except Exception as e:  # the stream broke: every planned row not read yet is dropped
            for row in range(done, stop):
                rows.drop(f"fw-{row}", "unreadable_stream", f"{name}:{row}: {why(e)}")
            return
        finally:  # join Arrow's reader threads now: left to interpreter exit they can abort it (datasets#7566)
            del stream
            gc.collect()
        if done < stop:  # rows past the end of the dataset do not exist: nothing to account for
            log.warning("%s ended at row %d; rows %d-%d of the plan do not exist", name, done, done, stop - 1)
