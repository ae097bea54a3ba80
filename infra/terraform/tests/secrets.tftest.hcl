# JOB_WEBHOOK_SECRET on ECS (secrets.tf): an SSM SecureString, write-only, injected into the API and the
# Celery worker as an ECS secret, readable by the execution role and by nothing more than the secrets the
# task definitions name. Plan-level, mocked provider; the parameters' ARNs are made known at plan so that
# the rendered task definitions and policies can be compared.

# the data sources' values, shared by every test file: tests/mocks/aws.tfmock.hcl
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"
}

override_resource {
  target          = aws_ssm_parameter.api_key
  override_during = plan
  values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-fastapi/api-key" }
}

override_resource {
  target          = aws_ssm_parameter.jobs_database_url
  override_during = plan
  values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-fastapi/jobs/database-url" }
}

override_resource {
  target          = aws_ssm_parameter.jobs_redis_url
  override_during = plan
  values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-fastapi/jobs/redis-url" }
}

override_resource {
  target          = aws_ssm_parameter.job_webhook_secret
  override_during = plan
  values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-fastapi/jobs/webhook-secret" }
}

override_resource {
  target          = aws_iam_role.execution
  override_during = plan
  values          = { id = "ocr-fastapi-task-execution", arn = "arn:aws:iam::123456789012:role/ocr-fastapi-task-execution" }
}

override_resource {
  target          = aws_kms_key.main
  override_during = plan
  values          = { arn = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000" }
}

run "webhook_secret_reaches_api_and_worker_only" {
  command = plan

  assert {
    condition = (
      length(aws_ssm_parameter.job_webhook_secret) == 1
      && aws_ssm_parameter.job_webhook_secret[0].name == "/ocr-fastapi/jobs/webhook-secret"
      && aws_ssm_parameter.job_webhook_secret[0].type == "SecureString"
      && aws_ssm_parameter.job_webhook_secret[0].key_id == aws_kms_key.main.arn
      && aws_ssm_parameter.job_webhook_secret[0].value_wo == null
      && aws_ssm_parameter.job_webhook_secret[0].value_wo_version == 1
    )
    error_message = "JOB_WEBHOOK_SECRET: a KMS-encrypted SecureString, write-only (in neither the plan nor the state)"
  }

  assert {
    condition     = [for s in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].secrets : s.valueFrom if s.name == "JOB_WEBHOOK_SECRET"] == [aws_ssm_parameter.job_webhook_secret[0].arn]
    error_message = "the API task definition must get JOB_WEBHOOK_SECRET from the SSM parameter (ECS secret)"
  }

  assert {
    condition     = [for s in jsondecode(aws_ecs_task_definition.jobs["worker"].container_definitions)[0].secrets : s.valueFrom if s.name == "JOB_WEBHOOK_SECRET"] == [aws_ssm_parameter.job_webhook_secret[0].arn]
    error_message = "the worker task definition (it signs and sends the callbacks) must get JOB_WEBHOOK_SECRET from the SSM parameter"
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_ecs_task_definition.jobs["beat"].container_definitions)[0].secrets : s.name], "JOB_WEBHOOK_SECRET")
    error_message = "beat sends no callback: no webhook secret"
  }

  assert {
    condition = alltrue([for td in concat([aws_ecs_task_definition.api], values(aws_ecs_task_definition.jobs)) :
    !contains([for e in jsondecode(td.container_definitions)[0].environment : e.name], "JOB_WEBHOOK_SECRET")])
    error_message = "the webhook secret is never a plain environment value"
  }

  # The execution role may read exactly the parameters the task definitions name, nothing more.
  assert {
    condition = toset(flatten([
      for p in concat(aws_iam_role_policy.execution_secrets, aws_iam_role_policy.execution_jobs_secrets, aws_iam_role_policy.execution_job_webhook_secret) :
      [for st in jsondecode(p.policy).Statement : st.Resource if contains(st.Action, "ssm:GetParameters")]
      ])) == toset(flatten([
      for td in concat([aws_ecs_task_definition.api], values(aws_ecs_task_definition.jobs)) :
      [for s in jsondecode(td.container_definitions)[0].secrets : s.valueFrom]
    ]))
    error_message = "the execution role's ssm:GetParameters must cover exactly the secrets of the task definitions"
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.execution_job_webhook_secret[0].policy).Statement[0].Resource == [aws_ssm_parameter.job_webhook_secret[0].arn]
      && jsondecode(aws_iam_role_policy.execution_job_webhook_secret[0].policy).Statement[0].Action == ["ssm:GetParameters"]
      && aws_iam_role_policy.execution_job_webhook_secret[0].role == aws_iam_role.execution.id
      && jsondecode(aws_iam_role_policy.execution_job_webhook_secret[0].policy).Statement[1].Resource == [aws_kms_key.main.arn]
      && jsondecode(aws_iam_role_policy.execution_job_webhook_secret[0].policy).Statement[1].Condition.StringEquals["kms:ViaService"] == "ssm.ap-northeast-2.amazonaws.com"
    )
    error_message = "the execution role reads the webhook secret parameter alone, and decrypts only through SSM"
  }

  assert {
    condition = alltrue([for p in concat(aws_iam_role_policy.execution_secrets, aws_iam_role_policy.execution_jobs_secrets, aws_iam_role_policy.execution_job_webhook_secret) :
    alltrue([for st in jsondecode(p.policy).Statement : !contains(flatten([st.Resource]), "*")])])
    error_message = "no wildcard resource in the execution role's secret policies"
  }
}

run "local_mode_keeps_the_webhook_secret" {
  command = plan

  variables {
    jobs_backend = "local"
  }

  assert {
    condition     = [for s in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].secrets : s.name] == ["API_KEY", "JOB_WEBHOOK_SECRET"] && length(aws_iam_role_policy.execution_job_webhook_secret) == 1
    error_message = "local mode: the API runs the jobs and sends the callbacks itself, so it gets the secret"
  }
}

run "no_webhook_secret_without_jobs" {
  command = plan

  variables {
    jobs_backend = "off"
  }

  assert {
    condition     = length(aws_ssm_parameter.job_webhook_secret) == 0 && length(aws_iam_role_policy.execution_job_webhook_secret) == 0 && [for s in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].secrets : s.name] == ["API_KEY"]
    error_message = "jobs off: no webhook secret, no policy for it"
  }
}

run "rejects_a_short_webhook_secret" {
  command = plan

  variables {
    job_webhook_secret = "too-short"
  }

  expect_failures = [var.job_webhook_secret]
}
