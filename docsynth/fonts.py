"""The font pool: every usable face, described with fontTools, and which code points it really draws.

Faces come from the `pymupdf-fonts` package (plus MuPDF's built-in CJK font, Droid Sans
Fallback), system folders and a user folder (.ttf/.otf and .ttc/.otc collections). A code
point counts as covered only when the cmap maps it to a glyph with an outline: blank glyphs
(no contours) do not count (synthtiger's rule), except whitespace, which counts whenever the
face maps U+0020. The scan is cached on disk, keyed by the font files' paths, sizes and mtimes.

Collections: PyMuPDF's `Font` has no face index, so a collection face is handed to it as the
bytes of a single-face font, assembled from the collection's table directory (`extract_face`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import mmap
import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from docsynth.config import FontConfig

log = logging.getLogger("docsynth.fonts")
SCAN_VERSION = 2  # the cache key also hashes this module's source, so a changed scanner rescans
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
WHITESPACE = tuple(c for c in range(0x3001) if chr(c).isspace())  # every str.isspace() code point
CMAP_PRIORITY = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))  # as fontTools' getBestCmap
# Emoji pictographs never count as covered: a few text fonts (DejaVu Sans) draw some of them in
# monochrome, which would make emoji render in some documents and not others; the corpus drops them.
EMOJI_RANGES = ((0x1F1E6, 0x1F200), (0x1F300, 0x1F650), (0x1F680, 0x1F700), (0x1F900, 0x1FA00), (0x1FA70, 0x1FB00))
MUPDF_BUILTINS = ("cjk",)  # MuPDF's own fonts readable by fontTools (Droid Sans Fallback: CJK and more)


@dataclass(frozen=True)
class FontFace:
    family: str  # legacy family (name ID 1): at most regular/bold/italic/bold-italic per family
    style: str  # subfamily (name ID 2)
    weight: int  # OS/2 usWeightClass
    italic: bool
    ref: str  # stable id for metadata: "pymupdf-fonts:notos", "mupdf:cjk", "/abs/file.ttf", "/abs/file.ttc#3"
    path: str | None  # font file, None for fonts loaded by name
    index: int  # face index inside a collection (0 otherwise)
    ascender: float  # em units, from hhea (OS/2 win metrics when hhea is empty)
    descender: float  # em units, negative
    monospace: bool

    @property
    def bold(self) -> bool:
        return self.weight >= 600


# --------------------------------------------------------------------------- cmap and outlines


def _best_cmap(tt) -> tuple[np.ndarray, np.ndarray]:
    """(code points, glyph ids) of the face's Unicode cmap; numpy fast path for formats 4 and 12."""
    raw = tt.reader["cmap"]
    n = struct.unpack_from(">H", raw, 2)[0]
    records = {struct.unpack_from(">HH", raw, 4 + 8 * i): struct.unpack_from(">I", raw, 8 + 8 * i)[0] for i in range(n)}
    for key in CMAP_PRIORITY:
        if key in records:
            off = records[key]
            fmt = struct.unpack_from(">H", raw, off)[0]
            if fmt == 12:
                return _cmap12(raw, off)
            if fmt == 4:
                return _cmap4(raw, off)
            break
    best = tt.getBestCmap() or {}
    cps = np.array(sorted(best), dtype=np.int64)
    return cps, np.array([tt.getGlyphID(best[c]) for c in cps.tolist()], dtype=np.int64)


def _cmap12(raw: bytes, off: int) -> tuple[np.ndarray, np.ndarray]:
    n = struct.unpack_from(">I", raw, off + 12)[0]
    groups = np.frombuffer(raw, dtype=">u4", count=3 * n, offset=off + 16).reshape(n, 3).astype(np.int64)  # (n, 3)
    lengths = groups[:, 1] - groups[:, 0] + 1
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    step = np.arange(lengths.sum()) - first  # position inside its group
    return np.repeat(groups[:, 0], lengths) + step, np.repeat(groups[:, 2], lengths) + step


def _cmap4(raw: bytes, off: int) -> tuple[np.ndarray, np.ndarray]:
    seg = struct.unpack_from(">H", raw, off + 6)[0] // 2
    arr = lambda at: np.frombuffer(raw, dtype=">u2", count=seg, offset=at).astype(np.int64)
    end, start = arr(off + 14), arr(off + 16 + 2 * seg)
    delta, ro_at = arr(off + 16 + 4 * seg), off + 16 + 6 * seg
    range_off = arr(ro_at)
    lengths = np.maximum(end - start + 1, 0)
    seg_of = np.repeat(np.arange(seg), lengths)
    cps = start[seg_of] + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    gids = (cps + delta[seg_of]) & 0xFFFF
    via = range_off[seg_of] != 0  # glyph ids read from glyphIdArray
    if via.any():
        at = ro_at + 2 * seg_of[via] + range_off[seg_of[via]] + 2 * (cps[via] - start[seg_of[via]])
        words = np.frombuffer(raw, dtype=np.uint8)
        ok = at + 1 < len(words)
        val = np.zeros(len(at), dtype=np.int64)
        val[ok] = words[at[ok]].astype(np.int64) * 256 + words[at[ok] + 1]
        gids[via] = np.where(val != 0, (val + delta[seg_of[via]]) & 0xFFFF, 0)
    keep = cps != 0xFFFF
    return cps[keep], gids[keep]


def _blank_glyphs(tt, num_glyphs: int) -> np.ndarray:
    """(num_glyphs,) bool: glyphs without an outline."""
    if "glyf" in tt.reader and "loca" in tt.reader:
        return _blank_glyf(tt, num_glyphs)
    if "CFF " in tt.reader:
        return _blank_cff(tt, num_glyphs)
    if "CFF2" in tt.reader:
        return _blank_by_drawing(tt, np.arange(num_glyphs), np.zeros(num_glyphs, dtype=bool))
    raise ValueError("no outline table (glyf, CFF, CFF2)")


def _blank_glyf(tt, num_glyphs: int) -> np.ndarray:
    raw_loca, glyf = tt.reader["loca"], tt.reader["glyf"]
    if tt["head"].indexToLocFormat == 0:
        loca = np.frombuffer(raw_loca, dtype=">u2", count=num_glyphs + 1).astype(np.int64) * 2
    else:
        loca = np.frombuffer(raw_loca, dtype=">u4", count=num_glyphs + 1).astype(np.int64)
    length = np.diff(loca)
    blank = length <= 0
    for g in np.nonzero((length > 0) & (length <= 12))[0]:  # header only: numberOfContours == 0
        blank[g] = struct.unpack_from(">h", glyf, int(loca[g]))[0] == 0
    return blank


def _blank_cff(tt, num_glyphs: int) -> np.ndarray:
    raw = tt.reader["CFF "]
    offsets = _cff_index(raw, tt["CFF "].cff.topDictIndex[0].rawDict["CharStrings"])
    length = np.diff(offsets)[:num_glyphs]
    blank = np.zeros(num_glyphs, dtype=bool)
    unsure = []
    for g in np.nonzero(length <= 12)[0].tolist():  # drawing needs a moveto and a segment or a subroutine call
        verdict = _t2_blank(raw[offsets[g] : offsets[g + 1]])
        if verdict is None:
            unsure.append(g)
        else:
            blank[g] = verdict
    return _blank_by_drawing(tt, np.array(unsure, dtype=np.int64), blank)


def _cff_index(raw: bytes, at: int) -> np.ndarray:
    """(count + 1,) absolute offsets of the items of the CFF INDEX at `at`."""
    count = struct.unpack_from(">H", raw, at)[0]
    size = raw[at + 2]
    digits = np.frombuffer(raw, dtype=np.uint8, count=(count + 1) * size, offset=at + 3).reshape(count + 1, size)
    offsets = np.zeros(count + 1, dtype=np.int64)
    for k in range(size):
        offsets = offsets * 256 + digits[:, k]
    return offsets + at + 2 + (count + 1) * size  # offsets count from 1, after the offset array


T2_DRAW = frozenset((4, 5, 6, 7, 8, 10, 21, 22, 24, 25, 26, 27, 29, 30, 31))  # movetos, segments, subroutine calls
T2_HINTS = frozenset((1, 3, 18, 23))  # stem hints (clear the stack)


def _t2_blank(cs: bytes) -> bool | None:
    """Does a Type 2 charstring draw nothing? None when it cannot tell without running it (hint masks)."""
    i, nargs = 0, 0
    while i < len(cs):
        b = cs[i]
        if b >= 32 or b == 28:
            i += 3 if b == 28 else (1 if b <= 246 else (2 if b <= 254 else 5))
            nargs += 1
        elif b in T2_DRAW:
            return False
        elif b == 14:
            return nargs < 4  # endchar with 4 operands (+ width) is the seac accent composition
        elif b == 12:
            if i + 1 < len(cs) and cs[i + 1] in (34, 35, 36, 37):  # flex
                return False
            i, nargs = i + 2, 0
        elif b in T2_HINTS:
            i, nargs = i + 1, 0
        else:
            return None
    return True


def _blank_by_drawing(tt, gids: np.ndarray, blank: np.ndarray) -> np.ndarray:
    from fontTools.pens.boundsPen import ControlBoundsPen

    if len(gids):
        order, glyphs = tt.getGlyphOrder(), tt.getGlyphSet()
        for g in gids.tolist():
            pen = ControlBoundsPen(glyphs)
            glyphs[order[g]].draw(pen)
            blank[g] = pen.bounds is None
    return blank


def _ranges(cps: np.ndarray) -> str:
    """Sorted unique code points -> base64 of little-endian int32 [start0, stop0, start1, ...] (stop exclusive)."""
    if not len(cps):
        return ""
    breaks = np.nonzero(np.diff(cps) != 1)[0]
    starts = np.concatenate([cps[:1], cps[breaks + 1]])
    stops = np.concatenate([cps[breaks], cps[-1:]]) + 1
    return base64.b64encode(np.stack([starts, stops], axis=1).astype("<i4").tobytes()).decode()


def _unranges(b64: str) -> np.ndarray:
    """(n, 2) int64 [start, stop) ranges from `_ranges`."""
    return np.frombuffer(base64.b64decode(b64), dtype="<i4").astype(np.int64).reshape(-1, 2)


# --------------------------------------------------------------------------- scanning


def _name(tt, *ids: int) -> str:
    for i in ids:
        value = tt["name"].getDebugName(i)
        if value:
            return value.strip()
    return ""


def _describe(tt) -> dict:
    os2 = tt["OS/2"] if "OS/2" in tt.reader else None
    head, hhea, upm = tt["head"], tt["hhea"], tt["head"].unitsPerEm
    weight = int(os2.usWeightClass) if os2 else (700 if head.macStyle & 1 else 400)
    weight = weight * 100 if 0 < weight < 10 else weight  # a few old fonts use a 1-9 scale
    asc, desc = hhea.ascent, hhea.descent
    if asc == 0 and desc == 0 and os2:
        asc, desc = os2.usWinAscent, -os2.usWinDescent
    fixed = "post" in tt.reader and struct.unpack_from(">I", tt.reader["post"], 12)[0] != 0  # isFixedPitch
    return {
        "family": _name(tt, 1, 16, 4),
        "style": _name(tt, 2, 17) or "Regular",
        "weight": weight,
        "italic": bool((os2 and os2.fsSelection & 1) or head.macStyle & 2),
        "ascender": round(asc / upm, 6),
        "descender": round(desc / upm, 6),
        "monospace": fixed or bool(os2 and os2.panose.bFamilyType == 2 and os2.panose.bProportion == 9),
    }


def _outline_key(tt, where: str) -> str:
    """Faces of one collection that share their outline table share this key (and blank sets)."""
    tag = "glyf" if "glyf" in tt.reader else ("CFF " if "CFF " in tt.reader else "CFF2")
    entry = tt.reader.tables.get(tag)
    return f"{where}@{tag}{getattr(entry, 'offset', 0)}"


def _scan_face(tt, ref: str, path: str | None, index: int, where: str, blanks: dict) -> dict:
    desc = _describe(tt)
    num_glyphs = tt["maxp"].numGlyphs
    group = _outline_key(tt, where)
    if group not in blanks:
        blanks[group] = _blank_glyphs(tt, num_glyphs)
    cps, gids = _best_cmap(tt)
    ok = (gids > 0) & (gids < num_glyphs)
    ok[ok] = ~blanks[group][gids[ok]]
    for lo, hi in EMOJI_RANGES:
        ok &= (cps < lo) | (cps >= hi)
    covered = cps[ok]
    if 0x20 in cps[gids > 0]:
        covered = np.concatenate([covered, np.array(WHITESPACE, dtype=np.int64)])
    covered = np.sort(covered)
    covered = covered[np.concatenate([[True], np.diff(covered) != 0])]  # unique (np.unique is slow here)
    return {**desc, "ref": ref, "path": path, "index": index, "group": group, "cover": _ranges(covered)}


def _scan_file(path: str, blanks: dict) -> list[dict]:
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith((".ttc", ".otc")):
        fonts = TTCollection(path, lazy=True).fonts
        return [_scan_face(tt, f"{path}#{i}", path, i, path, blanks) for i, tt in enumerate(fonts)]
    return [_scan_face(TTFont(path, lazy=True), path, path, 0, path, blanks)]


def _scan_named(name: str, ref: str, blanks: dict) -> dict:
    import pymupdf
    from fontTools.ttLib import TTFont

    buf = pymupdf.Font(name).buffer
    return _scan_face(TTFont(io.BytesIO(buf), lazy=True), ref, None, 0, ref, blanks)


def _named_fonts(cfg: FontConfig) -> list[tuple[str, str]]:
    if not cfg.pymupdf_fonts:
        return []
    import pymupdf_fonts

    names = [(n, f"pymupdf-fonts:{n}") for n in sorted(pymupdf_fonts.fontdescriptors)]
    return names + [(n, f"mupdf:{n}") for n in MUPDF_BUILTINS]


def _font_files(cfg: FontConfig) -> list[str]:
    dirs = list(cfg.system_dirs)
    if cfg.user_dir:
        if not os.path.isdir(cfg.user_dir):
            raise ValueError(f"fonts.user_dir: {cfg.user_dir!r} is not a folder")
        dirs.append(cfg.user_dir)
    found = set()
    for d in dirs:
        for root, _, files in os.walk(d):
            found.update(os.path.abspath(os.path.join(root, f)) for f in files if f.lower().endswith(FONT_SUFFIXES))
    return sorted(found)


def cache_dir() -> Path:
    base = os.environ.get("DOCSYNTH_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "docsynth")
    return Path(base).expanduser()


def _cache_key(files: list[str], named: list[tuple[str, str]]) -> str:
    import importlib.util

    packages = [importlib.util.find_spec(m) for m in ("pymupdf", "pymupdf_fonts")]  # a reinstall changes their stats
    origins = [spec.origin for spec in packages if spec is not None and spec.origin]
    stats = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files + origins]
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    blob = json.dumps([SCAN_VERSION, code, named, stats])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def scan(cfg: FontConfig) -> list[dict]:
    """Describe every face the config's sources hold (cached on disk); unreadable files are skipped with a warning."""
    files, named = _font_files(cfg), _named_fonts(cfg)
    cache = cache_dir() / f"fonts-{_cache_key(files, named)}.json"
    if cache.is_file():
        try:
            return json.loads(cache.read_text())["faces"]
        except (OSError, ValueError, KeyError):
            log.warning("font cache %s is unreadable; rescanning", cache)
    blanks: dict = {}
    faces = []
    for name, ref in named:
        faces.append(_scan_named(name, ref, blanks))
    for path in files:
        try:
            faces.extend(_scan_file(path, blanks))
        except Exception as e:  # a broken font file must not stop the pool: skip it, say which and why
            log.warning("skipping font %s: %s: %s", path, type(e).__name__, e)
    faces.sort(key=lambda f: f["ref"])
    try:  # temp-then-rename: concurrent workers may scan at once
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": SCAN_VERSION, "faces": faces}, separators=(",", ":")))
        os.replace(tmp, cache)
    except OSError as e:
        log.warning("cannot write the font cache %s (%s); every process will rescan", cache, e)
    return faces


def extract_face(path: str, index: int) -> bytes:
    """The bytes of one face of a .ttc/.otc collection as a stand-alone font (tables copied as they are)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _extract(data, path, index)


def _extract(data, path: str, index: int) -> bytes:
    if data[:4] != b"ttcf":
        raise ValueError(f"{path}: not a font collection")
    num_fonts = struct.unpack_from(">I", data, 8)[0]
    if not 0 <= index < num_fonts:
        raise ValueError(f"{path}: face index {index} outside 0..{num_fonts - 1}")
    at = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    num_tables = struct.unpack_from(">H", data, at + 4)[0]
    records = [struct.unpack_from(">4sIII", data, at + 12 + 16 * i) for i in range(num_tables)]
    out = io.BytesIO()
    out.write(data[at : at + 12])  # sfnt header (searchRange etc. depend only on num_tables)
    offset = 12 + 16 * num_tables
    for tag, checksum, _, length in records:
        out.write(struct.pack(">4sIII", tag, checksum, offset, length))
        offset += (length + 3) & ~3
    for _, _, start, length in records:
        out.write(data[start : start + length] + b"\0" * (-length % 4))
    return out.getvalue()


@functools.lru_cache(maxsize=256)  # every single-file face of a typical pool (~90) stays loaded
def _load_font(ref: str, path: str | None):
    import pymupdf

    if path is None:
        import pymupdf_fonts  # noqa: F401  (pymupdf.Font finds pymupdf-fonts names through it)

        return pymupdf.Font(ref.split(":", 1)[1])
    return pymupdf.Font(fontfile=path)


@functools.lru_cache(maxsize=16)  # collection faces are big (Noto CJK: 16-26 MB each): bounded, ~400 MB at most
def _load_collection_face(path: str, index: int):
    import pymupdf

    return pymupdf.Font(fontbuffer=extract_face(path, index))


# --------------------------------------------------------------------------- the pool


class FontPool:
    """Faces plus coverage queries; `pick` draws a family, then the face closest to the asked style."""

    def __init__(self, records: list[dict]):
        fields = set(FontFace.__dataclass_fields__)
        self.faces = [FontFace(**{k: v for k, v in r.items() if k in fields}) for r in records]
        self._pos = {f: i for i, f in enumerate(self.faces)}
        self._cover = [_unranges(r["cover"]) for r in records]  # (n, 2) [start, stop) per face
        self._mask: dict[int, int] = {}  # code point -> bit i set when face i covers it
        self._sets: dict[int, frozenset] = {}
        self._tables: dict[tuple, tuple] = {}  # (coverage mask, bold, italic) -> (families, probabilities)
        self._family_faces: dict[str, list[FontFace]] = {}
        for f in sorted(self.faces, key=lambda f: (f.family, f.italic, f.weight, f.ref)):
            self._family_faces.setdefault(f.family, []).append(f)
        self._weight = self._family_weights([r["group"] for r in records])

    @classmethod
    def from_config(cls, cfg: FontConfig) -> FontPool:
        return _pool_for(json.dumps(asdict(cfg), sort_keys=True))

    def _family_weights(self, groups: list[str]) -> dict[str, float]:
        """Families drawn from one collection's shared outlines (e.g. the regional Noto CJK faces) share one draw."""
        fams_of_group: dict[str, set] = {}
        for f, g in zip(self.faces, groups):
            fams_of_group.setdefault(g, set()).add(f.family)
        weight = {}
        for f, g in zip(self.faces, groups):
            weight[f.family] = min(weight.get(f.family, 1.0), 1.0 / len(fams_of_group[g]))
        return weight

    # ------------------------------------------------------------------ coverage
    def families(self) -> list[str]:
        return list(self._family_faces)

    def faces_of(self, family: str) -> list[FontFace]:
        return list(self._family_faces.get(family, []))

    def coverage(self, face: FontFace) -> frozenset[int]:
        i = self._pos[face]
        if i not in self._sets:
            self._sets[i] = frozenset(c for a, b in self._cover[i].tolist() for c in range(a, b))
        return self._sets[i]

    def _masks(self, text: str) -> dict[int, int]:
        cps = sorted({ord(c) for c in text})
        new = np.array([c for c in cps if c not in self._mask], dtype=np.int64)
        if len(new):
            bits = [0] * len(new)
            for i, cover in enumerate(self._cover):
                at = np.searchsorted(cover[:, 0], new, side="right") - 1  # range that could hold each code point
                hit = (at >= 0) & (new < cover[np.maximum(at, 0), 1])
                for j in np.nonzero(hit)[0].tolist():
                    bits[j] |= 1 << i
            self._mask.update(zip(new.tolist(), bits))
        return {c: self._mask[c] for c in cps}

    def missing(self, face: FontFace, text: str) -> list[int]:
        bit = 1 << self._pos[face]
        return [c for c, m in self._masks(text).items() if not m & bit]

    def uncovered(self, text: str) -> list[int]:
        return [c for c, m in self._masks(text).items() if m == 0]

    def _text_mask(self, text: str) -> int:
        mask = (1 << len(self.faces)) - 1
        for m in self._masks(text).values():
            mask &= m
        return mask

    def covering(self, text: str) -> list[FontFace]:
        """Faces that cover every character of text."""
        mask = self._text_mask(text)
        return [f for i, f in enumerate(self.faces) if mask >> i & 1]

    # ------------------------------------------------------------------ choice
    def pick(self, rng, text: str, *, bold: bool = False, italic: bool = False, family: str | None = None) -> FontFace | None:
        mask = self._text_mask(text)
        if not mask:
            return None
        candidates = [f for i, f in enumerate(self.faces) if mask >> i & 1]
        if family is not None and any(f.family == family for f in candidates):
            return self._closest([f for f in candidates if f.family == family], bold, italic)
        names, p = self._draw_table(mask, candidates, bold, italic)
        chosen = names[int(rng.choice(len(names), p=p))]
        return self._closest([f for f in candidates if f.family == chosen], bold, italic)

    def _draw_table(self, mask: int, candidates: list[FontFace], bold: bool, italic: bool):
        """Families to draw from (those with the asked style when any has it) and their probabilities."""
        key = (mask, bold, italic)
        if key not in self._tables:
            styled = sorted({f.family for f in candidates if f.bold == bold and f.italic == italic})
            names = styled or sorted({f.family for f in candidates})
            p = np.array([self._weight[n] for n in names])
            self._tables[key] = (names, p / p.sum())
        return self._tables[key]

    @staticmethod
    def _closest(faces: list[FontFace], bold: bool, italic: bool) -> FontFace:
        target = 700 if bold else 400
        return min(faces, key=lambda f: (f.bold != bold, f.italic != italic, abs(f.weight - target), f.ref))

    # ------------------------------------------------------------------ loading
    def font(self, face: FontFace):
        """The `pymupdf.Font` of a face (cached per process)."""
        if face.path and face.path.lower().endswith((".ttc", ".otc")):
            return _load_collection_face(face.path, face.index)
        return _load_font(face.ref, face.path)

    def buffer(self, face: FontFace) -> bytes:
        if face.path is None:
            return self.font(face).buffer
        if face.path.lower().endswith((".ttc", ".otc")):
            return extract_face(face.path, face.index)
        return Path(face.path).read_bytes()


def _keep(record: dict, cfg: FontConfig) -> bool:
    fam = record["family"].lower()
    if any(x.lower() in fam for x in cfg.exclude_families):
        return False
    return not cfg.families or record["family"] in cfg.families


@functools.lru_cache(maxsize=8)
def _pool_for(cfg_json: str) -> FontPool:
    cfg = FontConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(cfg_json).items()})
    records = [r for r in scan(cfg) if _keep(r, cfg) and r["cover"]]
    if not records:
        raise ValueError(f"fonts: no usable font face found (pymupdf_fonts={cfg.pymupdf_fonts}, "
                         f"system_dirs={cfg.system_dirs}, user_dir={cfg.user_dir}, families={cfg.families})")  # fmt: skip
    return FontPool(records)
