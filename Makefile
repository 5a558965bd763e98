# Two commands for a newcomer: `make run` and `make test`. Both are idempotent and quick when nothing changed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
MODEL ?= full

.PHONY: run test lint bench clean-venv chromium haproxy postgresql cluster-demo

run: $(VENV)/.runtime
	-$(PY) -m poselab models fetch $(MODEL)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Browser tests run in their own pytest process: Playwright's sync API leaves an event loop behind that
# would break the asyncio (aiortc) tests sharing the process.
test: $(VENV)/.dev chromium haproxy postgresql
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

# Two replicas behind HAProxy with PostgreSQL and an S3 server, all on this machine (docs/deploy.md).
cluster-demo: $(VENV)/.dev haproxy postgresql
	$(PY) deploy/cluster_demo.py

bench: $(VENV)/.runtime
	$(PY) bench/pipeline_bench.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Browser tests use Debian's Chromium. As root (CI) we install it; otherwise we say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests will be skipped: install Chromium with 'sudo apt-get install chromium'"; fi; }

# The replica tests and the cluster demo put HAProxy in front of the dashboard (deploy/haproxy.cfg).
haproxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; \
	  else echo "Replica tests will be skipped: install HAProxy with 'sudo apt-get install haproxy'"; fi; }

# The library's tests also run on PostgreSQL: a private server the tests start from Debian's binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else echo "PostgreSQL tests will be skipped: install PostgreSQL with 'sudo apt-get install postgresql'"; fi; }

clean-venv:
	rm -rf $(VENV)
