"""llama.cpp's own generation rate, no pipeline: N sequences in one context (`n_seq_max` = N,
`kv_unified=False`), each a short prompt evaluated alone, then one `llama_decode` per step holding
the next token of every sequence, greedy (argmax of the logits). N = 1 is the single-stream rate.
This is the ceiling the pipeline's batching engine is measured against (bench_batching.py)."""

from __future__ import annotations

import ctypes
import time

PROMPT = ("You are a helpful assistant. Write a short story about a lighthouse keeper who finds a "
          "message in a bottle, in plain sentences, with a beginning, a middle and an end.")


def raw_rate(model_path: str, sequences: int, threads: int, steps: int = 96, n_ctx: int = 512) -> dict:
    """Generated tokens/s over `steps` steps of `sequences` sequences (prompts not counted)."""
    import llama_cpp
    import numpy as np
    from llama_cpp import Llama
    from llama_cpp._internals import LlamaBatch, LlamaContext

    from builders.llm.engine import _quiet_stderr

    with _quiet_stderr():
        llama = Llama(model_path=model_path, n_ctx=64, n_batch=64, n_threads=threads, n_threads_batch=threads,
                      verbose=False)
        params = llama_cpp.llama_context_params.from_buffer_copy(llama.context_params)
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx * sequences, 512, 512
        params.n_seq_max, params.kv_unified = sequences, False
        params.n_threads = params.n_threads_batch = threads
        ctx = LlamaContext(model=llama._model, params=params, verbose=False)
        batch = LlamaBatch(n_tokens=512, embd=0, n_seq_max=1, verbose=False)
    vocab = llama.n_vocab()
    b = batch.batch
    prompt = llama.tokenize(PROMPT.encode())
    last = []
    for seq in range(sequences):  # each prompt alone; a different last token so the sequences differ
        tokens = prompt + [prompt[seq % len(prompt)]]
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.seq_id[i][0], b.n_seq_id[i], b.logits[i] = t, i, seq, 1, i == len(tokens) - 1
        b.n_tokens = len(tokens)
        assert llama_cpp.llama_decode(ctx.ctx, b) == 0
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, len(tokens) - 1), shape=(vocab,))
        last.append(int(logits.argmax()))
    pos = len(prompt) + 1
    start = time.perf_counter()
    for step in range(steps):
        for seq, token in enumerate(last):
            b.token[seq], b.pos[seq], b.seq_id[seq][0], b.n_seq_id[seq], b.logits[seq] = token, pos + step, seq, 1, True
        b.n_tokens = sequences
        assert llama_cpp.llama_decode(ctx.ctx, b) == 0
        for seq in range(sequences):
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, seq), shape=(vocab,))
            last[seq] = int(logits.argmax())
    seconds = time.perf_counter() - start
    del ctx, batch, llama
    _ = ctypes  # (kept for readers: the batch fields are ctypes arrays)
    return {"sequences": sequences, "threads": threads, "tokens": steps * sequences, "seconds": seconds,
            "tok_s": steps * sequences / seconds}


def prompt_rate(model_path: str, threads: int, tokens: int = 512, repeats: int = 3) -> dict:
    """Prompt tokens/s: one chunk of `tokens` evaluated alone into an empty sequence, as the batching
    engine evaluates a prompt (best of `repeats`). On a CPU this is compute-bound, so it caps any
    pipeline whose prompts are most of its work, however many sequences share a generation step."""
    import llama_cpp
    from llama_cpp import Llama
    from llama_cpp._internals import LlamaBatch, LlamaContext

    from builders.llm.engine import _quiet_stderr

    with _quiet_stderr():
        llama = Llama(model_path=model_path, n_ctx=64, n_batch=64, n_threads=threads, n_threads_batch=threads,
                      verbose=False)
        params = llama_cpp.llama_context_params.from_buffer_copy(llama.context_params)
        params.n_ctx, params.n_batch, params.n_ubatch = 2 * tokens, tokens, tokens
        params.n_threads = params.n_threads_batch = threads
        ctx = LlamaContext(model=llama._model, params=params, verbose=False)
        batch = LlamaBatch(n_tokens=tokens, embd=0, n_seq_max=1, verbose=False)
    text = llama.tokenize((PROMPT + " ") .encode() * (tokens // 20 + 1))[:tokens]
    b = batch.batch
    best = float("inf")
    for _ in range(repeats):
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(ctx.ctx), 0, 0, -1)
        for i, t in enumerate(text):
            b.token[i], b.pos[i], b.seq_id[i][0], b.n_seq_id[i], b.logits[i] = t, i, 0, 1, i == len(text) - 1
        b.n_tokens = len(text)
        start = time.perf_counter()
        assert llama_cpp.llama_decode(ctx.ctx, b) == 0
        best = min(best, time.perf_counter() - start)
    del ctx, batch, llama
    return {"threads": threads, "tokens": len(text), "seconds": best, "tok_s": len(text) / best}
