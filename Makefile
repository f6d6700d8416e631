# Seams: the two commands that matter are `make report` and `make test`.
# Each creates .venv with the machine's python3 if missing and installs Seams into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.seams-installed
SAMPLE := data/sample
SCALE  ?= full
SEED   ?= 7

.PHONY: install report sample test lab bench lint clean-cache

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

$(SAMPLE)/seams.yml: | $(STAMP)
	$(BIN)/seams sample --out $(SAMPLE) --scale $(SCALE) --seed $(SEED)

sample: $(SAMPLE)/seams.yml

report: $(STAMP) $(SAMPLE)/seams.yml
	$(BIN)/seams report --config $(SAMPLE)/seams.yml --out reports

test: lint
	$(BIN)/python -m pytest

# JupyterLab on the notebooks, runnable as they are on the sample (built first)
lab: $(STAMP) $(SAMPLE)/seams.yml
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP) $(SAMPLE)/seams.yml
	$(BIN)/python bench/report.py --config $(SAMPLE)/seams.yml

# the layering contracts, then ruff, then mypy (docs/architecture.md: "Checked, not promised")
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache pyproject.toml
	$(BIN)/ruff check analysis seams_sample tests bench
	$(BIN)/mypy analysis seams_sample

clean-cache:
	rm -rf data/sample/.seams-cache
