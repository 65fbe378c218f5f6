"""The model under evaluation answering a request. Its prompt is what its own chat template makes of
the conversation and the tools (the GGUF's `tokenizer.chat_template`, rendered as transformers
would, builders/chat_templates.py), so the figures say what the model does by itself, not what
toolmint's grammars make it do. A template that ignores `tools` gets the tools' documentation and
the reply format in a system message instead. In-context mode puts k demonstrations from a
dataset's `ste_icl` bank in a system message before the request, each a request and its call.

The pipeline's chat calls format messages without `tools`, so the student renders its prompt itself
and hands the text to a batching engine (builders/llm/batch.py, `BatchEngine.complete`): greedy, no
cache (an evaluation is read once), up to `sequences` items decoded together. Each item starts from an
empty KV sequence and its prompt is evaluated alone, so its reply does not depend on which items
shared its generation steps (tests/cli/test_eval.py compares 1 and 4 sequences)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from builders.errors import UserError
from builders.methods import evaluation_parts

FORMAT = ("You can call these tools. To call one, reply with JSON only: {\"name\": <tool name>, \"arguments\": "
          "<object>}, or a list of such objects for several calls.\n\n")


@dataclass
class Reply:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str = ""  # the prompt did not fit the context, …


@dataclass
class Student:
    """A GGUF model answering through its own chat template; `answer` may be called from
    `sequences` threads at once."""
    engine: object  # a BatchEngine
    template: str
    special: dict
    name: str = ""
    sha256: str = ""
    max_tokens: int = 256
    sequences: int = 1
    knows_tools: bool = field(init=False)

    def __post_init__(self):
        self.knows_tools = "tools" in self.template

    def prompt(self, messages: list[dict], tools: list[dict]) -> str:
        from builders.chat_templates import render

        offered = [{"type": "function", "function": t} for t in tools]
        if not self.knows_tools:
            docs = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
            messages = with_system(messages, before=FORMAT + docs)
            offered = None
        return render(self.template, messages, offered, add_generation_prompt=True, **self.special)

    def answer(self, messages: list[dict], tools: list[dict]) -> Reply:
        start = time.perf_counter()
        self.engine.forget_prefix()  # evaluated alone, from position 0: the same logits whatever came before
        try:
            out = self.engine.complete(self.prompt(messages, tools), max_tokens=self.max_tokens, temperature=0.0)
        except ValueError as exc:  # the prompt is longer than the context
            return Reply(text="", seconds=time.perf_counter() - start, error=str(exc)[:200])
        return Reply(text=out.text, prompt_tokens=out.prompt_tokens, completion_tokens=out.completion_tokens,
                     seconds=time.perf_counter() - start)


def load_student(model: str, n_ctx: int = 4096, max_tokens: int = 256, threads: int = 0,
                 sequences: int = 8) -> Student:
    """`model` as a recipe names one: package:NAME, a path to a GGUF (a fine-tuned one too)."""
    from builders.chat_templates import gguf_template
    from builders.llm.batch import BatchEngine
    from builders.machine import cores
    from builders.model_file import resolve_model

    spec = model if model.startswith("package:") else {"path": str(Path(model).resolve())}
    found = resolve_model(spec, "eval", field="--model")
    try:
        template, special = gguf_template(found.path)
    except ValueError as exc:
        raise UserError(f"--model {model}: {exc}; toolmint eval needs the model's chat template") from None
    engine = BatchEngine(found.path, n_ctx=n_ctx, n_threads=threads or cores(), sequences=sequences)
    return Student(engine=engine, template=template, special=special, name=found.name, sha256=found.sha256,
                   max_tokens=max_tokens, sequences=sequences)


def demonstrations(bank: list[dict], request: str, k: int) -> list[dict]:
    """The k bank rows nearest to `request` (BM25, icl.py), never the request itself."""
    nearest = evaluation_parts()[2]
    return nearest([d for d in bank if d["query"].strip() != request.strip()], request, k)


EXAMPLES = "Examples of requests and the tool call that serves each:"


def with_demonstrations(messages: list[dict], tools: list[dict], demos: list[dict]) -> tuple[list[dict], list[dict]]:
    """The demonstrations as text in a system message before the conversation — each request and
    its call as the JSON the reply format asks for — and the tools they call added to the offered ones.

    Why not as earlier exchanges of the conversation (request, call, result, answer): measured on
    a recipes/ste.yaml test split, Qwen2.5-Coder-0.5B then ends its turn at once (`<|im_end|>` is
    its first token) on 9 items of 9; with the examples as text it calls a tool on 8 of 9."""
    lines = [EXAMPLES]
    for d in demos:
        for m in d["messages"]:
            for call in m.get("tool_calls") or []:
                fn = call["function"]
                arguments = fn["arguments"] if isinstance(fn["arguments"], dict) else json.loads(fn["arguments"])
                lines.append(f"Request: {d['query']}\nCall: " + json.dumps({"name": fn["name"], "arguments": arguments},
                                                                          ensure_ascii=False))
    names = {t["name"] for t in tools}
    extra = {}
    for d in demos:
        for t in d.get("tools") or []:
            spec = t.get("function", t)
            if spec["name"] not in names:
                extra.setdefault(spec["name"], spec)
    return with_system(messages, after="\n\n".join(lines)), tools + list(extra.values())


def with_system(messages: list[dict], *, before: str = "", after: str = "") -> list[dict]:
    """The conversation with one system message first: `before`, the system messages it had, `after`
    (templates take a single system message, and only at the start)."""
    system = [m["content"] for m in messages if m.get("role") == "system"]
    content = "\n\n".join([*([before] if before else []), *system, *([after] if after else [])])
    return [{"role": "system", "content": content}, *(m for m in messages if m.get("role") != "system")]


def read_bank(folder: str | Path) -> list[dict]:
    """A dataset's `ste_icl` train rows (test rows are held out with their seed queries), with the
    tools of the examples they came from."""
    import pyarrow.parquet as pq

    from builders.record import decode_row

    Example, Demonstration, _ = evaluation_parts()
    folder = Path(folder)
    files = sorted((folder / Demonstration.config).glob("train-*.parquet"))
    if not files:
        raise UserError(f"--icl {folder}: no {Demonstration.config}/train-*.parquet: not a toolmint STE dataset "
                        "with an in-context example bank")
    tools = {}
    for path in sorted((folder / Example.config).glob("train-*.parquet")):
        for row in pq.read_table(path, columns=["id", "tools"]).to_pylist():
            tools[row["id"]] = decode_row(Example, row)["tools"]
    bank = []
    for path in files:
        for row in pq.read_table(path).to_pylist():
            row = decode_row(Demonstration, row)
            bank.append({**row, "tools": tools.get(row["source_id"], [])})
    if not bank:
        raise UserError(f"--icl {folder}: its {Demonstration.config} bank is empty")
    return bank
