# ECS on EC2 GPU instances: cluster -> capacity provider -> Auto Scaling group of GPU instances (ECS
# GPU-optimized AMI from the SSM public parameter) -> one task per GPU (resourceRequirements GPU = 1).

data "aws_ssm_parameter" "gpu_ami" {
  name = var.gpu_ami_ssm_parameter
}

resource "aws_ecs_cluster" "main" {
  name = "${local.name}-cluster"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# --- GPU instances ----------------------------------------------------------------------------------
resource "aws_launch_template" "gpu" {
  name_prefix = "${local.name}-gpu-"
  description = "ECS GPU container instances for ${local.name}"
  image_id    = data.aws_ssm_parameter.gpu_ami.insecure_value # a public AMI id, not a secret
  # the instance types come from the Auto Scaling group's mixed-instances policy
  ebs_optimized          = true
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.instances.id]

  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    cluster_name       = aws_ecs_cluster.main.name
    cwagent_config_b64 = base64encode(file("${path.module}/cloudwatch-agent.json"))
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  # IMDSv2 only; hop limit 1 keeps containers away from the instance role (awsvpc tasks are blocked
  # from IMDS by ECS_AWSVPC_BLOCK_IMDS as well).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_size_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${local.name}-gpu" }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = "${local.name}-gpu" }
  }
}

# Instances the group may need at most: every task of a full service twice while a deployment starts the
# new tasks beside the old (deployment_maximum_percent), plus the spare that capacity_target_percent keeps.
# With max_size equal to the task maximum, a deploy at full scale waited for GPUs that could never start.
# The Celery workers (jobs.tf) take one GPU instance each too; they are replaced without a surge.
locals {
  deploy_tasks     = ceil(var.max_capacity * var.deployment_maximum_percent / 100) + (local.jobs_celery ? var.jobs_worker_count : 0)
  gpu_max_size     = ceil(local.deploy_tasks * 100 / var.capacity_target_percent)
  gpu_instance_set = distinct(concat([var.instance_type], var.fallback_instance_types))
}

resource "aws_autoscaling_group" "gpu" {
  name                  = "${local.name}-gpu"
  vpc_zone_identifier   = aws_subnet.private[*].id
  min_size              = var.min_capacity
  max_size              = local.gpu_max_size
  desired_capacity      = var.min_capacity
  health_check_type     = "EC2"
  protect_from_scale_in = true # required by managed termination protection
  force_delete          = true # terraform destroy: instances are scale-in protected, delete them with the group
  metrics_granularity   = "1Minute"
  enabled_metrics       = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances"]

  # The preferred type first; the others when it has no capacity in a zone (GPU capacity runs out).
  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = 0
      on_demand_percentage_above_base_capacity = 100 # a task's models take minutes to load: no Spot
      on_demand_allocation_strategy            = "prioritized"
    }

    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.gpu.id
        version            = aws_launch_template.gpu.latest_version
      }

      dynamic "override" {
        for_each = local.gpu_instance_set
        content {
          instance_type = override.value
        }
      }
    }
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The capacity provider's managed scaling owns the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "gpu" {
  name = "${local.name}-gpu"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.gpu.arn
    managed_termination_protection = "ENABLED"
    managed_draining               = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = var.capacity_target_percent
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 2
      instance_warmup_period    = 300
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = [aws_ecs_capacity_provider.gpu.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
    base              = 0
  }
}

# --- task definition --------------------------------------------------------------------------------
locals {
  # Writable paths when the root filesystem is read-only (task-scoped Docker volumes; Docker copies the
  # image's ownership, so the non-root user can write).
  writable_paths = var.readonly_root_filesystem ? {
    tmp  = "/tmp"
    data = "/app/.data"
    home = "/home/app"
  } : {}

  app_environment = merge(
    {
      HOST               = "0.0.0.0"
      PORT               = tostring(local.container_port)
      AUTH_MODE          = var.auth_mode
      ALLOWED_ORIGINS    = join(",", var.allowed_origins)
      OCR_DEVICE         = "gpu:0"
      OCR_ENGINE_BACKEND = "paddle"
      PRELOAD_MODELS     = "true"
      LOG_FORMAT         = "json"
      SHUTDOWN_GRACE_S   = tostring(var.shutdown_grace_seconds)
      AWS_REGION         = var.aws_region
      # only the ALB (in the public subnets) may set X-Forwarded-For
      FORWARDED_ALLOW_IPS = join(",", aws_subnet.public[*].cidr_block)
      # the ALB, not the task, must close idle connections (else it may send on a closing one: 502)
      KEEP_ALIVE_S = tostring(var.alb_idle_timeout + 5)
      # queue occupancy as EMF log lines: the metric of the queue alarm and of autoscaling (autoscaling.tf)
      EMF_METRICS_INTERVAL_S = tostring(var.emf_metrics_interval_seconds)
    },
    var.memory_ceiling_mb == null ? {} : { OCR_MEMORY_CEILING_MB = tostring(var.memory_ceiling_mb) },
    local.cognito_enabled ? {
      COGNITO_ISSUER   = local.cognito_issuer
      COGNITO_AUDIENCE = aws_cognito_user_pool_client.api[0].id
    } : {},
    var.app_environment,
    local.jobs_environment, # jobs.tf, last: the JOBS_* the stores were built for win over app_environment
    # last too: the namespace the alarms, the dashboard and the scaling policy read (monitoring.tf)
    { EMF_NAMESPACE = local.app_metrics_namespace },
  )

  container_definition = {
    name      = local.container_name
    image     = var.ecr_image
    essential = true

    portMappings = [{
      containerPort = local.container_port
      protocol      = "tcp"
    }]

    resourceRequirements = [{ type = "GPU", value = "1" }]

    environment = [for k in sort(keys(local.app_environment)) : { name = k, value = local.app_environment[k] }]

    secrets = concat(
      local.api_key_enabled ? [{ name = "API_KEY", valueFrom = aws_ssm_parameter.api_key[0].arn }] : [],
      local.jobs_secrets,        # jobs.tf: DATABASE_URL, REDIS_URL (celery mode)
      local.job_webhook_secrets, # secrets.tf: JOB_WEBHOOK_SECRET (whenever /jobs exists)
    )

    # Liveness only: the ALB owns readiness (/health). A task that is loading or draining answers 503 on
    # /health but is alive, and must not be killed for it.
    healthCheck = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.container_port}/health/live', timeout=4)"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_grace_period_seconds
    }

    # SIGTERM -> the app stops taking work and drains in-flight requests for SHUTDOWN_GRACE_S.
    stopTimeout = var.shutdown_grace_seconds + 30

    readonlyRootFilesystem = var.readonly_root_filesystem
    mountPoints            = [for name, path in local.writable_paths : { sourceVolume = name, containerPath = path, readOnly = false }]

    ulimits = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = local.container_name
        mode                  = "non-blocking"
        max-buffer-size       = "25m"
      }
    }
  }
}

resource "aws_ecs_task_definition" "api" {
  family                   = "${local.name}-api"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.task_cpu)
  memory                   = tostring(var.task_memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])

  # Old revisions stay ACTIVE so a deployment can roll back to them; CI registers new revisions too.
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

# --- service ----------------------------------------------------------------------------------------
resource "aws_ecs_service" "api" {
  name                              = "${local.name}-api"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.api.arn
  desired_count                     = var.desired_capacity
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"

  # New task first, then the old one drains: needs a free GPU, which managed scaling provides (the
  # group's maximum leaves room for deployment_maximum_percent of the largest service).
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = var.deployment_maximum_percent
  enable_execute_command             = var.enable_ecs_exec

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
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  lifecycle {
    # Service autoscaling owns desired_count; the deploy workflow registers new task definition revisions
    # (image swaps). Roll out a Terraform-made revision with `aws ecs update-service` (see TUTORIAL-DEPLOY.md).
    ignore_changes = [desired_count, task_definition]
  }

  depends_on = [
    aws_lb_listener.http_forward,
    aws_lb_listener.https,
    aws_ecs_cluster_capacity_providers.main,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy.execution_job_webhook_secret,
  ]
}
