"""Record kinds, each defined once as a frozen dataclass; its Arrow schema, its JSON Schema and
its column table in docs/dataset.md are derived from that definition.

    @dataclass(frozen=True, kw_only=True)
    class Example(Record):
        config = "example"                        # the dataset config its accepted rows go to
        query: str = column("the user's request", minLength=1)
        messages: list[Json] = column("chat messages", default_factory=list)

A field's type says how it is stored: str, int, float, bool, `Json` (any JSON value, stored with
Arrow's JSON extension type so rows with different shapes round-trip exactly), a nested record
dataclass (a struct), or a list of any of these. `column(doc, **json_schema)` documents the field and
adds JSON Schema keywords that hold for every row of the kind; `accepted_schema` holds for accepted
rows only. Records are frozen: stages build them, the judge returns a new one with its verdict.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Annotated, Any, ClassVar

import jsonschema
import pyarrow as pa

from sandbox import STATUSES

JSON_TAG = "json"
Json = Annotated[Any, JSON_TAG]
"""Any JSON value: stored as Arrow's JSON extension type (Parquet's JSON logical type)."""

_MISSING = dataclasses.MISSING


def column(doc: str, *, default=_MISSING, default_factory=_MISSING, **schema) -> Any:
    """A documented field; extra keywords are JSON Schema that every row of the kind satisfies."""
    kw = {"metadata": {"doc": doc, "schema": schema}}
    if default is not _MISSING:
        kw["default"] = default
    if default_factory is not _MISSING:
        kw["default_factory"] = default_factory
    return field(**kw)


@dataclass(frozen=True, kw_only=True)
class Record:
    """What every row carries: identity, split, provenance and the judge's verdict."""

    config: ClassVar[str] = ""             # the dataset config accepted rows of this kind go to
    accepted_schema: ClassVar[dict] = {}   # JSON Schema properties that hold for accepted rows only
    open_call: ClassVar[bool] = False      # its chat form may end in a call without its result (a call target)

    id: str = column("stable row id: the run, the unit and the row's place in it", minLength=1)
    group: str = column("rows with the same group (an episode, a seed query) always share a split", default="")
    split: str = column("train or test; decided by `group`", default="train", enum=["train", "test"])
    method: str = column("the method that made the row", default="")
    switches: Json = column("the method's settings (recipe section) that produced the row", default_factory=dict)
    run_hash: str = column("the run: recipe, model bytes, tools and their code, toolmint's code", default="")
    recipe: str = column("the recipe's name", default="")
    model: str = column("the GGUF model's name", default="")
    model_sha256: str = column("sha256 of the GGUF file", default="")
    seed: int = column("the seed of the work unit that made the row", default=0, minimum=0)
    accepted: bool = column("the judge's verdict", default=False)
    reasons: list[str] = column("every reason the row was rejected (empty when accepted)", default_factory=list)
    detail: str = column("what the failed checks found, in words", default="")

    def with_verdict(self, reasons: list[str], detail: str = "") -> "Record":
        return replace(self, reasons=list(reasons), accepted=not reasons, detail=detail or self.detail)

    def path_calls(self) -> list["Call"]:
        """The calls that appear in the row's training messages (checked generically: each must have run)."""
        return []

    def chat(self) -> tuple[list, list] | None:
        """The row's chat form (messages, tools) when it has one: it must keep the chat contract."""
        if hasattr(self, "messages") and hasattr(self, "tools") and self.messages:
            return self.messages, self.tools
        return None

    def to_row(self) -> dict:
        """The row as plain JSON values (the shape the JSON Schema describes)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class Call:
    """One tool call as it ran: what was asked, how the sandbox answered."""
    name: str = column("the tool called")
    arguments: Json = column("the arguments, a JSON object", default_factory=dict)
    status: str = column("ok, invalid (refused before running), or the sandbox's status", default="",
                         enum=["", "invalid", *STATUSES])
    reason: str = column("the reason code when it failed", default="")
    message: str = column("the error message when it failed", default="")
    observation: str = column("what the model was shown: the result, or the error", default="")
    observation_cut: bool = column("the observation was longer than the bound and was cut, with a mark "
                                   "(docs/chat.md)", default=False)
    wall_ms: float = column("time in the sandbox", default=0.0, minimum=0)
    state_changed: bool = column("the call changed its stateful environment (the sandbox compared the "
                                 "instance before and after); false for a stateless tool or a failed call",
                                 default=False)


@dataclass(frozen=True, kw_only=True)
class Rejected(Record):
    """A row of any kind that the judge refused, kept whole with its reasons."""

    config = "rejected"
    kind: str = column("the config the row would have gone to", minLength=1)
    record: Json = column("the whole row as it was judged", default_factory=dict)

    @classmethod
    def of(cls, record: Record) -> "Rejected":
        base = {f.name: getattr(record, f.name) for f in fields(Record)}
        return cls(**base, kind=record.config, record=record.to_row())


# --- derivation ------------------------------------------------------------------------------------

def _hints(cls) -> dict:
    return typing.get_type_hints(cls, include_extras=True)


def _is_json(tp) -> bool:
    return typing.get_origin(tp) is Annotated and JSON_TAG in typing.get_args(tp)[1:]


def _strip_optional(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0], True) if len(args) == 1 else (tp, True)
    return tp, False


def _data_fields(cls):
    return [f for f in fields(cls) if f.init]


def arrow_type(tp, storage: bool = False) -> pa.DataType:
    """The Arrow type of a field; `storage=True` gives JSON as plain strings (what rows are built
    from before the cast to the extension type)."""
    tp, _ = _strip_optional(tp)
    if _is_json(tp):
        return pa.string() if storage else pa.json_(pa.string())
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return pa.struct([pa.field(f.name, arrow_type(hints[f.name], storage)) for f in _data_fields(tp)])
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return pa.list_(arrow_type(typing.get_args(tp)[0], storage))
    simple = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    if tp in simple:
        return simple[tp]
    raise TypeError(f"no Arrow type for {tp!r}")


@lru_cache(maxsize=None)
def arrow_schema(cls) -> pa.Schema:
    hints = _hints(cls)
    return pa.schema([pa.field(f.name, arrow_type(hints[f.name]), metadata={"doc": f.metadata.get("doc", "")})
                      for f in _data_fields(cls)])


def _json_schema(tp) -> dict:
    tp, optional = _strip_optional(tp)
    if _is_json(tp):
        return {}
    if dataclasses.is_dataclass(tp):
        out = _object_schema(tp)
    elif typing.get_origin(tp) in (list, tuple):
        out = {"type": "array", "items": _json_schema(typing.get_args(tp)[0])}
    else:
        out = {"type": {str: "string", int: "integer", float: "number", bool: "boolean"}[tp]}
    if optional and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _object_schema(cls) -> dict:
    hints = _hints(cls)
    props = {f.name: {**_json_schema(hints[f.name]), **f.metadata.get("schema", {})} for f in _data_fields(cls)}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


@lru_cache(maxsize=None)
def json_schema(cls) -> dict:
    """The record kind's JSON Schema; accepted rows must also satisfy `accepted_schema`."""
    schema = _object_schema(cls)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"{cls.__name__} ({cls.config})"
    if cls.accepted_schema:
        schema["if"] = {"properties": {"accepted": {"const": True}}}
        schema["then"] = {"properties": cls.accepted_schema}
    return schema


@lru_cache(maxsize=None)
def _validator(cls):
    return jsonschema.Draft202012Validator(json_schema(cls))


def schema_problems(record: Record) -> list[str]:
    """Where the record breaks its kind's JSON Schema; [] when it is valid."""
    errors = _validator(type(record)).iter_errors(record.to_row())
    return [f"{'.'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors]


def to_table(cls, records: list[Record]) -> pa.Table:
    """Rows of one kind as an Arrow table with the derived schema (Json fields as JSON text)."""
    schema = arrow_schema(cls)
    hints = _hints(cls)
    storage = pa.schema([pa.field(f.name, arrow_type(hints[f.name], storage=True)) for f in _data_fields(cls)])
    rows = [_arrow_value(hints, r) for r in records]
    return pa.Table.from_pylist(rows, schema=storage).cast(schema)


def _arrow_value(hints: dict, record) -> dict:
    return {f.name: _encode(hints[f.name], getattr(record, f.name)) for f in _data_fields(type(record))}


def _encode(tp, value):
    tp, _ = _strip_optional(tp)
    if value is None:
        return None
    if _is_json(tp):
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    if dataclasses.is_dataclass(tp):
        return _arrow_value(_hints(tp), value)
    if typing.get_origin(tp) in (list, tuple):
        inner = typing.get_args(tp)[0]
        return [_encode(inner, v) for v in value]
    return value


def plain_rows(table: pa.Table) -> list[dict]:
    """The rows of a table read back from Parquet, without knowing their record kind: JSON columns
    (Arrow's JSON extension type, and lists of it) parsed, everything else as pyarrow gives it."""
    kinds = {f.name: f.type for f in table.schema}
    return [{k: _plain(kinds[k], v) for k, v in row.items()} for row in table.to_pylist()]


def _plain(kind: pa.DataType, value):
    if getattr(kind, "extension_name", "") == "arrow.json" and isinstance(value, str):
        return json.loads(value)
    if pa.types.is_list(kind) and isinstance(value, list):
        return [_plain(kind.value_type, v) for v in value]
    return value


def decode_row(cls, row: dict) -> dict:
    """A row read back from Parquet as plain JSON values (Json columns parsed)."""
    hints = _hints(cls)
    return {f.name: _decode(hints[f.name], row.get(f.name)) for f in _data_fields(cls)}


def _decode(tp, value):
    tp, _ = _strip_optional(tp)
    if value is None:
        return None
    if _is_json(tp):
        return json.loads(value) if isinstance(value, str) else value
    if dataclasses.is_dataclass(tp):
        return decode_row(tp, value)
    if typing.get_origin(tp) in (list, tuple):
        inner = typing.get_args(tp)[0]
        return [_decode(inner, v) for v in value]
    return value


def column_table(cls) -> str:
    """The Markdown table of a kind's columns, as docs/dataset.md shows it."""
    hints = _hints(cls)
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    for f in _data_fields(cls):
        lines.append(f"| `{f.name}` | {_type_name(hints[f.name])} | {f.metadata.get('doc', '')} |")
    return "\n".join(lines)


def _type_name(tp) -> str:
    tp, optional = _strip_optional(tp)
    if _is_json(tp):
        name = "json"
    elif dataclasses.is_dataclass(tp):
        name = f"struct {tp.__name__}"
    elif typing.get_origin(tp) in (list, tuple):
        name = f"list of {_type_name(typing.get_args(tp)[0])}"
    else:
        name = {str: "string", int: "int64", float: "float64", bool: "bool"}[tp]
    return name + (" (nullable)" if optional else "")


def split_of(group: str, test_fraction: float) -> str:
    """train or test, from the group alone: stable across runs, machines and partitionings."""
    if test_fraction <= 0:
        return "train"
    bucket = int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "little") / 2**32
    return "test" if bucket < test_fraction else "train"
