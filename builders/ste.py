"""STE — simulated trial and error (Wang et al. 2024, "LLMs in the Imaginarium").

One episode explores one tool: the model imagines a user query from the tool's documentation,
calls the tool (grammar-constrained JSON), the call really runs in the sandbox, a failed call is
corrected from its error (trial and error, up to `max_calls_per_query`), and the model answers
from the observation. Queries already imagined in the episode form its short-term memory, so
each new query explores something else.

Stage functions take a Context and return plain dicts; nothing here does I/O but through it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from builders.tools import environment
from builders.tools.spec import Tool

OBSERVATION_CHARS = 1500


@dataclass
class Context:
    engine: object   # .chat(messages, …) / .chat_json(messages, schema, …) → Completion
    sandbox: object  # .call_tool(target, arguments) → result dict
    tools: dict[str, Tool]
    settings: dict   # the recipe's method section
    provenance: dict = field(default_factory=dict)  # run_hash, recipe, model, model_sha256


@dataclass(frozen=True)
class Episode:
    """A work unit: one exploration episode of one tool."""
    tool: str
    index: int
    seed: int


def episode_seed(recipe_seed: int, tool: str, index: int) -> int:
    """Stable across runs and machines, independent of how work is partitioned."""
    digest = hashlib.sha256(f"{recipe_seed}:{tool}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


class Usage:
    """Token and time totals of the LLM calls that made one trajectory."""

    def __init__(self):
        self.prompt_tokens = self.completion_tokens = 0
        self.seconds = 0.0

    def add(self, completion):
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.seconds += completion.seconds
        return completion


QUERY_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string", "minLength": 12, "maxLength": 240}},
    "required": ["query"],
    "additionalProperties": False,
}


def call_schema(tools: list[Tool]) -> dict:
    """JSON Schema of one call to any of `tools`: the grammar makes every call parse and fit."""
    options = [{
        "type": "object",
        "properties": {"name": {"const": t.name}, "arguments": t.parameters},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    } for t in tools]
    return options[0] if len(options) == 1 else {"anyOf": options}


def imagine_query(ctx: Context, tool: Tool, memory: list[str], seed: int, usage: Usage) -> str | None:
    """Imagination: a concrete user request this tool can serve, unlike those already in memory."""
    seen = "".join(f"\n- {q}" for q in memory)
    prompt = (
        f"An assistant can use this tool:\n{tool.doc()}\n\n"
        + (f"Requests already written (write a different one):{seen}\n\n" if memory else "")
        + "Write one new, specific request that a user could send and that this tool can answer. "
        "Include the concrete values the tool needs. Reply in JSON: {\"query\": \"...\"}"
    )
    messages = [
        {"role": "system", "content": "You imagine realistic requests that users send to an assistant with tools."},
        {"role": "user", "content": prompt},
    ]
    out = usage.add(ctx.engine.chat_json(messages, QUERY_SCHEMA, seed=seed, **_sampling(ctx)))
    query = out.value.get("query", "").strip() if isinstance(out.value, dict) else ""
    return query or None


def choose_call(ctx: Context, tools: list[Tool], query: str, trials: list[dict], seed: int, usage: Usage):
    """The call the model makes for `query`, seeing its earlier failed trials and their errors."""
    docs = "\n\n".join(t.doc() for t in tools)
    messages = [
        {"role": "system", "content": f"You answer requests by calling a tool. Tools:\n{docs}"},
        {"role": "user", "content": f"{query}\n\nReply with the tool call as JSON: "
                                    "{\"name\": TOOL, \"arguments\": {...}}"},
    ]
    for trial in trials:
        messages.append({"role": "assistant", "content": json.dumps({"name": trial["name"], "arguments": json.loads(trial["arguments"])})})
        messages.append({"role": "user", "content": f"That call failed: {trial['observation']}\n"
                                                    "Reply with a corrected tool call as JSON."})
    out = usage.add(ctx.engine.chat_json(messages, call_schema(tools), seed=seed, **_sampling(ctx)))
    return out.value if isinstance(out.value, dict) else None


def execute_call(ctx: Context, call: dict, calls: environment.Episode | None = None) -> dict:
    """Validate the arguments, then run the call in the sandbox. Returns one trial record.

    `calls` carries the episode's stateful environments (one instance per episode)."""
    name, arguments = call.get("name", ""), call.get("arguments")
    trial = {"name": name, "arguments": json.dumps(arguments, sort_keys=True), "status": "", "reason": "",
             "message": "", "observation": "", "wall_ms": 0.0}
    episode = calls or environment.Episode(ctx.sandbox)
    result = environment.checked_call(ctx.tools.get(name), arguments, episode=episode, tool_name=name)
    if result["status"] == "invalid_arguments":
        errors = result["errors"]
        text = "; ".join(f"{e['path'] + ': ' if e['path'] else ''}{e['message']}" for e in errors)
        trial.update(status="invalid", reason=errors[0]["reason"], message=text, observation=f"invalid arguments: {text}")
        return trial
    status = result.get("status", "crashed")
    trial["status"] = status
    trial["wall_ms"] = float(result.get("wall_ms") or 0.0)
    if status == "ok":
        trial["observation"] = json.dumps(result.get("value"), ensure_ascii=False)[:OBSERVATION_CHARS]
    else:
        trial["reason"] = "execution_error" if status == "error" else status
        trial["message"] = f"{result.get('exc_type') or status}: {result.get('message') or ''}".strip()[:OBSERVATION_CHARS]
        trial["observation"] = trial["message"]
    return trial


def write_answer(ctx: Context, query: str, trial: dict, seed: int, usage: Usage) -> str:
    """The final answer to the user, grounded in the observation."""
    messages = [
        {"role": "system", "content": "You answer the user's request using the tool result. Be brief and state the result."},
        {"role": "user", "content": f"Request: {query}\n\nThe tool {trial['name']} was called with "
                                    f"{trial['arguments']} and returned: {trial['observation']}\n\n"
                                    "Answer the request in one or two sentences."},
    ]
    out = usage.add(ctx.engine.chat(messages, seed=seed, **_sampling(ctx)))
    return out.text.strip()


def _sampling(ctx: Context) -> dict:
    return {"temperature": ctx.settings.get("temperature", 0.7), "max_tokens": ctx.settings.get("max_tokens", 160)}


def companions(ctx: Context, tool: Tool) -> list[Tool]:
    """The other methods of a stateful environment: reading a file needs writing one first."""
    if not tool.environment:
        return []
    return [t for t in ctx.tools.values() if t.environment == tool.environment and t.name != tool.name]


def explore_query(ctx: Context, episode: Episode, query_index: int, memory: list[str],
                  calls: environment.Episode | None = None) -> dict:
    """One query of an episode, from imagination to answer: a trajectory, judged later."""
    tool = ctx.tools[episode.tool]
    usage = Usage()
    seed = episode.seed + 1000 * query_index
    traj = new_trajectory(ctx, episode, query_index)
    query = imagine_query(ctx, tool, memory, seed, usage)
    if query is None:
        traj["reasons"].append("malformed_output")
    else:
        traj["query"] = query
        memory.append(query)
        offered = [tool, *companions(ctx, tool)]
        traj["tools"] = json.dumps([t.spec() for t in offered])
        for attempt in range(ctx.settings.get("max_calls_per_query", 1)):
            call = choose_call(ctx, offered, query, traj["trials"], seed + attempt + 1, usage)
            if call is None:
                traj["reasons"].append("malformed_output")
                break
            trial = execute_call(ctx, call, calls)
            traj["trials"].append(trial)
            if trial["status"] == "ok":
                break
        last = traj["trials"][-1] if traj["trials"] else None
        if last is not None and last["status"] == "ok":
            traj["action"], traj["action_input"], traj["observation"] = last["name"], last["arguments"], last["observation"]
            traj["final_answer"] = write_answer(ctx, query, last, seed + 99, usage)
        elif last is not None:
            traj["reasons"].append(last["reason"])
    traj["prompt_tokens"] = usage.prompt_tokens
    traj["completion_tokens"] = usage.completion_tokens
    traj["llm_seconds"] = round(usage.seconds, 4)
    traj["messages"] = chat_messages(traj)
    return traj


def run_episode(ctx: Context, episode: Episode) -> list[dict]:
    memory: list[str] = []  # short-term memory: this episode's queries
    calls = environment.Episode(ctx.sandbox)  # stateful environments live as long as the episode
    return [explore_query(ctx, episode, q, memory, calls) for q in range(ctx.settings.get("queries_per_episode", 1))]


def new_trajectory(ctx: Context, episode: Episode, query_index: int) -> dict:
    tool = ctx.tools[episode.tool]
    prov = ctx.provenance
    return {
        "id": f"{prov.get('run_hash', 'local')}-{tool.name}-{episode.index}-{query_index}",
        "run_hash": prov.get("run_hash", ""), "recipe": prov.get("recipe", ""),
        "model": prov.get("model", ""), "model_sha256": prov.get("model_sha256", ""),
        "method": "ste", "switches": json.dumps(ctx.settings, sort_keys=True),
        "seed": episode.seed, "tool_name": tool.name, "tool_version": tool.version,
        "episode": episode.index, "query_index": query_index,
        "query": "", "action": "", "action_input": "", "observation": "", "final_answer": "",
        "tools": json.dumps([tool.spec()]), "trials": [], "messages": [],
        "prompt_tokens": 0, "completion_tokens": 0, "llm_seconds": 0.0,
        "accepted": False, "reasons": [],
    }


def chat_messages(traj: dict) -> list[dict]:
    """The trajectory as chat messages (query → successful call → observation → answer), the form
    `apply_chat_template(messages, tools=…)` and TRL take. Failed trials stay in `trials`."""
    if not traj["query"]:
        return []
    messages = [_message("user", traj["query"])]
    if traj["action"]:
        messages.append(_message("assistant", "", tool_calls=[{"name": traj["action"], "arguments": traj["action_input"]}]))
        messages.append(_message("tool", traj["observation"], name=traj["action"]))
        if traj["final_answer"]:
            messages.append(_message("assistant", traj["final_answer"]))
    return messages


def _message(role: str, content: str, name: str | None = None, tool_calls: list | None = None) -> dict:
    return {"role": role, "content": content, "name": name, "tool_calls": tool_calls}
