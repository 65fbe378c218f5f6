"""One STE episode of one tool: up to Q queries, each imagined (query.py), explored by trial and
error (trial.py), answered (answer.py), reflected on (reflection.py) and filtered (checks.py, then
filtering.py's LLM judge); accepted ones may be paraphrased (paraphrase.py).

The episode's running dialogue is its short-term memory; the tool's long-term memory comes in from
Method.run and gets this episode's queries, with their reflection, at the end. A stateful
environment keeps its state for the episode; a row then carries the earlier turns whose calls made
the state its observation shows, and its group is the episode (they share turns, so a split).
"""

from __future__ import annotations

from dataclasses import asdict

from builders import chat
from builders.llm import Usage
from builders.methods.base import Context, Unit
from builders.methods.ste.answer import write_answer
from builders.methods.ste.checks import CHECKS
from builders.methods.ste.filtering import UNCALIBRATED, assess, earlier_calls, exchange_text
from builders.methods.ste.memory import LongTermMemory, ShortTermMemory, Turn
from builders.methods.ste.paraphrase import paraphrase
from builders.methods.ste.query import imagine_query
from builders.methods.ste.records import Episode, Example
from builders.methods.ste.reflection import reflect
from builders.methods.ste.trial import choose_call, exchange, execute_call, outcome, unparsable
from builders.record import Call
from builders.tools import environment
from builders.tools.spec import Tool


def companions(ctx: Context, tool: Tool) -> list[Tool]:
    """The other methods of a stateful environment: reading a file needs writing one first."""
    if not tool.environment:
        return []
    return [t for t in ctx.tools.values() if t.environment == tool.environment and t.name != tool.name]


class Explorer:
    """The state of one episode: its memories, its environments, its rows so far."""

    def __init__(self, ctx: Context, unit: Unit, long_term: LongTermMemory, produced: dict):
        self.ctx, self.unit, self.long_term, self.produced = ctx, unit, long_term, produced
        self.tool = ctx.tools[unit.data["tool"]]
        self.offered = [self.tool, *companions(ctx, self.tool)]
        self.settings = ctx.settings
        self.short = ShortTermMemory()
        self.calls = environment.Episode(ctx.sandbox)  # stateful environments live as long as the episode
        self.shown = long_term.lines(self.settings["memory_size"]) if self.settings["long_term_memory"] else []
        self.turns: list[tuple[Turn, Example]] = []   # every query of the episode with its row
        self.usage = Usage()

    def on(self, switch: str) -> bool:
        return bool(self.settings.get(switch, True))

    # --- one query ---------------------------------------------------------------------------------

    def explore(self, q: int) -> list[Example]:
        from builders.judge import judge  # builders.judge imports the method registry

        ctx, usage, feedback = self.ctx, Usage(), self.on("execution_feedback")
        seed = self.unit.seed + 1000 * q
        remembered = self.short.summary(feedback, calls=False) if self.on("short_term_memory") else ""
        query, imagined, candidates = imagine_query(ctx, self.tool, self.shown, remembered, seed, usage, self.offered)
        reasons: list[str] = []
        trials: list[Call] = []
        answer, answer_finish = "", ""
        if query is None:
            reasons.append("malformed_output")
        else:
            dialogue = self.short.messages() if self.on("short_term_memory") else []
            earlier = self.short.said(feedback) if self.on("short_term_memory") else []
            for attempt in range(self.settings["max_calls_per_query"]):
                call = choose_call(ctx, self.offered, dialogue, query, trials, seed + attempt + 1, usage, earlier)
                trials.append(unparsable() if call is None else execute_call(ctx, call, self.calls))
                if trials[-1].status == "ok":
                    break
            if trials and trials[-1].status == "ok":
                answer, written, dropped = write_answer(ctx, query, trials[-1], seed + 99, usage, self.offered)
                candidates += dropped
                answer_finish = written.finish_reason if written.parsed else "length"
            else:
                reasons.append(trials[-1].reason or "execution_error")
        turn = Turn(query or "", trials, answer, candidates=candidates)
        reflection, conversation = {}, []
        if query is not None:  # the query's conversation: what the next query's dialogue continues
            conversation = exchange(self.offered, dialogue, query, trials, feedback)
            said = outcome(trials[-1], answer, feedback)
            told = [{"role": "user", "content": said}]
            if self.on("reflection"):  # the outcome then comes with the question, and the reply follows
                reflection, told = reflect(ctx, conversation, said, seed + 98, usage)
                turn.solved, turn.why = reflection["solved"], reflection["why"]
            turn.exchange = [*conversation[1 + len(dialogue):], *told]
        row = self.example(q, turn, imagined.finish_reason, answer_finish, reflection, reasons, usage)
        local = judge(row, CHECKS)
        if local.accepted and self.on("judge"):
            last = trials[-1]
            text = exchange_text(last.name, query, last.arguments, last.observation, answer,
                                 earlier_calls(row.prior_calls))
            verdict, codes = assess(ctx, text, usage, ctx.calibration or UNCALIBRATED)
            row = self.example(q, turn, imagined.finish_reason, answer_finish, reflection, reasons + codes, usage,
                               verdict)
            local = judge(row, CHECKS)
        if query is not None:
            self.short.turns.append(turn)
        self.turns.append((turn, local))
        name = self.tool.name
        self.produced[name] = self.produced.get(name, 0) + local.accepted   # the tool's accepted rows so far
        count, target = self.settings["paraphrases"], self.settings["paraphrase_target"]
        if local.accepted and count and (not target or self.produced[name] < target):
            more = paraphrase(ctx, row, count if not target else min(count, target - self.produced[name]),
                              seed + 96, usage, self.offered)
            self.produced[name] += len(more)
            return [row, *more]
        return [row]

    # --- the row -----------------------------------------------------------------------------------

    def prior(self, last: Call | None) -> tuple[list[dict], list[Call], list[str]]:
        """For a stateful environment: the earlier turns whose calls made the state (messages, calls),
        and a reason when one of them was itself rejected (the row would carry an invalid turn).

        A rejected turn whose calls changed nothing (a read; the sandbox says, `Call.state_changed`)
        left the state as it found it: it is left out rather than poisoning every later row. A file-tools
        run lost 8 of 12 rows to that cascade, mostly reads after a rejected read."""
        if last is None or not (self.ctx.tools.get(last.name) and self.ctx.tools[last.name].environment):
            return [], [], []
        env = self.ctx.tools[last.name].environment
        messages, calls, reasons = [], [], []
        for turn, row in self.turns:  # rows as the checks judged them
            made = [c for c in turn.trials if c.status == "ok" and self.ctx.tools.get(c.name)
                    and self.ctx.tools[c.name].environment == env]
            if not made or not (row.accepted or any(c.state_changed for c in made)):
                continue
            if not row.accepted:
                reasons = ["prior_turn_rejected"]
            messages.append(chat.user(turn.query))
            for i, call in enumerate(made):
                cid = chat.call_id(row.id, "prior", i)
                messages += [chat.tool_call(cid, call.name, call.arguments), chat.tool_result(cid, call.name, call.observation)]
            if turn.answer:
                messages.append(chat.assistant(turn.answer))
            calls += made
        return messages, calls, reasons

    def example(self, q: int, turn: Turn, query_finish: str, answer_finish: str, reflection: dict,
                reasons: list[str], usage: Usage, verdict: dict | None = None) -> Example:
        ctx, unit, tool = self.ctx, self.unit, self.tool
        last = turn.trials[-1] if turn.trials and turn.trials[-1].status == "ok" else None
        row_id = f"{ctx.provenance.get('run_hash', 'local')}-{unit.key}-{q}"
        before, prior_calls, prior_reasons = self.prior(last)
        messages = []
        if turn.query:
            messages = [*before, chat.user(turn.query)]
            if last is not None:
                cid = chat.call_id(row_id, 0)
                messages += [chat.tool_call(cid, last.name, last.arguments), chat.tool_result(cid, last.name, last.observation)]
                if turn.answer:
                    messages.append(chat.assistant(turn.answer))
        stamp = ctx.stamp(unit, "ste")
        # the seed query (or the episode); without the run hash, so a new toolmint version keeps the splits
        stamp["group"] = unit.key if prior_calls or tool.environment else f"{unit.key}/{q}"
        return Example(
            id=row_id, **stamp, reasons=[*reasons, *prior_reasons],
            tool_name=tool.name, tool_version=tool.version, episode=unit.data["episode"], query_index=q,
            query=turn.query, query_finish=query_finish, api_name=last.name if last else "",
            action=last.name if last else "", action_input=last.arguments if last else {},
            observation=last.observation if last else "", final_answer=turn.answer, answer_finish=answer_finish,
            candidates=list(turn.candidates), reflection=reflection, verdict=verdict or {}, messages=messages,
            tools=[chat.tool_entry(t.spec()) for t in self.offered], trials=list(turn.trials), prior_calls=prior_calls,
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            llm_seconds=round(usage.seconds, 4),
        )

    # --- the episode -------------------------------------------------------------------------------

    def record(self, rows: list[Example]) -> Episode:
        steps = [{"row_id": row.id, "query": turn.query, "candidates": turn.candidates,
                  "trials": [asdict(c) for c in turn.trials],
                  "final_answer": turn.answer, "reflection": row.reflection, "verdict": row.verdict,
                  "reasons": row.reasons, "accepted_by_checks": row.accepted} for turn, row in self.turns]
        stamp = self.ctx.stamp(self.unit, "ste")
        return Episode(id=f"{self.ctx.provenance.get('run_hash', 'local')}-{self.unit.key}", **stamp,
                       tool_name=self.tool.name, tool_version=self.tool.version, episode=self.unit.data["episode"],
                       long_term_memory=self.shown, steps=steps,
                       prompt_tokens=sum(r.prompt_tokens for r in rows),
                       completion_tokens=sum(r.completion_tokens for r in rows))


def run_episode(ctx: Context, unit: Unit, long_term: LongTermMemory | None = None,
                produced: dict | None = None) -> list:
    """The episode's Example rows (seeds and paraphrases) and, last, its Episode record. Its queries
    enter `long_term` at the end, labelled by reflection."""
    long_term = long_term if long_term is not None else LongTermMemory()
    explorer = Explorer(ctx, unit, long_term, produced if produced is not None else {})
    rows = [row for q in range(ctx.settings["queries_per_episode"]) for row in explorer.explore(q)]
    for turn, _ in explorer.turns:
        long_term.add(turn.query, turn.solved)
    return [*rows, explorer.record(rows)]
