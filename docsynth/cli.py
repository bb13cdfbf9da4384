"""`docsynth` command line: one module per command under `docsynth/commands/`.

Each command module defines `register(subparsers)`, which adds its parser and sets
`func(args) -> int` (the exit code). Failures print one line naming the input and the
reason, and exit non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = ("generate", "arxiv", "validate", "inspect", "stats", "tokenizer", "train")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docsynth", description="Data engine for interleaved document models.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"docsynth.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # options a passthrough command hands to its own parser
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `docsynth inspect … | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("docsynth: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        if args.verbose:
            raise
        print(f"docsynth {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
