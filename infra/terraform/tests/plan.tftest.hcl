# Plan-level checks with a mocked AWS provider: no credentials, no network, ~5 s.
#   terraform -chdir=infra/terraform test     (after init; infra/ci-checks.sh runs it as step "test")

# the data sources' values, shared by every test file: tests/mocks/aws.tfmock.hcl
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"
}

run "defaults_api_key_http" {
  command = plan

  assert {
    condition     = aws_lb_target_group.api.health_check[0].path == "/health" && aws_lb_target_group.api.health_check[0].matcher == "200"
    error_message = "target group must check /health for 200"
  }

  assert {
    condition     = aws_ecs_service.api.health_check_grace_period_seconds >= 300
    error_message = "the service needs a start period long enough for model preload"
  }

  assert {
    condition     = join(",", local.azs) == "ap-northeast-2a,ap-northeast-2c" && length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "2 AZs with public and private subnets expected"
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 2
    error_message = "one NAT gateway per AZ by default"
  }

  assert {
    condition     = length(aws_lb_listener.http_forward) == 1 && length(aws_lb_listener.https) == 0 && length(aws_lb_listener.http_redirect) == 0
    error_message = "without a certificate only the plain HTTP listener exists"
  }

  assert {
    condition     = aws_lb.main.drop_invalid_header_fields && aws_lb.main.enable_deletion_protection
    error_message = "ALB hardening missing"
  }

  assert {
    condition     = length(aws_ssm_parameter.api_key) == 1 && aws_ssm_parameter.api_key[0].type == "SecureString"
    error_message = "api-key mode stores the key as an SSM SecureString"
  }

  assert {
    condition     = length(aws_cognito_user_pool.main) == 0 && length(aws_cognito_user_pool_client.api) == 0
    error_message = "no Cognito resources unless auth_mode = cognito"
  }

  assert {
    condition     = local.container_definition.resourceRequirements == [{ type = "GPU", value = "1" }]
    error_message = "the task must reserve one GPU"
  }

  assert {
    condition     = local.app_environment.OCR_DEVICE == "gpu:0" && local.app_environment.OCR_ENGINE_BACKEND == "paddle" && local.app_environment.AUTH_MODE == "api-key"
    error_message = "GPU environment expected in the task"
  }

  assert {
    condition     = tonumber(local.app_environment.KEEP_ALIVE_S) > var.alb_idle_timeout && local.app_environment.FORWARDED_ALLOW_IPS != "*"
    error_message = "the task must keep idle connections open longer than the ALB, and trust only the ALB's subnets"
  }

  assert {
    condition     = local.container_definition.secrets[0].name == "API_KEY"
    error_message = "API_KEY must come from the SSM parameter as an ECS secret"
  }

  assert {
    condition     = local.container_definition.logConfiguration.logDriver == "awslogs" && local.container_definition.logConfiguration.options["awslogs-group"] == "/ecs/ocr-fastapi"
    error_message = "logs must go to CloudWatch"
  }

  assert {
    condition     = aws_launch_template.gpu.image_id == "ami-0123456789abcdef0" && aws_launch_template.gpu.metadata_options[0].http_tokens == "required"
    error_message = "launch template: GPU AMI from SSM and IMDSv2"
  }

  assert {
    condition     = [for o in aws_autoscaling_group.gpu.mixed_instances_policy[0].launch_template[0].override : o.instance_type] == ["g4dn.xlarge", "g5.xlarge", "g6.xlarge"]
    error_message = "the group launches g4dn.xlarge first, g5/g6 when it has no capacity"
  }

  assert {
    condition     = aws_autoscaling_group.gpu.mixed_instances_policy[0].instances_distribution[0].on_demand_percentage_above_base_capacity == 100
    error_message = "GPU instances are on-demand"
  }

  # 3 tasks at most, deployments run up to 200 % of them (6), one Celery worker (7), and managed scaling
  # keeps 10 % spare: 8
  assert {
    condition     = aws_autoscaling_group.gpu.max_size == 8 && aws_appautoscaling_target.api.max_capacity == 3
    error_message = "the GPU group must hold a deployment of the largest service beside the old tasks, plus headroom"
  }

  assert {
    condition     = aws_ecs_capacity_provider.gpu.auto_scaling_group_provider[0].managed_scaling[0].target_capacity == 90
    error_message = "managed scaling keeps headroom by default"
  }

  assert {
    condition     = aws_ecs_service.api.enable_execute_command == false && length(aws_iam_role_policy.task_ecs_exec) == 0
    error_message = "ECS Exec is off by default"
  }

  assert {
    condition     = length(aws_vpc_endpoint.s3) == 1 && aws_vpc_endpoint.s3[0].vpc_endpoint_type == "Gateway"
    error_message = "S3 gateway endpoint (image layers come from S3)"
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "secretsmanager", "ecs", "ecs-agent", "ecs-telemetry"]) && alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && e.vpc_endpoint_type == "Interface"])
    error_message = "interface endpoints for ECR, logs, SSM, Secrets Manager and ECS, with private DNS"
  }

  assert {
    condition     = aws_ssm_parameter.api_key[0].value_wo == null && aws_ssm_parameter.api_key[0].value_wo_version == 1
    error_message = "the API key is write-only: neither the plan nor the state holds it"
  }

  assert {
    condition     = aws_ecs_capacity_provider.gpu.auto_scaling_group_provider[0].managed_scaling[0].status == "ENABLED"
    error_message = "capacity provider must manage the GPU group's scaling"
  }

  assert {
    condition     = aws_ecr_repository.app.image_scanning_configuration[0].scan_on_push && aws_ecr_repository.app.image_tag_mutability == "IMMUTABLE"
    error_message = "ECR: scan on push and immutable tags"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.p95_latency.extended_statistic == "p95" && aws_cloudwatch_metric_alarm.p95_latency.metric_name == "TargetResponseTime"
    error_message = "p95 latency alarm expected"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.gpu_utilization.namespace == "CWAgent" && aws_cloudwatch_metric_alarm.gpu_utilization.metric_name == "nvidia_smi_utilization_gpu"
    error_message = "GPU utilisation alarm must read the CloudWatch agent's metric"
  }

  assert {
    condition     = aws_cloudwatch_dashboard.main.dashboard_name == "ocr-fastapi-dashboard"
    error_message = "dashboard must be named <project>-dashboard"
  }

  assert {
    condition     = length(aws_iam_role.github_deploy) == 0
    error_message = "no deploy role unless github_repository is set"
  }
}

run "https_cognito_github" {
  command = plan

  variables {
    certificate_arn    = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    auth_mode          = "cognito"
    allowed_origins    = ["https://app.example.com", "https://admin.example.com"]
    single_nat_gateway = true
    github_repository  = "example/ocr"
  }

  assert {
    condition     = length(aws_lb_listener.http_redirect) == 1 && length(aws_lb_listener.http_forward) == 0
    error_message = "with a certificate port 80 must only redirect"
  }

  assert {
    condition     = aws_lb_listener.http_redirect[0].default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http_redirect[0].default_action[0].redirect[0].port == "443"
    error_message = "redirect must go to HTTPS 443"
  }

  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "HTTPS listener must use a TLS 1.2+ policy"
  }

  assert {
    condition     = length(aws_cognito_user_pool.main) == 1 && length(aws_cognito_user_pool_client.api) == 1 && length(aws_ssm_parameter.api_key) == 0
    error_message = "cognito mode creates the pool and client and no API key"
  }

  assert {
    condition     = local.app_environment.AUTH_MODE == "cognito" && local.app_environment.ALLOWED_ORIGINS == "https://app.example.com,https://admin.example.com"
    error_message = "AUTH_MODE and ALLOWED_ORIGINS must reach the task"
  }

  assert {
    condition     = !contains([for s in local.container_definition.secrets : s.name], "API_KEY")
    error_message = "no API_KEY secret in cognito mode"
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 1
    error_message = "single_nat_gateway = true creates one NAT gateway"
  }

  assert {
    condition     = length(aws_iam_role.github_deploy) == 1 && length(aws_iam_openid_connect_provider.github) == 1
    error_message = "github_repository creates the OIDC provider and the deploy role"
  }
}

run "rejects_unknown_auth_mode" {
  command = plan

  variables {
    auth_mode = "basic"
  }

  expect_failures = [var.auth_mode]
}

run "rejects_untagged_image" {
  command = plan

  variables {
    ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi"
  }

  expect_failures = [var.ecr_image]
}

run "deploys_fit_at_full_scale_without_headroom" {
  command = plan

  variables {
    max_capacity               = 4
    capacity_target_percent    = 100
    deployment_maximum_percent = 150
    fallback_instance_types    = []
    vpc_endpoints              = false
    enable_ecs_exec            = true
    api_key                    = "given-key-0123456789"
    jobs_backend               = "off"
  }

  assert {
    condition     = aws_autoscaling_group.gpu.max_size == 6 && aws_ecs_service.api.deployment_maximum_percent == 150
    error_message = "4 tasks deployed at 150 % need 6 GPU instances"
  }

  assert {
    condition     = [for o in aws_autoscaling_group.gpu.mixed_instances_policy[0].launch_template[0].override : o.instance_type] == ["g4dn.xlarge"]
    error_message = "without fallbacks only the preferred type"
  }

  assert {
    condition     = length(aws_vpc_endpoint.s3) == 0 && length(aws_vpc_endpoint.interface) == 0 && length(aws_security_group.endpoints) == 0
    error_message = "vpc_endpoints = false creates no endpoint"
  }

  assert {
    condition     = aws_ecs_service.api.enable_execute_command && length(aws_iam_role_policy.task_ecs_exec) == 1
    error_message = "enable_ecs_exec turns ECS Exec on with the task role's session channels"
  }

  assert {
    condition     = aws_ssm_parameter.api_key[0].value_wo == null
    error_message = "a given API key is not kept in the plan either"
  }
}

run "zones_without_the_gpu_type_are_refused" {
  command = plan

  override_data {
    target = data.aws_ec2_instance_type_offerings.gpu
    values = { locations = ["ap-northeast-2a"] }
  }

  expect_failures = [aws_subnet.private]
}
