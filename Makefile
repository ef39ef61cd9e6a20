# The two commands of the README: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint wheel-check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/repmon demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Starts a throw-away PostgreSQL on 127.0.0.1 (installing it when root) so the suite runs on
# SQLite and PostgreSQL; without one, the PostgreSQL half is skipped with a warning. Then the
# wheel as an operator installs it runs the demo.
# The wheel check runs first so that pytest's summary is the last line of the output.
test: lint wheel-check
	@if pg_env="$$(scripts/postgres.sh start)"; then eval "$$pg_env"; \
	  else echo "warning: no PostgreSQL; running the SQLite half only" >&2; fi; \
	  $(BIN)/pytest -n 2 --dist loadgroup -q

# Build the wheel, install it in a fresh venv outside the tree, run `repmon demo` in an empty folder.
wheel-check: $(STAMP)
	PYTHON=$(BIN)/python scripts/wheel_check.sh

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
