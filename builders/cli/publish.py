"""`toolmint publish DIR --repo NS/NAME [--private] [--revision R]`: the dataset folder to the Hub.

too. Exit status: 0 published (or nothing to publish), 2 bad input, token or connection (one line, no
traceback). The token is read by huggingface_hub (HF_TOKEN, `hf auth login`) and never printed.
"""

from __future__ import annotations

import argparse

from rich.console import Console


console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("publish", help="publish a dataset folder to the Hugging Face Hub (one commit)")
    p.add_argument("folder", metavar="DIR", help="dataset folder, e.g. output/quickstart")
    p.add_argument("--repo", required=True, metavar="NS/NAME", help="dataset repo, e.g. my-user/toolmint-quickstart")
    p.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its visibility)")
    p.add_argument("--revision", metavar="R", help="branch to commit to (created from main if missing; default main)")
    p.set_defaults(func=cmd_publish)
    return p


def cmd_publish(args) -> int:
    from builders.dataset.publish import publish

    result = publish(args.folder, args.repo, private=args.private, revision=args.revision)
    where = f"{result['repo']}@{result['revision']}"
    if result["commit"] is None:
        console.print(f"{where}: nothing changed ({len(result['unchanged'])} files already there); no commit")
        return 0
    for item in result["uploaded"]:
        console.print(f"  uploaded {item['path']} ({_size(item['size'])})")
    for path in result["deleted"]:
        console.print(f"  removed  {path} (no longer in {args.folder})")
    if result["unchanged"]:
        console.print(f"  unchanged: {len(result['unchanged'])} files")
    console.print(f"{where}: commit {result['commit'][:12]} — {result['url']}")
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
