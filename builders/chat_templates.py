"""Rows in the chat contract rendered through real chat templates, the way transformers renders them,
and checked: a row a trainer cannot render, or renders wrong without a word, is worse than no row.

Templates are read where they are installed (TRL's wheel ships 70-odd under trl/chat_templates/; a
GGUF carries its own in `tokenizer.chat_template`); none is copied into this repository.
`render_checks(messages, tools, template)` says, one line each, what is wrong with one row under one
template; `check_folder(path, templates)` runs it over every chat row of a written dataset.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from builders.chat import validate_messages

# The families the tests render through (TRL's file names); docs/chat.md says what each one drops.
TRL_TEMPLATES = ("qwen2_5", "qwen3", "llama3_1", "gptoss")
# LFM2 prints calls in Python form (name(key='value')), so the JSON checks do not apply; tested apart.
# The special tokens transformers passes along with the messages (tokenizer.special_tokens_map).
SPECIAL_TOKENS = {
    "qwen2_5": {"bos_token": "", "eos_token": "<|im_end|>"},
    "qwen3": {"bos_token": "", "eos_token": "<|im_end|>"},
    "llama3_1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "gptoss": {"bos_token": "<|startoftext|>", "eos_token": "<|return|>"},
    "lfm2_v2": {"bos_token": "<|startoftext|>", "eos_token": "<|im_end|>"},
}


class _Generation(jinja2.ext.Extension):
    """`{% generation %}…{% endgeneration %}` (training templates mark assistant output with it):
    rendered as its body, as transformers does when it is not tracking assistant tokens."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def _raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' filter: no HTML escaping, non-ASCII kept, indent/separators as the template asks
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


@lru_cache(maxsize=None)
def _compiled(template: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[_Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def render(template: str, messages: list[dict], tools: list[dict] | None, *,
           add_generation_prompt: bool = False, **special_tokens) -> str:
    """The text a trainer would tokenize for this conversation (transformers' apply_chat_template)."""
    special = {"bos_token": "", "eos_token": ""} | special_tokens
    return _compiled(template).render(messages=messages, tools=tools or None, documents=None,
                                      add_generation_prompt=add_generation_prompt, **special)


# --- where templates come from ----------------------------------------------------------------------

def trl_template(name: str) -> str:
    """TRL's copy of a model family's template (`qwen2_5`, `llama3_1`, …), read without importing TRL."""
    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("trl is not installed (pip install --no-deps trl)")
    path = Path(list(spec.submodule_search_locations)[0]) / "chat_templates" / f"{name}.jinja"
    return path.read_text(encoding="utf-8")


def gguf_template(path: str) -> tuple[str, dict]:
    """A GGUF file's own chat template and its bos/eos tokens, from the file's metadata."""
    from builders.llm.engine import _quiet_stderr
    from llama_cpp import Llama

    with _quiet_stderr():
        llama = Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        meta = llama.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{path}: no tokenizer.chat_template in its metadata")
        special = {f"{k}_token": llama.detokenize([int(meta[f"tokenizer.ggml.{k}_token_id"])], special=True).decode()
                   for k in ("bos", "eos") if f"tokenizer.ggml.{k}_token_id" in meta}
        return template, special
    finally:
        llama.close()


# --- the checks -------------------------------------------------------------------------------------

def _forms(value) -> list[str]:
    """How a template may print a JSON object with `tojson` (default, compact, indented)."""
    return [json.dumps(value, ensure_ascii=False), json.dumps(value, ensure_ascii=False, separators=(",", ":")),
            json.dumps(value, ensure_ascii=False, indent=2), json.dumps(value, ensure_ascii=False, indent=4)]


def _find(text: str, forms: list[str], start: int) -> tuple[int, int]:
    """(start, end) of the earliest of `forms` in text[start:], or (-1, -1)."""
    best = (-1, -1)
    for f in forms:
        if not f:
            continue
        at = text.find(f, start)
        if at >= 0 and (best[0] < 0 or at < best[0]):
            best = (at, at + len(f))
    return best


def render_checks(messages: list[dict], tools: list[dict], template: str, *, open_call: bool = False,
                  **special_tokens) -> list[str]:
    """What is wrong with one row under one template, one line each (empty when all is well).

    The row keeps the contract (validate_messages); it renders; every call's arguments appear as a
    JSON object, never as a quoted JSON string; each call is followed by its result before the next
    call; every tool's name reaches the prompt; no `None` appears that the row did not hold.
    `open_call`: the last message may be a call without its result (α-UMi's caller and backbone
    targets teach the call itself); every earlier call still needs its result.
    """
    problems = [f"contract: {p}" for p in validate_messages(messages, tools, open_call=open_call)]
    try:
        text = render(template, messages, tools, **special_tokens)
    except Exception as e:   # a template's raise_exception, a type error on a value it did not expect
        return problems + [f"render: {type(e).__name__}: {e}"]
    if '"arguments": "{' in text or '"arguments":"{' in text:
        problems.append('arguments rendered as a JSON string ("arguments": "{…")')
    results = {m.get("tool_call_id"): m for m in messages if isinstance(m, dict) and m.get("role") == "tool"}
    turns = [[c for c in m["tool_calls"] if isinstance(c, dict)] for m in messages
             if isinstance(m, dict) and isinstance(m.get("tool_calls"), list)]
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    open_ids = {c.get("id") for c in last.get("tool_calls") or [] if isinstance(c, dict)} if open_call else set()
    cursor = 0
    for t, turn in enumerate(turns):
        # A turn's calls in order, then their results in order, all before the next turn's first call.
        ends = []
        for c in turn:
            fn = c.get("function") or {}
            args, label = fn.get("arguments"), f"call {c.get('id')!r} ({fn.get('name')})"
            quoted = json.dumps(json.dumps(args, ensure_ascii=False), ensure_ascii=False)
            if quoted in text:
                problems.append(f"{label}: arguments rendered as a quoted JSON string {quoted[:60]}")
            at, end = _find(text, _forms(args), cursor)
            if at < 0:
                problems.append(f"{label}: arguments {json.dumps(args, ensure_ascii=False)[:60]} not rendered as JSON")
                continue
            if fn.get("name") and fn["name"] not in text[max(0, at - 400):end + 400]:
                problems.append(f"{label}: the tool's name is not rendered beside its arguments")
            ends.append((c, label))
            cursor = end
        following = [a for a, _ in (_find(text, _forms((k.get("function") or {}).get("arguments")), cursor)
                                    for k in (turns[t + 1][:1] if t + 1 < len(turns) else []))]
        limit = following[0] if following and following[0] >= 0 else len(text)
        for c, label in ends:
            result = results.get(c.get("id"))
            if result is None and c.get("id") in open_ids:
                continue
            if result is None:
                problems.append(f"{label}: no result")
                continue
            content = result.get("content") or ""
            r_at, r_end = _find(text, [content, content.strip(), json.dumps(content, ensure_ascii=False)], cursor)
            if r_at < 0 or r_at >= limit:
                problems.append(f"{label}: its result does not follow it")
            else:
                cursor = r_end
    for t in tools or []:
        fn = t.get("function") if isinstance(t, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else None
        if name and name not in text:
            problems.append(f"tool {name!r}: not in the rendered prompt")
    held = json.dumps([messages, tools], ensure_ascii=False)
    if "None" in text and "None" not in held and "None" not in template:
        problems.append("rendered text holds None: a key the template expected was null")
    return problems


def open_call_configs() -> set[str]:
    """Configs whose rows may end in a call without its result (a record kind's `open_call`)."""
    from builders.methods import REGISTRY   # here, not at the top: the methods import the chat modules

    return {kind.config for method in REGISTRY.values() for kind in method.records if kind.open_call}


def _rows(path: Path):
    """(file, row number, messages, tools) for every row of a Parquet file that has both columns."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if not {"messages", "tools"} <= set(table.column_names):
        return
    for k, row in enumerate(table.select(["messages", "tools"]).to_pylist()):
        yield k, _json(row["messages"]), _json(row["tools"])


def _json(value):
    """A column value as plain JSON: JSON-extension values come back as their text."""
    if isinstance(value, str):
        return json.loads(value)
    if isinstance(value, list):
        return [json.loads(v) if isinstance(v, str) else v for v in value]
    return value


def check_folder(path, templates: dict[str, tuple[str, dict]], max_rows: int | None = None) -> list[str]:
    """render_checks over every chat row of a dataset folder, under every template given as
    {name: (template, special_tokens)}; each problem names the file, the row and the template."""
    problems, seen, open_configs = [], 0, open_call_configs()
    for file in sorted(Path(path).rglob("*.parquet")):
        open_call = file.relative_to(path).parts[0] in open_configs
        for k, messages, tools in _rows(file):
            if max_rows is not None and seen >= max_rows:
                return problems
            seen += 1
            for name, (template, special) in templates.items():
                problems += [f"{file.relative_to(path)} row {k} [{name}]: {p}"
                             for p in render_checks(messages, tools, template, open_call=open_call, **special)]
    if seen == 0:
        problems.append(f"{path}: no Parquet file with messages and tools columns")
    return problems


def known_templates() -> dict[str, tuple[str, dict]]:
    """TRL's templates this project checks against, as check_folder takes them."""
    return {name: (trl_template(name), SPECIAL_TOKENS.get(name, {})) for name in TRL_TEMPLATES}
