# Monitoring gaps (issue point 7): VRAM, 429 / queue, ELB 5xx and no-GPU-data alarms, autoscaling on the
# service's own queue occupancy (EMF), least-outstanding-requests routing, the dashboard. Plan-level,
# mocked provider (the mock_provider and variables blocks are those of plan.tftest.hcl).

# the data sources' values, shared by every test file: tests/mocks/aws.tfmock.hcl
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  ecr_image = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:test"
}

run "monitoring_defaults" {
  command = plan

  # 1. VRAM: memory used over memory total, not utilization_memory (bandwidth)
  assert {
    condition = (
      [for q in aws_cloudwatch_metric_alarm.gpu_memory.metric_query : q.expression if q.return_data == true] == ["100 * used / total"]
      && toset([for q in aws_cloudwatch_metric_alarm.gpu_memory.metric_query : "${q.id}=${q.metric[0].namespace}/${q.metric[0].metric_name}/${q.metric[0].stat}" if q.return_data != true]) == toset(["used=CWAgent/nvidia_smi_memory_used/Maximum", "total=CWAgent/nvidia_smi_memory_total/Minimum"])
      && alltrue([for q in aws_cloudwatch_metric_alarm.gpu_memory.metric_query : q.metric[0].dimensions.AutoScalingGroupName == "ocr-fastapi-gpu" if q.return_data != true])
    )
    error_message = "GPU memory alarm: 100 * max nvidia_smi_memory_used / min nvidia_smi_memory_total of the group"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.gpu_memory.threshold == 90 && aws_cloudwatch_metric_alarm.gpu_memory.comparison_operator == "GreaterThanThreshold" && aws_cloudwatch_metric_alarm.gpu_memory.metric_name == null
    error_message = "GPU memory alarm: metric math only, threshold var.alarm_gpu_memory_percent (90)"
  }

  # 2. 429s: metric filter on the JSON access log, and its alarm
  assert {
    condition     = aws_cloudwatch_log_metric_filter.http_429.pattern == "{ ($.logger = \"app.access\") && ($.status = 429) }" && aws_cloudwatch_log_metric_filter.http_429.log_group_name == "/ecs/ocr-fastapi"
    error_message = "metric filter must count access-log lines with status 429 in the app's log group"
  }

  assert {
    condition = (
      aws_cloudwatch_log_metric_filter.http_429.metric_transformation[0].namespace == "OCRService/ocr-fastapi"
      && aws_cloudwatch_log_metric_filter.http_429.metric_transformation[0].value == "1"
      && aws_cloudwatch_log_metric_filter.http_429.metric_transformation[0].default_value == "0"
      && aws_cloudwatch_metric_alarm.http_429.namespace == "OCRService/ocr-fastapi"
      && aws_cloudwatch_metric_alarm.http_429.metric_name == "Http429Count"
      && aws_cloudwatch_metric_alarm.http_429.statistic == "Sum"
      && aws_cloudwatch_metric_alarm.http_429.threshold == 20
    )
    error_message = "429 alarm: Sum of the filter's Http429Count over 5 minutes above var.alarm_429_count"
  }

  # 2. queue depth: the EMF metric the app writes, and the setting that turns it on
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.queue_occupancy.namespace == "OCRService/ocr-fastapi"
      && aws_cloudwatch_metric_alarm.queue_occupancy.metric_name == "QueueOccupancy"
      && aws_cloudwatch_metric_alarm.queue_occupancy.dimensions == tomap({ Queue = "admission" })
      && aws_cloudwatch_metric_alarm.queue_occupancy.statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.queue_occupancy.threshold == 80
    )
    error_message = "queue alarm: fullest task's OCRService QueueOccupancy (Queue=admission) above 80 %"
  }

  assert {
    condition     = local.app_environment.EMF_METRICS_INTERVAL_S == "15" && contains(local.container_definition.environment, { name = "EMF_METRICS_INTERVAL_S", value = "15" })
    error_message = "the task must turn the EMF emitter on (EMF_METRICS_INTERVAL_S)"
  }

  # 3. ELB 5xx alarm; a silent GPU agent is an alarm of its own
  assert {
    condition     = aws_cloudwatch_metric_alarm.elb_5xx.metric_name == "HTTPCode_ELB_5XX_Count" && aws_cloudwatch_metric_alarm.elb_5xx.namespace == "AWS/ApplicationELB" && join(",", keys(aws_cloudwatch_metric_alarm.elb_5xx.dimensions)) == "LoadBalancer" && aws_cloudwatch_metric_alarm.elb_5xx.statistic == "Sum" && aws_cloudwatch_metric_alarm.elb_5xx.threshold == 10
    error_message = "ELB 5xx alarm on the load balancer dimension alone (the metric has no target group)"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.gpu_metrics_missing.treat_missing_data == "breaching"
      && [for q in aws_cloudwatch_metric_alarm.gpu_metrics_missing.metric_query : q.expression if q.return_data == true] == ["FILL(instances, 0) - FILL(samples, 0) / 5"]
      && toset([for q in aws_cloudwatch_metric_alarm.gpu_metrics_missing.metric_query : "${q.id}=${q.metric[0].metric_name}/${q.metric[0].stat}" if q.return_data != true]) == toset(["instances=GroupInServiceInstances/Minimum", "samples=nvidia_smi_utilization_gpu/SampleCount"])
      && aws_cloudwatch_metric_alarm.gpu_utilization.treat_missing_data == "notBreaching"
    )
    error_message = "a dead CloudWatch agent must raise gpu_metrics_missing (instances in service without GPU samples, missing data breaching)"
  }

  # 4. autoscaling on the service's own queue occupancy, GPU utilisation for scale-out only
  assert {
    condition = (
      aws_appautoscaling_policy.queue_occupancy.policy_type == "TargetTrackingScaling"
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].target_value == 25
      && length(aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].predefined_metric_specification) == 0
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].namespace == aws_cloudwatch_metric_alarm.queue_occupancy.namespace
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metric_name == "QueueOccupancy"
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].statistic == "Average"
      && [for d in aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].dimensions : "${d.name}=${d.value}"] == ["Queue=admission"]
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].disable_scale_in == false
    )
    error_message = "target tracking on the average OCRService QueueOccupancy (Queue=admission), scaling in and out"
  }

  assert {
    condition = (
      aws_appautoscaling_policy.gpu_utilization.target_tracking_scaling_policy_configuration[0].disable_scale_in
      && aws_appautoscaling_policy.gpu_utilization.target_tracking_scaling_policy_configuration[0].target_value == 80
      && aws_appautoscaling_policy.gpu_utilization.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metric_name == "nvidia_smi_utilization_gpu"
      && [for d in aws_appautoscaling_policy.gpu_utilization.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].dimensions : "${d.name}=${d.value}"] == ["AutoScalingGroupName=ocr-fastapi-gpu"]
    )
    error_message = "GPU utilisation target tracking scales out only"
  }

  assert {
    condition     = aws_lb_target_group.api.load_balancing_algorithm_type == "least_outstanding_requests"
    error_message = "requests of 1-50 pages: route to the target with the fewest in flight"
  }

  # every new alarm notifies the topic
  assert {
    condition     = alltrue([for a in [aws_cloudwatch_metric_alarm.gpu_memory, aws_cloudwatch_metric_alarm.http_429, aws_cloudwatch_metric_alarm.queue_occupancy, aws_cloudwatch_metric_alarm.elb_5xx, aws_cloudwatch_metric_alarm.gpu_metrics_missing] : length(a.alarm_actions) == 1 && length(a.ok_actions) == 1])
    error_message = "the new alarms must notify the SNS topic on ALARM and OK"
  }
}

# 5. the dashboard shows the new metrics (the body holds the ALB's arn_suffix: made known at plan here)
run "dashboard_has_the_new_metrics" {
  command = plan

  override_resource {
    target          = aws_lb.main
    override_during = plan
    values          = { arn_suffix = "app/ocr-fastapi-alb/0123456789abcdef", arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/ocr-fastapi-alb/0123456789abcdef" }
  }

  override_resource {
    target          = aws_lb_target_group.api
    override_during = plan
    values          = { arn_suffix = "targetgroup/ocr-fastapi-api/0123456789abcdef", arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/ocr-fastapi-api/0123456789abcdef" }
  }

  assert {
    condition = length(setsubtract(
      ["QueueOccupancy", "RequestsActive", "RequestsWaiting", "Http429Count", "HTTPCode_ELB_5XX_Count", "nvidia_smi_memory_used", "nvidia_smi_memory_total", "GroupInServiceInstances"],
      flatten([for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : [for x in m : x if can(tostring(x))]]])
    )) == 0
    error_message = "dashboard must chart queue occupancy, active/waiting, 429s, ELB 5xx, GPU memory and agent coverage"
  }

  assert {
    condition     = contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : [for x in m : try(x.expression, "")]]]), "100 * used / total")
    error_message = "dashboard must draw GPU memory used as a percentage"
  }
}

run "thresholds_follow_the_variables" {
  command = plan

  variables {
    alarm_gpu_memory_percent           = 75
    alarm_429_count                    = 3
    alarm_queue_occupancy_percent      = 60
    alarm_elb_5xx_count                = 1
    autoscaling_queue_occupancy_target = 40
    emf_metrics_interval_seconds       = 60
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.gpu_memory.threshold == 75
      && aws_cloudwatch_metric_alarm.http_429.threshold == 3
      && aws_cloudwatch_metric_alarm.queue_occupancy.threshold == 60
      && aws_cloudwatch_metric_alarm.elb_5xx.threshold == 1
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].target_value == 40
      && local.app_environment.EMF_METRICS_INTERVAL_S == "60"
    )
    error_message = "thresholds, scaling target and EMF interval come from the variables"
  }
}

run "emf_cannot_be_turned_off_under_autoscaling" {
  command = plan

  variables {
    emf_metrics_interval_seconds = 0
  }

  expect_failures = [var.emf_metrics_interval_seconds]
}

# 6. One namespace per deployment: the task writes its EMF lines under EMF_NAMESPACE, and the alarms, the
# dashboard, the 429 filter and the scaling policy read exactly that namespace. The rendered task
# definitions are checked (their JSON is known at plan once the secrets' ARNs and the ALB are).
run "namespace_is_one_per_deployment" {
  command = plan

  variables {
    project_name = "ocr-staging"
  }

  override_resource {
    target          = aws_ssm_parameter.api_key
    override_during = plan
    values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-staging/api-key" }
  }

  override_resource {
    target          = aws_ssm_parameter.jobs_database_url
    override_during = plan
    values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-staging/jobs/database-url" }
  }

  override_resource {
    target          = aws_ssm_parameter.jobs_redis_url
    override_during = plan
    values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-staging/jobs/redis-url" }
  }

  override_resource {
    target          = aws_ssm_parameter.job_webhook_secret
    override_during = plan
    values          = { arn = "arn:aws:ssm:ap-northeast-2:123456789012:parameter/ocr-staging/jobs/webhook-secret" }
  }

  override_resource {
    target          = aws_lb.main
    override_during = plan
    values          = { arn_suffix = "app/ocr-staging-alb/0123456789abcdef", arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/ocr-staging-alb/0123456789abcdef" }
  }

  override_resource {
    target          = aws_lb_target_group.api
    override_during = plan
    values          = { arn_suffix = "targetgroup/ocr-staging-api/0123456789abcdef", arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/ocr-staging-api/0123456789abcdef" }
  }

  assert {
    condition     = local.app_metrics_namespace == "OCRService/ocr-staging"
    error_message = "the default namespace is OCRService/<project_name>"
  }

  assert {
    condition     = [for e in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].environment : e.value if e.name == "EMF_NAMESPACE"] == ["OCRService/ocr-staging"]
    error_message = "the API task definition must carry EMF_NAMESPACE = the stack's namespace"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.queue_occupancy.namespace == "OCRService/ocr-staging"
      && aws_cloudwatch_metric_alarm.http_429.namespace == "OCRService/ocr-staging"
      && aws_cloudwatch_log_metric_filter.http_429.metric_transformation[0].namespace == "OCRService/ocr-staging"
    )
    error_message = "the queue and 429 alarms and the 429 metric filter must use the namespace the task writes"
  }

  assert {
    condition     = aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].namespace == "OCRService/ocr-staging"
    error_message = "the queue-occupancy scaling policy must read the namespace the task writes"
  }

  assert {
    condition     = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : m[0] if contains(m, "QueueOccupancy") || contains(m, "Http429Count")]])) == toset(["OCRService/ocr-staging"])
    error_message = "the dashboard's queue and 429 widgets must chart the stack's namespace"
  }
}

run "namespace_can_be_set_and_overrides_app_environment" {
  command = plan

  variables {
    app_metrics_namespace = "OCRService/prod-eu"
    # a stray EMF_NAMESPACE in app_environment must not split the app from its alarms
    app_environment = { EMF_NAMESPACE = "Other" }
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

  assert {
    condition = (
      [for e in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].environment : e.value if e.name == "EMF_NAMESPACE"] == ["OCRService/prod-eu"]
      && aws_cloudwatch_metric_alarm.queue_occupancy.namespace == "OCRService/prod-eu"
      && aws_appautoscaling_policy.queue_occupancy.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].namespace == "OCRService/prod-eu"
    )
    error_message = "app_metrics_namespace sets the task's EMF_NAMESPACE, the alarm's and the scaling policy's namespace alike"
  }
}

run "rejects_a_reserved_namespace" {
  command = plan

  variables {
    app_metrics_namespace = "AWS/ECS"
  }

  expect_failures = [var.app_metrics_namespace]
}

run "memory_ceiling_reaches_the_task_and_has_its_alarm" {
  command = plan

  variables {
    memory_ceiling_mb            = 14000
    alarm_memory_ceiling_percent = 85
  }

  assert {
    condition     = local.app_environment.OCR_MEMORY_CEILING_MB == "14000" && contains(local.container_definition.environment, { name = "OCR_MEMORY_CEILING_MB", value = "14000" })
    error_message = "memory_ceiling_mb must reach the task as OCR_MEMORY_CEILING_MB"
  }

  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.memory_ceiling) == 1
      && aws_cloudwatch_metric_alarm.memory_ceiling[0].namespace == "OCRService/ocr-fastapi"
      && aws_cloudwatch_metric_alarm.memory_ceiling[0].metric_name == "MemoryCeilingUsed"
      && aws_cloudwatch_metric_alarm.memory_ceiling[0].dimensions == tomap({ Memory = "process" })
      && aws_cloudwatch_metric_alarm.memory_ceiling[0].statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.memory_ceiling[0].threshold == 85
    )
    error_message = "memory alarm: the task's MemoryCeilingUsed (Memory=process, EMF) above var.alarm_memory_ceiling_percent"
  }
}

run "no_memory_ceiling_by_default" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.memory_ceiling) == 0 && !contains(keys(local.app_environment), "OCR_MEMORY_CEILING_MB")
    error_message = "without memory_ceiling_mb: no OCR_MEMORY_CEILING_MB and no memory alarm"
  }
}
