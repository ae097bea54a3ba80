# Role for .github/workflows/deploy.yml, assumed through GitHub's OIDC provider: no long-lived keys.
# It may push to this ECR repository, register task definition revisions, pass the two task roles to
# ECS and update the stack's services: the API and, in celery mode, the Celery worker and beat, which the
# workflow rolls onto the same image (infra/ecs-deploy.sh). It may describe any service of the stack's
# own cluster (the workflow asks whether worker and beat exist).
#
# Trust: exactly this repository and this environment (github_deploy_ref), no wildcards. GitHub sends the
# sub claim in one of two forms, both listed under StringEquals (a list there means "any of these, exactly"):
#   repo:OWNER/NAME:environment:production                    (repositories created before July 2026)
#   repo:OWNER@OWNER_ID/NAME@REPO_ID:environment:production   (immutable form, newer repositories; needs
#                                                             github_repository_owner_id and github_repository_id)
locals {
  github_enabled      = var.github_repository != null
  github_oidc_url     = "token.actions.githubusercontent.com"
  github_provider_arn = var.github_oidc_provider_arn != null ? var.github_oidc_provider_arn : try(aws_iam_openid_connect_provider.github[0].arn, null)
  github_repo_parts   = split("/", coalesce(var.github_repository, "none/none"))
  github_subjects = compact([
    "repo:${coalesce(var.github_repository, "none/none")}:${var.github_deploy_ref}",
    var.github_repository_owner_id != null && var.github_repository_id != null ? format(
      "repo:%s@%d/%s@%d:%s",
      local.github_repo_parts[0], var.github_repository_owner_id,
      local.github_repo_parts[1], var.github_repository_id,
      var.github_deploy_ref,
    ) : "",
  ])
  ecs_service_arn_prefix = "arn:${local.partition}:ecs:${var.aws_region}:${local.account_id}:service/${aws_ecs_cluster.main.name}"
  # every aws_ecs_service of the stack (ecs.tf, jobs.tf)
  ecs_service_arns = [for s in concat([aws_ecs_service.api], values(aws_ecs_service.jobs)) : "${local.ecs_service_arn_prefix}/${s.name}"]
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.github_oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.github_oidc_url}"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name                 = "${local.name}-github-deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.github_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_oidc_url}:aud" = "sts.amazonaws.com"
          "${local.github_oidc_url}:sub" = local.github_subjects
        }
      }
    }]
  })

  # StringEquals compares literally (a * or ? would match only itself), so these keep the names exact.
  lifecycle {
    precondition {
      condition     = (var.github_repository_owner_id == null) == (var.github_repository_id == null)
      error_message = "Set both github_repository_owner_id and github_repository_id (the immutable sub claim needs both), or neither."
    }
    precondition {
      condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", coalesce(var.github_repository, "none/none")))
      error_message = "github_repository must be OWNER/NAME: the role trusts one repository."
    }
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name = "push-image-and-deploy"
  role = aws_iam_role.github_deploy[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*" # account-level call, no resource-level permissions exist
      },
      {
        Sid    = "EcrPushThisRepository"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:CompleteLayerUpload",
          "ecr:DescribeImages",
          "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload",
          "ecr:PutImage",
          "ecr:UploadLayerPart",
        ]
        Resource = aws_ecr_repository.app.arn
      },
      {
        Sid      = "ReadTaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
        Resource = "*" # neither call supports resource-level permissions
      },
      {
        Sid      = "DeployTheServices"
        Effect   = "Allow"
        Action   = ["ecs:UpdateService"]
        Resource = local.ecs_service_arns
      },
      {
        Sid      = "DescribeTheClustersServices"
        Effect   = "Allow"
        Action   = ["ecs:DescribeServices"]
        Resource = "${local.ecs_service_arn_prefix}/*" # read-only; worker and beat may not exist (jobs_backend)
      },
      {
        Sid      = "PassTaskRoles"
        Effect   = "Allow"
        Action   = ["iam:PassRole"]
        Resource = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
        Condition = {
          StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" }
        }
      },
    ]
  })
}
