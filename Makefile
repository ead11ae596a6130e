# policypress: `make site` builds everything, `make test` runs the whole suite.
# Every target creates .venv itself from the pinned requirements.lock.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test serve check lint format schema clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/policypress build

serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

check: $(STAMP)
	$(BIN)/policypress check

# Review report of what changed since BASE (a git revision; HEAD defaults to the working tree):
#   make diff BASE=origin/main                       Markdown on stdout
#   make diff BASE=origin/main DIFF_FLAGS="--check"  governance check only (exit 1 on a violation)
BASE ?= origin/main
HEAD ?=
DIFF_FLAGS ?=
.PHONY: diff
diff: $(STAMP)
	$(BIN)/policypress diff $(DIFF_FLAGS) $(BASE) $(HEAD)

test: $(STAMP)
	$(BIN)/python -m pytest

schema: $(STAMP)
	$(BIN)/policypress schema

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf site .cache
