# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= data/demo

.PHONY: run test bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Build the demo province (once), then serve it on http://127.0.0.1:8000
run: venv
	$(BIN)/sijill db upgrade
	$(BIN)/sijill demo --out $(DEMO_DIR) --skip-if-loaded
	$(BIN)/sijill serve

# Whole suite on SQLite, and on PostgreSQL when it answers (required when SIJILL_TEST_REQUIRE_POSTGRES=1)
test: venv
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: venv
	$(BIN)/sijill bench all

lint: venv
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy src tests

clean:
	rm -rf $(VENV) sijill.db sijill.db-wal sijill.db-shm data .pytest_cache .mypy_cache .ruff_cache
