# The project's commands. `make demo` and `make test` are the README's two commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch, on this machine's disk; a bare `torch` would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# Label Studio (the server) pins its own Django stack, so it lives in a venv of its own.
LS_VENV ?= .venv-ls
LS_SPEC ?= label-studio==1.23.2
SAMPLES ?= data/samples
OUT ?= outputs/samples

.PHONY: install ls-server demo test data-check clean

install: $(BIN)/.installed
$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

ls-server: $(LS_VENV)/bin/label-studio
$(LS_VENV)/bin/label-studio:
	$(PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q "$(LS_SPEC)"

demo: install
	$(BIN)/tolltrace segment --input $(SAMPLES) --output $(OUT)/sentences.jsonl

test: install ls-server
	TOLLTRACE_LS_BIN=$(abspath $(LS_VENV))/bin/label-studio $(BIN)/python -m pytest

data-check: install
	$(BIN)/tolltrace data check

clean:
	rm -rf outputs .pytest_cache
