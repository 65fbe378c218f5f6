"""STE's recipe section (defaults are written here and nowhere else) and its sampling settings.

The five switches are the paper's ablations (Wang et al. 2024, table 4); every row records them
in `switches`, so rows made with a mechanism off can be told apart from the full method's.
"""

SECTION = {
    "episodes": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 3,
                 "description": "exploration episodes per tool (paper: 15); a tool's episodes run in order"},
    "memory_chains": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 1000}, {"const": "auto"}],
                      "default": "auto",
                      "description": "independent long-term memory chains per tool: episode i joins chain i mod n, "
                                     "and chains run at once (1: the paper's single chain per tool; auto: enough "
                                     "chains for 16 at once over all tools, each of at least 3 episodes where "
                                     "the tool has them)"},
    "queries_per_episode": {"type": "integer", "minimum": 1, "maximum": 100, "default": 3,
                            "description": "imagined queries per episode (paper: 4); later ones see earlier ones"},
    "max_calls_per_query": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3,
                            "description": "calls per query (paper: 4): a failed call is retried from its error"},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 1.0,
                    "description": "sampling temperature of imagination (exploration)"},
    "call_temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.2,
                         "description": "sampling temperature of calls, answers and paraphrases"},
    "max_tokens": {"type": "integer", "minimum": 16, "maximum": 4096, "default": 160,
                   "description": "token limit of each generation"},
    "memory_size": {"type": "integer", "minimum": 0, "maximum": 200, "default": 12,
                    "description": "long-term memory entries shown to imagination (the latest ones)"},
    "candidates": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3,
                   "description": "best of n: up to n queries and n answers are sampled, the first that passes "
                                  "the checks is kept; the others are recorded in the row's `candidates`"},
    "grounding": {"type": "boolean", "default": True,
                  "description": "grammars copy argument values from the query and make the answer state a "
                                 "value of the result, with no number from elsewhere (builders/methods/grounding.py)"},
    "answer_grammar": {"enum": ["closed", "open", "free"], "default": "free",
                       "description": "with grounding, the answer's grammar: free (a plain sentence; the checks "
                                      "judge it), open (any words around a key value of the result), closed (a "
                                      "closed vocabulary around it, for a 135M model). Measured with "
                                      "Qwen2.5-Coder-1.5B (benchmarks/bench_answers.py): free 16 of 16 answers "
                                      "right, open 12, closed 9"},
    "execution_feedback": {"type": "boolean", "default": True,
                           "description": "the model sees results and errors of its calls (ablation: off)"},
    "short_term_memory": {"type": "boolean", "default": True,
                          "description": "later queries of an episode see the earlier dialogue (ablation: off)"},
    "long_term_memory": {"type": "boolean", "default": True,
                         "description": "imagination sees earlier episodes' queries, solved or not (ablation: off)"},
    "reflection": {"type": "boolean", "default": True,
                   "description": "after each query the model judges whether it was solved (ablation: off)"},
    "judge": {"type": "boolean", "default": True,
              "description": "an LLM answers STE's three filtering questions (ablation: off)"},
    "paraphrases": {"type": "integer", "minimum": 0, "maximum": 20, "default": 0,
                    "description": "at most this many paraphrases of each accepted query (paper: 6)"},
    "paraphrase_target": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 0,
                          "description": "stop paraphrasing a tool at this many rows (0: no target; paper: 150)"},
    "replay_from": {"type": "string", "default": "",
                    "description": "an earlier dataset folder whose ste_sft rows are replayed (continual learning)"},
    "replay_fraction": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.1,
                        "description": "share of the earlier dataset's ste_sft rows replayed"},
    "test_fraction": {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0,
                      "description": "share of seed queries whose rows (paraphrases too) go to the test split"},
}

FILL = 16  # `memory_chains: auto` makes up to this many chains over all tools: what one context batches on 2 cores
CHAIN_EPISODES = 3  # auto keeps at least this many episodes in a chain, where a tool has them


def memory_chains(setting, tools: int, episodes: int) -> int:
    """Chains per tool. From the recipe alone (never the machine), so a run's rows are the same anywhere.

    auto: enough chains to fill the batch, but each keeps at least CHAIN_EPISODES episodes: with
    6 tools of 5 episodes, filling the batch alone gave 3 chains of 1–2 episodes, and long-term memory
    (the chain's earlier episodes) was almost unused. Long-term memory wins over batching here."""
    if setting != "auto":
        return min(setting, episodes)
    return max(1, min(-(-FILL // max(1, tools)), episodes // CHAIN_EPISODES))


SWITCHES = ("execution_feedback", "short_term_memory", "long_term_memory", "reflection", "judge")


def explore(ctx) -> dict:
    """Sampling for imagination: diverse."""
    return {"temperature": ctx.settings["temperature"], "max_tokens": ctx.settings["max_tokens"]}


def exploit(ctx) -> dict:
    """Sampling for calls, answers and paraphrases: close to the model's best guess."""
    return {"temperature": ctx.settings["call_temperature"], "max_tokens": ctx.settings["max_tokens"]}


def decide(ctx) -> dict:
    """Sampling for reflection and judging: deterministic, short."""
    return {"temperature": 0.0, "max_tokens": 80}


sampling = explore  # the name the older stages used
