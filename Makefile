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
MODEL_DIR ?= models/tolltrace-minilm
TRAIN_CONFIG ?= training/configs/default.yaml
LC_FRACTIONS ?= 0.1,0.25,0.5,1.0
ANNOTATION_FILES := $(shell find data/annotations -type f 2>/dev/null)

.PHONY: install ls-server browser model demo test data-check evaluate notebooks learning-curve clean

install: $(BIN)/.installed
$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[dev,ray]"
	touch $@

ls-server: $(LS_VENV)/bin/label-studio
$(LS_VENV)/bin/label-studio:
	$(PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q "$(LS_SPEC)"

# Debian's chromium, for the report's headless-browser test (needs root, as on CI machines).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The default model is trained here, deterministically (fixed seeds), rather than committed:
# the repository stays small and a retrain never re-commits 90 MB of weights.
model: $(MODEL_DIR)/model.safetensors
$(MODEL_DIR)/model.safetensors: $(BIN)/.installed $(TRAIN_CONFIG) $(ANNOTATION_FILES)
	$(BIN)/tolltrace train --config $(TRAIN_CONFIG)
	$(BIN)/tolltrace evaluate --model $(MODEL_DIR) --split test

evaluate: model
	$(BIN)/tolltrace evaluate --model $(MODEL_DIR) --split test

# The demo always starts afresh: after a retrain, resuming the old run would stop with E060.
demo: install model
	$(BIN)/tolltrace run --input $(SAMPLES) --output $(OUT) --restart

test: install ls-server browser model
	TOLLTRACE_LS_BIN=$(abspath $(LS_VENV))/bin/label-studio $(BIN)/python -m pytest

# Execute notebooks/*.ipynb top to bottom in a fresh kernel; executed copies go to outputs/notebooks/
# (the committed notebooks stay without outputs: theirs would hold corpus text).
notebooks: install model
	$(BIN)/tolltrace notebooks --output outputs/notebooks

# The learning curve that notebook 02 plots (reports/learning-curve.json; trains one model per fraction,
# about an hour on 2 busy CPU cores; models go to the git-ignored models/learning-curve/).
learning-curve: install
	nice -n 10 $(BIN)/tolltrace learning-curve --config training/configs/learning-curve.yaml \
		--fractions $(LC_FRACTIONS) --output reports/learning-curve.json --set training.threads=1 --resume

data-check: install
	$(BIN)/tolltrace data check

clean:
	rm -rf outputs .pytest_cache
