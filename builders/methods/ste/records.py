"""STE's row kind: one imagined query, its trials and its answer."""

from __future__ import annotations

from dataclasses import dataclass

from builders.record import Call, Json, Record, column


@dataclass(frozen=True, kw_only=True)
class Example(Record):
    """A fine-tuning example of STE: query → call → observation → answer, in the chat contract and in
    STE's own fields. Failed attempts before the successful call stay in `trials`."""

    config = "ste_sft"
    accepted_schema = {"query": {"minLength": 1}, "action": {"minLength": 1}, "final_answer": {"minLength": 1},
                       "messages": {"minItems": 4}, "trials": {"minItems": 1}, "reasons": {"maxItems": 0}}

    tool_name: str = column("the tool the episode explored", minLength=1)
    tool_version: str = column("its version", default="")
    episode: int = column("the episode's index for this tool", default=0, minimum=0)
    query_index: int = column("the query's index in its episode", default=0, minimum=0)
    query: str = column("the imagined user query", default="")
    action: str = column("the tool of the successful call", default="")
    action_input: Json = column("its arguments, a JSON object", default_factory=dict)
    observation: str = column("its result as the model saw it", default="")
    final_answer: str = column("the answer to the user", default="")
    messages: list[Json] = column("the example in the chat contract (docs/dataset.md)", default_factory=list)
    tools: list[Json] = column("the tools offered, as the chat contract's `tools`", default_factory=list)
    trials: list[Call] = column("every call made for the query, in order", default_factory=list)
    prompt_tokens: int = column("prompt tokens of the LLM calls that made the row", default=0, minimum=0)
    completion_tokens: int = column("generated tokens of those calls", default=0, minimum=0)
    llm_seconds: float = column("time spent in the model", default=0.0, minimum=0)

    def path_calls(self) -> list[Call]:
        return [self.trials[-1]] if self.action and self.trials else []
