"""User errors: bad input that gets one clear line per problem and exit status 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user gave us (recipe, tool file, model file, arguments).

    `problems` is a list of one-line messages, each naming the file and the field.
    """

    def __init__(self, *problems: str):
        self.problems = [p for p in problems if p]
        super().__init__("\n".join(self.problems))


class ServiceUnreachable(UserError):
    """An HTTP tool's call never reached its service (refused, no such host, no connection in time).

    Not the tool's answer, so not a row: the partition that met it stops, unwritten, and a re-run
    once the service is up computes it again (its rows would otherwise be failures frozen under the
    same run key)."""


def field_path(parts) -> str:
    """Render a jsonschema path deque as `stages[1].episodes`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"
