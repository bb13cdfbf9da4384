"""`docsynth stats DIR [--html REPORT.html] [--json STATS.json]`: counts, distributions, code usage.

Streams the shards once, prints a short summary, and optionally writes a self-contained
HTML report (plots and sample pages inline) and the numbers as JSON.
"""

from __future__ import annotations

import sys

from docsynth.commands._common import add_storage_option


def register(sub) -> None:
    p = sub.add_parser("stats", help="corpus statistics: summary on stdout, optional HTML report and JSON")
    p.add_argument("out_dir", metavar="DIR", help="corpus folder or URL")
    p.add_argument("--html", default=None, metavar="REPORT.html", help="write a self-contained HTML report")
    p.add_argument("--json", default=None, metavar="STATS.json", help="write the statistics as JSON")
    p.add_argument("--max-pages", type=int, default=None, metavar="N", help="read only the first N samples")
    p.add_argument("--thumbnails", type=int, default=12, metavar="N", help="sample pages shown in the report (default 12)")
    add_storage_option(p, "DIR")
    p.set_defaults(func=run)


def run(args) -> int:
    from tqdm import tqdm

    from docsynth.corpus import Corpus
    from docsynth.report.stats import StatsConfig, collect_stats, summary_text, write_json
    from docsynth.storage import parse_storage_options

    cfg = StatsConfig(max_pages=args.max_pages, thumbnails=args.thumbnails)
    corpus = Corpus(args.out_dir, parse_storage_options(args.storage_options))
    total = min(corpus.index.get("num_samples", 0), args.max_pages or 1 << 62)
    with tqdm(total=total, unit="page", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
        st = collect_stats(corpus, cfg, progress=lambda _s: bar.update(1))
    print(summary_text(st))
    if args.json:
        write_json(st, args.json)
        print(f"wrote {args.json}")
    if args.html:
        from docsynth.report.html import write_html

        write_html(st, args.html)
        print(f"wrote {args.html}")
    return 0
