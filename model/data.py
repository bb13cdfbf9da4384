"""Streaming loader: WebDataset shards -> packed rows of G ids with the layout the masks need.

Per (rank, worker) stream::

    shard list (corpus index, a list, brace/fsspec URLs) -> epoch shard order (seeded)
    -> split by node and worker -> tar members (webdataset's tar iterator; only meta.json and
    tokens_{a,b}.npy are read) -> samples (direction filter) -> window shuffle
    -> packer (rows of seq_len) -> batches (inputs/targets from docsynth.model.masks)

A batch holds `tokens`, `inputs` and `targets` (int64 [B, L, G]; a target row of -100 has no
loss), `loss_mask` (bool [B, L]) and `loss_weights` (float32 [B, L], 1 where a position has a
target; the trainer's loss is the weighted mean, so editing them reweights positions),
`doc_ids` and `block_ids` (int32 [B, L], -1 for padding / outside image blocks), `target_block`
(bool [B, L]) and `pieces` (per row: the (key, start, end) of each document piece).

Split: with at least as many shards as streams (world_size × workers) stream s reads the
shards order[s::streams]; with fewer, every stream reads every shard and keeps sample j of
the shard at position p when (j + p) % streams == s. Each sample goes to exactly one stream
per epoch.

Shuffle: samples gather into windows of `shuffle_buffer`; a window leaves in a permutation
drawn from (seed, epoch, stream, window). Unlike a rolling buffer, a window can be rebuilt
from its start position, so a resume re-reads at most one window instead of storing it.

Packing: documents are laid end to end and a row is cut at exactly seq_len; the rest of a
document continues at the start of the next row (nothing is dropped). A cut never falls
inside an image block that fits in a row: the row is closed with padding before the block,
which then starts the next row. A block longer than a row (a page image at a short seq_len)
is cut at the row boundary and each piece is its own block. Each piece is a document of its
row (`doc_ids`), so no attention crosses a cut. In a `write` sample the last image block (the
page image) is the target block; every other block is context.

State: after each batch a stream's position is (epoch, window, window start as shard
position + sample index, samples emitted from the window) plus the rows already packed from
the document in hand. With DataLoader workers the state travels with each batch; the loader
keeps the state of the last batch it handed out from each worker and, on resume, rotates the
worker ids so the round-robin continues with the right worker: the batch sequence is the same.

A shard that cannot be opened or read (corrupt, truncated, shorter than the index says) is
skipped from the failure on with a warning and counted in `loader.stats["corrupt_shards"]`; a
sample that cannot be decoded is skipped and counted in `stats["bad_samples"]`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

import fsspec
import numpy as np
import torch
import webdataset as wds
from docsynth.model import masks
from docsynth.model.vision.autoencoder import LUMA
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from docsynth.vocab import VocabSpec

log = logging.getLogger(__name__)
FORMATS = ("A", "B")
DIRECTION_MIX = ("keep", "read", "write")
STATE_VERSION = 1
_SEQUENCE_FIELDS = ("seq_len", "batch_size", "format", "direction_mix", "strategy", "seed",
                    "rank", "world_size", "num_workers", "shuffle_buffer", "shard_shuffle")  # fmt: skip


@dataclass(kw_only=True)
class LoaderConfig:
    seq_len: int = 1024  # positions per packed row
    batch_size: int = 8  # packed rows per batch
    format: str = "A"  # token file to read: "A" (tokens_a.npy) or "B" (tokens_b.npy)
    direction_mix: str = "keep"  # "keep" every sample, or keep only "read" / "write" samples
    strategy: str = "causal"  # attention strategy the targets are made for: "causal" (A) or "block" (B)
    seed: int = 0  # seeds the shard order and the shuffle windows
    rank: int = 0  # this process among world_size (data parallel)
    world_size: int = 1  # data-parallel processes
    num_workers: int = 0  # DataLoader worker processes (0: read in this process)
    shuffle_buffer: int = 256  # samples per shuffle window (1: no shuffle)
    shard_shuffle: bool = True  # permute the shard order every epoch
    epoch: int = 0  # first epoch
    epochs: int | None = None  # epochs to stream; None streams forever (training)
    prefetch_factor: int = 2  # batches each worker prepares ahead
    pixels: bool = False  # also yield `pixels` [B, L, patch·patch·channels]: each image position's pixels
    patch: int = 0  # pixels per patch side of the corpus's vision tokenizer (with `pixels`; 0: vocab.json's patch)
    pixel_channels: int = 1  # 1: grey (luma), 3: RGB (with `pixels`)

    def __post_init__(self):
        for name in ("seq_len", "batch_size", "world_size", "shuffle_buffer", "prefetch_factor"):
            if getattr(self, name) < 1:
                raise ValueError(f"loader.{name}: must be >= 1, got {getattr(self, name)}")
        if self.format not in FORMATS:
            raise ValueError(f"loader.format: {self.format!r} is not one of {FORMATS}")
        if self.direction_mix not in DIRECTION_MIX:
            raise ValueError(f"loader.direction_mix: {self.direction_mix!r} is not one of {DIRECTION_MIX}")
        self.strategy = masks.normalize_strategy(self.strategy)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"loader.rank: {self.rank} is outside [0, world_size={self.world_size})")
        if self.num_workers < 0 or self.epoch < 0 or (self.epochs is not None and self.epochs < 1):
            raise ValueError("loader.num_workers/epoch must be >= 0 and loader.epochs >= 1 or None")


@dataclass(frozen=True)
class Doc:
    key: str  # sample key
    tokens: np.ndarray  # (n, G) int32 rows
    blocks: np.ndarray  # (nblocks, 2) [start, end) of each maximal run of code rows
    target: np.ndarray  # (nblocks,) bool: the block's codes are predicted (write: the page image)
    pixels: np.ndarray | None = None  # (n, patch·patch·C) uint8: each image row's patch, 0 at text rows


@dataclass(frozen=True)
class Cursor:
    """Where a stream stands: the sample `emitted` of window `window`, which starts at sample
    `raw_idx` of the shard at position `shard_pos` of the epoch's order."""

    epoch: int
    window: int = 0
    shard_pos: int = 0
    raw_idx: int = 0
    emitted: int = 0


@dataclass
class Books:
    """A stream's counters. Re-reading a window after a resume must not count twice, so a sample
    counts only past `counted_through` (epoch, shard position, sample) and a shard once per epoch."""

    stats: Counter = field(default_factory=Counter)  # samples, bad_samples, filtered, corrupt_shards
    corrupt_seen: set = field(default_factory=set)  # (epoch, shard index) already counted
    counted_through: tuple = (-1, -1, -1)  # last (epoch, shard position, sample) counted

    def count(self, pos: tuple, key: str) -> None:
        if pos > self.counted_through:
            self.stats[key] += 1
            self.counted_through = pos

    def to_json(self) -> dict:
        return {"stats": dict(self.stats), "corrupt_seen": sorted(self.corrupt_seen),
                "counted_through": list(self.counted_through)}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> Books:
        return cls(Counter(d.get("stats", {})), {tuple(x) for x in d.get("corrupt_seen", [])},
                   tuple(d.get("counted_through", (-1, -1, -1))))  # fmt: skip


# --------------------------------------------------------------------------- shards


@dataclass(frozen=True)
class Shards:
    urls: list[str]  # shard URLs in corpus order
    counts: list  # samples each shard should hold (from the corpus index), None where unknown
    storage_options: dict = field(default_factory=dict)  # fsspec options for opening them


def resolve_shards(src, storage_options: dict | None = None) -> tuple[Shards, VocabSpec | None]:
    """A corpus folder, a URL pattern (braces, `::`) or a list of them -> (Shards, corpus vocab or None)."""
    so = dict(storage_options or {})
    if isinstance(src, (list, tuple)):
        urls = [u for s in src for u in wds.shardlists.expand_urls(str(s))]
        return Shards(urls, [None] * len(urls), so), None
    src = str(src)
    if not src.startswith("pipe:"):
        fs, root = fsspec.core.url_to_fs(src, **so)
        if fs.isdir(root):
            return _corpus_shards(src.rstrip("/"), fs, root.rstrip("/"), so)
    urls = wds.shardlists.expand_urls(src)
    if all(map(_is_local, urls)) and not any(os.path.exists(u.removeprefix("file://")) for u in urls):
        raise FileNotFoundError(f"{src}: no such corpus folder or shard file")
    return Shards(urls, [None] * len(urls), so), None


def _corpus_shards(src: str, fs, root: str, so: dict):
    try:
        vocab = VocabSpec.from_json(json.loads(fs.cat_file(f"{root}/vocab.json")))
    except FileNotFoundError:
        raise FileNotFoundError(f"{src}: no vocab.json (not a docsynth corpus folder)") from None
    if fs.exists(f"{root}/.docsynth/index.json"):
        shards = json.loads(fs.cat_file(f"{root}/.docsynth/index.json"))["shards"]
        return Shards([f"{src}/data/{s['name']}" for s in shards], [s["samples"] for s in shards], so), vocab
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.glob(f"{root}/data/*.tar"))
    return Shards([f"{src}/data/{n}" for n in names], [None] * len(names), so), vocab


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def open_url(url: str, storage_options: dict | None = None):
    """A binary file object for a local path, `file://`, `pipe:cmd` or any fsspec URL (`s3://`...)."""
    if url.startswith("pipe:"):
        return wds.gopen(url, "rb")
    if _is_local(url):  # plain files skip fsspec's per-read overhead
        return open(url.removeprefix("file://"), "rb", buffering=1 << 20)
    return fsspec.open(url, "rb", **(storage_options or {})).open()


def read_shard(url: str, members: tuple[str, ...], storage_options: dict | None = None):
    """Raw samples {"__key__", member: bytes} of one tar; raises on a corrupt or truncated tar."""
    with open_url(url, storage_options) as f:
        files = wds.tariterators.tar_file_iterator(f, select_files=lambda name: name.endswith(members))
        yield from wds.tariterators.group_by_keys({**x, "__url__": url} for x in files)


def image_blocks(tokens: np.ndarray, code_base: int) -> np.ndarray:
    """(nblocks, 2) [start, end) of the maximal runs of code rows (ids >= code_base)."""
    is_code = np.zeros(len(tokens) + 2, dtype=np.int8)
    is_code[1:-1] = tokens[:, 0] >= code_base  # (n+2,) with a text row on each side
    edges = np.flatnonzero(is_code[1:] != is_code[:-1])  # (2·nblocks,) alternating starts and ends
    return edges.reshape(-1, 2)


IMAGE_MEMBERS = ("page.png", "page.jpg", "page.webp")
UNIT_IMAGE_MEMBERS = {"page": IMAGE_MEMBERS, "document": ("pages.png", "pages.jpg", "pages.webp"),
                      "glimpse": ("views.png", "views.jpg", "views.webp")}  # the images the pixel path reads, per unit


def patches(img: np.ndarray, patch: int, channels: int, grid: tuple[int, int]) -> np.ndarray:
    """(h·w, patch·patch·C) uint8 patches of an image, row-major as its codes, padded white as the
    tokenizer pads; `grid` (w, h) must be its code grid."""
    img = np.asarray(img)
    img = img[:, :, None] if img.ndim == 2 else img[:, :, :3]
    if channels == 1 and img.shape[2] == 3:
        img = np.rint(img.astype(np.float32) @ np.array(LUMA, dtype=np.float32))[:, :, None].astype(np.uint8)
    elif channels == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    H, W, C = img.shape
    w, h = grid
    if (-(-H // patch), -(-W // patch)) != (h, w):
        raise ValueError(f"an image of {W}x{H} px has a {w}x{h} code grid, not the {-(-W // patch)}x{-(-H // patch)} of patch {patch}")
    out = np.full((h * patch, w * patch, C), 255, dtype=np.uint8)
    out[:H, :W] = img
    return out.reshape(h, patch, w, patch, C).transpose(0, 2, 1, 3, 4).reshape(h * w, patch * patch * C)


def _figure_count(meta: dict) -> int:
    return sum(el["type"] in ("figure", "image") for el in meta["elements"])


def block_targets(meta: dict, nblocks: int) -> np.ndarray:
    """(nblocks,) bool: which image blocks a `write` sample writes (predicts). The page image of a page;
    each page's image of a document (the last block of each page: its figures come before it); every
    look's view of a glimpse sample (not the global view). `read` samples write none."""
    target = np.zeros(nblocks, dtype=bool)
    if meta.get("direction") != "write" or not nblocks:
        return target
    unit = meta.get("unit") or "page"
    if unit == "page":
        target[-1] = True
    elif unit == "glimpse":
        target[1:] = True
    else:
        ends = np.cumsum([_figure_count(p) + 1 for p in meta["pages"]]) - 1
        if ends[-1] != nblocks - 1:
            raise ValueError(f"{nblocks} image blocks in the tokens, {ends[-1] + 1} images in meta.json")
        target[ends] = True
    return target


def _decode_image(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


def _page_sources(page: np.ndarray, meta: dict) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """A page's images in the order the formats write them: the page first (read) or last (write), figure
    crops in element order, each with its (w, h) code grid."""
    from docsynth.coords import crop_slices

    figures = []
    for el in meta["elements"]:
        if el["type"] in ("figure", "image"):
            attrs = json.loads(el["attrs"]) if isinstance(el.get("attrs"), str) else (el.get("attrs") or {})
            ys, xs = crop_slices(page.shape, meta["width"], meta["height"], el["bbox"])
            figures.append((page[ys, xs], tuple(attrs["grid"])))
    whole = (page, tuple(meta["grid"]))  # (w, h) of the page's codes
    return [whole, *figures] if meta["direction"] == "read" else [*figures, whole]


def image_sources(raw: dict, meta: dict) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """Every image block's pixels and code grid, in sequence order, for any unit."""
    unit = meta.get("unit") or "page"
    member = next((m for m in UNIT_IMAGE_MEMBERS[unit] if m in raw), None)
    if member is None:
        raise ValueError(f"no {unit} image ({', '.join(UNIT_IMAGE_MEMBERS[unit])})")
    full = _decode_image(raw[member])
    if unit == "page":
        return _page_sources(full, meta)
    if unit == "glimpse":
        S = meta["view_size"]
        return [(full[i * S : (i + 1) * S], tuple(v["grid"])) for i, v in enumerate(meta["views"])]
    out = []
    for p in meta["pages"]:
        im = p["image"]
        out += _page_sources(full[im["top"] : im["top"] + im["height"], : im["width"]], {**p, "direction": meta["direction"]})
    return out


def sample_pixels(raw: dict, meta: dict, blocks: np.ndarray, n: int, patch: int, channels: int) -> np.ndarray:
    """(n, patch·patch·C) uint8: the pixels of each image row of a sample (`image_sources` order)."""
    sources = image_sources(raw, meta)
    if len(sources) != len(blocks):
        raise ValueError(f"{len(blocks)} image blocks in the tokens, {len(sources)} images in meta.json")
    out = np.zeros((n, patch * patch * channels), dtype=np.uint8)
    for (s, e), (img, grid) in zip(blocks, sources):
        rows = patches(img, patch, channels, grid)
        if len(rows) != e - s:
            raise ValueError(f"an image block of {e - s} rows for a {grid[0]}x{grid[1]} grid")
        out[s:e] = rows
    return out


def decode_sample(raw: dict, fmt: str, vocab: VocabSpec, pixels: tuple[int, int] | None = None) -> tuple[Doc, str]:
    """Raw members -> (Doc, direction); ValueError names the sample and what is wrong. With `pixels`
    (patch, channels) the Doc carries each image row's pixels too."""
    key, member = raw.get("__key__"), f"tokens_{fmt.lower()}.npy"
    for name in ("meta.json", member):
        if name not in raw:
            raise ValueError(f"sample {key} in {raw.get('__url__')}: no {name} (format {fmt} not written?)")
    meta = json.loads(raw["meta.json"])
    tokens = np.load(io.BytesIO(raw[member]), allow_pickle=False)
    if tokens.ndim != 2 or tokens.shape[1] != vocab.G or tokens.dtype.kind not in "iu" or not len(tokens):
        raise ValueError(f"sample {key}: {member} is {tokens.dtype} {tokens.shape}, expected int (L, {vocab.G})")
    if tokens.min() < 0 or tokens.max() >= vocab.size:
        raise ValueError(f"sample {key}: {member} holds ids outside [0, {vocab.size})")
    direction = meta.get("direction")
    if direction not in ("read", "write"):
        raise ValueError(f"sample {key}: meta.json direction is {direction!r}, expected 'read' or 'write'")
    blocks = image_blocks(tokens, vocab.code_base)
    try:
        target = block_targets(meta, len(blocks))
    except (ValueError, KeyError) as e:
        raise ValueError(f"sample {key}: {e}") from e
    pix = None
    if pixels is not None:
        try:
            pix = sample_pixels(raw, meta, blocks, len(tokens), *pixels)
        except (ValueError, KeyError, OSError) as e:
            raise ValueError(f"sample {key}: pixels: {e}") from e
    return Doc(key, tokens.astype(np.int32, copy=False), blocks, target, pix), direction


# --------------------------------------------------------------------------- one stream


class SampleStream:
    """The samples of one (rank, worker) stream, epoch after epoch, each with its Cursor."""

    def __init__(self, cfg: LoaderConfig, shards: Shards, vocab, slot: int, streams: int, books: Books):
        self.cfg, self.shards, self.vocab = cfg, shards, vocab
        self.urls, self.counts = shards.urls, shards.counts
        self.slot, self.streams, self.books = slot, streams, books
        images = tuple(m for ms in UNIT_IMAGE_MEMBERS.values() for m in ms)
        self.members = ("meta.json", f"tokens_{cfg.format.lower()}.npy", *(images if cfg.pixels else ()))

    def order(self, epoch: int) -> np.ndarray:
        n = len(self.urls)
        order = np.random.default_rng([self.cfg.seed, epoch]).permutation(n) if self.cfg.shard_shuffle else np.arange(n)
        return order[self.slot :: self.streams] if n >= self.streams else order

    def docs(self, cur: Cursor):
        end = None if self.cfg.epochs is None else self.cfg.epoch + self.cfg.epochs
        while end is None or cur.epoch < end:
            fresh, n = cur == Cursor(cur.epoch), 0
            for item in self._windows(cur):
                n += 1
                yield item
            if fresh and n == 0 and end is None:
                raise RuntimeError(f"stream {self.slot} of {self.streams} got no samples from {len(self.urls)} "
                                   f"shards in epoch {cur.epoch} (too few samples, or all filtered out)")  # fmt: skip
            cur = Cursor(cur.epoch + 1)

    def _windows(self, cur: Cursor):
        window, start, skip = cur.window, (cur.shard_pos, cur.raw_idx), cur.emitted
        raw = self._raw(cur.epoch, *start)
        while True:
            buf, nxt = [], start
            for nxt, doc in raw:
                if doc is not None:
                    buf.append(doc)
                if len(buf) == self.cfg.shuffle_buffer:
                    break
            if not buf:
                return
            perm = np.random.default_rng([self.cfg.seed, cur.epoch, self.slot, window]).permutation(len(buf))
            for j in range(skip, len(buf)):
                yield buf[perm[j]], Cursor(cur.epoch, window, *start, j)
            window, start, skip = window + 1, nxt, 0

    def _raw(self, epoch: int, shard_pos: int, raw_idx: int):
        """(position after the sample, Doc or None when it is not this stream's) from a position on."""
        order, split = self.order(epoch), len(self.urls) < self.streams
        for p in range(shard_pos, len(order)):
            i, n, first = int(order[p]), 0, raw_idx if p == shard_pos else 0
            mine = not split or p % self.streams == self.slot  # which stream reports a bad shard
            try:
                for j, raw in enumerate(read_shard(self.urls[i], self.members, self.shards.storage_options)):
                    n = j + 1
                    if j >= first:
                        keep = not split or (j + p) % self.streams == self.slot
                        yield self._after(p, j + 1, i), self._decode(raw, (epoch, p, j)) if keep else None
            except Exception as e:  # noqa: BLE001 - any failure of a shard is data, not a crash
                self._corrupt(epoch, i, f"{type(e).__name__}: {e}", mine)
                continue
            if self.counts[i] is not None and n < self.counts[i]:
                self._corrupt(epoch, i, f"{n} samples, the corpus index lists {self.counts[i]}", mine)

    def _after(self, p: int, nxt: int, i: int) -> tuple[int, int]:
        return (p + 1, 0) if self.counts[i] is not None and nxt >= self.counts[i] else (p, nxt)

    def _decode(self, raw: dict, pos: tuple) -> Doc | None:
        try:
            doc, direction = decode_sample(raw, self.cfg.format, self.vocab, (self.cfg.patch, self.cfg.pixel_channels) if self.cfg.pixels else None)
        except Exception as e:  # noqa: BLE001
            if pos > self.books.counted_through:
                log.warning("skipping sample: %s", e)
            self.books.count(pos, "bad_samples")
            return None
        if self.cfg.direction_mix not in ("keep", direction):
            self.books.count(pos, "filtered")
            return None
        self.books.count(pos, "samples")
        return doc

    def _corrupt(self, epoch: int, i: int, reason: str, mine: bool) -> None:
        if mine and (epoch, i) not in self.books.corrupt_seen:
            self.books.corrupt_seen.add((epoch, i))
            self.books.stats["corrupt_shards"] += 1
            log.warning("skipping the rest of shard %s (epoch %d): %s", self.urls[i], epoch, reason)


# --------------------------------------------------------------------------- packing


class _Row:
    def __init__(self, L: int, G: int, pad_id: int, pixel_width: int = 0):
        self.pixels = np.zeros((L, pixel_width), dtype=np.uint8) if pixel_width else None  # (L, P)
        self.tokens = np.full((L, G), pad_id, dtype=np.int32)  # (L, G)
        self.doc_ids = np.full(L, -1, dtype=np.int32)  # (L,)
        self.block_ids = np.full(L, -1, dtype=np.int32)  # (L,)
        self.target = np.zeros(L, dtype=bool)  # (L,)
        self.n, self.docs, self.nblocks, self.pieces, self.closed = 0, 0, 0, [], False

    @property
    def space(self) -> int:
        return 0 if self.closed else len(self.doc_ids) - self.n

    def add(self, doc: Doc, a: int, b: int) -> None:
        at = self.n - a  # row position of document row 0
        self.tokens[self.n : self.n + b - a] = doc.tokens[a:b]
        if self.pixels is not None:
            self.pixels[self.n : self.n + b - a] = doc.pixels[a:b]
        self.doc_ids[self.n : self.n + b - a] = self.docs
        for (s, e), tgt in zip(doc.blocks, doc.target):
            s, e = max(s, a), min(e, b)
            if s < e:
                self.block_ids[at + s : at + e] = self.nblocks
                self.target[at + s : at + e] = tgt
                self.nblocks += 1
        self.pieces.append((doc.key, a, b))
        self.n, self.docs = self.n + b - a, self.docs + 1


class Packer:
    """Documents -> rows of exactly seq_len positions (see the module docstring for the cuts)."""

    def __init__(self, docs, cursor: Cursor, offset: int, L: int, G: int, pad_id: int, pixel_width: int = 0):
        self.docs, self.L, self.G, self.pad_id, self.pixel_width = docs, L, G, pad_id, pixel_width
        self.next_cursor, self.offset, self.doc = cursor, offset, None  # resume point; doc in hand

    def state(self) -> tuple[Cursor, int]:
        return self.next_cursor, (self.offset if self.doc is not None else 0)

    def rows(self):
        while True:
            row = _Row(self.L, self.G, self.pad_id, self.pixel_width)
            while row.space:
                if self.doc is None and not self._take():
                    if row.n:
                        yield row
                    return
                self._fill(row)
            yield row

    def _take(self) -> bool:
        item = next(self.docs, None)
        if item is None:
            return False
        self.doc, cursor = item
        if cursor != self.next_cursor:  # a new document, not the one a resume left half packed
            self.offset = 0
        self.next_cursor = cursor
        return True

    def _fill(self, row: _Row) -> None:
        a, n = self.offset, len(self.doc.tokens)
        b = self._cut(self.doc, a, row.space)
        if b > a:
            row.add(self.doc, a, b)
        if b == n:
            self.doc, self.offset = None, 0
            self.next_cursor = replace(self.next_cursor, emitted=self.next_cursor.emitted + 1)
        else:
            self.offset, row.closed = b, True

    def _cut(self, doc: Doc, a: int, space: int) -> int:
        b = min(a + space, len(doc.tokens))
        inside = (doc.blocks[:, 0] < b) & (b < doc.blocks[:, 1])  # (nblocks,)
        if inside.any():
            s, e = doc.blocks[np.flatnonzero(inside)[0]]
            if e - s <= self.L:  # the block fits in a row: close this row before it
                return max(int(s), a)
        return b


def collate(rows: list[_Row], cfg: LoaderConfig, vocab: VocabSpec) -> dict:
    tokens = torch.from_numpy(np.stack([r.tokens for r in rows])).long()  # (B, L, G)
    doc_ids = torch.from_numpy(np.stack([r.doc_ids for r in rows]))  # (B, L) int32
    block_ids = torch.from_numpy(np.stack([r.block_ids for r in rows]))  # (B, L) int32
    target_block = torch.from_numpy(np.stack([r.target for r in rows]))  # (B, L) bool
    pad = vocab.special("<image_pad>")
    inputs, targets = masks.make_targets(cfg.strategy, tokens, doc_ids, block_ids, target_block, pad)
    loss_mask = targets[..., 0] != masks.IGNORE_INDEX  # (B, L) make_targets ignores whole rows
    return {
        "tokens": tokens, "inputs": inputs, "targets": targets,  # (B, L, G) x3
        "loss_mask": loss_mask,  # (B, L) bool: the position has a target
        "loss_weights": loss_mask.float(),  # (B, L) weight of each position's loss; edit to reweight
        "doc_ids": doc_ids, "block_ids": block_ids, "target_block": target_block,
        "pieces": [r.pieces for r in rows],  # per row: (key, start, end) of each document piece
        **({"pixels": _pixels(rows, target_block)} if rows[0].pixels is not None else {}),
    }  # fmt: skip


def _pixels(rows: list[_Row], target_block: torch.Tensor) -> torch.Tensor:
    """(B, L, P) float in [0, 1]: each image position's patch, 0 at text and at target blocks (the
    pixels of a block the model writes are its answer, as its codes are)."""
    pix = torch.from_numpy(np.stack([r.pixels for r in rows])).float().div_(255.0)
    return pix.masked_fill_(target_block[..., None], 0.0)


# --------------------------------------------------------------------------- dataset and loader


class PackedDataset(IterableDataset):
    """Batches of one (rank, worker) stream; each carries the stream's state after it."""

    def __init__(self, cfg: LoaderConfig, shards: Shards, vocab: VocabSpec, states: dict, rotation: int):
        self.cfg, self.shards, self.vocab, self.states, self.rotation = cfg, shards, vocab, states, rotation

    def __iter__(self):
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        logical = (wid + self.rotation) % nw
        saved = self.states.get(logical, {})
        books = Books.from_json(saved.get("books", {}))
        stream = SampleStream(self.cfg, self.shards, self.vocab, self.cfg.rank * nw + logical,
                              self.cfg.world_size * nw, books)  # fmt: skip
        cursor = Cursor(**saved["cursor"]) if saved else Cursor(self.cfg.epoch)
        pad = self.vocab.special("<pad>")
        width = self.cfg.patch**2 * self.cfg.pixel_channels if self.cfg.pixels else 0
        packer = Packer(stream.docs(cursor), cursor, saved.get("offset", 0), self.cfg.seq_len, self.vocab.G, pad, width)
        state = lambda: self._state(logical, packer, books)
        rows = []
        for row in packer.rows():
            rows.append(row)
            if len(rows) == self.cfg.batch_size:
                yield {**collate(rows, self.cfg, self.vocab), "_state": state()}
                rows = []
        if rows:  # the end of a finite stream: fill the last batch with padding rows
            rows += [_Row(self.cfg.seq_len, self.vocab.G, pad, width) for _ in range(self.cfg.batch_size - len(rows))]
            yield {**collate(rows, self.cfg, self.vocab), "_state": state()}
        yield {"_state": state(), "_end": True}

    @staticmethod
    def _state(logical: int, packer: Packer, books: Books) -> dict:
        cursor, offset = packer.state()
        return {"worker": logical, "cursor": asdict(cursor), "offset": offset, "books": books.to_json()}


def _worker_init(_):
    torch.set_num_threads(1)


class ShardLoader:
    """Iterates batches (dicts of tensors); `state_dict()` after any batch resumes right after it.

    Iterating again continues where the last iteration stopped (a finite loader ends).
    """

    def __init__(self, src, cfg: LoaderConfig, *, vocab: VocabSpec | str | None = None, storage_options=None):
        self.cfg, self.src = cfg, src
        self.shards, corpus_vocab = resolve_shards(src, storage_options)
        if not self.shards.urls:
            raise ValueError(f"{src}: no shards found")
        self.vocab = VocabSpec.load(vocab) if isinstance(vocab, str) else (vocab or corpus_vocab)
        if self.vocab is None:
            raise ValueError(f"{src}: pass vocab= (a VocabSpec or a vocab.json path) when reading shard URLs")
        if cfg.pixels and not cfg.patch:
            if not self.vocab.patch:
                raise ValueError(f"{src}: its vocab.json records no patch size (an older corpus); pass patch= (its vision tokenizer's)")
            self.cfg = replace(cfg, patch=self.vocab.patch)
        self._states: dict[int, dict] = {}
        self._next_worker, self.batches = 0, 0

    def __iter__(self):
        ds = PackedDataset(self.cfg, self.shards, self.vocab, dict(self._states), self._next_worker)
        nw = self.cfg.num_workers
        it = ds if nw == 0 else DataLoader(ds, batch_size=None, num_workers=nw, worker_init_fn=_worker_init,
                                           prefetch_factor=self.cfg.prefetch_factor)  # fmt: skip
        for batch in it:
            state = batch.pop("_state")
            self._states[state["worker"]] = state
            if batch.pop("_end", False):
                continue
            self._next_worker = (state["worker"] + 1) % max(nw, 1)
            self.batches += 1
            yield batch

    @property
    def stats(self) -> Counter:
        """Counters summed over this rank's workers: samples, bad_samples, filtered, corrupt_shards."""
        total = Counter({"corrupt_shards": 0, "bad_samples": 0, "samples": 0, "filtered": 0})
        for s in self._states.values():
            total.update(s["books"]["stats"])
        return total

    def fingerprint(self) -> dict:
        names = "\n".join(u.rsplit("/", 1)[-1] for u in self.shards.urls)
        return {**{k: getattr(self.cfg, k) for k in _SEQUENCE_FIELDS},
                "shards": hashlib.sha256(names.encode()).hexdigest()[:16]}  # fmt: skip

    def state_dict(self) -> dict:
        return {"version": STATE_VERSION, "fingerprint": self.fingerprint(), "workers": dict(self._states),
                "next_worker": self._next_worker, "batches": self.batches}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"loader state: version {state.get('version')!r}, expected {STATE_VERSION}")
        mine = self.fingerprint()
        for k, v in state["fingerprint"].items():
            if mine.get(k) != v:
                raise ValueError(f"loader state: saved with {k}={v!r}, this loader has {k}={mine.get(k)!r}")
        self._states = {int(k): v for k, v in state["workers"].items()}
        self._next_worker, self.batches = int(state["next_worker"]), int(state["batches"])


class MixtureLoader:
    """Rows from several corpora at chosen weights: row k of the run comes from corpus i with
    probability weights[i], drawn from (seed, k), so the sequence is fixed per seed and a resume at any
    batch continues it exactly. Each corpus streams through its own `ShardLoader` (one row per draw,
    its own shard order and state). Batches are the usual dict plus `corpus` (int64 [B]: the index of
    the corpus each row came from). All corpora must share one vocabulary.
    """

    def __init__(self, sources: list[tuple[object, float]], cfg: LoaderConfig, *, vocab=None, storage_options=None):
        if len(sources) < 2:
            raise ValueError("a mixture needs two corpora or more")
        weights = np.array([float(w) for _, w in sources], dtype=np.float64)
        if (weights <= 0).any() or not np.isfinite(weights).all():
            raise ValueError(f"mixture weights must be positive, got {weights.tolist()}")
        self.cfg, self.weights, self.names = cfg, weights / weights.sum(), [str(src) for src, _ in sources]
        one_row = replace(cfg, batch_size=1)
        self.loaders = [ShardLoader(src, replace(one_row, seed=cfg.seed + 7919 * i), vocab=vocab, storage_options=storage_options)
                        for i, (src, _) in enumerate(sources)]  # fmt: skip
        first = self.loaders[0].vocab
        for name, ld in zip(self.names[1:], self.loaders[1:]):
            if ld.vocab.to_json() != first.to_json():
                raise ValueError(f"mixture: {name} has another vocabulary than {self.names[0]} "
                                 "(G, K, text tokenizer or specials differ); corpora must share one")  # fmt: skip
        self.vocab = first
        self.rows, self.batches = 0, 0

    def choice(self, row: int) -> int:
        """The corpus of row `row` of the run."""
        return int(np.random.default_rng([self.cfg.seed, 104729, row]).choice(len(self.weights), p=self.weights))

    def __iter__(self):
        its = [iter(ld) for ld in self.loaders]
        while True:
            picked, rows = [], []
            for _ in range(self.cfg.batch_size):
                i = self.choice(self.rows)
                try:
                    rows.append(next(its[i]))
                except StopIteration:  # a finite corpus ran out: the mixture ends
                    return
                picked.append(i)
                self.rows += 1
            batch = {k: torch.cat([r[k] for r in rows]) for k in rows[0] if torch.is_tensor(rows[0][k])}
            batch["pieces"] = [p for r in rows for p in r["pieces"]]
            batch["corpus"] = torch.tensor(picked, dtype=torch.long)
            self.batches += 1
            yield batch

    @property
    def stats(self) -> Counter:
        total = Counter()
        for ld in self.loaders:
            total.update(ld.stats)
        return total

    def state_dict(self) -> dict:
        return {"version": STATE_VERSION, "mixture": self.names, "weights": self.weights.tolist(), "rows": self.rows,
                "batches": self.batches, "corpora": [ld.state_dict() for ld in self.loaders]}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        if state.get("mixture") is None or len(state["corpora"]) != len(self.loaders):
            raise ValueError(f"loader state: not a mixture of {len(self.loaders)} corpora")
        if not np.allclose(state["weights"], self.weights):
            raise ValueError(f"loader state: saved with weights {state['weights']}, this mixture has {self.weights.tolist()}")
        for ld, st in zip(self.loaders, state["corpora"]):
            ld.load_state_dict(st)
        self.rows, self.batches = int(state["rows"]), int(state["batches"])


def parse_mixture(specs: list[str]) -> list[tuple[str, float]]:
    """`["synth_out:0.7", "arxiv_out:0.3"]` -> [(path, weight)]; a spec without `:W` weighs 1."""
    out = []
    for spec in specs:
        head, sep, tail = spec.rpartition(":")
        try:
            out.append((head, float(tail)) if sep and head and "/" not in tail else (spec, 1.0))
        except ValueError:
            out.append((spec, 1.0))  # a URL scheme's colon, not a weight
    return out


def make_loader(src, *, vocab=None, storage_options=None, **config) -> ShardLoader | MixtureLoader:
    """`make_loader(corpus_dir_or_urls, seq_len=..., batch_size=..., format="A", ...)`: see LoaderConfig.
    `src` may be a list of (corpus, weight) pairs: a `MixtureLoader` (a list of strings is shard URLs)."""
    if isinstance(src, (list, tuple)) and src and all(isinstance(x, tuple) for x in src):
        return MixtureLoader(list(src), LoaderConfig(**config), vocab=vocab, storage_options=storage_options)
    return ShardLoader(src, LoaderConfig(**config), vocab=vocab, storage_options=storage_options)
