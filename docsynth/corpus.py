"""Reading a corpus (DESIGN §7): its layout, index, vocabulary, errors and samples.

The one low home of corpus reading: the driver (`runner`), the validator, the dataset card and
the reports all read through here, and this module imports none of them. Samples stream shard by
shard (`Corpus.samples`, `iter_samples`); `Corpus.find(key)` reads tar headers only until it meets
the key, then extracts just that sample's members.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import Image

from docsynth.storage import Storage
from docsynth.vocab import VocabSpec

META = ".docsynth"  # hidden from `datasets`' webdataset builder: plan, done records, errors, index
IMAGE_FIELDS = ("page.png", "page.jpg", "page.webp", "pages.png", "pages.jpg", "pages.webp")  # pages.*: a document's pages stacked
VIEW_FIELDS = ("views.png", "views.jpg", "views.webp")  # glimpse unit: the views stacked


def load_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def read_index(out: str, storage_options: dict | None = None) -> dict:
    store = Storage(out, **(storage_options or {}))
    if not store.exists(f"{META}/index.json"):
        raise FileNotFoundError(f"{out}: no {META}/index.json (not a finished docsynth corpus)")
    return json.loads(store.read_text(f"{META}/index.json"))


def iter_samples(fileobj) -> Iterator[tuple[str, dict[str, bytes]]]:
    """(key, {field: bytes}) from a WebDataset tar, requiring each sample's members to be contiguous."""
    key, members, seen = None, {}, set()
    with tarfile.open(fileobj=fileobj, mode="r|") as tf:
        for ti in tf:
            if not ti.isfile():
                continue
            k, _, fld = ti.name.partition(".")
            if k != key:
                if key is not None:
                    yield key, members
                if k in seen:
                    raise ValueError(f"members of sample {k} are not contiguous")
                seen.add(k)
                key, members = k, {}
            members[fld] = tf.extractfile(ti).read()
    if key is not None:
        yield key, members


class SampleNotFound(KeyError):
    """`str()` gives the message itself (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Sample:
    key: str
    shard: str  # shard file name under data/
    members: dict[str, bytes] = field(repr=False)  # field name ("meta.json") -> raw bytes

    @cached_property
    def meta(self) -> dict:
        return json.loads(self.members["meta.json"])

    @cached_property
    def layout(self) -> dict:
        """`meta.layout` is a JSON object string (stable column type for `datasets`)."""
        return json.loads(self.meta.get("layout") or "{}")

    @property
    def unit(self) -> str:
        """`page`, `document` or `glimpse` (corpora before units were pages)."""
        return self.meta.get("unit") or "page"

    def pages(self) -> list[dict]:
        """Per-page metadata, one dict per page with the sample's own fields (key, source, docid, direction…)
        beside the page's (page, width, height, image, grid, elements, layout): one page unless a document."""
        if self.unit != "document":
            return [self.meta]
        common = {k: v for k, v in self.meta.items() if k != "pages"}
        return [{**common, **p} for p in self.meta["pages"]]

    @property
    def image_field(self) -> str:
        for name in IMAGE_FIELDS:
            if name in self.members:
                return name
        raise ValueError(f"sample {self.key}: no page image member (expected one of {IMAGE_FIELDS})")

    def image(self, page: int = 0) -> np.ndarray:
        """A page raster: (H, W) uint8 grey or (H, W, 3) uint8 RGB (`page`: its index among a document's)."""
        return self.page_images()[page]

    def page_images(self) -> list[np.ndarray]:
        """Every page raster of the sample (one unless a document), the image member decoded once."""
        full = self._decode(self.image_field)
        if self.unit != "document":
            return [full]
        ims = [p["image"] for p in self.meta["pages"]]
        return [full[im["top"] : im["top"] + im["height"], : im["width"]] for im in ims]

    def views(self) -> list[np.ndarray]:
        """Glimpse unit: the views (global first), each S x S."""
        name = next((n for n in VIEW_FIELDS if n in self.members), None)
        if name is None:
            raise ValueError(f"sample {self.key}: no views member (a glimpse sample has one of {VIEW_FIELDS})")
        full, S = self._decode(name), self.meta["view_size"]
        return [full[i * S : (i + 1) * S] for i in range(len(self.meta["views"]))]

    def _decode(self, name: str) -> np.ndarray:
        with Image.open(io.BytesIO(self.members[name])) as im:
            return np.asarray(im.convert("L" if im.mode in ("L", "1", "I;16") else "RGB"))

    def codes(self) -> np.ndarray:
        """(h, w, G) for a page; (V, h, w, G) for a document's pages or a glimpse's views, -1 past each grid."""
        return self._npy("codes.npy")

    def image_codes(self) -> list[np.ndarray]:
        """(h, w, G) codes of each page (document), view (glimpse) or of the page."""
        c = self.codes()
        if c.ndim == 3:
            return [c]
        grids = [p["grid"] for p in self.meta["pages"]] if self.unit == "document" else [v["grid"] for v in self.meta["views"]]
        return [c[i, :h, :w] for i, (w, h) in enumerate(grids)]

    def tokens(self, fmt: str) -> np.ndarray:
        return self._npy(f"tokens_{fmt.lower()}.npy")  # (L, G)

    def text(self, fmt: str) -> str:
        name = f"{fmt.lower()}.txt"
        if name not in self.members:
            raise ValueError(f"sample {self.key}: format {fmt} was not written (no {name}; has {sorted(self.members)})")
        return self.members[name].decode()

    def _npy(self, name: str) -> np.ndarray:
        if name not in self.members:
            raise ValueError(f"sample {self.key}: no {name} member (has {sorted(self.members)})")
        return load_npy(self.members[name])


class Corpus:
    """A finished corpus at a folder or fsspec URL (DESIGN §7)."""

    def __init__(self, url: str, storage_options: dict | None = None):
        self.url = url
        self.store = Storage(url, **(storage_options or {}))
        self.index = read_index(url, storage_options)
        self.shards: list[str] = [s["name"] for s in self.index["shards"]]

    @classmethod
    def from_store(cls, store: Storage, index: dict) -> Corpus:
        """A corpus being finalized: its index is known but not yet written."""
        corpus = cls.__new__(cls)
        corpus.url, corpus.store, corpus.index = store.url, store, index
        corpus.shards = [s["name"] for s in index["shards"]]
        return corpus

    @cached_property
    def plan(self) -> dict:
        path = f"{META}/plan.json"
        return json.loads(self.store.read_text(path)) if self.store.exists(path) else {}

    @property
    def config(self) -> dict:
        return self.plan.get("config", {})

    @cached_property
    def vocab(self) -> VocabSpec:
        if not self.store.exists("vocab.json"):
            raise FileNotFoundError(f"{self.url}: no vocab.json")
        return VocabSpec.from_json(json.loads(self.store.read_text("vocab.json")))

    def errors(self) -> list[dict]:
        """Every dropped input with its reason (`.docsynth/errors.jsonl`)."""
        path = f"{META}/errors.jsonl"
        if not self.store.exists(path):
            return []
        return [json.loads(line) for line in self.store.read_text(path).splitlines() if line.strip()]

    def samples(self, max_samples: int | None = None) -> Iterator[Sample]:
        """Every sample in shard order, reading each shard once as a stream."""
        n = 0
        for shard in self.shards:
            with self.store.fs.open(self.store.path("data", shard), "rb") as f:
                for key, members in iter_samples(f):
                    if max_samples is not None and n >= max_samples:
                        return
                    yield Sample(key, shard, members)
                    n += 1

    def find(self, key: str) -> Sample:
        """The sample with this key; SampleNotFound names a few keys that exist."""
        seen: list[str] = []
        for shard in self.shards:
            with self.store.fs.open(self.store.path("data", shard), "rb") as f, tarfile.open(fileobj=f, mode="r:") as tf:
                found = {}
                for ti in tf.getmembers():  # headers only: member data is skipped by seeking
                    k, _, fld = ti.name.partition(".")
                    if k == key and ti.isfile():
                        found[fld] = tf.extractfile(ti).read()
                    elif len(seen) < 5 and (not seen or seen[-1] != k):
                        seen.append(k)
                if found:
                    return Sample(key, shard, found)
        hint = ", ".join(seen) if seen else "none (the corpus has no samples)"
        raise SampleNotFound(
            f"{self.url}: no sample with key {key!r} among {self.index.get('num_samples', '?')} samples; "
            f"keys look like: {hint}"
        )

    def text_tokenizer(self):
        from docsynth import text_tokenizer as tt

        return tt.load(self.config.get("tokens", {}).get("tokenizer", self.vocab.tokenizer or tt.DEFAULT_NAME))

    def vision_tokenizer(self, checkpoint: str | None = None):
        """The tokenizer that made this corpus's codes (config `vision.checkpoint`), checked against the vocab."""
        from docsynth.model.vision import VisionTokenizer

        path = checkpoint or self.config.get("vision", {}).get("checkpoint", "default")
        if path == "default":  # the default of the docsynth that made the corpus, which may not be this one's
            path = self.vocab.vision_tokenizer or _shipped_with(self.vocab.G, self.vocab.K) or path
        tok = VisionTokenizer.load(path)
        if (tok.G, tok.K) != (self.vocab.G, self.vocab.K):
            raise ValueError(
                f"vision tokenizer {path}: G={tok.G}, K={tok.K} but {self.url}/vocab.json has "
                f"G={self.vocab.G}, K={self.vocab.K}; pass the checkpoint that made this corpus"
            )
        return tok


def _shipped_with(G: int, K: int) -> str | None:
    """The one shipped vision checkpoint with G heads of K codes (a corpus whose vocab.json names none)."""
    from docsynth.model.vision.tokenizer import shipped_checkpoints
    from docsynth.pipeline import load_vision  # loaded once per process

    found = [name for name in shipped_checkpoints() if (load_vision(name).G, load_vision(name).K) == (G, K)]
    return found[0] if len(found) == 1 else None
