# Docker targets (included by the Makefile: `include mk/*.mk`). Every target has a `## ` description
# for `make help`. Override any variable on the command line, e.g. `make docker-run DOCKER_PORT=9000`.

DOCKER             ?= docker
DOCKER_IMAGE       ?= ocr-fastapi
DOCKER_TAG         ?= local
DOCKER_GPU_TAG     ?= $(DOCKER_TAG)-gpu
DOCKER_CONTAINER   ?= ocr-fastapi
DOCKER_PORT        ?= 8080
DOCKER_AUTH_MODE   ?= api-key
# The key the local container accepts (x-api-key); API_KEY from the environment/Makefile wins.
DOCKER_API_KEY     ?= $(or $(API_KEY),local-dev-key)
DOCKER_RUN_ARGS    ?=
PADDLE_WHEEL_INDEX ?= https://www.paddlepaddle.org.cn/packages/stable/cu126/
PADDLE_VERSION     ?= 3.3.0
# languages whose Tesseract data the image installs and serves (OCR_LANGUAGES in the image), e.g. th,ru or all
DOCKER_LANGUAGES   ?= korean,en

.PHONY: docker-build docker-run docker-stop docker-build-gpu docker-run-gpu docker-lint

docker-build: ## Build the CPU image (docker/Dockerfile) as ocr-fastapi:local (DOCKER_IMAGE, DOCKER_TAG)
	$(DOCKER) build -f docker/Dockerfile --build-arg OCR_LANGUAGES=$(DOCKER_LANGUAGES) -t $(DOCKER_IMAGE):$(DOCKER_TAG) .

docker-run: ## Run the CPU image on port 8080 (DOCKER_PORT), API key DOCKER_API_KEY; logs: docker logs -f ocr-fastapi
	@$(DOCKER) rm $(DOCKER_CONTAINER) >/dev/null 2>&1 || true
	$(DOCKER) run -d --name $(DOCKER_CONTAINER) -p $(DOCKER_PORT):8080 \
		-e AUTH_MODE=$(DOCKER_AUTH_MODE) -e API_KEY=$(DOCKER_API_KEY) $(DOCKER_RUN_ARGS) \
		$(DOCKER_IMAGE):$(DOCKER_TAG)
	@echo "started $(DOCKER_CONTAINER): http://localhost:$(DOCKER_PORT)  (x-api-key: $(DOCKER_API_KEY); ready when /health is 200)"

docker-stop: ## Stop and remove the container of docker-run / docker-run-gpu (SIGTERM, graceful drain)
	-$(DOCKER) stop --time 60 $(DOCKER_CONTAINER)
	-$(DOCKER) rm $(DOCKER_CONTAINER)

docker-build-gpu: ## Build the GPU image (docker/Dockerfile.gpu) as ocr-fastapi:local-gpu, paddlepaddle-gpu from PADDLE_WHEEL_INDEX
	$(DOCKER) build -f docker/Dockerfile.gpu \
		--build-arg PADDLE_WHEEL_INDEX=$(PADDLE_WHEEL_INDEX) --build-arg PADDLE_VERSION=$(PADDLE_VERSION) \
		--build-arg OCR_LANGUAGES=$(DOCKER_LANGUAGES) \
		-t $(DOCKER_IMAGE):$(DOCKER_GPU_TAG) .

docker-run-gpu: ## Run the GPU image on port 8080 with --gpus all (needs the NVIDIA container toolkit)
	@$(DOCKER) rm $(DOCKER_CONTAINER) >/dev/null 2>&1 || true
	$(DOCKER) run -d --gpus all --name $(DOCKER_CONTAINER) -p $(DOCKER_PORT):8080 \
		-e AUTH_MODE=$(DOCKER_AUTH_MODE) -e API_KEY=$(DOCKER_API_KEY) $(DOCKER_RUN_ARGS) \
		$(DOCKER_IMAGE):$(DOCKER_GPU_TAG)
	@echo "started $(DOCKER_CONTAINER) (GPU): http://localhost:$(DOCKER_PORT)  then: make gpu-verify BASE_URL=http://localhost:$(DOCKER_PORT) API_KEY=$(DOCKER_API_KEY)"

docker-lint: ## hadolint both Dockerfiles (.hadolint.yaml: fail on warnings)
	@infra/ci-checks.sh hadolint
