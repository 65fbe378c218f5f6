"""The per-process runtime with the real model: a recipe's judge_model is an engine of its own, with
its own KV cache and its own chain in the LLM-call cache."""

from builders.run.runtime import RuntimeSpec, local_runtime


def test_a_judge_model_loads_as_its_own_engine(model_path, tmp_path):
    judge = RuntimeSpec(model_path=model_path, n_ctx=1024, n_threads=1, llm_cache=str(tmp_path / "calls.sqlite"))
    spec = RuntimeSpec(model_path=model_path, n_ctx=2048, n_threads=1, judge=judge,
                       llm_cache=str(tmp_path / "calls.sqlite"))
    runtime = local_runtime(spec)
    assert runtime.judge is not None and runtime.judge.engine is not runtime.engine.engine
    assert runtime.judge.engine.llama.n_ctx() == 1024 and runtime.engine.engine.llama.n_ctx() == 2048
    out = runtime.judge.chat_json([{"role": "user", "content": "Is 2 a number? Answer yes or no."}],
                                  {"type": "object", "properties": {"ok": {"enum": ["yes", "no"]}}, "required": ["ok"]},
                                  temperature=0, max_tokens=20)
    assert out.value["ok"] in ("yes", "no")
    assert runtime.judge.model_key != "" and runtime.judge.misses == 1 and runtime.engine.misses == 0
    assert local_runtime(RuntimeSpec(model_path=model_path, n_threads=1)).judge is None
