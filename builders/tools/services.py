"""Whether the HTTP services of a recipe's OpenAPI tools answer, asked once before a run starts.

A service that is down would make every call of its tools fail; those failures are no answer of the
tool, so they are never written as rows (builders/methods/calls.py raises ServiceUnreachable and the
partition stays unwritten). Asking first turns a run that could only fail into one clear line; a
toolset marked `optional: true` in the recipe only warns, for a service that comes up later: the
partitions that need it fail and a re-run computes them.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from builders.errors import UserError

PROBE_S = 3.0


def unreachable(base_url: str, timeout: float = PROBE_S) -> str | None:
    """Why nothing answers at base_url (refused, no such host, no connection in time), or None when
    a connection opens. Only the connection is tried: any HTTP answer, an error one too, is the
    service's."""
    parts = urlsplit(base_url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if not parts.hostname:
        return "not a valid URL: no host"
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except socket.gaierror as exc:
        return f"no such host {parts.hostname!r} ({exc.strerror or exc})"
    except TimeoutError:
        return f"no connection within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)


def probe(recipe, tools) -> list[str]:
    """Ask every HTTP service the tools call; raise UserError naming each one that does not answer,
    or return warnings for those whose recipe entry says `optional: true`."""
    urls: dict[str, str] = {}
    for tool in tools:
        if tool.target.get("kind") == "http":
            urls.setdefault(tool.target["base_url"], tool.source)
    problems, warnings = [], []
    for url, source in urls.items():
        reason = unreachable(url)
        if reason is None:
            continue
        index, entry = next(((i, e) for i, e in enumerate(recipe.tools or [])
                             if isinstance(e, dict) and e.get("openapi") == source), (None, {}))
        where = f"{recipe.path}: tools[{index}].base_url" if index is not None else f"{recipe.path}: tools ({source})"
        if entry.get("optional"):
            warnings.append(f"{where}: nothing answers at {url} ({reason}); running anyway (optional: true): the "
                            "partitions that call it fail unwritten, and the same command computes them once it is up")
        else:
            problems.append(f"{where}: nothing answers at {url} ({reason}); start the service (or correct base_url) "
                            "and run again, or mark the entry `optional: true` to run the other tools now")
    if problems:
        raise UserError(*problems)
    return warnings
