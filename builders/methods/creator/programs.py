"""Model-written Python as text: read code out of sloppy replies, split a tool from the code that
calls it, hash a tool by its normalised syntax tree, and put the program the sandbox runs together.

Nothing here runs model code: `ast.parse` only reads it. Running happens in the sandbox
(execution.py) and so does inspecting a function's signature (creation.py).
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_START = re.compile(r"^(def |async def |import |from |class |@|print\(|[A-Za-z_]\w*\s*=|[A-Za-z_][\w.]*\()")
MAX_CODE_CHARS = 6000


def parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def syntax_error(code: str) -> str | None:
    """The syntax error of `code` in one line, or None."""
    try:
        ast.parse(code)
        return None
    except SyntaxError as exc:
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    except ValueError as exc:
        return f"SyntaxError: {exc}"


def _trim(code: str) -> str:
    """Drop trailing lines until the code parses (models add prose after the code); the code as
    it was when nothing helps, so its syntax error is the one reported."""
    code = textwrap.dedent(code).strip("\n")
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end]).rstrip()
        if candidate and parses(candidate):
            return candidate
    return code


def extract_code(text: str) -> str:
    """The Python in a model's reply: its fenced blocks (``` or ```python, the last one possibly
    unclosed) joined, or else the reply from its first line that looks like code; "" for prose."""
    text = (text or "")[:MAX_CODE_CHARS]
    blocks = [body for lang, body in _FENCE.findall(text) if lang.lower() in ("", "python", "py", "python3")]
    if blocks:
        return "\n\n".join(_trim(b) for b in blocks if b.strip()).strip()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _CODE_START.match(line.strip()) and not line.startswith((" ", "\t")):
            return _trim("\n".join(lines[i:]))
    return ""


def functions(code: str) -> list[str]:
    """Names of the top-level functions `code` defines (it must parse)."""
    return [n.name for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def tool_function(code: str) -> str | None:
    """The tool in a piece of tool code: its first public top-level function."""
    names = functions(code)
    public = [n for n in names if not n.startswith("_")]
    return (public or names or [None])[0]


def _is_definition(node: ast.stmt) -> bool:
    """Statements a tool module keeps: imports, functions, classes, and constants."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        simple = all(isinstance(t, ast.Name) and t.id.isupper() for t in targets)
        return simple and isinstance(node.value, (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set))
    return False


def split_program(code: str) -> tuple[str, str]:
    """(tool part, calling part) of code that parses: definitions go to the tool, the rest
    (calls, prints, `if __name__ == "__main__":` bodies) to the decision."""
    tree = ast.parse(code)
    lines = code.splitlines()
    tool, rest = [], []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        segment = "\n".join(lines[start:node.end_lineno])
        if _is_definition(node):
            tool.append(segment)
        elif _is_main_guard(node):
            rest.extend(textwrap.dedent("\n".join(lines[b.lineno - 1:b.end_lineno])) for b in node.body)
        else:
            rest.append(segment)
    return "\n\n".join(tool).strip(), "\n".join(rest).strip()


def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def without_function(code: str, name: str) -> str:
    """`code` without a top-level definition of `name` (a decision that pasted the tool again)."""
    tree = ast.parse(code)
    lines = code.splitlines()
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        keep.append("\n".join(lines[start:node.end_lineno]))
    return "\n".join(keep).strip()


def hard_coded(code: str, name: str) -> str | None:
    """Why function `name` is no general tool, or None: it reads none of its parameters, every
    return gives a bare constant (its answer does not follow from its arguments; a guard such as
    `if not xs: return 0` beside a computed return is fine), or it looks up fixed names in a
    parameter (its problem's table rows)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name), None)
    if fn is None:
        return None
    a = fn.args
    params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p is not None}
    read = _read_before_written(fn, params)
    if params and not read:
        return "it reads none of its parameters"
    if not params:
        return "it takes no parameters"  # a tool's answer must follow from its arguments
    returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
    if returns and all(_constant(v) for v in returns):
        return "it returns a constant"
    if any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in params
           and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str) for n in ast.walk(fn)):
        # values['Chloe'] - values['Jonas'], values['2013'] - values['2010']: the 1.5B's table tools
        # named their problem's rows; on another table they raise or answer another question
        return "it reads fixed keys of its parameter"
    return None


def _read_before_written(fn, params: set[str]) -> set[str]:
    """The parameters whose value the body reads before any assignment replaces it: `x = (-45 - 21) / 6;
    return x` (the 1.5B's "solve for x" tool, called with x=4) reads its parameter `x` in no way that
    matters. Statements are taken in order; a read inside a statement counts before its own write."""
    live, read = set(params), set()
    for stmt in fn.body:
        loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        read |= loads & live
        stores = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):  # an unconditional top-level rebinding
            live -= stores
    return read


def _constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is not None
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    return False


class _Normalise(ast.NodeTransformer):
    """Docstrings dropped and the tool's own name replaced: two copies of one tool hash alike."""

    def __init__(self, name: str):
        self.name = name

    def _strip_doc(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        if node.name == self.name:
            node.name = "_tool_"
        return self._strip_doc(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        return self._strip_doc(node)

    def visit_Name(self, node):
        if node.id == self.name:
            node.id = "_tool_"
        return node


def ast_hash(code: str, name: str | None = None) -> str:
    """sha256 of the tool's syntax tree without docstrings, comments, layout or its own name."""
    tree = ast.parse(code)
    name = name or tool_function(code) or ""
    tree = _Normalise(name).visit(tree)
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


# ----------------------------------------------------------------------------- the program that runs

_RECORDER = '''
import functools as _tm_functools, inspect as _tm_inspect, json as _tm_json
_tm_calls, _tm_depth = [], [0]
def _tm_record(_tm_fn):
    _tm_sig = _tm_inspect.signature(_tm_fn)
    @_tm_functools.wraps(_tm_fn)
    def _tm_wrapper(*args, **kwargs):
        try:
            _tm_args = dict(_tm_sig.bind(*args, **kwargs).arguments)
        except TypeError:
            _tm_args = None
        _tm_depth[0] += 1
        try:
            _tm_out = _tm_fn(*args, **kwargs)
        finally:
            _tm_depth[0] -= 1
        if _tm_depth[0] == 0 and len(_tm_calls) < 20:
            _tm_calls.append({"arguments": _tm_plain(_tm_args), "result": _tm_plain(_tm_out)})
        return _tm_out
    return _tm_wrapper
def _tm_plain(value):
    try:
        _tm_json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return {"repr": repr(value)[:500]}
'''


def program(tool_code: str, decision_code: str, name: str) -> tuple[str, int, int]:
    """The code the sandbox runs: the tool, a wrapper that records the tool's calls (arguments and
    result, for the chat form), then the decision. Returns (code, first decision line, tool lines)."""
    head = f"{tool_code}\n{_RECORDER}\n{name} = _tm_record({name})\n"
    first = head.count("\n") + 1
    tail = f"\nresult = {{'calls': _tm_calls}}\n"
    return head + decision_code + tail, first, tool_code.count("\n") + 1


_FRAME = re.compile(r'^\s*File "<model-code>", line (\d+), in (\S+)')


def clean_traceback(traceback: str | None, message: str | None, exc_type: str | None, code: str,
                    first_decision_line: int, tool_lines: int) -> str:
    """The error as the model should see it: only the frames in its own code, each with the line
    it ran (in the tool or in the calling code), then the exception; no sandbox internals."""
    lines = code.splitlines()
    out = []
    for line in (traceback or "").splitlines():
        m = _FRAME.match(line)
        if not m:
            continue
        n, where = int(m.group(1)), m.group(2)
        if where.startswith("_tm_"):
            continue
        text = lines[n - 1].strip() if 0 < n <= len(lines) else ""
        if n <= tool_lines:
            out.append(f"tool line {n}, in {where}: {text}")
        elif n >= first_decision_line:
            out.append(f"calling code line {n - first_decision_line + 1}: {text}")
    out.append(f"{exc_type or 'Error'}: {message or ''}".strip())
    return "\n".join(out)
