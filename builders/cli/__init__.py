"""`toolmint` command line. Each command is a module of this package with `register(subparsers)`,
listed once in COMMANDS; an import error is an error, never a silently missing command."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.markup import escape

from builders import __version__
from builders.cli import calibrate, eval, publish, query, report, run, sandbox, tools
from builders.errors import UserError

COMMANDS = (run, calibrate, eval, report, query, publish, tools, sandbox)

errors = Console(stderr=True, highlight=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolmint", description="Build tool-use training data offline.")
    parser.add_argument("--version", action="version", version=f"toolmint {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for user errors")
    sub = parser.add_subparsers(metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    for action in sub.choices.values():
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = args.func(args) or 0
        sys.stdout.flush()
        return code
    except UserError as exc:
        if args.debug:
            raise
        for line in exc.problems:
            errors.print(f"[red]error:[/red] {escape(line)}", markup=True, emoji=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        errors.print("interrupted: shards already written are kept; run the same command again to resume")
        return 130
    except BrokenPipeError:
        # `toolmint … | head`: the reader left; say nothing more (and let exit not flush into the pipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141

