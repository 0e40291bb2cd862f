# Jansky: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Rust builds share bin/provision's target folder: the stackwalker's crates are compiled once.
CARGO_TARGET := $${JANSKY_CACHE_DIR:-$$HOME/.cache/jansky}/cargo-target

.DEFAULT_GOAL := help
.PHONY: help venv provision services services-stop run test test-unit test-rust lint format docs bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)  ## create .venv with the locked dependencies

# Crash Stats' front end: npm ci from the lock, then esbuild (webapp/frontend/build.mjs) into
# hashed files; make rebuilds only when a source changed. The pages need it to run or be tested.
FRONTEND := webapp/frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed
ASSETS := $(FRONTEND)/dist/manifest.json
# The folders too: adding or removing a file changes their time.
ASSET_SOURCES := $(wildcard webapp/*/assets webapp/*/assets/*.js webapp/*/assets/*.css \
	webapp/*/assets/*/*.js) $(FRONTEND)/build.mjs
.PHONY: assets
run test test-unit: assets

$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS): $(NODE_STAMP) $(ASSET_SOURCES)
	cd $(FRONTEND) && node build.mjs

assets: $(ASSETS)  ## build Crash Stats' JavaScript and CSS (npm ci, esbuild) into webapp/frontend/dist

provision:  ## install the real servers and native tools into ~/.cache/jansky
	bin/provision

services: venv provision  ## start MinIO, ElasticMQ, OpenSearch and PostgreSQL on 127.0.0.1
	$(BIN)/jansky services start

services-stop: venv  ## stop the local servers
	$(BIN)/jansky services stop

run: venv  ## run Jansky on the embedded default (files + SQLite under ./var)
	bin/provision minidump-stackwalk stackwalker
	$(BIN)/jansky run

test: lint services test-rust  ## lint, provision, start the servers, run the Rust and Python tests
	$(BIN)/pytest

test-rust: provision  ## cargo test for the stackwalker service (stackwalker/)
	CARGO_TARGET_DIR=$(CARGO_TARGET) cargo test --release --locked --manifest-path stackwalker/Cargo.toml

test-unit: venv  ## only the tests that need no server
	$(BIN)/pytest -m "not integration and not system"

lint: venv  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv  ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: venv  ## regenerate docs/configuration.md from the option declarations
	$(BIN)/jansky config --markdown > docs/configuration.md

bench: venv services  ## run every benchmark under bench/ and print the figures
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## remove the virtualenv and local data (keeps ~/.cache/jansky)
	-$(BIN)/jansky services stop
	rm -rf $(VENV) var $(FRONTEND)/node_modules $(FRONTEND)/dist
