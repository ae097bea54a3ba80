# ---------------------------------------------------------------------------------------------------
# GitHub Actions deploy role (OIDC): the immutable subject form
# (github_repository, github_deploy_ref and github_oidc_provider_arn are in variables.tf)
# ---------------------------------------------------------------------------------------------------
variable "github_repository_owner_id" {
  description = "Numeric id of the owner (user or organization) of github_repository (gh api repos/OWNER/NAME --jq .owner.id). Together with github_repository_id the role also trusts the immutable sub claim repo:OWNER@OWNER_ID/NAME@REPO_ID:<github_deploy_ref> that repositories created after July 2026 send. null: only the repo:OWNER/NAME:<github_deploy_ref> form is trusted."
  type        = number
  default     = null

  validation {
    condition     = var.github_repository_owner_id == null || try(var.github_repository_owner_id > 0 && floor(var.github_repository_owner_id) == var.github_repository_owner_id, false)
    error_message = "github_repository_owner_id must be a positive whole number (GitHub's numeric owner id)."
  }
}

variable "github_repository_id" {
  description = "Numeric id of github_repository (gh api repos/OWNER/NAME --jq .id); see github_repository_owner_id. Both or neither must be set."
  type        = number
  default     = null

  validation {
    condition     = var.github_repository_id == null || try(var.github_repository_id > 0 && floor(var.github_repository_id) == var.github_repository_id, false)
    error_message = "github_repository_id must be a positive whole number (GitHub's numeric repository id)."
  }
}
