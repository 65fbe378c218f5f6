"""STE's row kinds: fine-tuning examples (ste_sft), whole exploration episodes (ste_explore) and
the in-context example bank (ste_icl)."""

from __future__ import annotations

from dataclasses import dataclass

from builders.record import Call, Json, Record, column


@dataclass(frozen=True, kw_only=True)
class Example(Record):
    """A fine-tuning example of STE: query → call → observation → answer, in the chat contract and in
    STE's own fields. Failed attempts before the successful call stay in `trials`. `group` is the
    seed query's id, so a seed and its paraphrases always share a split."""

    config = "ste_sft"
    request = "query"  # the run's dedup stage compares these (builders/run/dedup.py)
    accepted_schema = {"query": {"minLength": 1}, "action": {"minLength": 1}, "final_answer": {"minLength": 1},
                       "messages": {"minItems": 4}, "trials": {"minItems": 1}, "reasons": {"maxItems": 0}}

    tool_name: str = column("the tool the episode explored", minLength=1)
    tool_version: str = column("its version", default="")
    episode: int = column("the episode's index for this tool", default=0, minimum=0)
    query_index: int = column("the query's index in its episode", default=0, minimum=0)
    query: str = column("the imagined user query (or its paraphrase)", default="")
    query_finish: str = column("why the query's generation stopped: stop, or length (cut off)", default="")
    paraphrase_of: str = column("the seed row's id when this row is a paraphrase of it; empty for a seed", default="")
    api_name: str = column("STE's name for the tool of the successful call", default="")
    action: str = column("the tool of the successful call", default="")
    action_input: Json = column("its arguments, a JSON object", default_factory=dict)
    observation: str = column("its result as the model saw it", default="")
    final_answer: str = column("the answer to the user", default="")
    answer_finish: str = column("why the answer's generation stopped: stop, or length (cut off)", default="")
    candidates: list[Json] = column("best of n: queries and answers sampled and discarded before the kept one, "
                                    "{stage, text, reasons}", default_factory=list)
    reflection: Json = column("the model's self-reflection: {solved: bool, why}; {} when switched off",
                              default_factory=dict)
    verdict: Json = column("the LLM judge's answers to STE's three questions; {} when not asked",
                           default_factory=dict)
    messages: list[Json] = column("the example in the chat contract (docs/dataset.md)", default_factory=list)
    tools: list[Json] = column("the tools offered, as the chat contract's `tools`", default_factory=list)
    trials: list[Call] = column("every call made for the query, in order", default_factory=list)
    prior_calls: list[Call] = column("earlier calls of the episode on the same stateful environment: the "
                                     "state the observation shows; they are in `messages`", default_factory=list)
    replayed_from: str = column("the earlier dataset this row was replayed from (continual learning)", default="")
    prompt_tokens: int = column("prompt tokens of the LLM calls that made the row", default=0, minimum=0)
    completion_tokens: int = column("generated tokens of those calls", default=0, minimum=0)
    llm_seconds: float = column("time spent in the model", default=0.0, minimum=0)

    def path_calls(self) -> list[Call]:
        return [*self.prior_calls, self.trials[-1]] if self.action and self.trials else list(self.prior_calls)


@dataclass(frozen=True, kw_only=True)
class Episode(Record):
    """One exploration episode, whole: what imagination was shown from long-term memory, and every
    query with its calls, observations, answer and reflection, accepted or not. For analysis."""

    config = "ste_explore"

    tool_name: str = column("the tool explored", minLength=1)
    tool_version: str = column("its version", default="")
    episode: int = column("the episode's index for this tool", default=0, minimum=0)
    long_term_memory: list[str] = column("the `Query: … | Solved: Yes/No` lines imagination was shown",
                                         default_factory=list)
    steps: list[Json] = column("each query: {row_id, query, trials, final_answer, reflection, verdict, reasons}",
                               default_factory=list)
    prompt_tokens: int = column("prompt tokens of the episode", default=0, minimum=0)
    completion_tokens: int = column("generated tokens of the episode", default=0, minimum=0)


@dataclass(frozen=True, kw_only=True)
class Demonstration(Record):
    """An in-context example: an accepted example with its retrieval key (BM25 terms of the query).
    `builders.methods.ste.icl.nearest` returns the k nearest for a new query."""

    config = "ste_icl"

    source_id: str = column("the ste_sft row it was made from", minLength=1)
    api_name: str = column("the tool it demonstrates", minLength=1)
    query: str = column("the user query", minLength=1)
    key: list[str] = column("BM25 terms of the query (lower-cased words, stop words removed)", minItems=1)
    demonstration: str = column("the example as prompt text: Query / Action / Action Input / Observation / "
                                "Final Answer", minLength=1)
    messages: list[Json] = column("the example in the chat contract", default_factory=list)
