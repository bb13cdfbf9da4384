import io
import logging
import os
import unicodedata

import numpy as np
import pymupdf
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont

from docsynth import fonts
from docsynth.config import FontConfig
from docsynth.fonts import FontPool

SAMPLES = {
    "latin": "The quick brown fox jumps over the lazy dog — naïve café, 1984!",
    "cyrillic": "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "greek": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία, είπε ο Νεκτάριος.",
    "zh": "我们的产品是最好的。北京市朝阳区建国路八十八号。",
    "ja": "東京都は日本の首都です。ひらがなとカタカナ、漢字を使います。",
}


@pytest.fixture(scope="module")
def pool():
    return FontPool.from_config(FontConfig())


def _box(pen):
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((500, 700))
    pen.lineTo((500, 0))
    pen.closePath()


def _tiny_font(path, family, style, *, cff: bool, weight=400):
    """Glyphs: .notdef and A have a box outline; space and B are blank. cmap: space, A, B."""
    order = [".notdef", "space", "A", "B"]
    fb = FontBuilder(1000, isTTF=not cff)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({0x20: "space", 0x41: "A", 0x42: "B"})
    if cff:
        glyphs = {}
        for g in order:
            pen = T2CharStringPen(600, None)
            if g in (".notdef", "A"):
                _box(pen)
            glyphs[g] = pen.getCharString()
        fb.setupCFF(f"{family.replace(' ', '')}-{style}", {"FullName": f"{family} {style}"}, glyphs, {})
    else:
        glyphs = {}
        for g in order:
            pen = TTGlyphPen(None)
            if g in (".notdef", "A"):
                _box(pen)
            glyphs[g] = pen.glyph()
        fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({g: (600, 0) for g in order})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": family, "styleName": style})
    bold = weight >= 600
    fb.setupOS2(usWeightClass=weight, fsSelection=0x20 if bold else 0x40, usWinAscent=800, usWinDescent=200)
    fb.updateHead(macStyle=1 if bold else 0)
    fb.setupPost()
    fb.save(str(path))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("fonts")
    _tiny_font(d / "tiny.ttf", "Tiny Glyf", "Regular", cff=False)
    _tiny_font(d / "tiny-bold.otf", "Tiny Glyf", "Bold", cff=True, weight=700)
    coll = TTCollection()
    coll.fonts = [TTFont(str(d / "tiny.ttf")), TTFont(str(d / "tiny-bold.otf"))]
    (d / "sub").mkdir()
    coll.save(str(d / "sub" / "pair.ttc"))
    (d / "broken.ttf").write_bytes(b"\x00\x01\x00\x00" + b"garbage" * 20)
    return d


@pytest.fixture
def tiny_pool(tiny_dir, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DOCSYNTH_CACHE", str(tmp_path / "cache"))
    fonts._pool_for.cache_clear()
    with caplog.at_level(logging.WARNING, logger="docsynth.fonts"):
        pool = FontPool.from_config(FontConfig(pymupdf_fonts=False, system_dirs=(), user_dir=str(tiny_dir)))
    fonts._pool_for.cache_clear()
    return pool


# --------------------------------------------------------------------------- tiny fonts: exact answers


def test_blank_glyphs_are_not_coverage(tiny_pool):
    assert len(tiny_pool.faces) == 4  # 2 files + the 2 faces of the collection; the broken file is skipped
    for face in tiny_pool.faces:
        assert pymupdf.Font(fontbuffer=tiny_pool.buffer(face)).has_glyph(ord("B"))  # mapped, but blank
        assert ord("A") in tiny_pool.coverage(face)
        assert ord("B") not in tiny_pool.coverage(face)
        assert {0x20, 0x3000, 0xA0} <= tiny_pool.coverage(face)  # whitespace counts once U+0020 is mapped
        assert tiny_pool.missing(face, "A B A") == [0x42]
    assert tiny_pool.uncovered("AB") == [0x42]
    assert tiny_pool.pick(np.random.default_rng(0), "AB") is None


def test_broken_font_file_is_skipped_with_a_warning(tiny_dir, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DOCSYNTH_CACHE", str(tmp_path / "cache2"))
    fonts._pool_for.cache_clear()
    with caplog.at_level(logging.WARNING, logger="docsynth.fonts"):
        FontPool.from_config(FontConfig(pymupdf_fonts=False, system_dirs=(), user_dir=str(tiny_dir)))
    fonts._pool_for.cache_clear()
    assert any("broken.ttf" in r.getMessage() for r in caplog.records)


def test_descriptions_come_from_the_font_tables(tiny_pool):
    assert tiny_pool.families() == ["Tiny Glyf"]
    regular, bold = tiny_pool.faces_of("Tiny Glyf")[0], tiny_pool.faces_of("Tiny Glyf")[-1]
    assert (regular.style, regular.weight, regular.bold, regular.italic) == ("Regular", 400, False, False)
    assert (bold.style, bold.weight, bold.bold) == ("Bold", 700, True)
    for face in tiny_pool.faces:
        assert (face.ascender, face.descender) == (0.8, -0.2)
        font = tiny_pool.font(face)
        assert font.ascender == pytest.approx(face.ascender, abs=1e-3)
        assert font.descender == pytest.approx(face.descender, abs=1e-3)


def test_collection_faces_load_as_single_fonts(tiny_pool, tiny_dir):
    ttc = [f for f in tiny_pool.faces if f.path and f.path.endswith(".ttc")]
    assert sorted(f.index for f in ttc) == [0, 1]
    for face in ttc:
        assert face.ref == f"{face.path}#{face.index}"
        single = TTFont(io.BytesIO(tiny_pool.buffer(face)))
        assert single["name"].getDebugName(2) == face.style
        assert tiny_pool.font(face).has_glyph(ord("A"))
    with pytest.raises(ValueError, match="face index 5"):
        fonts.extract_face(ttc[0].path, 5)
    with pytest.raises(ValueError, match="not a font collection"):
        fonts.extract_face(str(tiny_dir / "tiny.ttf"), 0)


def test_scan_cache_is_keyed_by_the_files(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCSYNTH_CACHE", str(tmp_path / "c"))
    cfg = FontConfig(pymupdf_fonts=False, system_dirs=(), user_dir=str(tiny_dir))
    first = fonts.scan(cfg)
    assert len(list((tmp_path / "c").glob("fonts-*.json"))) == 1
    assert fonts.scan(cfg) == first  # read back from the cache
    st = os.stat(tiny_dir / "tiny.ttf")
    os.utime(tiny_dir / "tiny.ttf", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert fonts.scan(cfg) == first
    assert len(list((tmp_path / "c").glob("fonts-*.json"))) == 2  # a changed file makes a new scan


def test_user_dir_must_exist(tmp_path):
    with pytest.raises(ValueError, match="fonts.user_dir"):
        fonts.scan(FontConfig(pymupdf_fonts=False, system_dirs=(), user_dir=str(tmp_path / "nope")))


# --------------------------------------------------------------------------- the default pool


def _drawn(tt: TTFont, cp: int) -> bool:
    name = tt.getBestCmap().get(cp)
    if name is None or name == ".notdef":
        return False
    pen = ControlBoundsPen(tt.getGlyphSet())
    tt.getGlyphSet()[name].draw(pen)
    return pen.bounds is not None


def _faces_to_check(pool):
    refs = ("pymupdf-fonts:notos", "pymupdf-fonts:figbi", "mupdf:cjk")
    picked = [f for f in pool.faces if f.ref in refs]
    picked += [f for f in pool.faces if f.path and f.path.endswith(".ttf")][:2]
    picked += [f for f in pool.faces if f.path and f.path.endswith(".ttc")][:1]
    return picked


def test_coverage_agrees_with_pymupdf_and_fonttools(pool):
    rng = np.random.default_rng(0)
    for face in _faces_to_check(pool):
        font, tt = pool.font(face), TTFont(io.BytesIO(pool.buffer(face)), lazy=True)
        cover = pool.coverage(face)
        inside = [c for c in cover if not chr(c).isspace()]
        for cp in rng.choice(inside, size=min(150, len(inside)), replace=False).tolist():
            assert font.has_glyph(cp), (face.ref, hex(cp))
        cmap = sorted(tt.getBestCmap())
        for cp in rng.choice(cmap, size=min(150, len(cmap)), replace=False).tolist():
            if not chr(cp).isspace() and not 0x1F000 <= cp < 0x1FB00:
                assert (cp in cover) == _drawn(tt, cp), (face.ref, hex(cp))


@pytest.mark.parametrize("script", sorted(SAMPLES))
def test_pick_covers_each_script(pool, script):
    rng = np.random.default_rng(1)
    text = SAMPLES[script]
    assert pool.uncovered(text) == []
    for _ in range(10):
        face = pool.pick(rng, text)
        assert face is not None and pool.missing(face, text) == []
        font = pool.font(face)
        assert all(font.has_glyph(ord(c)) for c in text if not c.isspace())


def test_emoji_is_uncovered(pool):
    assert pool.uncovered("smile 😀 please") == [0x1F600]
    assert pool.pick(np.random.default_rng(0), "smile 😀") is None
    assert pool.missing(pool.faces[0], "a😀") == [0x1F600]


def test_pick_prefers_style_and_family(pool):
    rng = np.random.default_rng(2)
    text = SAMPLES["latin"]
    for bold, italic in [(True, False), (False, True), (True, True), (False, False)]:
        for _ in range(5):
            face = pool.pick(rng, text, bold=bold, italic=italic)
            assert (face.bold, face.italic) == (bold, italic)
    for family in ("Noto Sans", "Ubuntu"):
        assert pool.pick(rng, text, family=family, italic=True).family == family
    # a family that cannot set the text falls back to one that can
    face = pool.pick(rng, SAMPLES["ja"], family="Ubuntu")
    assert face.family != "Ubuntu" and pool.missing(face, SAMPLES["ja"]) == []


def test_pick_is_deterministic_and_varied(pool):
    a = [pool.pick(np.random.default_rng(s), SAMPLES["latin"]).ref for s in range(40)]
    b = [pool.pick(np.random.default_rng(s), SAMPLES["latin"]).ref for s in range(40)]
    assert a == b and len(set(a)) > 5


def test_excluded_families_and_names(pool):
    families = pool.families()
    assert not any(x in f for f in families for x in ("Math", "Symbol", "Emoji"))
    assert "Noto Sans" in families
    for fam in families:
        assert all(f.family == fam for f in pool.faces_of(fam))
        assert all(unicodedata.is_normalized("NFC", f.family) for f in pool.faces_of(fam))
