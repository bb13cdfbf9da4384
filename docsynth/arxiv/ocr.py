"""OCR input: hOCR, ALTO XML and JSON lines readers, writers, and the page-to-points mapping.

`--ocr KIND:DIR` reads OCR made beforehand. For a PDF `paper.pdf` (docid = its stem) the
reader looks, in this order, for
  per page  DIR/paper/page-0000.hocr | .html   DIR/paper/page-0000.xml   DIR/paper/page-0000.json
  per file  DIR/paper.hocr | .html             DIR/paper.xml             DIR/paper.jsonl
Page numbers are 0-based, as in sample keys (`arxiv_paper_0000` is the first page). In a
per-file hOCR the i-th `ocr_page` is page i unless its title has `ppageno`; in ALTO the i-th
`<Page>` unless it has `PHYSICAL_IMG_NR` (1-based, ALTO's convention); each JSON line is
`{"page": i, "width": W, "height": H, "words": [{"text": …, "bbox": [x0, y0, x1, y1], "conf": c}]}`
with pixel boxes on a W x H image of the displayed page and `conf` in [0, 1] (values above 1
are read as percentages). A page without OCR is extracted from its text layer alone.

Boxes map to points by the page's own extent: x_pt = x * width_pt / W, so any resolution (and
ALTO's mm10 or inch1200 units) works.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from docsynth.arxiv.words import PWord

ASCENT, XHEIGHT, DESCENT = 0.73, 0.53, 0.22  # ink above/below the baseline, in font sizes (Latin type)
_TALL = set("bdfhklt0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()[]{}|/\\!?&%$#@'\"ßﬁﬂﬀﬃﬄ")
_DEEP = set("gjpqy()[]{}|,;Q")


@dataclass
class OcrWord:
    text: str
    bbox: tuple[float, float, float, float]  # pixels (or the file's units) on the page image
    conf: float  # 0..1


@dataclass
class OcrPage:
    width: float  # image extent in the same units as the boxes
    height: float
    words: list[OcrWord] = field(default_factory=list)


def to_points(page: OcrPage, width_pt: float, height_pt: float) -> list[PWord]:
    """OCR words on the displayed page in points, with line-height boxes (see `line_boxes`)."""
    sx, sy = width_pt / page.width, height_pt / page.height
    out = []
    for w in page.words:
        b = (w.bbox[0] * sx, w.bbox[1] * sy, w.bbox[2] * sx, w.bbox[3] * sy)
        if w.text.strip() and b[2] > b[0] and b[3] > b[1]:
            out.append(PWord(w.text.strip(), b, ink_size(w.text.strip(), b[3] - b[1]), "", 0, 0, w.conf))
    return line_boxes(out)


def ink_size(text: str, height: float) -> float:
    """The font size a word's ink height implies, given which of its letters rise and which descend."""
    up = ASCENT if any(c in _TALL for c in text) else XHEIGHT
    down = DESCENT if any(c in _DEEP for c in text) else 0.0
    return height / (up + down)


def line_boxes(words: list[PWord]) -> list[PWord]:
    """OCR boxes hug each word's ink, so "on" is half as tall as "the": give every word its line's vertical
    extent (the fragment of its row it sits in) and the line's median size estimate. Text-layer boxes
    follow the same one-line-high convention, so the two are comparable and layout sees steady sizes."""
    from docsynth.arxiv.layout import fragments

    for frag in fragments(words):
        y0, y1 = frag.bbox[1], frag.bbox[3]
        sizes = sorted(w.size for w in frag.words)
        size = max(round(sizes[len(sizes) // 2] * 2) / 2, 1.0)  # the median word's estimate, to half points
        for w in frag.words:
            w.bbox, w.size = (w.bbox[0], y0, w.bbox[2], y1), size
    return words


def _conf(v) -> float:
    v = float(v)
    return max(0.0, min(1.0, v / 100.0 if v > 1.0 else v))


# --------------------------------------------------------------------------- hOCR

_VOID = {"meta", "br", "img", "link", "input", "hr", "area", "base", "col", "wbr"}
_TITLE_BBOX = re.compile(r"bbox\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)")
_TITLE_CONF = re.compile(r"x_wconf\s+(-?[\d.]+)")
_TITLE_PAGENO = re.compile(r"ppageno\s+(\d+)")


class _HocrParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pages: list[tuple[int | None, OcrPage]] = []
        self.stack: list[str] = []
        self.word: tuple[int, tuple, float] | None = None  # (depth, bbox, conf) of the open word
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        self.stack.append(tag)
        a = dict(attrs)
        classes, title = (a.get("class") or "").split(), a.get("title") or ""
        box = _TITLE_BBOX.search(title)
        if "ocr_page" in classes and box:
            no = _TITLE_PAGENO.search(title)
            x0, y0, x1, y1 = (float(v) for v in box.groups())
            self.pages.append((int(no.group(1)) if no else None, OcrPage(x1 - x0, y1 - y0)))
        elif "ocrx_word" in classes and box and self.pages:
            conf = _TITLE_CONF.search(title)
            self.word = (len(self.stack), tuple(float(v) for v in box.groups()), _conf(conf.group(1)) if conf else 1.0)
            self.text = []

    def handle_endtag(self, tag):
        if tag in _VOID or not self.stack:
            return
        if self.word is not None and len(self.stack) == self.word[0]:
            text = "".join(self.text).strip()
            if text:
                self.pages[-1][1].words.append(OcrWord(text, self.word[1], self.word[2]))
            self.word = None
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.word is not None:
            self.text.append(data)


def parse_hocr(text: str, source: str = "hOCR") -> dict[int, OcrPage]:
    p = _HocrParser()
    p.feed(text)
    p.close()
    if not p.pages:
        raise ValueError(f"{source}: no ocr_page element with a bbox (not hOCR?)")
    return {i if no is None else no: page for i, (no, page) in enumerate(p.pages)}


def write_hocr(pages: dict[int, OcrPage]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
           '<meta name="ocr-system" content="docsynth"/></head><body>']  # fmt: skip
    for no, page in sorted(pages.items()):
        out.append(f"<div class='ocr_page' title='bbox 0 0 {page.width:g} {page.height:g}; ppageno {no}'>")
        for k, w in enumerate(page.words):
            b = " ".join(f"{v:g}" for v in w.bbox)
            title = f"bbox {b}; x_wconf {round(w.conf * 100)}"
            out.append(f"<span class='ocrx_word' id='word_{no}_{k}' title='{title}'>{_esc(w.text)}</span>")
        out.append("</div>")
    return "\n".join(out + ["</body></html>\n"])


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&quot;")


# --------------------------------------------------------------------------- ALTO


def parse_alto(data: bytes | str, source: str = "ALTO") -> dict[int, OcrPage]:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ValueError(f"{source}: not well-formed XML ({e})") from e
    pages = {}
    for i, el in enumerate(e for e in root.iter() if _local(e.tag) == "Page"):
        try:
            page = OcrPage(float(el.get("WIDTH")), float(el.get("HEIGHT")))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{source}: <Page> {i} lacks a numeric WIDTH/HEIGHT") from e
        for s in (e for e in el.iter() if _local(e.tag) == "String"):
            x, y = float(s.get("HPOS", 0)), float(s.get("VPOS", 0))
            w, h = float(s.get("WIDTH", 0)), float(s.get("HEIGHT", 0))
            page.words.append(OcrWord(s.get("CONTENT", ""), (x, y, x + w, y + h), _conf(s.get("WC", 1.0))))
        nr = el.get("PHYSICAL_IMG_NR")
        pages[int(nr) - 1 if nr and nr.isdigit() and int(nr) >= 1 else i] = page
    if not pages:
        raise ValueError(f"{source}: no <Page> element (not ALTO?)")
    return pages


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def write_alto(pages: dict[int, OcrPage]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">'
           "<Description><MeasurementUnit>pixel</MeasurementUnit></Description><Layout>"]  # fmt: skip
    for no, page in sorted(pages.items()):
        out.append(f'<Page ID="p{no}" PHYSICAL_IMG_NR="{no + 1}" WIDTH="{page.width:g}" HEIGHT="{page.height:g}"><PrintSpace>')
        for w in page.words:
            x0, y0, x1, y1 = w.bbox
            box = f'HPOS="{x0:g}" VPOS="{y0:g}" WIDTH="{x1 - x0:g}" HEIGHT="{y1 - y0:g}"'
            out.append(f'<String CONTENT="{_esc(w.text)}" {box} WC="{w.conf:.2f}"/>')
        out.append("</PrintSpace></Page>")
    return "\n".join(out + ["</Layout></alto>\n"])


# --------------------------------------------------------------------------- JSON lines


def parse_json_page(obj: dict, source: str) -> tuple[int, OcrPage]:
    try:
        page = OcrPage(float(obj["width"]), float(obj["height"]))
        for w in obj["words"]:
            page.words.append(OcrWord(str(w["text"]), tuple(float(v) for v in w["bbox"]), _conf(w.get("conf", 1.0))))
        return int(obj["page"]), page
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{source}: expected page, width, height and words[text, bbox, conf] ({e!r})") from e


def _json(data: bytes, source: str) -> dict:
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        raise ValueError(f"{source}: not JSON ({e})") from e


def parse_jsonl(text: str, source: str = "JSON lines") -> dict[int, OcrPage]:
    pages = {}
    for k, line in enumerate(text.splitlines()):
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{source}: line {k + 1} is not JSON ({e})") from e
            no, page = parse_json_page(obj, f"{source} line {k + 1}")
            pages[no] = page
    return pages


def write_jsonl(pages: dict[int, OcrPage]) -> str:
    rows = [{"page": no, "width": p.width, "height": p.height,
             "words": [{"text": w.text, "bbox": list(w.bbox), "conf": w.conf} for w in p.words]}
            for no, p in sorted(pages.items())]  # fmt: skip
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


# --------------------------------------------------------------------------- files

FORMS = {  # kind -> (per-page extensions, per-file extensions, parser)
    "hocr": ((".hocr", ".html"), (".hocr", ".html"), lambda b, src: parse_hocr(b.decode("utf-8", "replace"), src)),
    "alto": ((".xml",), (".xml",), parse_alto),
    "json": ((".json",), (".jsonl",), lambda b, src: dict([parse_json_page(_json(b, src), src)])),
}


class OcrFiles:
    """OCR made beforehand, found by PDF stem and page index (see the module docstring)."""

    def __init__(self, kind: str, folder: str):
        if kind not in FORMS:
            raise ValueError(f"arxiv.ocr: unknown OCR form {kind!r}; known: {sorted(FORMS)}")
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"arxiv.ocr: OCR folder {folder} does not exist")
        self.kind, self.folder = kind, Path(folder)
        self._docs: dict[str, dict[int, OcrPage]] = {}

    def page(self, stem: str, index: int) -> OcrPage | None:
        per_page, per_file, parse = FORMS[self.kind]
        for ext in per_page:
            f = self.folder / stem / f"page-{index:04d}{ext}"
            if f.is_file():
                pages = parse(f.read_bytes(), str(f))
                return next(iter(pages.values())) if len(pages) == 1 else pages.get(index)
        if stem not in self._docs:
            self._docs[stem] = self._whole(stem, per_file)
        return self._docs[stem].get(index)

    def _whole(self, stem: str, exts: tuple[str, ...]) -> dict[int, OcrPage]:
        for ext in exts:
            f = self.folder / f"{stem}{ext}"
            if f.is_file():
                data = f.read_bytes()
                return parse_jsonl(data.decode("utf-8"), str(f)) if self.kind == "json" else FORMS[self.kind][2](data, str(f))
        return {}
