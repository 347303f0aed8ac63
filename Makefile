# dataforge — `make demo` runs the main job end to end on sample_data; `make test` runs the tests.
# Both create .venv and install everything on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
OUT    := out/demo
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test test-fast bench lint clean-demo

install: $(VENV)/.installed

# torch first, pinned to the CPU wheel on the machine: otherwise pip pulls a CUDA build of several GB.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[all,dev]'
	touch $@

demo: install
	@rm -rf $(OUT) && mkdir -p $(OUT)
	@echo "== 1. validate the sample data (all valid: exit 0)"
	$(BIN)/dataforge validate sample_data/chat_tr.jsonl sample_data/sharegpt_tr.jsonl --json
	@echo "== 2. validate a file of broken records (exit 1, one line per problem, rejects kept)"
	$(BIN)/dataforge validate sample_data/broken_chat.jsonl --out $(OUT)/broken.valid.jsonl \
		--rejects $(OUT)/broken.rejects.jsonl; test $$? -eq 1
	@echo "== 3. convert: instructions -> chat -> parquet"
	$(BIN)/dataforge convert sample_data/instructions_tr.jsonl --to chat -o $(OUT)/instructions.chat.jsonl
	$(BIN)/dataforge convert $(OUT)/instructions.chat.jsonl --to parquet -o $(OUT)/instructions.parquet
	@echo "demo outputs are in $(OUT)/"

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not slow"

bench: install
	$(PY) bench/validate.py

lint: install
	$(BIN)/ruff check dataforge tests bench
