"""The figures of one CREATOR run from its dataset folder: accuracy at the first execution and after
rectification (and best-of-n), rounds and candidates, rejection reasons, library size, reuse; with
ablations, the card's accuracy-per-category and ablation tables (the full method's rows are the
ones counted above).

    python benchmarks/creator/report.py output/creator [--show N]   # N: print N correct trajectories
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os

import pyarrow.parquet as pq


def _rows(folder: str, config: str) -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(folder, config, "*.parquet"))):
        out += pq.read_table(path).to_pylist()
    return out


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def creator_rows(folder: str, kinds=("creator",)) -> list[dict]:
    """Rows of the `creator` config (and `ablation`'s, in `kinds`), accepted and rejected."""
    rows = [dict(r, accepted=True, variant=r.get("variant", "")) for k in kinds for r in _rows(folder, k)]
    for r in _rows(folder, "rejected"):
        if r.get("kind") in kinds:
            record = _json(r["record"])
            rows.append(dict(record, accepted=False, reasons=list(r["reasons"]), variant=record.get("variant", "")))
    for r in rows:
        r["attempts"] = [_json(a) for a in r["attempts"]]
    return sorted(rows, key=lambda r: (r["variant"], r["problem_id"]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--show", type=int, default=0)
    a = ap.parse_args(argv)
    rows = creator_rows(a.folder)
    n = len(rows)
    if not n:
        raise SystemExit(f"{a.folder}: no creator rows")

    from builders.methods.creator import ablation
    c1 = sum(ablation.first_try_correct(r) for r in rows)
    correct = sum(r["correct"] for r in rows)
    accepted = sum(r["accepted"] for r in rows)
    print(f"problems {n}; correct at the first execution {c1}/{n}; correct in the end {correct}/{n}; "
          f"accepted {accepted}/{n}")
    print("rounds:", dict(sorted(collections.Counter(r["rounds"] for r in rows).items())))
    print("tools tried (candidates):",
          dict(sorted(collections.Counter(1 + max([x.get("candidate", 0) for x in r["attempts"]] or [0])
                                          for r in rows).items())))
    print("reused:", dict(collections.Counter(r["reused"] for r in rows)),
          "correct with a reused tool:", sum(1 for r in rows if r["correct"] and r["reused"] != "created"))
    print("rejections:", dict(collections.Counter(x for r in rows if not r["accepted"] for x in r["reasons"])
                              .most_common()))
    print("attempt statuses:", dict(collections.Counter(x["status"] for r in rows for x in r["attempts"])))
    print("by category (correct/n):", {c: f"{sum(r['correct'] for r in rows if r['category'] == c)}/"
                                          f"{sum(1 for r in rows if r['category'] == c)}"
                                       for c in sorted({r["category"] for r in rows})})
    every = creator_rows(a.folder, ("creator", "ablation"))
    fig = ablation.figures(every, ablation.ordered({r["variant"] for r in every if r["variant"]}))
    for t in ablation.tables(fig):
        print(f"\n{t['title']}:\n")
        print("| " + " | ".join(t["columns"]) + " |\n| " + " | ".join("---" for _ in t["columns"]) + " |")
        print("\n".join("| " + " | ".join(row) + " |" for row in t["rows"]) + "\n")
    tools = _rows(a.folder, "tools")
    distinct = sum(len(t.get("variants") or [t["ast_hash"]]) for t in tools)
    print("library:", len(tools), "tools after behavioural dedup,", distinct, "by AST hash;",
          [t["name"] for t in tools])
    print("tokens: prompt", sum(r["prompt_tokens"] for r in rows), "generated", sum(r["completion_tokens"] for r in rows),
          "model s", round(sum(r["llm_seconds"] for r in rows), 1))
    shown = 0
    for r in rows:
        if r["accepted"] and shown < a.show:
            shown += 1
            print(f"\n--- {r['problem_id']} (gold {r['gold']}; answer {r['final_answer']} "
                  f"(printed {r.get('printed_answer', '')}); rounds {r['rounds']}; "
                  f"reused {r['reused']})\n{r['question']}\n\n{r['tool_code']}\n{r['decision_code']}")
            print(json.dumps([_json(m) for m in r["messages"]], ensure_ascii=False)[:900])


if __name__ == "__main__":
    main()
