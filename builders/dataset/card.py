"""The dataset card (README.md), generated from the manifest: the YAML header that the Hub viewer
and `datasets.load_dataset` read (configs, data files per split, licence, tags), then what made the
data and how to load and query it."""

from __future__ import annotations

from pathlib import Path

from builders.dataset.shards import atomic_write_bytes


def judge_line(manifest: dict) -> str:
    judge = manifest.get("judge_model")
    return f"\n- judge model: `{judge['name']}` (sha256 `{judge['sha256']}`)" if judge else ""


def batch_width(manifest: dict) -> str | None:
    """'2.71 on average per generation step, of 4 per worker': whether the batch was filled."""
    batch = manifest.get("batch") or {}
    if batch.get("mean_width") is None:
        return None
    held = batch.get("sequences")
    held = "/".join(map(str, held)) if isinstance(held, list) else held
    return f"{batch['mean_width']:.2f} on average per generation step" + (f", of {held} per worker" if held else "")


def batch_line(manifest: dict) -> str:
    width = batch_width(manifest)
    return f"\n- sequences decoded together: {width}" if width else ""


def calibration_line(manifest: dict) -> str:
    """How the LLM judge did on cases whose verdict is known (Method.calibrate): per question, the
    threshold chosen on one half of the cases and the other half's AUC, pass and catch rates."""
    c = manifest.get("judge_calibration")
    if not c:
        return ""
    rows = "".join(f"\n| {q} | {f['threshold']:+.2f} | {_fig(f['auc'])} | {f['pass']:.0%} | {f['catch']:.0%} | "
                   f"{f['sound']} / {f['flawed']} | {'dropped' if q in c.get('dropped', []) else 'used'} |"
                   for q, f in c["questions"].items())
    cut = (f"its threshold the one that catches most flawed exchanges of one half while passing "
           f"{c['pass_target']:.0%} of its sound ones" if c.get("pass_target") else "its threshold chosen on one half")
    line = (f"\n\nJudge calibration ({c['judge']}, {len(c['cases'])} exchanges whose verdict is known; each "
            f"question scored as log p(yes) − log p(no), {cut}, figures from the other):\n\n| question | threshold | AUC | sound passed | flawed caught | held out (sound / flawed) | "
            "in the run |\n| --- | --- | --- | --- | --- | --- | --- |" + rows)
    t = c.get("together")
    if t and t.get("questions"):
        line += (f"\n\nThe asked questions together, as a row is judged (rejected when any says no), on the held-out "
                 f"half: {t['pass']:.0%} of {t['sound']} sound exchanges passed, {t['catch']:.0%} of {t['flawed']} "
                 "flawed ones caught.")
    return line + "".join(f"\n\nWarning: {w}." for w in c.get("warnings", []))


def _fig(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def diversity_lines(manifest: dict) -> str:
    """Per tool: accepted seed rows, distinct calls, and the share of its parameters and choices used."""
    d = manifest.get("diversity")
    if not d or not d.get("rows"):
        return ""
    head = (f"\n\nDiversity: {d['distinct_calls']} distinct calls in {d['rows']} accepted seed rows "
            f"({100 * d['distinct_share']:.0f} %).\n\n| tool | rows | distinct calls | parameters used | choices used |\n"
            "| --- | --- | --- | --- | --- |\n")
    lines = []
    for name, t in d["per_tool"].items():
        used, total = t["parameters_used"]
        choices = ", ".join(f"{p} {u} of {n}" for p, (u, n) in t["choices_used"].items()) or "—"
        lines.append(f"| {name} | {t['rows']} | {t['distinct_calls']} | {used} of {total} | {choices} |")
    return head + "\n".join(lines)


def coverage_lines(manifest: dict) -> str:
    """The coverage plot (coverage.png beside the card; the Hub renders it) and, per tool, requests,
    accepted rows and the error cases its calls met (builders/dataset/coverage.py)."""
    tools = manifest.get("coverage")
    if not tools:
        return ""
    plot = f"\n\n![acceptance and coverage per tool]({manifest['coverage_plot']})" if manifest.get("coverage_plot") else ""
    rows = "\n".join(f"| {n} | {t['requests']} | {t['accepted']} | "
                      f"{', '.join(f'{r} {c}' for r, c in sorted(t['errors'].items())) or '—'} |"
                      for n, t in tools.items())
    return (f"{plot}\n\nCoverage per tool (requests: rows made for it, accepted or rejected; error cases: failed calls "
            "met on the way, by reason):\n\n| tool | requests | accepted | error cases seen |\n| --- | --- | --- | --- |\n"
            + rows)


def method_tables(manifest: dict) -> str:
    """Tables a method measured about its run (Method.describe's `tables`: title, columns, rows, note),
    e.g. CREATOR's accuracy per category and its ablations."""
    out = ""
    for t in manifest.get("tables") or []:
        head = "| " + " | ".join(t["columns"]) + " |\n| " + " | ".join("---" for _ in t["columns"]) + " |\n"
        body = "\n".join("| " + " | ".join(map(str, row)) + " |" for row in t["rows"])
        out += f"\n\n{t['title']}:\n\n{head}{body}" + (f"\n\n{t['note']}" if t.get("note") else "")
    return out


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return name
    return "n>1M"


def front_matter(manifest: dict) -> str:
    """Configs and splits that hold rows (`datasets` refuses a split without any); the method's first
    config is the default when it has rows, else the first one that has."""
    listed = {c: sorted((s for s, n in splits.items() if n), key=lambda s: (s != "train", s))
              for c, splits in manifest["configs"].items()}
    listed = {c: splits for c, splits in listed.items() if splits}
    default = manifest["default_config"] if manifest["default_config"] in listed else next(iter(listed), None)
    lines = ["---", "configs:" if listed else "configs: []"]
    for config, splits in listed.items():
        lines.append(f"- config_name: {config}")
        lines.append("  data_files:")
        for split in splits:
            lines += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
        if config == default:
            lines.append("  default: true")
    total = sum(sum(s.values()) for c, s in manifest["configs"].items() if c != "rejected")
    lines += [
        f"license: {manifest.get('license', 'other')}",
        "task_categories:", "- text-generation",
        "tags:", "- tool-use", "- function-calling", "- synthetic", "- toolmint", f"- {manifest['method']['name']}",
        "size_categories:", f"- {_size_category(total)}",
        f"pretty_name: {manifest['recipe']}",
        "---",
    ]
    return "\n".join(lines) + "\n"


def render(manifest: dict) -> str:
    from builders.chat_templates import TRL_TEMPLATES

    templates = ", ".join(TRL_TEMPLATES)
    configs = manifest["configs"]
    rows = "".join(f"| {c} | {' / '.join(f'{s} {n}' for s, n in sorted(splits.items()))} |\n"
                   for c, splits in configs.items())
    reasons = "".join(f"| {r} | {n} |\n" for r, n in manifest["rejected_by_reason"].items()) or "| — | 0 |\n"
    kept = sum(sum(s.values()) for c, s in configs.items() if c != "rejected")
    judged = kept + sum(configs.get("rejected", {}).values())
    rate = f"{100 * kept / judged:.1f} %" if judged else "—"
    tools = ", ".join(f"`{t['name']}`" for t in manifest["tools"]) or "—"
    settings = ", ".join(f"{k}={v}" for k, v in sorted(manifest["method"]["settings"].items()) if k != "name")
    default = manifest["default_config"]
    return front_matter(manifest) + f"""
# {manifest['recipe']}

Tool-use data built offline by toolmint. {manifest['method'].get('about', '')}
Every tool call ran in a sandbox; every row was judged, and the rows that failed a check are in
`rejected`, each with all its reason codes.

- model: `{manifest['model']}` (sha256 `{manifest['model_sha256']}`){judge_line(manifest)}
- method: `{manifest['method']['name']}` ({settings})
- tools: {tools}
- run: `{manifest['run_hash']}`, recipe seed {manifest['seed']}, toolmint {manifest['toolmint']}
- tokens: {manifest['tokens']['prompt']} prompt, {manifest['tokens']['completion']} generated{batch_line(manifest)}

| config | rows |
| --- | --- |
{rows}
Acceptance: {rate} of judged rows.{calibration_line(manifest)}{coverage_lines(manifest)}{diversity_lines(manifest)}{method_tables(manifest)}

| rejection reason | rows |
| --- | --- |
{reasons}
## Load and query

```python
from datasets import load_dataset
rows = load_dataset("path/or/repo", "{default}", split="train")
```

```
toolmint query . "SELECT messages[1]->>'$.content' AS query FROM {default} LIMIT 5"
```

`messages` and `tools` follow the chat contract of transformers' chat templates (calls carry their
arguments as JSON objects, each call is followed by its result); they are stored with Arrow's JSON
type, which `datasets` reads as `Json` and DuckDB as JSON.

## Chat templates

toolmint's tests render rows of this shape through {templates} (as shipped with TRL) and SmolLM2's own
template, checking that each call's arguments appear as a JSON object and each call is followed by its
result. Known caveats: Llama 3.1 takes one call per assistant turn and prints tool results as quoted
strings; gpt-oss keeps only the first call of a turn; SmolLM2-135M-Instruct's own template ignores
`tools` and `tool_calls` (train it with a tool-aware template).
"""


def write_card(out_dir: Path, manifest: dict) -> None:
    atomic_write_bytes(Path(out_dir) / "README.md", render(manifest).encode())
