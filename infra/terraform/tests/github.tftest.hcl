# Plan-level checks of the GitHub OIDC deploy role's trust (mocked AWS provider, no credentials, no network).
#   terraform -chdir=infra/terraform test -filter=tests/github.tftest.hcl
# mock_provider and variables blocks copied from plan.tftest.hcl.

# the data sources' values, shared by every test file: tests/mocks/aws.tfmock.hcl
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"

  # a fixed provider ARN keeps the whole trust policy known at plan time
  github_repository          = "example-org/ocr"
  github_oidc_provider_arn   = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  github_repository_owner_id = 1234567
  github_repository_id       = 987654321
}

run "trusts_both_subject_forms_of_this_repo_and_environment_only" {
  command = plan

  assert {
    condition     = length(aws_iam_role.github_deploy) == 1 && length(aws_iam_openid_connect_provider.github) == 0
    error_message = "an existing OIDC provider is reused, the deploy role is created"
  }

  assert {
    condition = toset(jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]) == toset([
      "repo:example-org/ocr:environment:production",
      "repo:example-org@1234567/ocr@987654321:environment:production",
    ])
    error_message = "the role must trust exactly the legacy and the immutable sub claim of example-org/ocr in environment production"
  }

  assert {
    condition     = jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "the audience must be sts.amazonaws.com"
  }

  assert {
    condition     = keys(jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition) == ["StringEquals"]
    error_message = "only exact comparisons (StringEquals): no StringLike, no wildcards"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement) == 1 && jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Principal.Federated == var.github_oidc_provider_arn
    error_message = "one statement, federated with GitHub's OIDC provider"
  }

  assert {
    condition = alltrue([
      for sub in [
        "repo:example-org/other:environment:production",
        "repo:other-org/ocr:environment:production",
        "repo:example-org/ocr:environment:staging",
        "repo:example-org/ocr:ref:refs/heads/main",
        "repo:example-org/ocr:pull_request",
        "repo:example-org@1234567/other@987654321:environment:production",
        "repo:example-org@7654321/ocr@987654321:environment:production",
        "repo:example-org@1234567/ocr@987654321:environment:staging",
      ] : !contains(jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"], sub)
    ])
    error_message = "another repository, owner, id or environment must not be trusted"
  }

  assert {
    condition     = alltrue([for sub in jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] : !strcontains(sub, "*") && !strcontains(sub, "?")])
    error_message = "no wildcard characters in the trusted subjects"
  }
}

run "legacy_form_only_without_the_ids" {
  command = plan

  variables {
    github_repository_owner_id = null
    github_repository_id       = null
  }

  assert {
    condition     = jsondecode(aws_iam_role.github_deploy[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:example-org/ocr:environment:production"]
    error_message = "without the numeric ids only repo:OWNER/NAME:environment:production is trusted"
  }
}

run "one_id_alone_is_refused" {
  command = plan

  variables {
    github_repository_id = null
  }

  expect_failures = [aws_iam_role.github_deploy]
}

run "no_role_without_a_repository" {
  command = plan

  variables {
    github_repository          = null
    github_repository_owner_id = null
    github_repository_id       = null
  }

  assert {
    condition     = length(aws_iam_role.github_deploy) == 0 && length(aws_iam_role_policy.github_deploy) == 0
    error_message = "no deploy role unless github_repository is set"
  }
}

# The deploy workflow rolls every ECS service of the stack onto the new image (infra/ecs-deploy.sh): the
# role may update exactly those services, and describe the services of the stack's own cluster only.
run "deploy_role_updates_every_service_of_the_stack" {
  command = plan

  override_resource {
    target          = aws_ecr_repository.app
    override_during = plan
    values          = { arn = "arn:aws:ecr:ap-northeast-2:123456789012:repository/ocr-fastapi" }
  }

  override_resource {
    target          = aws_iam_role.execution
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/ocr-fastapi-task-execution" }
  }

  override_resource {
    target          = aws_iam_role.task
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/ocr-fastapi-task" }
  }

  assert {
    condition = toset(flatten([for st in jsondecode(aws_iam_role_policy.github_deploy[0].policy).Statement : st.Resource if contains(st.Action, "ecs:UpdateService")])) == toset([
      for s in concat([aws_ecs_service.api], values(aws_ecs_service.jobs)) : "arn:aws:ecs:ap-northeast-2:123456789012:service/ocr-fastapi-cluster/${s.name}"
    ]) && length(concat([aws_ecs_service.api], values(aws_ecs_service.jobs))) == 3
    error_message = "the deploy role may update exactly the stack's ECS services (API, worker, beat)"
  }

  assert {
    condition     = flatten([for st in jsondecode(aws_iam_role_policy.github_deploy[0].policy).Statement : st.Resource if contains(st.Action, "ecs:DescribeServices")]) == ["arn:aws:ecs:ap-northeast-2:123456789012:service/ocr-fastapi-cluster/*"]
    error_message = "the deploy role may describe the services of the stack's cluster only"
  }
}

run "deploy_role_updates_the_api_alone_without_jobs" {
  command = plan

  variables {
    jobs_backend = "off"
  }

  override_resource {
    target          = aws_ecr_repository.app
    override_during = plan
    values          = { arn = "arn:aws:ecr:ap-northeast-2:123456789012:repository/ocr-fastapi" }
  }

  override_resource {
    target          = aws_iam_role.execution
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/ocr-fastapi-task-execution" }
  }

  override_resource {
    target          = aws_iam_role.task
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/ocr-fastapi-task" }
  }

  assert {
    condition     = flatten([for st in jsondecode(aws_iam_role_policy.github_deploy[0].policy).Statement : st.Resource if contains(st.Action, "ecs:UpdateService")]) == ["arn:aws:ecs:ap-northeast-2:123456789012:service/ocr-fastapi-cluster/ocr-fastapi-api"]
    error_message = "jobs off: the deploy role updates the API service only"
  }
}
