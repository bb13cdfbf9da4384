"""Hostile PDFs, made here with PyMuPDF and pikepdf: each one a class of real-world breakage.

`write_hostile(folder)` writes them all and returns {name: path}; `python tests/arxiv/hostile.py DIR`
writes them for `bench/sweep.py`. Every page of the base document carries a unique token
(`alpha{i}beta`), so a test can tell whether a written page holds its own words.
"""

from __future__ import annotations

import io
import sys
import zlib
from pathlib import Path

import pikepdf
import pymupdf


def token(i: int) -> str:
    return f"alpha{i}beta"


def base(pages: int = 3, width: float = 300, height: float = 400) -> bytes:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=width, height=height)
        page.insert_text((40, 60), f"Page {i} of the hostile suite has ordinary words.", fontsize=11)
        page.insert_text((40, 90), f"Its own token is {token(i)} and nothing else.", fontsize=11)
    return doc.tobytes()


def _pk(pages: int = 3, **kw) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(base(pages, **kw)))


def duplicate_kid() -> pikepdf.Pdf:
    """The first page object listed twice in /Kids: MuPDF shows 4 pages, pdfminer 3."""
    pdf = _pk()
    pdf.Root.Pages.Kids.append(pdf.Root.Pages.Kids[0])
    pdf.Root.Pages.Count = 4
    return pdf


def untyped_page() -> pikepdf.Pdf:
    """A page without /Type: MuPDF shows it, pdfminer skips it, so pages after it shift by one."""
    pdf = _pk()
    del pdf.Root.Pages.Kids[1].Type
    return pdf


def untyped_tree() -> pikepdf.Pdf:
    """No /Type anywhere in the page tree: MuPDF finds both pages, pdfminer none."""
    pdf = _pk(2)
    del pdf.Root.Pages.Type
    for kid in pdf.Root.Pages.Kids:
        del kid.Type
    return pdf


def user_unit() -> pikepdf.Pdf:
    """/UserUnit 2: MuPDF shows a 600x800 pt page, pdfminer a 300x400 one."""
    pdf = _pk(1)
    pdf.pages[0].obj.UserUnit = 2
    return pdf


def inline_font() -> pikepdf.Pdf:
    """Fonts written directly in the page's resources (no object number; MuPDF's get_fonts says xref 0)."""
    pdf = _pk(1)
    fonts = pdf.pages[0].obj.Resources.Font
    for name in list(fonts.keys()):
        fonts[name] = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                         BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding)  # fmt: skip
    return pdf


def deep_branch(depth: int = 3000) -> pikepdf.Pdf:
    """Page 1 at the bottom of a 3000-level branch of the page tree: pdfminer recurses out (open and close)."""
    pdf = _pk(2)
    kids = pdf.Root.Pages.Kids
    leaf, node = kids[1], None
    child = leaf
    for _ in range(depth):
        node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array([child]), Count=1))
        child.Parent = node
        child = node
    node.Parent = pdf.Root.Pages
    kids[1] = node
    return pdf


def deep_tree(depth: int = 3000) -> pikepdf.Pdf:
    """The only page 3000 levels down: neither library reaches it."""
    pdf = _pk(1)
    child = pdf.Root.Pages.Kids[0]
    for _ in range(depth):
        node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array([child]), Count=1))
        child.Parent = node
        child = node
    pdf.Root.Pages = child
    return pdf


def cyclic_kids() -> pikepdf.Pdf:
    """/Kids holding its own parent."""
    pdf = _pk()
    pdf.Root.Pages.Kids.append(pdf.Root.Pages)
    return pdf


def zero_size() -> pikepdf.Pdf:
    """A first page with MediaBox [0 0 0 0] (MuPDF shows Letter, pdfminer 0x0)."""
    pdf = _pk(2)
    pdf.pages[0].obj.MediaBox = pikepdf.Array([0, 0, 0, 0])
    return pdf


def rotated_offset() -> pikepdf.Pdf:
    """/Rotate 90 with a mediabox and cropbox away from the origin."""
    pdf = _pk(2)
    for page in pdf.pages:
        page.obj.MediaBox = pikepdf.Array([100, 200, 400, 600])
        page.obj.CropBox = pikepdf.Array([110, 210, 390, 590])
        page.obj.Rotate = 90
        page.contents_add(pikepdf.Stream(pdf, b"1 0 0 1 100 200 cm"), prepend=True)
    return pdf


def huge_image() -> pikepdf.Pdf:
    """A 40000x40000 RGB image (4.8 GB decoded) from a 1 KB stream."""
    pdf = _pk(1)
    img = pikepdf.Stream(pdf, zlib.compress(b"\x80" * 1000))
    img.Type, img.Subtype, img.Width, img.Height = pikepdf.Name.XObject, pikepdf.Name.Image, 40000, 40000
    img.ColorSpace, img.BitsPerComponent, img.Filter = pikepdf.Name.DeviceRGB, 8, pikepdf.Name.FlateDecode
    page = pdf.pages[0]
    page.obj.Resources.XObject = pikepdf.Dictionary(Im0=img)
    page.contents_add(pikepdf.Stream(pdf, b"q 200 0 0 200 50 100 cm /Im0 Do Q"), prepend=False)
    return pdf


BUILDERS = {
    "duplicate_kid": duplicate_kid, "untyped_page": untyped_page, "untyped_tree": untyped_tree, "user_unit": user_unit, "inline_font": inline_font,
    "deep_branch": deep_branch, "deep_tree": deep_tree, "cyclic_kids": cyclic_kids, "zero_size": zero_size,
    "rotated_offset": rotated_offset, "huge_image": huge_image,
}  # fmt: skip


def _dangling(data: bytes) -> bytes:
    """Point the last /Kids entry at object 999 (which does not exist), keeping byte offsets."""
    out = io.BytesIO()
    pikepdf.open(io.BytesIO(data)).save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    raw = out.getvalue()
    saved = pikepdf.open(io.BytesIO(raw))
    last = saved.Root.Pages.Kids[-1].objgen[0]
    kids_at = raw.index(b"/Kids")
    end = raw.index(b"]", kids_at)
    ref = f"{last} 0 R".encode()
    pos = raw.rindex(ref, kids_at, end)
    new = b"999 0 R".ljust(len(ref))
    return raw[:pos] + new + raw[pos + len(ref) :]


def _broken_xref(data: bytes) -> bytes:
    """Every xref offset off by 7 bytes: MuPDF repairs by scanning, pdfminer falls back to its own scan."""
    pdf = pikepdf.open(io.BytesIO(data))
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    raw = bytearray(out.getvalue())
    start = raw.rindex(b"xref\n")
    lines = raw[start:].split(b"\n")
    fixed = [b"%010d %s" % (int(ln[:10]) + 7, ln[11:]) if len(ln) >= 18 and ln[10:11] == b" " and ln.endswith((b"n", b"n ")) else ln
             for ln in lines]  # fmt: skip
    return bytes(raw[:start]) + b"\n".join(fixed)


def write_hostile(folder: str | Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, build in BUILDERS.items():
        paths[name] = folder / f"{name}.pdf"
        build().save(paths[name])
    paths["missing_kid"] = folder / "missing_kid.pdf"
    paths["missing_kid"].write_bytes(_dangling(base()))
    paths["broken_xref"] = folder / "broken_xref.pdf"
    paths["broken_xref"].write_bytes(_broken_xref(base()))
    paths["truncated_mid"] = folder / "truncated_mid.pdf"
    paths["truncated_mid"].write_bytes(base()[: len(base()) // 2])
    paths["empty_file"] = folder / "empty_file.pdf"
    paths["empty_file"].write_bytes(b"")
    return paths


if __name__ == "__main__":
    for name, path in write_hostile(sys.argv[1]).items():
        print(name, path)
