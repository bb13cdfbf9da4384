"""`docsynth generate`: a synthetic corpus from web text (Faker offline, FineWeb, or files)."""

from __future__ import annotations

from pathlib import Path

from docsynth.commands._common import add_run_options, apply_run_options, run_corpus


def register(sub) -> None:
    p = sub.add_parser("generate", help="render text into pages and write a Format A/B corpus")
    p.add_argument("--source", default="faker", help="faker | fineweb | PATH (a parquet/jsonl file or folder)")
    p.add_argument("--num-docs", type=int, default=64, help="input documents (faker/fineweb); a cap for PATH (0: all)")
    add_run_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from docsynth import config as C
    from docsynth.pipelines import synth

    cfg = C.apply_overrides(synth.config(num_docs=args.num_docs), source_overrides(args.source))
    return run_corpus(apply_run_options(cfg, args), args)


def source_overrides(source: str) -> list[str]:
    if source in ("faker", "fineweb"):
        return [f"source.kind={source}"]
    if not Path(source).exists():
        raise FileNotFoundError(f"--source {source}: no such file or folder (expected faker, fineweb or a path)")
    return ["source.kind=path", f"source.path={Path(source).resolve()}"]
