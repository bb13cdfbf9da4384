"""Paper-like PDFs with known text and positions: the test fixtures and the benchmark's input.

`PageWriter` lays text out itself (greedy wrapping with `Font.text_length`, TeX-like hyphenation
of long words at line ends, first-line indents) and writes it with `TextWriter`, recording every
line's text and box in pdfminer's box convention (one font size high, bottom at the font's
descent), and every element's type, page text and joined reading text. `write_fixtures(folder)`
writes the fixture set the tests use (`FIXTURES`) with one `<name>.truth.json` per PDF.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pymupdf

from docsynth.arxiv.words import expand_ligatures

FONTS = {"body": "notos", "bold": "notosbo", "italic": "notosit", "math": "math"}
VOCAB = (
    "the of and a to in is we that for this with on as are by our model data from which be an at can "
    "results method each page layout text document between training both these more than its using "
    "methods ﬁnal eﬃcient ﬂow ﬁgure diﬀerent signiﬁcant deﬁne speciﬁc ﬁeld oﬀers workﬂow "
    "alignment extraction paragraphs structure columns reading order evaluation benchmark dataset "
    "representation experiments performance approximately independent characteristic generalization "
    "observations implementation distribution consistently measurements concatenation"
).split()


@dataclass
class TruthElement:
    type: str
    bbox: list[float]
    text: str = ""  # page form: lines joined by a space, hyphens and ligature glyphs kept
    joined: str = ""  # reading form
    lines: list[dict] = field(default_factory=list)  # {"text", "bbox"}


_FONT_CACHE: dict[str, pymupdf.Font] = {}
_ADVANCE: dict[str, dict[str, float]] = {}


def font(key: str) -> pymupdf.Font:
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = pymupdf.Font(FONTS[key])
    return _FONT_CACHE[key]


def text_width(text: str, key: str, size: float) -> float:
    """`Font.text_length` with a per-character cache (PyMuPDF's own is slow in a wrapping loop)."""
    adv = _ADVANCE.setdefault(key, {})
    total = 0.0
    for c in text:
        if c not in adv:
            adv[c] = font(key).glyph_advance(ord(c))
        total += adv[c]
    return total * size


def filler(rng: np.random.Generator, n_words: int) -> str:
    words = [VOCAB[i] for i in rng.integers(0, len(VOCAB), n_words)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


class PageWriter:
    """Writes lines with known boxes onto one page and records the truth."""

    def __init__(self, page: pymupdf.Page):
        self.page, self.tw = page, pymupdf.TextWriter(page.rect)
        self.elements: list[TruthElement] = []

    def line(self, x: float, baseline: float, text: str, key: str = "body", size: float = 10.0) -> dict:
        f = font(key)
        self.tw.append((x, baseline), text, font=f, fontsize=size)
        bottom = baseline - f.descender * size
        return {"text": text, "bbox": [x, bottom - size, x + text_width(text, key, size), bottom]}

    def width(self, text: str, key: str, size: float) -> float:
        return text_width(text, key, size)

    def wrap(self, text: str, avail: float, key: str, size: float, indent: float) -> list[str]:
        lines, cur = [], []
        for w in text.split(" "):
            room = avail - (indent if not lines else 0.0)
            if self.width(" ".join(cur + [w]), key, size) <= room:
                cur.append(w)
                continue
            cut = self._hyphenate(w, cur, room, key, size)
            if cut:
                lines.append(" ".join(cur + [w[:cut] + "-"]))
                cur = [w[cut:]]
            else:
                lines.append(" ".join(cur))
                cur = [w]
        return lines + [" ".join(cur)]

    def _hyphenate(self, w: str, cur: list[str], room: float, key: str, size: float) -> int:
        if not cur or len(w) < 8 or not w.isalpha() or not w.islower():
            return 0
        for k in range(len(w) - 4, 3, -1):
            if self.width(" ".join(cur + [w[:k] + "-"]), key, size) <= room:
                return k
        return 0

    def para(self, kind: str, text: str, x0: float, x1: float, top: float, key: str = "body", size: float = 10.0,
             leading: float = 1.3, indent: float = 0.0, align: str = "left") -> float:  # fmt: skip
        """Write a wrapped paragraph whose first line's box starts at `top`; returns the bottom of the last line."""
        rows = self.wrap(text, x1 - x0, key, size, indent)
        baseline = top + size + font(key).descender * size
        lines = []
        for i, row in enumerate(rows):
            w = self.width(row, key, size)
            x = {"left": x0 + (indent if i == 0 else 0.0), "center": (x0 + x1 - w) / 2, "right": x1 - w}[align]
            lines.append(self.line(x, baseline + i * leading * size, row, key, size))
        self.record(kind, lines, text)
        return lines[-1]["bbox"][3]

    def record(self, kind: str, lines: list[dict], source: str | None = None) -> None:
        page_text = " ".join(ln["text"] for ln in lines)
        box = [min(ln["bbox"][0] for ln in lines), min(ln["bbox"][1] for ln in lines),
               max(ln["bbox"][2] for ln in lines), max(ln["bbox"][3] for ln in lines)]  # fmt: skip
        joined = expand_ligatures(source if source is not None else page_text)
        self.elements.append(TruthElement(kind, box, page_text, joined, lines))

    def figure(self, rect: pymupdf.Rect, rng: np.random.Generator, label: bool = True) -> None:
        """A vector plot in a frame: axes, bars, a curve and (optionally) a tick label inside the box."""
        p = self.page
        p.draw_rect(rect, color=(0.5, 0.5, 0.5), width=0.5)
        p.draw_line(rect.bl + (8, -8), rect.tl + (8, 4), color=(0, 0, 0), width=0.8)
        p.draw_line(rect.bl + (8, -8), rect.br + (-4, -8), color=(0, 0, 0), width=0.8)
        n = 5
        bw = (rect.width - 24) / (2 * n)
        for i in range(n):
            h = float(rng.uniform(0.2, 0.85)) * (rect.height - 20)
            x = rect.x0 + 14 + i * 2 * bw
            p.draw_rect(pymupdf.Rect(x, rect.y1 - 8 - h, x + bw, rect.y1 - 8), color=None, fill=(0.3, 0.5, 0.8))
        p.draw_bezier(rect.bl + (8, -10), rect.tl + (rect.width / 3, 20), rect.br + (-rect.width / 3, -30),
                      rect.tr + (-6, 10), color=(0.8, 0.2, 0.1), width=1.2)  # fmt: skip
        lines = [self.line(rect.x0 + 12, rect.y0 + 12, "0.5", size=6.0)] if label else []
        self.elements.append(TruthElement("figure", [rect.x0, rect.y0, rect.x1, rect.y1], lines=lines))

    def image(self, rect: pymupdf.Rect, rng: np.random.Generator) -> None:
        h, w = 60, 90
        yy, xx = np.mgrid[0:h, 0:w]
        rgb = np.stack([(xx * 255 // w), (yy * 255 // h), rng.integers(0, 255, (h, w))], -1).astype(np.uint8)
        pix = pymupdf.Pixmap(pymupdf.csRGB, w, h, rgb.tobytes(), 0)
        self.page.insert_image(rect, pixmap=pix, keep_proportion=False)
        self.elements.append(TruthElement("figure", [rect.x0, rect.y0, rect.x1, rect.y1]))

    def finish(self) -> list[dict]:
        self.tw.write_text(self.page)
        return [asdict(e) for e in self.elements]


def _footnote(pw: PageWriter, x0: float, x1: float, bottom: float, text: str) -> None:
    pw.page.draw_line((x0, bottom - 34), (x0 + 90, bottom - 34), color=(0, 0, 0), width=0.5)
    pw.para("footnote", text, x0, x1, bottom - 30, size=8.0, leading=1.25)


def one_column(doc: pymupdf.Document, rng: np.random.Generator) -> list[dict]:
    pw = PageWriter(doc.new_page(width=612, height=792))
    L, R = 72.0, 540.0
    pw.record("header", [pw.line(L, 42, "docsynth fixture: a one column page", size=8.0)])
    y = pw.para("heading", "1 Introduction", L, R, 66, key="bold", size=14.0) + 10
    y = pw.para("para", filler(rng, 70) + " We ﬁnd eﬃcient workﬂows.", L, R, y, indent=14) + 3
    y = pw.para("para", filler(rng, 60), L, R, y, indent=14) + 8
    eq = "f(x) = ∑ α x + β"  # BMP only: PyMuPDF writes ToUnicode entries 16 bits wide
    w = pw.width(eq, "math", 11.0)
    lines = [pw.line((L + R - w) / 2, y + 10, eq, "math", 11.0), pw.line(R - pw.width("(1)", "body", 10.0), y + 10, "(1)")]
    pw.record("math", lines)
    y += 26
    pw.figure(pymupdf.Rect(180, y, 432, y + 130), rng)
    y = pw.para("caption", "Figure 1: Bars and a curve drawn as vector graphics.", L, R, y + 138, size=9.0, align="center") + 12
    y = pw.para("heading", "2 Method", L, R, y, key="bold", size=12.0) + 6
    pw.para("para", filler(rng, 55) + " The ﬁeld oﬀers signiﬁcant ﬂow.", L, R, y, indent=14)
    _footnote(pw, L, R, 738, "1 The footnote explains a speciﬁc detail of the method in smaller type.")
    pw.record("footer", [pw.line(300, 768, "1", size=9.0)])
    return [pw.finish()]


def two_column(doc: pymupdf.Document, rng: np.random.Generator, pages: int = 2, words: tuple[int, int] = (40, 90)) -> list[dict]:
    out = []
    for pno in range(pages):
        pw = PageWriter(doc.new_page(width=612, height=792))
        cols = ((54.0, 297.0), (315.0, 558.0))
        y0 = 60.0
        if pno == 0:
            y0 = pw.para("heading", "A Two Column Paper About Extraction", 54, 558, 56, key="bold", size=16.0, align="center") + 6
            y0 = pw.para("para", "Ada Lovelace and Alan Turing", 54, 558, y0, size=10.0, align="center") + 18
        else:
            pw.record("header", [pw.line(54, 40, "A Two Column Paper About Extraction", size=8.0)])
        for c, (x0, x1) in enumerate(cols):
            y = y0
            limit = 700.0 if (c == 0 and pno == 0) else 740.0
            if c == 1 and pno == 0:
                pw.image(pymupdf.Rect(x0 + 20, y, x1 - 20, y + 110), rng)
                y = pw.para("caption", "Figure 1: An embedded raster image.", x0, x1, y + 116, size=9.0) + 10
            k = 0
            while True:
                if k % 3 == 0:
                    head = f"{pno * 4 + c * 2 + k // 3 + 1} Section {'ABCDEFGH'[(pno * 2 + c + k) % 8]}"
                    if y + 40 > limit:
                        break
                    y = pw.para("heading", head, x0, x1, y, key="bold", size=11.0) + 5
                text = filler(rng, int(rng.integers(*words)))
                if y + 13 * (len(pw.wrap(text, x1 - x0, "body", 10.0, 12)) + 1) > limit:
                    break
                y = pw.para("para", text, x0, x1, y, indent=12) + 3
                k += 1
        if pno == 0:  # footnotes come after the columns in reading order
            _footnote(pw, *cols[0], 742, "2 A footnote in the left column, set in eight point type.")
        pw.record("footer", [pw.line(302, 768, str(pno + 1), size=9.0)])
        out.append(pw.finish())
    return out


def landscape(doc: pymupdf.Document, rng: np.random.Generator) -> list[dict]:
    """A page stored portrait with /Rotate 90 whose content reads upright when displayed (792 x 612)."""
    src = pymupdf.open()
    pw = PageWriter(src.new_page(width=792, height=612))
    y = pw.para("heading", "3 A Landscape Table Page", 72, 720, 60, key="bold", size=13.0) + 8
    for _ in range(3):
        y = pw.para("para", filler(rng, 60), 72, 720, y, indent=14) + 4
    pw.record("footer", [pw.line(390, 585, "3", size=9.0)])
    truth = pw.finish()
    page = doc.new_page(width=612, height=792)
    page.show_pdf_page(page.rect, src, 0, rotate=90)
    page.set_rotation(90)
    return [truth]


def cropped(doc: pymupdf.Document, rng: np.random.Generator, crop=(40.0, 60.0, 580.0, 760.0)) -> list[dict]:
    """A page whose cropbox starts at (40, 60): boxes are relative to the cropbox, text outside is cut."""
    pw = PageWriter(doc.new_page(width=612, height=792))
    pw.line(72, 30, "outside the cropbox, never extracted", size=9.0)
    pw.elements.clear()
    y = pw.para("heading", "4 Cropped Page", 72, 540, 90, key="bold", size=13.0) + 8
    for _ in range(4):
        y = pw.para("para", filler(rng, 55), 72, 540, y, indent=14) + 4
    truth = pw.finish()
    pw.page.set_cropbox(pymupdf.Rect(*crop))
    dx, dy = crop[0], crop[1]
    for e in truth:
        e["bbox"] = [e["bbox"][0] - dx, e["bbox"][1] - dy, e["bbox"][2] - dx, e["bbox"][3] - dy]
        for ln in e["lines"]:
            ln["bbox"] = [ln["bbox"][0] - dx, ln["bbox"][1] - dy, ln["bbox"][2] - dx, ln["bbox"][3] - dy]
    return [truth]


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies (object i+1 is objects[i], object 1 the catalog), with a correct xref."""
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zero_pages_pdf() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def cid_font_pdf(mapped_lines: int = 1, unmapped_lines: int = 20) -> bytes:
    """A Type3 font whose glyph names have no Unicode meaning and no /ToUnicode: text comes out as (cid:N).
    Default: it sets the page's body (20 lines) and one Helvetica line maps. With many mapped lines and a
    few unmapped ones it is a symbol or diagram font beside mapped body text (XY-pic arrows, chart glyphs)."""
    glyph = b"600 0 0 0 500 700 d1 0 0 500 700 re f"
    codes = b"(\\001\\002\\003\\001\\002\\003\\001\\002 \\003\\001\\002)"
    text = b"".join(b"BT /T3 12 Tf 72 %d Td %s Tj ET\n" % (700 - 16 * i, codes) for i in range(unmapped_lines))
    if mapped_lines == 1:
        text += b"BT /F1 12 Tf 72 300 Td (Only this line has a Unicode map.) Tj ET\n"
    else:
        body = b"(Body text that maps, set in Helvetica like any ordinary paragraph.)"
        text += b"".join(b"BT /F1 12 Tf 72 %d Td %s Tj ET\n" % (680 - 14 * i - 16 * unmapped_lines, body) for i in range(mapped_lines))
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R"
        b" /Resources << /Font << /T3 4 0 R /F1 8 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 600 700] /FontMatrix [0.001 0 0 0.001 0 0]"
        b" /CharProcs << /g1 6 0 R /g2 7 0 R /g3 7 0 R >> /Encoding << /Type /Encoding /Differences [1 /g1 /g2 /g3] >>"
        b" /FirstChar 1 /LastChar 3 /Widths [600 600 600] /Resources << >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(glyph) + glyph + b"\nendstream",
        b"<< /Length 38 >>\nstream\n600 0 0 0 500 700 d1 0 0 250 700 re f\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])  # fmt: skip


def slow_page(doc: pymupdf.Document, copies: int = 100, squares: int = 1200) -> None:
    """A page drawing one form of `squares` tiny squares `copies` times: pdfminer re-interprets the
    form for every use and needs seconds; the file stays small."""
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "A page that takes long to parse.", fontsize=11)
    form = "".join(f"{i % 40 * 0.9:.1f} {i // 40 * 0.9:.1f} 0.5 0.5 re f\n" for i in range(squares)).encode()
    fx = doc.get_new_xref()
    doc.update_object(fx, "<< /Type /XObject /Subtype /Form /BBox [0 0 40 30] >>")
    doc.update_stream(fx, form)
    kind, val = doc.xref_get_key(page.xref, "Resources")
    res, key = (int(val.split()[0]), "XObject/Sq") if kind == "xref" else (page.xref, "Resources/XObject/Sq")
    doc.xref_set_key(res, key, f"{fx} 0 R")
    uses = "".join(f"q 1 0 0 1 {72 + (i % 10) * 45} {120 + (i // 10) * 40} cm /Sq Do Q\n" for i in range(copies))
    doc.update_stream(page.get_contents()[0], page.read_contents() + b"\n" + uses.encode())


def scan_of(src: pymupdf.Document, dpi: int = 150) -> pymupdf.Document:
    """Every page of `src` as an image-only page (no text layer), grey, at `dpi`."""
    out = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        out.new_page(width=page.rect.width, height=page.rect.height).insert_image(page.rect, pixmap=pix)
    return out


def _save(doc: pymupdf.Document, path: Path, truth: list | None, **kw) -> None:
    doc.subset_fonts()
    doc.save(path, garbage=3, deflate=True, **kw)
    if truth is not None:
        path.with_suffix(".truth.json").write_text(json.dumps(truth, ensure_ascii=False))


def write_fixtures(folder: str | Path, seed: int = 0) -> dict[str, Path]:
    """Good and bad PDFs for the tests; `<name>.truth.json` beside each good one (one list of elements per page)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, build in (("one_column", one_column), ("two_column", two_column), ("landscape", landscape), ("cropped", cropped)):
        doc = pymupdf.open()
        truth = build(doc, np.random.default_rng([seed, len(name)]))
        _save(doc, folder / f"{name}.pdf", truth)
        paths[name] = folder / f"{name}.pdf"
    one = pymupdf.open(paths["one_column"])
    _save(scan_of(one), folder / "scan.pdf", json.loads(paths["one_column"].with_suffix(".truth.json").read_text()))
    _save(one, folder / "encrypted.pdf", None, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")
    data = paths["one_column"].read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: int(len(data) * 0.6)])
    (folder / "zero_pages.pdf").write_bytes(zero_pages_pdf())
    (folder / "cid_font.pdf").write_bytes(cid_font_pdf())
    (folder / "symbol_font.pdf").write_bytes(cid_font_pdf(mapped_lines=30, unmapped_lines=14))
    slow = pymupdf.open()
    slow_page(slow)
    _save(slow, folder / "slow.pdf", None)
    for name in ("scan", "encrypted", "truncated", "zero_pages", "cid_font", "symbol_font", "slow"):
        paths[name] = folder / f"{name}.pdf"
    return paths
