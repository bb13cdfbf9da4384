"""`docsynth inspect DIR --key KEY --out FILE.png`: one page with its boxes, beside its reconstruction.

`--format A|B` prints the sample's serialized sequence with image runs collapsed
(`<image_pad>×9856`), one element a line.
"""

from __future__ import annotations

import argparse
import sys

from docsynth.commands._common import add_storage_option


def register(sub) -> None:
    p = sub.add_parser("inspect", help="draw a page with its boxes and its reconstruction; print its sequence")
    p.add_argument("out_dir", metavar="DIR", help="corpus folder or URL")
    p.add_argument("--key", default=None, help="sample key, e.g. faker_00000003_0000 (default: the first sample)")
    p.add_argument("--out", default=None, metavar="FILE.png", help="write the figure here")
    p.add_argument("--page", type=int, default=0, help="a document sample's page to draw (0-based; default 0)")
    p.add_argument("--level", choices=("para", "line", "word"), default="para", help="which boxes to draw")
    p.add_argument("--format", choices=("A", "B"), default=None, help="print the serialized sequence of this format")
    p.add_argument("--no-recon", action="store_true", help="skip the page reconstructed from codes.npy")
    p.add_argument("--tokenizer", default=None, metavar="CKPT",
                   help="vision tokenizer checkpoint (default: the corpus config's vision.checkpoint)")  # fmt: skip
    p.add_argument("--scale", type=_positive, default=1.5, help="drawing scale relative to the page image (default 1.5)")
    add_storage_option(p, "DIR")
    p.set_defaults(func=run)


def _positive(s: str) -> float:
    v = float(s)
    if not 0.05 <= v <= 8:
        raise argparse.ArgumentTypeError(f"--scale {s}: must lie in [0.05, 8]")
    return v


def run(args) -> int:
    from docsynth.corpus import Corpus, SampleNotFound
    from docsynth.storage import parse_storage_options

    if args.out is None and args.format is None:
        raise ValueError("nothing to do: pass --out FILE.png and/or --format A|B")
    corpus = Corpus(args.out_dir, parse_storage_options(args.storage_options))
    if args.key is None:
        sample = next(corpus.samples(max_samples=1), None)
        if sample is None:
            raise ValueError(f"{args.out_dir}: the corpus has no samples")
    else:
        try:
            sample = corpus.find(args.key)
        except SampleNotFound as e:
            raise ValueError(str(e)) from None
    if args.format is not None:
        print_sequence(sample, args.format)
    if args.out is not None:
        write_figure(corpus, sample, args)
    return 0


def print_sequence(sample, fmt: str) -> None:
    from docsynth.report.sequence import compact_sequence, sequence_summary

    text = sample.text(fmt)
    rows = sample.meta.get("num_tokens", {}).get(fmt)
    print(f"# {sample.key} · Format {fmt} · {sample.meta.get('direction')} · {sequence_summary(text, rows)}")
    print(compact_sequence(text))


def write_figure(corpus, sample, args) -> None:
    from docsynth.report.draw import inspect_figure

    pages = sample.pages()
    if not 0 <= args.page < len(pages):
        raise ValueError(f"--page {args.page}: sample {sample.key} has {len(pages)} page(s) (0..{len(pages) - 1})")
    image, meta = sample.image(args.page), pages[args.page]
    views = sample.views() if sample.unit == "glimpse" else None
    codes = sample.image_codes()[0 if views else args.page]  # a glimpse's page has no codes of its own: its views do
    recon = None if args.no_recon or views else corpus.vision_tokenizer(args.tokenizer).decode(codes)
    h, w, G = codes.shape
    tokens = ", ".join(f"{f} {n}" for f, n in meta["num_tokens"].items() if n is not None)
    where = {"document": f"page {args.page + 1} of {len(pages)}  ·  ", "glimpse": f"{len(views or ()) - 1} looks  ·  "}.get(sample.unit, "")
    grid = f"{len(views)} views × {h}×{w}×{G}" if views else f"{h}×{w}×{G}"
    title = (f"{sample.key}  ·  {where}{meta['width']:.0f}×{meta['height']:.0f} pt, {len(meta['elements'])} elements  ·  "
             f"codes {grid}  ·  tokens {tokens}  ·  {meta['direction']}")  # fmt: skip
    fig = inspect_figure(meta, image, recon, level=args.level, scale=args.scale, title=title, views=views)
    fig.save(args.out)
    print(f"wrote {args.out} ({fig.width}×{fig.height} px): {sample.key} from {corpus.url}/data/{sample.shard}", file=sys.stderr)
