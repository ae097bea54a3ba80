# Plan-level checks of the /jobs stores (jobs.tf) with a mocked AWS provider: no credentials, no network.
#   terraform -chdir=infra/terraform test     (infra/ci-checks.sh runs it as step "test")

# the data sources' values, shared by every test file: tests/mocks/aws.tfmock.hcl
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"
}

# Known security group ids at plan time, so the rules can be checked against them.
override_resource {
  target          = aws_security_group.tasks
  override_during = plan
  values          = { id = "sg-0000000000000tasks" }
}

override_resource {
  target          = aws_security_group.jobs_worker
  override_during = plan
  values          = { id = "sg-00000000000worker" }
}

override_resource {
  target          = aws_security_group.jobs_db
  override_during = plan
  values          = { id = "sg-0000000000000jdb" }
}

override_resource {
  target          = aws_security_group.jobs_redis
  override_during = plan
  values          = { id = "sg-00000000000jredis" }
}

# (every instance of a counted resource gets the same override: enough to tell private from public)
override_resource {
  target          = aws_subnet.private
  override_during = plan
  values          = { id = "subnet-private" }
}

override_resource {
  target          = aws_subnet.public
  override_during = plan
  values          = { id = "subnet-public" }
}

override_resource {
  target          = aws_s3_bucket.jobs
  override_during = plan
  values = {
    id  = "ocr-fastapi-jobs-123456789012-ap-northeast-2"
    arn = "arn:aws:s3:::ocr-fastapi-jobs-123456789012-ap-northeast-2"
  }
}

run "default_is_celery_with_shared_stores" {
  command = plan

  assert {
    condition     = var.jobs_backend == "celery" && local.app_environment.JOBS_BACKEND == "celery"
    error_message = "the default must be the celery backend (shared stores), in the API's environment"
  }

  assert {
    condition     = local.app_environment.JOBS_BUCKET == "ocr-fastapi-jobs-123456789012-ap-northeast-2" && aws_s3_bucket.jobs[0].bucket == local.app_environment.JOBS_BUCKET && local.app_environment.JOBS_S3_PREFIX == "jobs/"
    error_message = "JOBS_BUCKET must name the bucket this stack creates"
  }

  assert {
    condition     = local.app_environment.JOB_TTL_HOURS == "72" && aws_s3_bucket_lifecycle_configuration.jobs[0].rule[0].expiration[0].days == 10 && aws_s3_bucket_lifecycle_configuration.jobs[0].rule[0].filter[0].prefix == "jobs/"
    error_message = "JOB_TTL_HOURS reaches the task and the S3 lifecycle backstop (72 h -> 3 days + 7) covers the jobs prefix"
  }

  assert {
    condition     = !contains(keys(local.app_environment), "DATABASE_URL") && !contains(keys(local.app_environment), "REDIS_URL")
    error_message = "the URLs hold credentials: never plain environment values"
  }

  assert {
    condition     = [for s in local.container_definition.secrets : s.name] == ["API_KEY", "DATABASE_URL", "REDIS_URL", "JOB_WEBHOOK_SECRET"]
    error_message = "the API gets API_KEY, DATABASE_URL, REDIS_URL and JOB_WEBHOOK_SECRET as ECS secrets"
  }

  assert {
    condition     = aws_ssm_parameter.jobs_database_url[0].type == "SecureString" && aws_ssm_parameter.jobs_redis_url[0].type == "SecureString" && aws_ssm_parameter.jobs_database_url[0].value_wo == null && aws_ssm_parameter.jobs_database_url[0].value_wo_version == 1
    error_message = "the URLs are SSM SecureStrings; DATABASE_URL is write-only (not in plan or state)"
  }

  assert {
    condition     = aws_db_instance.jobs[0].publicly_accessible == false && aws_db_instance.jobs[0].storage_encrypted && aws_db_instance.jobs[0].engine == "postgres" && aws_db_instance.jobs[0].multi_az
    error_message = "RDS PostgreSQL: private, encrypted, Multi-AZ by default"
  }

  assert {
    condition     = aws_db_instance.jobs[0].password == null && aws_db_instance.jobs[0].password_wo == null && aws_db_instance.jobs[0].password_wo_version == 1 && aws_db_instance.jobs[0].manage_master_user_password == null
    error_message = "the database password is write-only: not in the plan"
  }

  assert {
    condition     = aws_db_instance.jobs[0].vpc_security_group_ids == toset(["sg-0000000000000jdb"]) && aws_db_instance.jobs[0].deletion_protection && !aws_db_instance.jobs[0].skip_final_snapshot
    error_message = "the database sits behind its own security group and is protected from deletion"
  }

  assert {
    condition     = aws_elasticache_replication_group.jobs[0].transit_encryption_enabled && aws_elasticache_replication_group.jobs[0].at_rest_encryption_enabled && aws_elasticache_replication_group.jobs[0].security_group_ids == toset(["sg-00000000000jredis"])
    error_message = "Redis: TLS in transit, encrypted at rest, behind its own security group"
  }

  assert {
    condition     = aws_elasticache_replication_group.jobs[0].num_cache_clusters == 2 && aws_elasticache_replication_group.jobs[0].automatic_failover_enabled && aws_elasticache_replication_group.jobs[0].multi_az_enabled
    error_message = "Redis: a replica with automatic failover by default"
  }

  assert {
    condition     = aws_db_subnet_group.jobs[0].subnet_ids == toset(["subnet-private"]) && aws_elasticache_subnet_group.jobs[0].subnet_ids == toset(["subnet-private"]) && aws_ecs_service.jobs["worker"].network_configuration[0].subnets == toset(["subnet-private"])
    error_message = "the database and Redis live in the private subnets"
  }

  assert {
    condition     = alltrue([for k, r in aws_vpc_security_group_ingress_rule.jobs_db : r.security_group_id == "sg-0000000000000jdb" && r.from_port == 5432 && r.to_port == 5432 && r.cidr_ipv4 == null && r.cidr_ipv6 == null && r.prefix_list_id == null]) && toset([for r in aws_vpc_security_group_ingress_rule.jobs_db : r.referenced_security_group_id]) == toset(["sg-0000000000000tasks", "sg-00000000000worker"])
    error_message = "PostgreSQL admits 5432 from the API and worker security groups only"
  }

  assert {
    condition     = alltrue([for k, r in aws_vpc_security_group_ingress_rule.jobs_redis : r.security_group_id == "sg-00000000000jredis" && r.from_port == 6379 && r.to_port == 6379 && r.cidr_ipv4 == null && r.cidr_ipv6 == null && r.prefix_list_id == null]) && toset([for r in aws_vpc_security_group_ingress_rule.jobs_redis : r.referenced_security_group_id]) == toset(["sg-0000000000000tasks", "sg-00000000000worker"])
    error_message = "Redis admits 6379 from the API and worker security groups only"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.jobs[0].block_public_acls && aws_s3_bucket_public_access_block.jobs[0].block_public_policy && aws_s3_bucket_public_access_block.jobs[0].ignore_public_acls && aws_s3_bucket_public_access_block.jobs[0].restrict_public_buckets
    error_message = "the jobs bucket blocks every kind of public access"
  }

  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.jobs[0].rule : r.apply_server_side_encryption_by_default[0].sse_algorithm] == ["AES256"] && strcontains(aws_s3_bucket_policy.jobs[0].policy, "aws:SecureTransport")
    error_message = "the jobs bucket is encrypted and refuses plain HTTP"
  }

  assert {
    condition     = strcontains(aws_iam_role_policy.task_jobs_bucket[0].policy, "jobs/*") && !strcontains(aws_iam_role_policy.task_jobs_bucket[0].policy, "\"s3:*\"") && !strcontains(aws_iam_role_policy.task_jobs_bucket[0].policy, "\"Resource\":\"*\"")
    error_message = "the task role may use the jobs prefix of the jobs bucket only"
  }

  assert {
    condition     = length(local.jobs_container_definitions.worker.resourceRequirements) == 1 && local.jobs_container_definitions.worker.resourceRequirements[0].type == "GPU" && local.jobs_container_definitions.worker.resourceRequirements[0].value == "1" && length(local.jobs_container_definitions.beat.resourceRequirements) == 0
    error_message = "the Celery worker takes a GPU, beat none"
  }

  assert {
    condition     = startswith(join(" ", local.jobs_container_definitions.worker.command), "celery -A app.features.jobs.celery_app worker ") && contains(local.jobs_container_definitions.worker.command, "ocr") && local.jobs_container_definitions.beat.command[3] == "beat"
    error_message = "worker and beat run the Celery commands of mk/jobs.mk"
  }

  assert {
    condition     = [for s in local.jobs_container_definitions.worker.secrets : s.name] == ["DATABASE_URL", "REDIS_URL", "JOB_WEBHOOK_SECRET"] && [for e in local.jobs_container_definitions.worker.environment : e.value if e.name == "JOBS_BACKEND"] == ["celery"] && [for e in local.jobs_container_definitions.worker.environment : e.value if e.name == "JOBS_BUCKET"] == [aws_s3_bucket.jobs[0].bucket]
    error_message = "the worker gets the same stores as the API"
  }

  assert {
    condition     = aws_ecs_service.jobs["worker"].desired_count == 1 && aws_ecs_service.jobs["beat"].desired_count == 1 && aws_ecs_service.jobs["beat"].deployment_maximum_percent == 100 && [for c in aws_ecs_service.jobs["worker"].capacity_provider_strategy : c.capacity_provider] == ["ocr-fastapi-gpu"]
    error_message = "one worker and exactly one beat on the GPU capacity provider"
  }

  assert {
    condition     = aws_ecs_service.jobs["worker"].network_configuration[0].assign_public_ip == false && aws_ecs_service.jobs["worker"].network_configuration[0].security_groups == toset(["sg-00000000000worker"])
    error_message = "the workers run in the private subnets with their own security group"
  }

  assert {
    condition     = aws_cloudwatch_log_group.jobs["worker"].name == "/ecs/ocr-fastapi/worker" && aws_cloudwatch_log_group.jobs["beat"].name == "/ecs/ocr-fastapi/beat" && local.jobs_container_definitions.worker.logConfiguration.options["awslogs-group"] == "/ecs/ocr-fastapi/worker"
    error_message = "worker and beat log to CloudWatch"
  }
}

run "local_creates_no_store" {
  command = plan

  variables {
    jobs_backend = "local"
  }

  assert {
    condition     = local.app_environment.JOBS_BACKEND == "local" && !contains(keys(local.app_environment), "JOBS_BUCKET")
    error_message = "local mode: JOBS_BACKEND=local and no bucket"
  }

  assert {
    condition     = length(aws_s3_bucket.jobs) + length(aws_db_instance.jobs) + length(aws_elasticache_replication_group.jobs) + length(aws_ssm_parameter.jobs_database_url) + length(aws_ssm_parameter.jobs_redis_url) + length(aws_security_group.jobs_worker) + length(aws_security_group.jobs_db) + length(aws_security_group.jobs_redis) + length(aws_ecs_service.jobs) + length(aws_ecs_task_definition.jobs) + length(aws_iam_role_policy.task_jobs_bucket) + length(aws_cloudwatch_log_group.jobs) == 0
    error_message = "local mode creates none of the celery stores"
  }

  assert {
    condition     = [for s in local.container_definition.secrets : s.name] == ["API_KEY", "JOB_WEBHOOK_SECRET"]
    error_message = "local mode: no jobs store secrets (the webhook secret only: the API sends the callbacks)"
  }
}

run "off_turns_jobs_off" {
  command = plan

  variables {
    jobs_backend = "off"
  }

  assert {
    condition     = local.app_environment.JOBS_BACKEND == "off" && !contains(keys(local.app_environment), "JOB_TTL_HOURS")
    error_message = "off: JOBS_BACKEND=off reaches the task (the app then registers no /jobs routes)"
  }

  assert {
    condition     = length(aws_s3_bucket.jobs) + length(aws_db_instance.jobs) + length(aws_elasticache_replication_group.jobs) + length(aws_ssm_parameter.jobs_database_url) + length(aws_ssm_parameter.jobs_redis_url) + length(aws_security_group.jobs_worker) + length(aws_security_group.jobs_db) + length(aws_security_group.jobs_redis) + length(aws_ecs_service.jobs) + length(aws_ecs_task_definition.jobs) + length(aws_vpc_security_group_ingress_rule.jobs_db) + length(aws_vpc_security_group_egress_rule.jobs_redis) + length(aws_iam_role_policy.execution_jobs_secrets) == 0
    error_message = "off creates none of the jobs resources"
  }

  assert {
    condition     = [for s in local.container_definition.secrets : s.name] == ["API_KEY"]
    error_message = "off: no jobs secrets"
  }
}

run "rejects_unknown_jobs_backend" {
  command = plan

  variables {
    jobs_backend = "sqs"
  }

  expect_failures = [var.jobs_backend]
}
