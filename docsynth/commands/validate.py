"""`docsynth validate DIR`: exit 0 only when every sample and shard holds every contract."""

from __future__ import annotations

import sys

from docsynth.commands._common import add_storage_option


def register(sub) -> None:
    p = sub.add_parser("validate", help="check every sample of a corpus; report violations by shard and key")
    p.add_argument("out", metavar="DIR", help="corpus folder or URL")
    p.add_argument("--max-report", type=int, default=50, help="violations printed (all are counted)")
    add_storage_option(p, "DIR")
    p.set_defaults(func=run)


def run(args) -> int:
    from tqdm import tqdm

    from docsynth.storage import parse_storage_options
    from docsynth.validate import validate

    bar = tqdm(unit="shard", file=sys.stderr, dynamic_ncols=True)
    try:
        rep = validate(args.out, parse_storage_options(args.storage_options), progress=lambda _sh: bar.update(1))
    finally:
        bar.close()
    for shard, key, msg in rep.violations[: args.max_report]:
        print(f"{shard} {key}: {msg}")
    if len(rep.violations) > args.max_report:
        print(f"… and {len(rep.violations) - args.max_report} more")
    status = "OK" if rep.ok else f"FAILED: {len(rep.violations)} violations"
    print(f"validate {args.out}: {rep.samples} samples in {rep.shards} shards: {status}")
    return 0 if rep.ok else 1
