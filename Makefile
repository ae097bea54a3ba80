# OCR service — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY        := .venv/bin/python
HOST      ?= 0.0.0.0
PORT      ?= 8080
BASE_URL  ?= http://localhost:$(PORT)
API_KEY   ?= $(shell cat .data/dev-api-key 2>/dev/null)
PYTEST_ARGS ?=

export HOST PORT

.PHONY: help install run test test-fast lint format eval bench smoke-health smoke-ocr smoke-structure smoke-extraction smoke-batch gpu-verify model-server clean

help: ## list the targets
	@c=""; r=""; if [ -t 1 ]; then c=$$(printf '\033[36m'); r=$$(printf '\033[0m'); fi; \
	grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort -u | \
	awk -v c="$$c" -v r="$$r" 'BEGIN{FS=":.*## "}{printf "  %s%-18s%s %s\n", c, $$1, r, $$2}'

install: ## set up everything: system packages, Poetry env from poetry.lock, offline model files
	@scripts/install.sh

run: install ## install what is missing, then serve on HOST:PORT (default 0.0.0.0:8080) with the CPU engines
	@scripts/run.sh

test: ## run the whole test suite (lint, unit, integration, accuracy, browser, infra checks)
	@INSTALL_TEST_TOOLS=1 scripts/install.sh
	@scripts/test.sh $(PYTEST_ARGS)

test-fast: install ## the suite without tests marked slow
	@$(PY) -m pytest -m "not slow and not infra" $(PYTEST_ARGS)

lint: install ## ruff (lint + format check) and mypy
	@.venv/bin/ruff check app tests scripts
	@.venv/bin/ruff format --check app tests scripts
	@.venv/bin/mypy

format: install ## apply ruff fixes and formatting
	@.venv/bin/ruff check --fix app tests scripts; .venv/bin/ruff format app tests scripts

eval: install ## accuracy through the service: starts it, posts every evaluation document, prints CER by set/language/kind
	@$(PY) -m scripts.ocr_eval $(EVAL_ARGS)

bench: install ## benchmark: in-process vs HTTP latency, concurrency 1/4/16, lock baseline, ratios
	@$(PY) scripts/bench.py

smoke-health: ## GET /health on BASE_URL and check it is ready
	@$(PY) scripts/smoke.py health --base-url $(BASE_URL) --api-key "$(API_KEY)"

smoke-ocr: ## POST the Korean sample to /ocr on BASE_URL and check the text
	@$(PY) scripts/smoke.py ocr --base-url $(BASE_URL) --api-key "$(API_KEY)"

smoke-batch: ## POST two samples and a bad file to /ocr/batch and check each status
	@$(PY) scripts/smoke.py batch --base-url $(BASE_URL) --api-key "$(API_KEY)"

smoke-structure: ## POST the invoice to /structure and check blocks, table cells and Markdown
	@$(PY) scripts/smoke.py structure --base-url $(BASE_URL) --api-key "$(API_KEY)"

smoke-extraction: ## POST the Korean invoice to /extraction and check the fields
	@$(PY) scripts/smoke.py extraction --base-url $(BASE_URL) --api-key "$(API_KEY)"

gpu-verify: ## check a running GPU service: compiled_with_cuda and run_check must be true (BASE_URL, API_KEY)
	@$(PY) scripts/smoke.py gpu-verify --base-url $(BASE_URL) --api-key "$(API_KEY)"

clean: ## remove caches (keeps .venv and models)
	rm -rf .pytest_cache .mypy_cache .ruff_cache artifacts

-include mk/*.mk
