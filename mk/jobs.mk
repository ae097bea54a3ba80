# Async jobs and split mode (included by the Makefile: `-include mk/*.mk`). See docs/jobs.md and
# docs/model-server.md. Variables can be overridden on the command line, e.g. `make model-server MODEL_SERVER_PORT=9001`.

MODEL_SERVER_PORT  ?= 8001
MODEL_SERVER_URL   ?= http://127.0.0.1:$(MODEL_SERVER_PORT)
JOBS_CONCURRENCY   ?= 1
WORKER_LOGLEVEL    ?= INFO
COMPOSE            ?= docker compose
COMPOSE_SPLIT      := $(COMPOSE) -f docker/docker-compose.split.yml
CELERY             := $(PY) -m celery -A app.features.jobs.celery_app

export MODEL_SERVER_PORT
# the model server will not start without a key; the two local targets share this development one
# (given to them alone: `make test` and the rest never see it)
MODEL_SERVER_API_KEY ?= local-model-server-key
model-server run-split: export MODEL_SERVER_API_KEY := $(MODEL_SERVER_API_KEY)

.PHONY: model-server run-split llm-server worker worker-beat split-up split-down split-logs test-jobs
LLM_SERVER_PORT ?= 8081

model-server: install ## serve the engines alone (split mode): POST /predict, GET /health, GET /metrics on HOST:8001
	$(PY) -m app.model_server

run-split: install ## serve the API without local models, using the model server at MODEL_SERVER_URL (default :8001)
	OCR_MODEL_SERVER_URL=$(MODEL_SERVER_URL) $(PY) -m app

llm-server: install ## the LLM for /extraction as its own server: llama.cpp, OpenAI API, SmolLM2-135M (small, offline) on :8081
	$(PY) scripts/llm_server.py install
	$(PY) scripts/llm_server.py serve --port $(LLM_SERVER_PORT)

worker: install ## Celery OCR worker (JOBS_BACKEND=celery): needs REDIS_URL, DATABASE_URL, JOBS_BUCKET
	JOBS_BACKEND=celery $(CELERY) worker --loglevel $(WORKER_LOGLEVEL) --pool threads --concurrency $(JOBS_CONCURRENCY) --queues ocr

worker-beat: install ## Celery beat: re-queues jobs of dead workers (every minute), deletes expired jobs (JOB_TTL_HOURS)
	JOBS_BACKEND=celery $(CELERY) beat --loglevel $(WORKER_LOGLEVEL)

split-up: ## docker compose: API + model server + Celery worker/beat + Redis + PostgreSQL + MinIO (docker/docker-compose.split.yml)
	$(COMPOSE_SPLIT) up -d --build

split-down: ## stop the split-mode compose stack (volumes kept; add `-v` by hand to drop them)
	$(COMPOSE_SPLIT) down

split-logs: ## follow the logs of the split-mode compose stack
	$(COMPOSE_SPLIT) logs -f --tail 100

test-jobs: install ## the job and split-mode tests (real Redis/PostgreSQL from apt, moto S3; kill -9 acceptance test)
	$(PY) -m pytest tests/jobs tests/model_server $(PYTEST_ARGS)
