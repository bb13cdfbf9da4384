"""Options and plumbing shared by the commands: corpus writing (generate, arxiv) and storage options."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from docsynth import config as C
from docsynth.executors import EXECUTORS, make_executor
from docsynth.runner import generate
from docsynth.storage import parse_storage_options

log = logging.getLogger("docsynth")


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="corpus folder or fsspec URL (file://, s3://…)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--formats", default="A,B", help="serialized formats to write: A, B or A,B")
    p.add_argument("--unit", choices=C.UNITS, default="page",
                   help="a sample per page (default), per document (its pages in order) or per page as glimpses: "
                        "a global view, then looks at regions, each a fixed-size crop with its text")  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="parallel shard workers (processes or Ray tasks)")
    p.add_argument("--executor", choices=EXECUTORS, default="local", help="local (in-process / process pool) or ray")
    p.add_argument("--ray-address", default=None, help="join an existing Ray cluster (default: start a local one)")
    p.add_argument("--vision-actors", type=int, default=0,
                   help="ray: encode pages in a pool of N vision actors (one GPU each when the cluster has GPUs); 0: in each task")
    add_storage_option(p, "--out")
    p.add_argument("--resume", action="store_true", help="continue a killed run: skip finished shards, redo the rest")
    p.add_argument("--docs-per-shard", type=int, default=None, help="input documents per shard")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change any config field, e.g. --set layout.columns=1,2 --set render.mode=L")  # fmt: skip


def add_storage_option(p: argparse.ArgumentParser, what: str) -> None:
    """`--storage-option KEY=VALUE` (repeatable): fsspec options for the corpus URL `what` names."""
    p.add_argument("--storage-option", dest="storage_options", action="append", default=[], metavar="KEY=VALUE",
                   help=f"fsspec option for {what}, e.g. client_kwargs.endpoint_url=http://127.0.0.1:9000 "
                        "(repeatable; JSON values parsed)")  # fmt: skip


def apply_run_options(cfg: C.PipelineConfig, args) -> C.PipelineConfig:
    base = [f"seed={args.seed}", f"tokens.formats={args.formats}", f"tokens.unit={args.unit}"]
    if args.docs_per_shard:
        base.append(f"shards.docs_per_shard={args.docs_per_shard}")
    return C.apply_overrides(cfg, base + list(args.overrides))


class Progress:
    """One line per finished shard plus a running total: shards, pages/s, dropped inputs."""

    def __init__(self):
        self.t0, self.pages, self.dropped, self.bar = time.monotonic(), 0, 0, None

    def start(self, todo: int, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=total - todo, unit="shard", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, rec: dict) -> None:
        self.pages += rec["stats"]["pages_written"]
        self.dropped += rec["stats"]["docs_dropped"]
        rate = self.pages / max(time.monotonic() - self.t0, 1e-9)
        self.bar.set_postfix(pages=self.pages, pages_s=f"{rate:.1f}", dropped=self.dropped, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_corpus(cfg: C.PipelineConfig, args) -> int:
    if args.executor != "ray" and (args.vision_actors or args.ray_address):
        raise ValueError("--vision-actors/--ray-address: need --executor ray")
    executor = make_executor("ray", workers=args.workers, address=args.ray_address, vision_actors=args.vision_actors) \
        if args.executor == "ray" else make_executor("local", workers=args.workers)  # fmt: skip
    options = parse_storage_options(args.storage_options)
    progress = Progress()
    try:
        index = generate(cfg, args.out, executor, resume=args.resume, storage_options=options, progress=progress)
    finally:
        progress.close()
    t = index["totals"]
    print(
        f"wrote {index['num_samples']} samples in {index['num_shards']} shards to {args.out}: "
        f"{t['docs_in']} documents in, {t['docs_written']} written, {t['docs_dropped']} dropped "
        f"({', '.join(f'{k}={v}' for k, v in index['dropped_by_reason'].items()) or 'none'})"
    )
    return 0
