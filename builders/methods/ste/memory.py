"""STE's two memories.

Long-term memory: the queries of a tool's earlier episodes, each with whether it was solved
(`Query: … | Solved: Yes/No`, from self-reflection), shown to imagination so that it explores new
uses. It lives as long as the tool's group of episodes (Method.run), which run in order.

Short-term memory: the episode's running dialogue — each earlier query with its calls, observations,
answer and self-reflection, exactly as the model saw and wrote them — given to later queries of the
same episode as chat turns; each query's call prompt continues it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from builders.record import Call

SHOWN_CHARS = 240


@dataclass
class LongTermMemory:
    entries: list[tuple[str, bool | None]] = field(default_factory=list)

    def add(self, query: str, solved: bool | None) -> None:
        if query:
            self.entries.append((query, solved))

    def lines(self, size: int) -> list[str]:
        """The latest `size` entries as STE writes them; without reflection, no Solved part."""
        shown = self.entries[-size:] if size else []
        return [f"Query: {q}" + ("" if s is None else f" | Solved: {'Yes' if s else 'No'}") for q, s in shown]


@dataclass
class Turn:
    """One query of the episode as the dialogue keeps it."""
    query: str
    trials: list[Call]
    answer: str = ""
    solved: bool | None = None
    why: str = ""
    candidates: list = field(default_factory=list)  # best of n: what was sampled and discarded
    exchange: list[dict] = field(default_factory=list)  # its messages in the episode's dialogue


def call_text(call: Call) -> str:
    return json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)


@dataclass
class ShortTermMemory:
    turns: list[Turn] = field(default_factory=list)

    def messages(self, last: int = 3) -> list[dict]:
        """The latest turns as the chat went: the request, each call and what came back, the answer
        and the reflection (without execution feedback, results were not shown and are not now)."""
        return [m for turn in self.turns[-last:] for m in turn.exchange]

    def said(self, feedback: bool, last: int = 3) -> list[str]:
        """The latest turns' requests and, with execution feedback, their calls' results."""
        out = []
        for turn in self.turns[-last:]:
            out.append(turn.query)
            out += [c.observation[:SHOWN_CHARS] for c in turn.trials if feedback and c.status == "ok"]
        return out

    def summary(self, feedback: bool, last: int = 3, calls: bool = True) -> str:
        """The same turns as text, for imagination. Without `calls`, only the words: a 135M model shown
        the calls' JSON imagines requests about JSON."""
        lines = []
        for turn in self.turns[-last:]:
            lines.append(f"User: {turn.query}")
            for call in turn.trials if calls else ():
                lines.append(f"Call: {call_text(call)}")
                if feedback:
                    lines.append(f"{'Result' if call.status == 'ok' else 'Error'}: {call.observation[:SHOWN_CHARS]}")
            if turn.answer:
                lines.append(f"Answer: {turn.answer}")
            if turn.solved is not None:
                lines.append(f"Solved: {'Yes' if turn.solved else 'No'}")
        return "\n".join(lines)
