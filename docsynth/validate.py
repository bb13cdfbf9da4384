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
from docsynth.formats import ParseError, flatten, parse, serialize, strip_boxes, tokenize_text
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
    images = [e.codes for e in flatten(elems) if e.kind == "image"]
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
    unit = meta.get("unit") or "page"
    if unit == "page":
        _check_page(fmt, elems, meta, codes, err, "")
    elif unit == "document":
        pages = meta["pages"]
        if [e.kind for e in elems] != ["page"] * len(pages):
            err(f"format {fmt}: a document sequence must be {len(pages)} <page> elements, found {[e.kind for e in elems]}")
            return
        for i, (e, p) in enumerate(zip(elems, pages)):
            w, h = p["grid"]
            _check_page(fmt, e.children, {**meta, **p}, codes[i, :h, :w], err, f"page {i}: ")
    else:
        _check_glimpse(fmt, elems, meta, codes, err)


def _check_page(fmt: str, elems: list, meta: dict, codes: np.ndarray, err, where: str) -> None:
    """One page's elements (the page unit's sequence, or a document's `<page>`) against its meta."""
    read = meta["direction"] == "read"
    body, page_img = (elems[1:], elems[0] if elems else None) if read else (elems[:-1], elems[-1] if elems else None)
    if page_img is None or page_img.kind != "image" or page_img.box is not None:
        err(f"format {fmt}: {where}the page image is not {'first' if read else 'last'}")
        return
    if not np.array_equal(page_img.codes, codes):
        err(f"format {fmt}: {where}page image codes differ from codes.npy")
    if len(body) != len(meta["elements"]):
        err(f"format {fmt}: {where}{len(body)} elements but meta lists {len(meta['elements'])}")
        return
    for i, (e, m) in enumerate(zip(body, meta["elements"])):
        is_img = m["type"] in ("figure", "image")
        if (e.kind == "image") != is_img or (not is_img and e.text != m["text"]):
            err(f"format {fmt}: {where}element {i} differs from meta (kind/text)")
        want_box = tuple(m["bbox_norm"]) if fmt == "A" else None
        if e.box != want_box:
            err(f"format {fmt}: {where}element {i} box {e.box} != {want_box}")
        grid = json.loads(m["attrs"]).get("grid") if is_img else None
        if is_img and (e.codes is None or [e.codes.shape[1], e.codes.shape[0]] != grid):
            err(f"format {fmt}: {where}element {i} image grid differs from its meta attrs grid {grid}")


def _check_glimpse(fmt: str, elems: list, meta: dict, codes: np.ndarray, err) -> None:
    """The global view, then per look: its box, its view and the text of the elements it holds, the view
    first (`read`) or last (`write`); every view on the same grid; every element in exactly one look."""
    views, read = meta["views"], meta["direction"] == "read"
    if not elems or elems[0].kind != "image" or elems[0].box is not None:
        err(f"format {fmt}: a glimpse sequence starts with the global view")
        return
    looks: list[list] = []  # [look, *what follows it]
    for e in elems[1:]:
        if e.kind == "look":
            looks.append([e])
        elif not looks or e.kind not in ("text", "image"):
            err(f"format {fmt}: a {e.kind} element outside a look")
            return
        else:
            looks[-1].append(e)
    if len(looks) != len(views) - 1:
        err(f"format {fmt}: {len(looks)} looks but meta lists {len(views) - 1}")
        return
    if any(v["grid"] != views[0]["grid"] for v in views):
        err(f"meta.views: grids {[v['grid'] for v in views]} differ; every view has the same size")
    images = [elems[0]]
    for i, (look, *rest) in enumerate(looks, 1):
        kinds, view = [e.kind for e in rest], views[i]
        want_kinds = ["image"] + ["text"] * (len(rest) - 1) if read else ["text"] * (len(rest) - 1) + ["image"]
        if kinds != want_kinds:
            err(f"format {fmt}: look {i} is followed by {kinds}, expected its view {'then' if read else 'after'} its text")
            return
        images.append(rest[0] if read else rest[-1])
        body = [e for e in rest if e.kind == "text"]
        if list(look.box) != view["bbox_norm"]:
            err(f"format {fmt}: look {i} box {look.box} != meta {view['bbox_norm']}")
        texts = [meta["elements"][j] for j in view["elements"] if meta["elements"][j]["type"] not in ("figure", "image")]
        if [e.text for e in body] != [m["text"] for m in texts]:
            err(f"format {fmt}: look {i} text differs from its elements {view['elements']}")
        if [e.box for e in body] != [tuple(m["bbox_norm"]) if fmt == "A" else None for m in texts]:
            err(f"format {fmt}: look {i} element boxes differ from meta")
    for i, (img, view) in enumerate(zip(images, views)):
        if not np.array_equal(img.codes, codes[i]) or [img.codes.shape[1], img.codes.shape[0]] != view["grid"]:
            err(f"format {fmt}: view {i} codes differ from codes.npy[{i}] or its grid {view['grid']}")
    held = sorted(j for v in views for j in v["elements"])
    if held != list(range(len(meta["elements"]))):
        err(f"meta.views hold elements {held}, not each of the {len(meta['elements'])} elements once")


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


def _check_images(members: dict, meta: dict, unit: str, err) -> None:
    """The image members exist and have the sizes meta announces (pages stacked, views stacked)."""
    stem = "pages." if unit == "document" else "page."
    name = next((m for m in members if m.startswith(stem)), None)
    if name is None:
        err(f"no {stem}* image member")
    else:
        size = list(member(members, name, _image_size))
        if unit == "document":
            ims = [p["image"] for p in meta["pages"]]
            want = [max(im["width"] for im in ims), sum(im["height"] for im in ims)]
            tops = [sum(im["height"] for im in ims[:i]) for i in range(len(ims))]
            if [im.get("top") for im in ims] != tops:
                err(f"meta.pages image.top {[im.get('top') for im in ims]} != the stacked tops {tops}")
        else:
            want = [meta["image"]["width"], meta["image"]["height"]]
        if size != want:
            err(f"{name} is {size[0]}x{size[1]}, meta says {want[0]}x{want[1]}")
    if unit == "glimpse":
        name = next((m for m in members if m.startswith("views.")), None)
        S, V = meta["view_size"], len(meta["views"])
        if name is None:
            err("no views.* image member")
        elif (size := list(member(members, name, _image_size))) != [S, S * V]:
            err(f"{name} is {size[0]}x{size[1]}, expected {V} views of {S}x{S} stacked ({S}x{S * V})")


def _codes_shape_ok(codes, meta: dict, unit: str, vocab: VocabSpec) -> bool:
    if codes is None or codes.shape[-1:] != (vocab.G,):
        return False
    if unit == "page":
        return codes.ndim == 3 and [codes.shape[1], codes.shape[0]] == meta["grid"]
    grids = [p["grid"] for p in meta["pages"]] if unit == "document" else [v["grid"] for v in meta["views"]]
    return codes.ndim == 4 and len(codes) == len(grids) and list(codes.shape[1:3]) == [max(g[1] for g in grids), max(g[0] for g in grids)]


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
    unit = meta.get("unit") or "page"
    pages = [meta] if unit != "document" else [{**meta, **p} for p in meta["pages"]]
    for i, p in enumerate(pages):
        check_boxes(p, lambda m, i=i: err(f"page {i}: {m}" if unit == "document" else m))
    _check_images(members, meta, unit, err)
    codes = member(members, "codes.npy", load_npy) if "codes.npy" in members else None
    if not _codes_shape_ok(codes, meta, unit, vocab):
        want = "(h, w, G) matching grid" if unit == "page" else "(V, h_max, w_max, G) holding the grids"
        err(f"codes.npy missing or not {want} {meta.get('grid') or [x['grid'] for x in meta.get('pages') or meta['views']]}")
        return
    valid = codes[codes >= 0] if unit == "document" else codes
    if (codes < (-1 if unit == "document" else 0)).any() or valid.max() >= vocab.K:
        err(f"codes.npy: codes outside [0, {vocab.K})")
    for i, (w, h) in enumerate(p["grid"] for p in meta.get("pages") or ()):  # a document's padding, checked once
        if (codes[i, h:] != -1).any() or (codes[i, :, w:] != -1).any():
            err(f"codes.npy: page {i} has codes past its {w}x{h} grid (padding must be -1)")
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
