# Two commands on a fresh machine: `make serve` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SYSTEM := $(VENV)/.system-test

.PHONY: serve test install lint fuzz bench soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/convomock serve --host 127.0.0.1 --port 8000 $(ARGS)

# The dashboard's end-to-end test drives Debian's Chromium (installed here, as root, on a new machine).
$(SYSTEM): scripts/ensure-debs $(STAMP)
	scripts/ensure-debs chromium=chromium chromedriver=chromium-driver
	touch $(SYSTEM)

# ruff (rules and formatting) and mypy --strict over the package, the contract toolkit, the tests and the bench.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Lint first: a finding fails the run before the suite starts.
test: lint $(SYSTEM)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The deep contract run: every phase, positive and negative, at least 200 examples per operation, all four APIs.
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	$(BIN)/python -m contract_tests.fuzz --max-examples $(FUZZ_EXAMPLES) $(ARGS)

# The benchmark table of issue 8 (never part of `make test`): see bench/README.md.
bench: $(STAMP)
	scripts/ensure-debs wrk=wrk nginx=nginx || echo "bench: continuing without wrk/nginx (Python load client)"
	$(BIN)/python -m bench $(ARGS)

# Ten minutes at full load with the server's memory sampled every 30 s (issue 7's bounds, issue 8's flat memory).
soak: $(STAMP)
	scripts/ensure-debs wrk=wrk || echo "soak: continuing without wrk (Python load client)"
	$(BIN)/python -m bench.soak $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
