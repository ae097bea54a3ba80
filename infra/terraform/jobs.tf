# Async jobs (/jobs) on ECS, switched by var.jobs_backend (docs/jobs.md, "On AWS").
#
# "celery" (default): the API tasks keep no job state of their own. Job rows live in RDS PostgreSQL
# (DATABASE_URL), job files in an S3 bucket (JOBS_BUCKET), Celery messages in ElastiCache Redis
# (REDIS_URL, TLS + AUTH), and Celery workers run the pages. So a deploy loses nothing and any API task
# answers GET /jobs/{id}. ("local" kept SQLite and files on each task's own volume: gone on every deploy,
# and a 404 whenever the poll reached another task than the submit.)
#
# Why the workers are a separate ECS service: ECS gives a GPU to one container only, and the app has no
# in-process worker for celery mode (app/features/jobs/celery_backend.py: "the API process runs no jobs
# itself"; the engines run in `celery ... worker`, app/features/jobs/celery_app.py). So the worker is its
# own GPU task on the same capacity provider, the API's image started with the worker command. Cost: one
# more GPU instance per worker task (jobs_worker_count, default 1), 24/7, beside the API's. Beat (the
# every-minute recovery and the 10-minute retention sweep) needs no GPU: a small task of its own,
# exactly one (a deployment stops the old beat before it starts the new one), on the same instances,
# where the image is already cached.
#
# "local": JOBS_BACKEND=local, nothing created (single-task test stacks only). "off": JOBS_BACKEND=off,
# the app registers no /jobs routes (404) and starts no job backend; nothing created.

locals {
  jobs_celery    = var.jobs_backend == "celery"
  jobs_count     = local.jobs_celery ? 1 : 0
  jobs_s3_prefix = "jobs/"
  jobs_db_name   = "ocr"
  jobs_db_user   = "ocr"
  jobs_bucket    = "${local.name}-jobs-${local.account_id}-${var.aws_region}"

  # Generated secrets: 122 random bits each, hex (URL-safe, allowed by RDS and ElastiCache). A local is
  # evaluated once per run, so the RDS password and the DATABASE_URL written in the same apply agree.
  # The DB password only ever goes to write-only attributes (password_wo, value_wo): it is in neither
  # the plan nor the state. The Redis AUTH token is NOT write-only in the AWS provider (auth_token): it
  # is in the state (marked sensitive), and so is REDIS_URL, which is built from it.
  jobs_db_password = replace(uuid(), "-", "")
  jobs_redis_token = replace(uuid(), "-", "")

  # S3 lifecycle backstop behind the app's own retention (ocr.cleanup_expired deletes a finished job
  # JOB_TTL_HOURS after it ends): objects are counted from their upload, so a week is added for the
  # time a job may wait and run before it ends.
  jobs_s3_expiration_days = ceil(var.jobs_ttl_hours / 24) + 7

  # merged into the API's environment (ecs.tf, app_environment) and, through it, into the workers'
  jobs_environment = merge(
    { JOBS_BACKEND = var.jobs_backend },
    var.jobs_backend == "off" ? {} : { JOB_TTL_HOURS = tostring(var.jobs_ttl_hours) },
    local.jobs_celery ? {
      JOBS_BUCKET    = local.jobs_bucket
      JOBS_S3_PREFIX = local.jobs_s3_prefix
    } : {},
  )

  # ECS secrets (SSM SecureString, decrypted by the ECS agent with the execution role): the URLs hold
  # the credentials, so they are never plain environment values
  jobs_secrets = local.jobs_celery ? [
    { name = "DATABASE_URL", valueFrom = aws_ssm_parameter.jobs_database_url[0].arn },
    { name = "REDIS_URL", valueFrom = aws_ssm_parameter.jobs_redis_url[0].arn },
  ] : []

  # the security groups allowed to reach the database and Redis: the API tasks and the Celery tasks
  jobs_clients = local.jobs_celery ? {
    api    = aws_security_group.tasks.id
    worker = aws_security_group.jobs_worker[0].id
  } : {}

  jobs_worker_environment = merge(local.app_environment, {
    JOBS_CONCURRENCY = tostring(var.jobs_worker_concurrency)
  })
}

# --- S3: job files -----------------------------------------------------------------------------------
resource "aws_s3_bucket" "jobs" {
  count = local.jobs_count
  #checkov:skip=CKV_AWS_18:Access logging not enabled: every request is made by the stack's own task role; CloudTrail data events can be enabled account-wide if object-level audit is required
  #checkov:skip=CKV_AWS_144:No cross-region replication: job files are transient (deleted JOB_TTL_HOURS after the job ends) and PostgreSQL is the source of truth
  #checkov:skip=CKV2_AWS_62:No event notifications: nothing consumes them, the app tracks every object in PostgreSQL
  #checkov:skip=CKV_AWS_21:Not versioned on purpose: DELETE /jobs/{id} and the JOB_TTL_HOURS retention must really delete the uploaded documents; old versions would keep them
  #checkov:skip=CKV_AWS_145:SSE-S3, not KMS: the app writes every object with ServerSideEncryption=AES256 (app/features/jobs/s3.py), which would override a KMS default anyway

  bucket        = local.jobs_bucket
  force_destroy = var.jobs_bucket_force_destroy
}

resource "aws_s3_bucket_public_access_block" "jobs" {
  count = local.jobs_count

  bucket                  = aws_s3_bucket.jobs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "jobs" {
  count = local.jobs_count

  bucket = aws_s3_bucket.jobs[0].id
  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "jobs" {
  count = local.jobs_count

  bucket = aws_s3_bucket.jobs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "jobs" {
  count = local.jobs_count

  bucket = aws_s3_bucket.jobs[0].id

  rule {
    id     = "expire-job-files"
    status = "Enabled"
    filter {
      prefix = local.jobs_s3_prefix
    }
    expiration {
      days = local.jobs_s3_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "jobs" {
  count = local.jobs_count

  bucket = aws_s3_bucket.jobs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.jobs[0].arn, "${aws_s3_bucket.jobs[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.jobs]
}

# The task role (API and workers): the jobs prefix of this bucket only.
resource "aws_iam_role_policy" "task_jobs_bucket" {
  count = local.jobs_count

  name = "jobs-bucket"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListJobFiles"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [aws_s3_bucket.jobs[0].arn]
        Condition = {
          StringLike = { "s3:prefix" = ["${local.jobs_s3_prefix}*"] }
        }
      },
      {
        Sid      = "ReadWriteJobFiles"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = ["${aws_s3_bucket.jobs[0].arn}/${local.jobs_s3_prefix}*"]
      },
    ]
  })
}

# --- network: who may reach the database and Redis ----------------------------------------------------
resource "aws_security_group" "jobs_worker" {
  count = local.jobs_count

  name        = "${local.name}-jobs-worker"
  description = "Celery worker and beat tasks: no inbound; egress HTTPS, PostgreSQL and Redis of the jobs stores"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${local.name}-jobs-worker" }
}

resource "aws_vpc_security_group_egress_rule" "jobs_worker_https" {
  count = local.jobs_count

  security_group_id = aws_security_group.jobs_worker[0].id
  description       = "HTTPS: S3, Bedrock, webhooks (callback_url on port 443)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "jobs_db" {
  count = local.jobs_count

  name        = "${local.name}-jobs-db"
  description = "Jobs PostgreSQL: 5432 from the API and Celery tasks only; no egress"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${local.name}-jobs-db" }
}

resource "aws_security_group" "jobs_redis" {
  count = local.jobs_count

  name        = "${local.name}-jobs-redis"
  description = "Jobs Redis (Celery broker): 6379 from the API and Celery tasks only; no egress"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${local.name}-jobs-redis" }
}

resource "aws_vpc_security_group_ingress_rule" "jobs_db" {
  for_each = local.jobs_clients

  security_group_id            = aws_security_group.jobs_db[0].id
  description                  = "PostgreSQL from the ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "jobs_redis" {
  for_each = local.jobs_clients

  security_group_id            = aws_security_group.jobs_redis[0].id
  description                  = "Redis from the ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_egress_rule" "jobs_db" {
  for_each = local.jobs_clients

  security_group_id            = each.value
  description                  = "PostgreSQL of the jobs"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.jobs_db[0].id
}

resource "aws_vpc_security_group_egress_rule" "jobs_redis" {
  for_each = local.jobs_clients

  security_group_id            = each.value
  description                  = "Redis of the jobs"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.jobs_redis[0].id
}

# --- RDS PostgreSQL: job state -------------------------------------------------------------------------
resource "aws_db_subnet_group" "jobs" {
  count = local.jobs_count

  name       = "${local.name}-jobs"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "jobs" {
  count = local.jobs_count

  name_prefix = "${local.name}-jobs-"
  family      = "postgres${split(".", var.jobs_db_engine_version)[0]}"
  description = "Jobs PostgreSQL: TLS only, slow statements logged"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000" # ms
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "jobs_db" {
  for_each = local.jobs_celery ? toset(["postgresql", "upgrade"]) : toset([])

  name              = "/aws/rds/instance/${local.name}-jobs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_db_instance" "jobs" {
  count = local.jobs_count
  #checkov:skip=CKV_AWS_161:IAM database authentication is not used: the app connects with DATABASE_URL (user and password); IAM tokens would need app support
  #checkov:skip=CKV_AWS_118:No enhanced monitoring: the standard 1-minute RDS metrics suffice for a small job-state database (enhanced monitoring needs another IAM role and costs per instance)

  identifier     = "${local.name}-jobs"
  engine         = "postgres"
  engine_version = var.jobs_db_engine_version
  instance_class = var.jobs_db_instance_class

  db_name             = local.jobs_db_name
  username            = local.jobs_db_user
  password_wo         = local.jobs_db_password
  password_wo_version = var.jobs_db_password_version

  allocated_storage     = var.jobs_db_allocated_storage_gb
  max_allocated_storage = var.jobs_db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.main.arn

  db_subnet_group_name   = aws_db_subnet_group.jobs[0].name
  vpc_security_group_ids = [aws_security_group.jobs_db[0].id]
  publicly_accessible    = false
  multi_az               = var.jobs_db_multi_az
  parameter_group_name   = aws_db_parameter_group.jobs[0].name

  backup_retention_period    = var.jobs_db_backup_retention_days
  copy_tags_to_snapshot      = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${local.name}-jobs-final"
  auto_minor_version_upgrade = true

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.main.arn
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  depends_on = [aws_cloudwatch_log_group.jobs_db]
}

# sslmode=require: TLS on every connection (rds.force_ssl refuses plain ones too). It does not verify
# the server certificate: verify-full needs the RDS CA bundle in the image.
resource "aws_ssm_parameter" "jobs_database_url" {
  count = local.jobs_count

  name             = "/${local.name}/jobs/database-url"
  description      = "DATABASE_URL of the ${local.name} jobs (write-only: not in the state)"
  type             = "SecureString"
  key_id           = aws_kms_key.main.arn
  value_wo         = "postgresql+psycopg://${local.jobs_db_user}:${local.jobs_db_password}@${aws_db_instance.jobs[0].address}:${aws_db_instance.jobs[0].port}/${local.jobs_db_name}?sslmode=require"
  value_wo_version = var.jobs_db_password_version

  lifecycle {
    # a replaced database gets a new password (this run's): write the URL again with it
    replace_triggered_by = [aws_db_instance.jobs[0].resource_id]
  }
}

# --- ElastiCache Redis: Celery broker and result backend ----------------------------------------------
resource "aws_elasticache_subnet_group" "jobs" {
  count = local.jobs_count

  name       = "${local.name}-jobs"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_elasticache_replication_group" "jobs" {
  count = local.jobs_count
  #checkov:skip=CKV2_AWS_50:Automatic failover and Multi-AZ are on whenever jobs_redis_nodes >= 2 (default 2, asserted in tests/jobs.tftest.hcl); checkov does not evaluate the expression. With 1 node there is nothing to fail over to

  replication_group_id = "${local.name}-jobs"
  description          = "Celery broker and result backend of the ${local.name} jobs"
  engine               = "redis"
  engine_version       = "7.1"
  parameter_group_name = "default.redis7"
  node_type            = var.jobs_redis_node_type
  num_cache_clusters   = var.jobs_redis_nodes
  port                 = 6379

  automatic_failover_enabled = var.jobs_redis_nodes > 1
  multi_az_enabled           = var.jobs_redis_nodes > 1

  subnet_group_name  = aws_elasticache_subnet_group.jobs[0].name
  security_group_ids = [aws_security_group.jobs_redis[0].id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  transit_encryption_enabled = true
  auth_token                 = local.jobs_redis_token

  # Redis holds only messages ("look at job X") and short-lived results: PostgreSQL is the source of
  # truth and ocr.recover_stale re-sends jobs whose message was lost. One daily snapshot is plenty.
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true

  lifecycle {
    # generated once at creation (uuid() changes on every run); it stays what the cluster was made with
    ignore_changes = [auth_token]
  }
}

# Built from the token in the state (see jobs_redis_token above), so it always matches the cluster.
# ssl_cert_reqs is required by Celery for rediss:// URLs; CERT_REQUIRED verifies ElastiCache's certificate.
resource "aws_ssm_parameter" "jobs_redis_url" {
  count = local.jobs_count

  name        = "/${local.name}/jobs/redis-url"
  description = "REDIS_URL (TLS + AUTH token) of the ${local.name} jobs"
  type        = "SecureString"
  key_id      = aws_kms_key.main.arn
  value       = "rediss://:${aws_elasticache_replication_group.jobs[0].auth_token}@${aws_elasticache_replication_group.jobs[0].primary_endpoint_address}:6379/0?ssl_cert_reqs=CERT_REQUIRED"
}

# The ECS agent reads the two URLs for the API, worker and beat tasks.
resource "aws_iam_role_policy" "execution_jobs_secrets" {
  count = local.jobs_count

  name = "read-jobs-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadJobsParameters"
        Effect   = "Allow"
        Action   = ["ssm:GetParameters"]
        Resource = [aws_ssm_parameter.jobs_database_url[0].arn, aws_ssm_parameter.jobs_redis_url[0].arn]
      },
      {
        Sid      = "DecryptJobsParameters"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [aws_kms_key.main.arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "ssm.${var.aws_region}.amazonaws.com" }
        }
      },
    ]
  })
}

# --- Celery worker (GPU) and beat ------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "jobs" {
  for_each = local.jobs_celery ? toset(["worker", "beat"]) : toset([])

  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

locals {
  jobs_celery_cmd = ["celery", "-A", "app.features.jobs.celery_app"]

  jobs_containers = local.jobs_celery ? {
    worker = {
      command = concat(local.jobs_celery_cmd, ["worker", "--loglevel", "INFO", "--pool", "threads",
      "--concurrency", tostring(var.jobs_worker_concurrency), "--queues", "ocr"])
      gpu         = true
      environment = local.jobs_worker_environment
      webhooks    = true # ocr.send_webhook runs here: it signs the callbacks
      # warm shutdown: running jobs stop at a page boundary and resume on another worker
      stop_timeout = 120
    }
    beat = {
      command      = concat(local.jobs_celery_cmd, ["beat", "--loglevel", "INFO", "--schedule", "/tmp/celerybeat-schedule"])
      gpu          = false
      environment  = local.app_environment
      webhooks     = false # only schedules; the worker sends
      stop_timeout = 30
    }
  } : {}

  jobs_container_definitions = {
    for name, c in local.jobs_containers : name => {
      name                 = name
      image                = var.ecr_image
      essential            = true
      command              = c.command
      resourceRequirements = c.gpu ? [{ type = "GPU", value = "1" }] : []
      environment          = [for k in sort(keys(c.environment)) : { name = k, value = c.environment[k] }]
      # no API_KEY: the workers serve no HTTP (they load their settings with AUTH_MODE=none)
      secrets = concat(local.jobs_secrets, c.webhooks ? local.job_webhook_secrets : [])
      # No healthCheck: these processes serve no port (the image's HEALTHCHECK probes the API's, and ECS
      # ignores image health checks); a worker that dies exits and the service replaces it.
      stopTimeout            = c.stop_timeout
      readonlyRootFilesystem = var.readonly_root_filesystem
      mountPoints            = [for v, path in local.writable_paths : { sourceVolume = v, containerPath = path, readOnly = false }]
      ulimits                = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.jobs[name].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = name
          mode                  = "non-blocking"
          max-buffer-size       = "25m"
        }
      }
    }
  }
}

resource "aws_ecs_task_definition" "jobs" {
  for_each = local.jobs_container_definitions

  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  # the worker loads the same engines as the API (same size); beat only sends messages (~130 MB)
  cpu                   = each.key == "worker" ? tostring(var.task_cpu) : "256"
  memory                = each.key == "worker" ? tostring(var.task_memory) : "512"
  execution_role_arn    = aws_iam_role.execution.arn
  task_role_arn         = aws_iam_role.task.arn # same AWS access as the API: the jobs bucket, Bedrock
  container_definitions = jsonencode([each.value])

  # As the API's: old revisions stay ACTIVE so that a deployment can roll back to them (the deploy
  # workflow registers new revisions of these families too).
  skip_destroy = true

  dynamic "volume" {
    for_each = local.writable_paths
    content {
      name = volume.key

      docker_volume_configuration {
        scope  = "task"
        driver = "local"
      }
    }
  }
}

resource "aws_ecs_service" "jobs" {
  for_each = aws_ecs_task_definition.jobs

  name                    = "${local.name}-${each.key}"
  cluster                 = aws_ecs_cluster.main.id
  task_definition         = each.value.arn
  desired_count           = each.key == "worker" ? var.jobs_worker_count : 1
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  enable_execute_command  = var.enable_ecs_exec

  # Stop old tasks before starting new ones: a worker deployment needs no spare GPU (its running jobs
  # resume from their last finished page on the new worker), and there is never more than one beat.
  deployment_minimum_healthy_percent = each.key == "worker" && var.jobs_worker_count > 1 ? 50 : 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
    base              = 0
  }

  ordered_placement_strategy {
    type  = "spread"
    field = "attribute:ecs.availability-zone"
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.jobs_worker[0].id]
    assign_public_ip = false
  }

  lifecycle {
    # As the API's: the deploy workflow rolls worker and beat onto each new image together with the API
    # (.github/workflows/deploy.yml, infra/ecs-deploy.sh), so an apply must not put back the revision
    # Terraform last registered (an older image: API and workers would run different code). Roll out a
    # Terraform-made revision with `aws ecs update-service` (TUTORIAL-DEPLOY.md, "Async jobs").
    ignore_changes = [task_definition]
  }

  depends_on = [
    aws_ecs_cluster_capacity_providers.main,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy.execution_jobs_secrets,
    aws_iam_role_policy.execution_job_webhook_secret,
  ]
}

# --- outputs -----------------------------------------------------------------------------------------
output "jobs_backend" {
  description = "JOBS_BACKEND of the tasks (celery, local or off)"
  value       = var.jobs_backend
}

output "jobs_bucket" {
  description = "S3 bucket of the job files (celery mode), else null"
  value       = one(aws_s3_bucket.jobs[*].bucket)
}

output "jobs_database_endpoint" {
  description = "RDS PostgreSQL endpoint of the job state (celery mode), else null"
  value       = one(aws_db_instance.jobs[*].endpoint)
}

output "jobs_redis_endpoint" {
  description = "ElastiCache Redis primary endpoint (celery mode), else null"
  value       = one(aws_elasticache_replication_group.jobs[*].primary_endpoint_address)
}

output "jobs_worker_service" {
  description = "ECS service of the Celery workers (celery mode), else null"
  value       = try(aws_ecs_service.jobs["worker"].name, null)
}

output "jobs_beat_service" {
  description = "ECS service of Celery beat (celery mode), else null"
  value       = try(aws_ecs_service.jobs["beat"].name, null)
}

output "job_webhook_secret_parameter_name" {
  description = "SSM SecureString holding JOB_WEBHOOK_SECRET (whenever /jobs exists), else null"
  value       = one(aws_ssm_parameter.job_webhook_secret[*].name)
}
