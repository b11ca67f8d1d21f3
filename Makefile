# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= data/demo

.PHONY: run test bench lint venv browser clean
CHROMIUM ?= /usr/bin/chromium

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

# Debian's chromium for the browser tests (tests/e2e); Playwright cannot download browsers here.
browser:
	@test -x $(CHROMIUM) || { \
	  if ! command -v apt-get >/dev/null; then echo "no apt-get: install chromium yourself; browser tests will be skipped"; exit 0; fi; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "Installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null \
	    || { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null; }; \
	}

# Whole suite on SQLite, and on PostgreSQL when it answers (required when SIJILL_TEST_REQUIRE_POSTGRES=1);
# browser tests too, when chromium is there (required when SIJILL_TEST_REQUIRE_BROWSER=1)
test: venv browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: venv
	$(BIN)/sijill bench all

lint: venv
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy src tests

clean:
	rm -rf $(VENV) sijill.db sijill.db-wal sijill.db-shm data .pytest_cache .mypy_cache .ruff_cache
