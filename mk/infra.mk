# Infrastructure targets (included by the Makefile: `include mk/*.mk`).

.PHONY: infra-check infra-fmt

infra-check: ## Terraform fmt/validate/test, plan against moto, checkov, hadolint, actionlint (infra/ci-checks.sh)
	infra/ci-checks.sh

infra-fmt: ## Rewrite infra/terraform in canonical terraform fmt style
	terraform fmt -recursive infra/terraform
