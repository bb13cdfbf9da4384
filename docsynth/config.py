"""Pipeline configuration: nested dataclasses, validated on construction.

A pipeline is described by one `PipelineConfig`; `pipelines/*.py` return configured
instances and the CLI changes fields with `--set section.field=value`. The config's hash
(`config_hash`) pins a corpus: `--resume` refuses to continue under a different one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

PAGE_SIZES = {  # name -> (width, height) in PDF points
    "letter": (612.0, 792.0),
    "a4": (595.0, 842.0),
    "a5": (420.0, 595.0),
    "b5": (499.0, 709.0),
    "legal": (612.0, 1008.0),
}


def _check_range(name: str, lo_hi: tuple, *, lo: float | None = None, hi: float | None = None) -> None:
    if len(lo_hi) != 2 or lo_hi[0] > lo_hi[1]:
        raise ValueError(f"{name}: expected (min, max) with min <= max, got {lo_hi!r}")
    if lo is not None and lo_hi[0] < lo:
        raise ValueError(f"{name}: minimum {lo_hi[0]} is below {lo}")
    if hi is not None and lo_hi[1] > hi:
        raise ValueError(f"{name}: maximum {lo_hi[1]} is above {hi}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of {choices}")


@dataclass(kw_only=True)
class SourceConfig:
    kind: str = "faker"  # faker | fineweb | path
    path: str | None = None  # parquet/jsonl file or folder (kind=path)
    locales: tuple[str, ...] = ("en_US", "de_DE", "fr_FR", "ru_RU", "el_GR", "zh_CN", "ja_JP")
    paragraphs: tuple[int, int] = (3, 14)  # faker: paragraphs per document
    sentences: tuple[int, int] = (2, 9)  # faker: sentences per paragraph
    title_prob: float = 0.3  # faker: chance a paragraph is preceded by a short title line (doubled before the first)
    text_column: str = "text"  # column holding the document text
    id_column: str = "id"  # column holding the document id (row index when missing)
    fineweb_name: str = "HuggingFaceFW/fineweb"  # hub name streamed when kind=fineweb
    fineweb_config: str = "sample-10BT"  # hub config streamed when kind=fineweb
    max_chars: int = 20_000  # longer documents are cut at a paragraph boundary

    def __post_init__(self):
        _check_choice("source.kind", self.kind, ("faker", "fineweb", "path"))
        if self.kind == "path" and not self.path:
            raise ValueError("source.path: required when source.kind is 'path'")
        if not self.locales:
            raise ValueError("source.locales: at least one locale is required")
        _check_range("source.paragraphs", self.paragraphs, lo=1)
        _check_range("source.sentences", self.sentences, lo=1)
        if not 0.0 <= self.title_prob <= 0.5:
            raise ValueError("source.title_prob: must lie in [0, 0.5]")
        if self.max_chars < 1:
            raise ValueError("source.max_chars: must be positive")


@dataclass(kw_only=True)
class FontConfig:
    pymupdf_fonts: bool = True  # include the fonts shipped by the pymupdf-fonts package
    system_dirs: tuple[str, ...] = ("/usr/share/fonts",)  # scanned recursively for .ttf/.otf
    user_dir: str | None = None  # extra folder of fonts
    families: tuple[str, ...] = ()  # keep only these families (empty: all)
    # Substrings of families never used for text. "CJK KR": MuPDF maps some of those faces' glyphs
    # back to the wrong code point (再 -> U+2F81), so verification drops their pages; the other
    # regional Noto CJK faces cover the same code points, Hangul included.
    exclude_families: tuple[str, ...] = ("Symbol", "Math", "Emoji", "Music", "CJK KR")

    def __post_init__(self):
        if not (self.pymupdf_fonts or self.system_dirs or self.user_dir):
            raise ValueError("fonts: no font source enabled (pymupdf_fonts, system_dirs, user_dir)")


@dataclass(kw_only=True)
class LayoutConfig:
    page_sizes: tuple[str, ...] = ("letter", "a4", "a5", "b5")  # names from PAGE_SIZES, drawn per document
    landscape_prob: float = 0.0  # chance a document is laid out landscape
    margins: tuple[float, float] = (28.0, 72.0)  # points, drawn per document
    columns: tuple[int, int] = (1, 3)  # drawn per document (1-3)
    column_gap: tuple[float, float] = (12.0, 28.0)  # points between columns
    font_size: tuple[float, float] = (8.0, 13.0)  # body size in points, per document
    size_jitter: float = 0.15  # per-paragraph relative size change, up to this fraction
    line_spacing: tuple[float, float] = (1.05, 1.5)  # line height / font size
    para_spacing: tuple[float, float] = (0.2, 1.2)  # space between paragraphs, in line heights
    alignments: tuple[str, ...] = ("left", "justify", "center", "right")
    heading_prob: float = 0.8  # chance a short paragraph (<= 12 words) is set as a heading
    heading_scale: tuple[float, float] = (1.2, 1.9)  # heading size / body size
    bold_prob: float = 0.15  # chance a body paragraph is bold
    italic_prob: float = 0.15  # chance a body paragraph is italic
    color_prob: float = 0.3  # chance a document (and independently a paragraph) gets a colour
    figure_prob: float = 0.25  # chance a paragraph slot becomes a generated figure
    # Structured elements (docsynth.render.structure), each drawn per paragraph slot after the first:
    table_prob: float = 0.1  # a table of generated data before the paragraph
    list_prob: float = 0.08  # the paragraph set as a list (its sentences the items)
    code_prob: float = 0.05  # a code block before the paragraph
    math_prob: float = 0.1  # a display formula after the paragraph (ground truth: its LaTeX source)
    inline_math_prob: float = 0.08  # a short formula in Unicode ("where α ≤ 2β², …") ends the paragraph
    caption_prob: float = 0.8  # chance a figure or table gets a caption ("Figure 3: ...")
    footnote_prob: float = 0.05  # a footnote marker in the paragraph, its note at the column foot
    running_head_prob: float = 0.5  # chance a document has a running head on every page
    span_title_prob: float = 0.6  # chance a multi-column document opening with a heading sets it and the
    #                               next paragraph (its abstract) across all columns
    span_float_prob: float = 0.3  # chance a figure or table of a multi-column document spans all columns
    page_number_prob: float = 0.6  # chance a document numbers its pages
    max_pages: int = 4  # the page cap: longer documents keep their first max_pages pages
    max_word_chars: int = 64  # longer words are a bad input (dropped); shorter ones may be broken

    def __post_init__(self):
        for name in self.page_sizes:
            if name not in PAGE_SIZES:
                raise ValueError(f"layout.page_sizes: unknown size {name!r}; known: {sorted(PAGE_SIZES)}")
        _check_range("layout.margins", self.margins, lo=0)
        _check_range("layout.columns", self.columns, lo=1, hi=3)
        _check_range("layout.column_gap", self.column_gap, lo=0)
        _check_range("layout.font_size", self.font_size, lo=4, hi=72)
        _check_range("layout.line_spacing", self.line_spacing, lo=1.0)
        _check_range("layout.para_spacing", self.para_spacing, lo=0)
        _check_range("layout.heading_scale", self.heading_scale, lo=1.0)
        for a in self.alignments:
            _check_choice("layout.alignments", a, ("left", "justify", "center", "right"))
        for name in ("landscape_prob", "heading_prob", "bold_prob", "italic_prob", "color_prob", "figure_prob", "size_jitter",
                     "table_prob", "list_prob", "code_prob", "math_prob", "inline_math_prob", "caption_prob", "footnote_prob",
                     "running_head_prob", "page_number_prob", "span_title_prob", "span_float_prob"):  # fmt: skip
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"layout.{name}: must lie in [0, 1]")
        if self.max_pages < 1:
            raise ValueError("layout.max_pages: must be at least 1")
        if self.max_word_chars < 1:
            raise ValueError("layout.max_word_chars: must be at least 1")


@dataclass(kw_only=True)
class RenderConfig:
    dpi: int = 72  # raster resolution of page images
    mode: str = "RGB"  # L (grey) | RGB
    image_format: str = "png"  # png | jpeg | webp
    quality: int = 90  # jpeg/webp quality
    verify: bool = True  # compare ground truth with PyMuPDF's extraction of the rendered page
    min_word_match: float = 0.98  # fraction of ground-truth words PyMuPDF must find at IoU >= 0.5

    def __post_init__(self):
        if not 24 <= self.dpi <= 600:
            raise ValueError(f"render.dpi: {self.dpi} is outside [24, 600]")
        _check_choice("render.mode", self.mode, ("L", "RGB"))
        _check_choice("render.image_format", self.image_format, ("png", "jpeg", "webp"))
        if not 1 <= self.quality <= 100:
            raise ValueError("render.quality: must lie in [1, 100]")
        if not 0.0 <= self.min_word_match <= 1.0:
            raise ValueError("render.min_word_match: must lie in [0, 1]")

    @property
    def extension(self) -> str:
        return {"png": "png", "jpeg": "jpg", "webp": "webp"}[self.image_format]


@dataclass(kw_only=True)
class DegradeConfig:
    """The print-and-scan model of synthetic pages (docsynth.render.degrade); boxes follow the geometry."""

    prob: float = 0.25  # share of pages degraded
    rotation: float = 1.5  # degrees, drawn in [-rotation, rotation]
    skew: float = 0.015  # horizontal shear, drawn in [-skew, skew]
    perspective: float = 0.008  # corner displacement, fraction of the page side
    perspective_prob: float = 0.3  # share of degraded pages that get a perspective on top of rotation and shear
    blur: tuple[float, float] = (0.2, 0.6)  # box-blur radius in pixels at 72 dpi (scaled with the dpi); 8 pt text
    #                                         stays legible at 72 dpi up to ~0.6 (Tesseract, bench/tokenizer.py)
    noise: tuple[float, float] = (2.0, 8.0)  # noise std (grey levels)
    jpeg: tuple[int, int] = (40, 90)  # JPEG quality range
    contrast: tuple[float, float] = (0.8, 1.1)
    brightness: tuple[float, float] = (-20.0, 15.0)  # grey levels
    op_prob: float = 0.5  # chance of each photometric operation on a degraded page

    def __post_init__(self):
        for name in ("prob", "op_prob", "perspective_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"degrade.{name}: must lie in [0, 1]")
        if not 0 <= self.rotation <= 10:
            raise ValueError("degrade.rotation: must lie in [0, 10] degrees")
        _check_range("degrade.blur", self.blur, lo=0)
        _check_range("degrade.noise", self.noise, lo=0)
        _check_range("degrade.jpeg", self.jpeg, lo=1, hi=100)
        _check_range("degrade.contrast", self.contrast, lo=0.1)


@dataclass(kw_only=True)
class VisionConfig:
    checkpoint: str = "default"  # vision tokenizer checkpoint: "default", a path, or a shipped file name (vision_tokenizer_pq16.pt)
    device: str = "cpu"  # torch device for encoding in-process
    batch_size: int = 8  # pages encoded per forward pass

    def __post_init__(self):
        if self.batch_size < 1:
            raise ValueError("vision.batch_size: must be at least 1")


UNITS = ("page", "document", "glimpse")


@dataclass(kw_only=True)
class TokensConfig:
    formats: tuple[str, ...] = ("A", "B")  # serialized formats written per sample
    tokenizer: str = "default"  # HF tokenizers JSON path, or "default" (shipped byte-level BPE)
    coord_bins: int = 1000  # N of DESIGN §3
    read_prob: float = 0.5  # chance a sample's direction is `read` (page image first)
    unit: str = "page"  # one sample per page | per document (its pages in order) | per page as glimpses
    glimpse_size: int = 512  # glimpse unit: side in pixels of every view (the global one and each look)
    glimpse_max_zoom: float = 3.0  # glimpse unit: a look magnifies the page raster at most this much

    def __post_init__(self):
        _check_choice("tokens.unit", self.unit, UNITS)
        if self.glimpse_size < 16 or self.glimpse_max_zoom < 1.0:
            raise ValueError("tokens.glimpse_size must be >= 16 px and tokens.glimpse_max_zoom >= 1")
        if not self.formats:
            raise ValueError("tokens.formats: at least one of A, B")
        for f in self.formats:
            _check_choice("tokens.formats", f, ("A", "B"))
        if self.coord_bins < 2:
            raise ValueError("tokens.coord_bins: must be at least 2")
        if not 0.0 <= self.read_prob <= 1.0:
            raise ValueError("tokens.read_prob: must lie in [0, 1]")


@dataclass(kw_only=True)
class ShardConfig:
    docs_per_shard: int = 16  # input documents per shard task
    split: str = "train"  # split name in shard file names

    def __post_init__(self):
        if self.docs_per_shard < 1:
            raise ValueError("shards.docs_per_shard: must be at least 1")
        if not self.split.isidentifier():
            raise ValueError(f"shards.split: {self.split!r} must be a plain identifier")


@dataclass(kw_only=True)
class ArxivConfig:
    pdfs: tuple[str, ...] = ()  # PDF files or folders of them
    backend: str = "pdfplumber"  # pdfplumber | pymupdf
    granularity: str = "para"  # para | line: the unit of a text element
    ocr: str | None = None  # hocr:DIR | alto:DIR | json:DIR | tesseract
    min_align_score: float = 0.6  # pages whose OCR alignment scores lower are dropped
    page_timeout_s: float = 30.0  # a page taking longer is dropped
    max_chars_per_page: int = 30_000  # pages with more characters are dropped as absurd
    max_page_side_pt: float = 1008.0  # larger pages are rasterized at a lower dpi so code grids fit the vocabulary
    max_unmapped_frac: float = 0.05  # pages with more glyphs lacking a Unicode map ((cid:N)) are dropped
    ocr_scope: str = "all"  # all | scans: the pages OCR is used on (scans: pages without a text layer)
    ocr_dpi: int = 300  # resolution Tesseract reads the page at (--ocr tesseract)
    ocr_lang: str = "eng"  # Tesseract language(s), e.g. "eng+deu"
    isolate: bool = True  # read each PDF in a child process: a crash, a hang inside a C call or a memory blow-up costs one page
    memory_limit_mb: int = 4096  # address-space limit of that child process (0: none)

    def __post_init__(self):
        _check_choice("arxiv.backend", self.backend, ("pdfplumber", "pymupdf"))
        _check_choice("arxiv.granularity", self.granularity, ("para", "line"))
        _check_choice("arxiv.ocr_scope", self.ocr_scope, ("all", "scans"))
        if self.ocr is not None and self.ocr != "tesseract":
            kind, sep, folder = self.ocr.partition(":")
            if kind not in ("hocr", "alto", "json") or not sep or not folder:
                raise ValueError(f"arxiv.ocr: {self.ocr!r} must be hocr:DIR, alto:DIR, json:DIR or tesseract")
        if not 0.0 <= self.min_align_score <= 1.0:
            raise ValueError("arxiv.min_align_score: must lie in [0, 1]")
        if not 0.0 <= self.max_unmapped_frac <= 1.0:
            raise ValueError("arxiv.max_unmapped_frac: must lie in [0, 1]")
        if self.page_timeout_s <= 0:
            raise ValueError("arxiv.page_timeout_s: must be positive")
        if self.max_chars_per_page < 1:
            raise ValueError("arxiv.max_chars_per_page: must be at least 1")
        if self.max_page_side_pt < 72:
            raise ValueError("arxiv.max_page_side_pt: must be at least 72")
        if not 72 <= self.ocr_dpi <= 1200:
            raise ValueError(f"arxiv.ocr_dpi: {self.ocr_dpi} is outside [72, 1200]")
        if self.memory_limit_mb and self.memory_limit_mb < 256:
            raise ValueError(f"arxiv.memory_limit_mb: {self.memory_limit_mb} is below 256 (0 turns the limit off)")
        if not self.ocr_lang:
            raise ValueError("arxiv.ocr_lang: must name a Tesseract language")


@dataclass(kw_only=True)
class PipelineConfig:
    name: str = "synth"  # pipeline name (pipelines/<name>.py)
    seed: int = 0  # root seed: every shard derives its own from it
    num_docs: int = 64  # input documents to plan (faker/fineweb); all rows for kind=path when 0
    source: SourceConfig = field(default_factory=SourceConfig)
    fonts: FontConfig = field(default_factory=FontConfig)
    layout: LayoutConfig = field(default_factory=LayoutConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    degrade: DegradeConfig = field(default_factory=DegradeConfig)
    vision: VisionConfig = field(default_factory=VisionConfig)
    tokens: TokensConfig = field(default_factory=TokensConfig)
    shards: ShardConfig = field(default_factory=ShardConfig)
    arxiv: ArxivConfig = field(default_factory=ArxivConfig)

    def __post_init__(self):
        if self.num_docs < 0:
            raise ValueError("num_docs: must be >= 0")
        if self.seed < 0:
            raise ValueError("seed: must be >= 0")


# --------------------------------------------------------------------------- (de)serialization


def to_dict(cfg) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def to_json(cfg) -> str:
    """Canonical JSON of a config: its hash, and the cache key of whatever is built from it."""
    return json.dumps(to_dict(cfg), sort_keys=True, separators=(",", ":"))


def pipeline_from_json(blob: str) -> "PipelineConfig":
    return from_dict(PipelineConfig, json.loads(blob))


def config_hash(cfg) -> str:
    return hashlib.sha256(to_json(cfg).encode()).hexdigest()[:16]


def _coerce(tp, value: Any, name: str) -> Any:
    """Turn a JSON value or a `--set` string into the field's declared type."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or value == "None":
            return None
        return _coerce(next(a for a in args if a is not type(None)), value, name)
    if origin is tuple:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v != ""]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, name) for v in value)
        if len(value) != len(args):
            raise ValueError(f"{name}: expected {len(args)} values, got {value!r}")
        return tuple(_coerce(a, v, name) for a, v in zip(args, value))
    if origin is dict or tp is dict:
        return json.loads(value) if isinstance(value, str) else dict(value)
    if tp is bool:
        if isinstance(value, str):
            if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(f"{name}: {value!r} is not a boolean")
            return value.lower() in ("1", "true", "yes")
        return bool(value)
    if tp in (int, float, str):
        try:
            return tp(value)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: {value!r} is not a {tp.__name__}") from e
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, prefix=name + ".")
    return value


def from_dict(cls, data: dict, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{prefix or 'config'}: unknown field(s) {sorted(unknown)}")
    kwargs = {k: _coerce(hints[k], v, prefix + k) for k, v in data.items()}
    return cls(**kwargs)


def apply_overrides(cfg, overrides: list[str]):
    """Apply `section.field=value` strings; returns a new, re-validated config."""
    data = to_dict(cfg)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected key=value")
        node, parts = data, key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ValueError(f"--set {item!r}: {part!r} is not a config section")
            node = node[part]
        if parts[-1] not in node:
            raise ValueError(f"--set {item!r}: unknown field {key!r}")
        node[parts[-1]] = value
    return from_dict(type(cfg), data)
