"""The batching engine on the embedded model: several threads at once get what each would get alone
(the test that catches crossed sequences), grammar-valid JSON, and KV prefix reuse per slot."""

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from builders.llm.batch import BatchEngine
from builders.llm import Engine

pytestmark = pytest.mark.model

BOOKING = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                           "nights": {"type": "integer", "minimum": 1, "maximum": 14}},
           "required": ["city", "nights"], "additionalProperties": False}
CALLS = [  # prompts of different lengths, JSON and free text, so sequences start and stop at different steps
    ([{"role": "user", "content": "Plan a trip to a city you like. Reply in JSON."}], BOOKING),
    ([{"role": "user", "content": "Write a haiku about rain."}], None),
    ([{"role": "system", "content": "You are a travel agent. Be brief."},
      {"role": "user", "content": "Book two nights in Lisbon for me, as JSON."}], BOOKING),
    ([{"role": "user", "content": "Name three rivers in Europe and say why each matters."}], None),
]


@pytest.fixture(scope="module")
def batcher(model_path):
    return BatchEngine(model_path, n_threads=2, sequences=4)


def ask(engine, call, forget=True, **kw):
    messages, schema = call
    if forget:
        engine.forget_prefix()
    if schema is None:
        return engine.chat(messages, max_tokens=48, **kw)
    return engine.chat_json(messages, schema, max_tokens=48, **kw)


def at_once(engine, calls, forget=True, **kw):
    """Every call on its own thread, released together."""
    gate = threading.Barrier(len(calls))

    def one(call):
        gate.wait()
        return ask(engine, call, forget, **kw)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_threads_at_once_get_what_each_prompt_gives_alone(batcher):
    alone = [ask(batcher, call, temperature=0) for call in CALLS]
    together = at_once(batcher, CALLS, temperature=0)
    assert batcher.widest == len(CALLS)  # the four sequences really shared generation steps
    assert [c.text for c in together] == [c.text for c in alone]
    assert len({c.text for c in together}) == len(CALLS)
    for completion, (_, schema) in zip(together, CALLS):
        assert completion.completion_tokens > 0 and completion.cached_tokens == 0
        if schema is not None and completion.finish_reason == "stop":
            jsonschema.validate(completion.value, schema)


def test_sampling_template_and_seeds_are_those_of_the_plain_engine(batcher, model_path):
    plain = Engine(model_path, n_threads=2)
    for seed in (1, 2):
        together = at_once(batcher, CALLS, temperature=0.8, seed=seed)
        for call, got in zip(CALLS, together):
            want = ask(plain, call, temperature=0.8, seed=seed)
            assert (got.text, got.prompt_tokens, got.completion_tokens, got.finish_reason, got.decode_steps) == \
                   (want.text, want.prompt_tokens, want.completion_tokens, want.finish_reason, want.decode_steps)
            assert want.step_share == want.decode_steps  # the plain engine decodes one sequence a step


def test_each_thread_keeps_its_own_prompt_prefix(batcher):
    system = {"role": "system", "content": "You answer questions about geography in one short sentence. " * 6}

    def thread(topic, out):
        first = batcher.chat([system, {"role": "user", "content": f"Where is {topic}?"}], temperature=0, max_tokens=8)
        out.append(first)
        gate.wait()  # both first calls are done before either second one: the other slot changed meanwhile
        out.append(batcher.chat([system, {"role": "user", "content": f"How big is {topic}?"}], temperature=0, max_tokens=8))
        batcher.forget_prefix()
        out.append(batcher.chat([system, {"role": "user", "content": f"How old is {topic}?"}], temperature=0, max_tokens=8))

    gate = threading.Barrier(2)
    results = {"Peru": [], "Oslo": []}
    threads = [threading.Thread(target=thread, args=(t, results[t])) for t in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for first, second, cold in results.values():
        assert first.cached_tokens == 0
        assert second.cached_tokens > 50  # the system message and its own earlier turn's start
        assert cold.cached_tokens == 0


def test_more_threads_than_sequences_take_turns(model_path):
    small = BatchEngine(model_path, n_threads=2, sequences=2)
    alone = [ask(small, call, temperature=0) for call in CALLS[:3]]
    together = at_once(small, CALLS[:3], forget=False, temperature=0)
    assert [c.text for c in together] == [c.text for c in alone]
    assert [c.cached_tokens for c in together] == [0, 0, 0]  # a slot another thread used starts empty


def test_a_slot_starts_from_its_stored_prefix_as_the_plain_engine_does(batcher, model_path):
    """Three calls on one thread: A, an unrelated B, then C sharing A's long beginning. C starts from
    A's stored KV (builders/llm/prefixes.py) in the slot and in the plain engine alike, with the same text."""
    docs = {"role": "system", "content": "You answer questions about geography in one short sentence. " * 6}
    other = {"role": "system", "content": "You write short poems about the sea and the wind. " * 6}
    history = [[docs, {"role": "user", "content": "Where is Peru?"}], [other, {"role": "user", "content": "A poem."}],
               [docs, {"role": "user", "content": "How big is Peru?"}]]

    def run(engine):
        engine.forget_prefix()
        return [engine.chat(messages, temperature=0.8, seed=3, max_tokens=12) for messages in history]

    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(run, batcher).result()
    want = run(Engine(model_path, n_threads=2))
    assert got[2].cached_tokens > 60 and got[2].cached_tokens == want[2].cached_tokens
    assert [c.text for c in got] == [c.text for c in want]


def test_pinned_prefixes_and_gbnf_grammars_give_the_plain_engines_text(batcher, model_path):
    """A CREATOR-like call (a GBNF grammar, its first worked exchange pinned) on two threads at once,
    each after forgetting its slot: the pin is evaluated once for both slots, and each text is the
    plain engine's."""
    shot = [{"role": "user", "content": "Write a Python function that doubles a number. " * 4},
            {"role": "assistant", "content": "def double(x: float) -> float:\n    return 2 * x"}]
    gbnf = 'root ::= "def " [a-z_]{2,16} "(" [a-z]{1,8} ": float) -> float:\\n    return " [a-z0-9 *+()-]{1,30}'
    tasks = ["halves a number", "squares a number"]

    def call(engine, task):
        engine.forget_prefix()
        return engine.chat([*shot, {"role": "user", "content": f"Write a Python function that {task}."}],
                           grammar=gbnf, temperature=0.8, seed=5, max_tokens=40, pin=len(shot))

    batcher.pins.states.clear()
    evaluated = batcher.pins.evaluated
    gate = threading.Barrier(2)

    def one(task):
        gate.wait()
        return call(batcher, task)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(one, tasks))
    plain = Engine(model_path, n_threads=2)
    want = [call(plain, task) for task in tasks]
    assert batcher.pins.evaluated == evaluated + 1 and plain.pins.evaluated == 1
    assert [c.text for c in got] == [c.text for c in want]
    assert all(c.text.startswith("def ") for c in got)
    assert sorted(c.cached_tokens for c in got) == sorted(c.cached_tokens for c in want)
    assert max(c.cached_tokens for c in got) > 40


def test_a_slot_puts_its_own_replies_back_as_generated_as_the_plain_engine_does(batcher, model_path):
    """A conversation that continues after a grammar-constrained reply: the slot's prompt holds the
    reply's generated tokens (builders/llm/prefixes.py, `Replies`), as `Engine`'s does: same texts, same
    cache use."""
    from tests.test_prefixes import conversation

    def run(engine):
        engine.forget_prefix()
        return conversation(engine)

    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(run, batcher).result()
    want = run(Engine(model_path, n_threads=2))
    assert [c.text for c in got] == [c.text for c in want]
    assert got[1].cached_tokens == want[1].cached_tokens == got[0].prompt_tokens + got[0].completion_tokens


def test_prompts_waiting_together_are_all_read_before_the_next_generation_step(model_path):
    """Four requests that arrive while the driver waits: each prompt is evaluated (alone) in the
    same step, so every generation step holds all four until one ends. With one prompt per step the
    first steps would hold 1, 2, 3 sequences and the same tokens would take three more steps."""
    import time

    from builders.llm.batch import _Request
    from builders.llm.engine import prompt_of

    engine = BatchEngine(model_path, n_threads=2, sequences=4)
    requests = []
    for messages, _ in CALLS:
        prompt, stop = prompt_of(engine.llama, messages)
        requests.append(_Request(prompt, stop, 12, engine._sampler(0.0, 0, None), time.perf_counter()))
    with engine._cv:  # all four land before the driver's next look
        for slot, request in zip(engine.slots, requests):
            slot.forget, slot.request = True, request
        engine._cv.notify_all()
    for request in requests:  # the driver frees each sampler when its request ends
        assert request.done.wait(120) and request.error is None
    # a request's first token comes from its prompt's decode; each generation step adds one more
    steps = [len(r.generated) - (r.finish_reason == "length") for r in requests]
    assert engine.steps == max(steps)
    assert engine.stepped == sum(steps)
    assert engine.widest == len(CALLS)
    # each request's part of the steps (what a partition's manifest figures sum): they add up to the engine's
    assert [r.steps for r in requests] == steps
    assert sum(r.share for r in requests) == pytest.approx(engine.steps)


STORY = [{"role": "user", "content": "Write a long story about a dragon, at least 1000 words."}]  # greedy: runs to any max_tokens


def interrupt_when_generating(engine, thread, tokens: int = 4) -> list:
    """Send SIGINT to `thread` (the main thread: Ctrl-C) once its request has generated `tokens`
    tokens; the list it returns gets that request."""
    import signal
    import time

    given_up = []

    def watch():
        for _ in range(60_000):  # gives up after about two minutes rather than hang the suite
            mine = [s.request for s in engine.slots if s.owner is thread and s.request is not None]
            if mine and len(mine[0].generated) >= tokens:
                given_up.append(mine[0])
                signal.pthread_kill(thread.ident, signal.SIGINT)
                return
            time.sleep(0.002)

    threading.Thread(target=watch, daemon=True).start()
    return given_up


def test_a_call_given_up_mid_generation_frees_its_slot_and_the_others_finish_as_alone(model_path):
    """Ctrl-C while the main thread waits on a long generation batched with two other threads' calls:
    its request is dropped at once (not decoded to its end for nobody), its sequence is emptied and
    its slot freed; the others finish with the text each gives alone, and the engine serves new
    callers on every slot afterwards, the interrupted thread among them."""
    engine = BatchEngine(model_path, n_threads=2, sequences=3)
    others = [CALLS[1], CALLS[3]]
    alone = [ask(engine, call, temperature=0).text for call in others]
    main = threading.main_thread()
    assert threading.current_thread() is main  # only the main thread gets KeyboardInterrupt
    gate = threading.Barrier(3)

    def other(call):
        gate.wait()
        return ask(engine, call, temperature=0)

    # Ctrl-C must raise KeyboardInterrupt whatever an earlier test of the session installed; and the
    # interrupted call is long (300 tokens, about 15 s) so a watcher starved of the GIL for a while still
    # catches it mid-generation (a 69-token call once finished first in a full-suite run)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(other, call) for call in others]
            given_up = interrupt_when_generating(engine, main)
            gate.wait()
            with pytest.raises(KeyboardInterrupt):
                reply = engine.chat(STORY, temperature=0, max_tokens=300)
                pytest.fail(f"the call ended ({reply.finish_reason}, {reply.completion_tokens} tokens) before the watcher interrupted it")
            together = [f.result().text for f in futures]
    finally:
        signal.signal(signal.SIGINT, handler)
    [request] = given_up
    assert request.done.wait(60) and request.finish_reason == "cancelled"
    assert together == alone
    freed = next(s for s in engine.slots if s.request is None and s.owner is None and not s.tokens)
    assert freed.forget  # its KV sequence was emptied; the next thread to take it starts cold

    assert ask(engine, others[0], temperature=0).text == alone[0]  # the interrupted thread calls again
    want = [ask(engine, call, temperature=0).text for call in CALLS[:3]]
    assert [c.text for c in at_once(engine, CALLS[:3], temperature=0)] == want  # three new threads, three slots
    assert all(s.request is None for s in engine.slots)


def test_each_call_is_charged_its_own_share_of_the_models_time(batcher):
    """Four callers at once: each call's prompt time and its share of the shared generation steps
    fit inside its own wall time, and together inside the driver's, which one thread spends (charging
    every caller a whole shared step would count it four times)."""
    import time

    start = time.perf_counter()
    together = at_once(batcher, CALLS, temperature=0)
    wall = time.perf_counter() - start
    assert batcher.widest == len(CALLS)
    for c in together:
        assert c.prompt_seconds > 0 and c.generation_seconds > 0
        assert c.prompt_seconds + c.generation_seconds <= c.seconds
    assert sum(c.prompt_seconds + c.generation_seconds for c in together) <= wall
    shared = min(c.generation_seconds / c.completion_tokens for c in together)  # the call that shared most
    alone = ask(batcher, CALLS[3], temperature=0)  # one sequence: every step its own
    assert alone.generation_seconds / alone.completion_tokens > 1.5 * shared
