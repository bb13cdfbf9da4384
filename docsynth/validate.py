"""`docsynth validate`: check every sample of a corpus against the contracts.

Per sample: meta.json schema; boxes inside the page and `bbox_norm` consistent; codes in
range and of the announced grid; token ids in range; tags balanced (the parser accepts the
sequence); pad count equals `w*h`; serialize/parse round trip; the text spelling tokenizes
back to the rows; Format A and B agree; elements agree with meta.json. Per corpus: the index
schema, shard checksums, unique keys, and the document accounting.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from docsynth import schemas
from docsynth import text_tokenizer as tt
from docsynth.coords import normalize_box
from docsynth.corpus import META, iter_samples, load_npy
from docsynth.formats import ParseError, parse, serialize, strip_boxes, tokenize_text
from docsynth.steps import why
from docsynth.storage import HashingFile, Storage
from docsynth.vocab import VocabSpec

BOX_TOL = 0.5  # points a box may overhang the page (rounding of stored boxes)


@dataclass
class Report:
    samples: int = 0
    shards: int = 0
    violations: list[tuple[str, str, str]] = field(default_factory=list)  # (shard, key, message)

    def add(self, shard: str, key: str, msg: str) -> None:
        self.violations.append((shard, key, msg))

    @property
    def ok(self) -> bool:
        return not self.violations


def check_boxes(meta: dict, err) -> None:
    W, H, N = meta["width"], meta["height"], meta["coord_bins"]

    def inside(b, what):
        if not (-BOX_TOL <= b[0] <= b[2] <= W + BOX_TOL and -BOX_TOL <= b[1] <= b[3] <= H + BOX_TOL):
            err(f"{what} box {b} is not an ordered box inside the {W}x{H} page")

    for i, el in enumerate(meta["elements"]):
        inside(el["bbox"], f"element {i}")
        clipped = [min(max(v, 0.0), W if j % 2 == 0 else H) for j, v in enumerate(el["bbox"])]
        if el["bbox_norm"] != normalize_box(clipped, W, H, N):
            err(f"element {i} bbox_norm {el['bbox_norm']} != normalized bbox {normalize_box(clipped, W, H, N)}")
        for j, ln in enumerate(el["lines"]):
            inside(ln["bbox"], f"element {i} line {j}")
            for w in ln["words"]:
                inside(w["bbox"], f"element {i} line {j} word {w['text']!r}")


def check_sequence(fmt: str, members: dict, meta: dict, codes: np.ndarray, vocab: VocabSpec, tok, err) -> list | None:
    name = f"tokens_{fmt.lower()}.npy"
    if name not in members or f"{fmt.lower()}.txt" not in members:
        err(f"format {fmt} listed in meta but {name} or {fmt.lower()}.txt is missing")
        return None
    tokens = member(members, name, load_npy)
    if tokens.dtype != np.int32 or tokens.ndim != 2 or tokens.shape[1] != vocab.G:
        err(f"{name}: expected int32 (L, {vocab.G}), got {tokens.dtype} {tokens.shape}")
        return None
    if tokens.min() < 0 or tokens.max() >= vocab.size:
        err(f"{name}: ids outside [0, {vocab.size})")
        return None
    if meta["num_tokens"].get(fmt) != len(tokens):
        err(f"{name}: {len(tokens)} rows but meta.num_tokens.{fmt} = {meta['num_tokens'].get(fmt)}")
    try:
        elems = parse(tokens, vocab, tok)
    except ParseError as e:
        err(f"{name}: unbalanced or malformed sequence: {e}")
        return None
    if not np.array_equal(serialize(elems, vocab, tok)[1], tokens):
        err(f"{name}: serialize(parse(tokens)) != tokens")
    text = member(members, f"{fmt.lower()}.txt", bytes.decode)
    images = [e.codes for e in elems if e.kind == "image"]
    pads = sum(int(np.prod(c.shape[:2])) for c in images)
    if text.count("<image_pad>") != pads:
        err(f"{fmt.lower()}.txt: {text.count('<image_pad>')} <image_pad> but images need w*h = {pads}")
    else:
        try:
            if not np.array_equal(tokenize_text(text, vocab, tok, images), tokens):
                err(f"{fmt.lower()}.txt does not tokenize to {name}")
        except ParseError as e:
            err(f"{fmt.lower()}.txt: {e}")
    _check_against_meta(fmt, elems, meta, codes, err)
    return elems


def _check_against_meta(fmt: str, elems: list, meta: dict, codes: np.ndarray, err) -> None:
    body, page_img = (elems[1:], elems[0]) if meta["direction"] == "read" else (elems[:-1], elems[-1] if elems else None)
    if page_img is None or page_img.kind != "image" or page_img.box is not None:
        err(f"format {fmt}: the page image is not {'first' if meta['direction'] == 'read' else 'last'}")
        return
    if not np.array_equal(page_img.codes, codes):
        err(f"format {fmt}: page image codes differ from codes.npy")
    if len(body) != len(meta["elements"]):
        err(f"format {fmt}: {len(body)} elements but meta lists {len(meta['elements'])}")
        return
    for i, (e, m) in enumerate(zip(body, meta["elements"])):
        is_img = m["type"] in ("figure", "image")
        if (e.kind == "image") != is_img or (not is_img and e.text != m["text"]):
            err(f"format {fmt}: element {i} differs from meta (kind/text)")
        want_box = tuple(m["bbox_norm"]) if fmt == "A" else None
        if e.box != want_box:
            err(f"format {fmt}: element {i} box {e.box} != {want_box}")
        grid = json.loads(m["attrs"]).get("grid") if is_img else None
        if is_img and (e.codes is None or [e.codes.shape[1], e.codes.shape[0]] != grid):
            err(f"format {fmt}: element {i} image grid differs from its meta attrs grid {grid}")


class BadMember(Exception):
    """A member whose bytes cannot be decoded: names the member and why."""

    def __init__(self, name: str, cause: BaseException):
        super().__init__(f"{name}: cannot be read ({why(cause)})")


def member(members: dict, name: str, decode):
    """`decode(members[name])`, or `BadMember` naming the member."""
    try:
        return decode(members[name])
    except Exception as e:
        raise BadMember(name, e) from e


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # decode the pixels too: a truncated stream fails here, not in a later reader
        return im.size


def check_sample(key: str, members: dict, vocab: VocabSpec, tok, err) -> None:
    """Every per-sample contract; a damaged member or an unforeseen failure is reported, never raised."""
    try:
        _check_sample(key, members, vocab, tok, err)
    except BadMember as e:
        err(str(e))
    except Exception as e:  # the check itself failed on this sample: report it and go on with the next
        err(f"check failed ({why(e)})")


def _check_sample(key: str, members: dict, vocab: VocabSpec, tok, err) -> None:
    try:
        meta = json.loads(members["meta.json"])
    except (KeyError, ValueError) as e:  # ValueError: not JSON, or not UTF-8
        err(f"meta.json missing or not JSON ({e})")
        return
    problems = schemas.errors("sample", meta)
    for p in problems:
        err(f"meta.json schema: {p}")
    if problems:
        return
    if meta["key"] != key:
        err(f"meta.key {meta['key']!r} != sample key")
    check_boxes(meta, err)
    img_name = next((m for m in members if m.startswith("page.")), None)
    if img_name is None:
        err("no page image member")
    else:
        size = member(members, img_name, _image_size)
        if list(size) != [meta["image"]["width"], meta["image"]["height"]]:
            err(f"{img_name} is {size}, meta says {meta['image']['width']}x{meta['image']['height']}")
    codes = member(members, "codes.npy", load_npy) if "codes.npy" in members else None
    if codes is None or codes.ndim != 3 or codes.shape[2] != vocab.G or [codes.shape[1], codes.shape[0]] != meta["grid"]:
        err(f"codes.npy missing or not (h, w, G) matching grid {meta['grid']}")
        return
    if codes.min() < 0 or codes.max() >= vocab.K:
        err(f"codes.npy: codes outside [0, {vocab.K})")
    parsed = {f: check_sequence(f, members, meta, codes, vocab, tok, err) for f in meta["formats"]}
    if parsed.get("A") is not None and parsed.get("B") is not None and strip_boxes(parsed["A"]) != parsed["B"]:
        err("Format B is not Format A without its boxes")


def validate(out: str, storage_options: dict | None = None, progress=None) -> Report:
    store, rep = Storage(out, **(storage_options or {})), Report()
    try:
        index = json.loads(store.read_text(f"{META}/index.json"))
        vocab_json = json.loads(store.read_text("vocab.json"))
    except (FileNotFoundError, json.JSONDecodeError) as e:
        rep.add("-", "-", f"not a finished docsynth corpus: {e}")
        return rep
    for p in schemas.errors("index", index):
        rep.add("index.json", "-", p)
    for p in schemas.errors("vocab", vocab_json):
        rep.add("vocab.json", "-", p)
    if not rep.ok:
        return rep
    vocab = VocabSpec.from_json(vocab_json)
    tok = tt.load(vocab.tokenizer)
    if vocab.tokenizer_sha256 and tt.sha256(vocab.tokenizer) != vocab.tokenizer_sha256:
        rep.add("vocab.json", "-", f"text tokenizer {vocab.tokenizer!r} differs from the one the corpus was written with")
        return rep
    _check_accounting(store, index, rep)
    keys: set[str] = set()
    for sh in index["shards"]:
        _check_shard(store, sh, vocab, tok, keys, rep)
        if progress:
            progress(sh)
    return rep


def _check_shard(store: Storage, sh: dict, vocab: VocabSpec, tok, keys: set, rep: Report) -> None:
    name, rel = sh["name"], f"data/{sh['name']}"
    rep.shards += 1
    if not store.exists(rel):
        rep.add(name, "-", "shard listed in the index is missing")
        return
    count, fields, key = 0, None, None
    with store.fs.open(store.path(rel), "rb") as raw:
        f = HashingFile(raw)  # one read of the shard: checked and hashed together
        try:
            for key, members in iter_samples(f):
                count += 1
                if key in keys:
                    rep.add(name, key, "duplicate sample key in the corpus")
                keys.add(key)
                fields = fields or set(members)
                if set(members) != fields:
                    rep.add(name, key, f"fields {sorted(members)} differ from the shard's {sorted(fields)}")
                check_sample(key, members, vocab, tok, lambda m, k=key: rep.add(name, k, m))
        except (tarfile.TarError, ValueError, OSError, EOFError) as e:  # the tar itself is damaged: the rest is unreadable
            where = f"after sample {key}" if key is not None else "before its first sample"
            rep.add(name, "-", f"unreadable tar {where} ({type(e).__name__}: {e}); {count} samples checked")
        try:
            f.drain()
        except OSError as e:
            rep.add(name, "-", f"cannot read to the end ({type(e).__name__}: {e})")
    if f.hexdigest() != sh["sha256"] or f.n != sh["bytes"]:
        rep.add(name, "-", "checksum or size differs from the index")
    rep.samples += count
    if count != sh["samples"]:
        rep.add(name, "-", f"{count} samples but the index says {sh['samples']}")


def _check_accounting(store: Storage, index: dict, rep: Report) -> None:
    t = index["totals"]
    if t["docs_in"] != t["docs_written"] + t["docs_dropped"]:
        rep.add("index.json", "-", f"documents in ({t['docs_in']}) != written ({t['docs_written']}) + dropped ({t['docs_dropped']})")
    try:
        lines = store.read_text(f"{META}/errors.jsonl").splitlines()
        doc_drops = sum(1 for ln in lines if json.loads(ln)["page"] is None)
    except (FileNotFoundError, json.JSONDecodeError, KeyError) as e:
        rep.add("errors.jsonl", "-", f"missing or malformed: {e}")
        return
    if doc_drops != t["docs_dropped"]:
        rep.add("errors.jsonl", "-", f"{doc_drops} document drops listed, index says {t['docs_dropped']}")
