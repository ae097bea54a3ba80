# Alarms -> SNS topic (KMS encrypted), and the <project>-dashboard CloudWatch dashboard.
# GPU metrics come from the CloudWatch agent on the instances (cloudwatch-agent.json, CWAgent namespace,
# aggregated per Auto Scaling group). The app's own metrics live in local.app_metrics_namespace, one per
# deployment (var.app_metrics_namespace, default "OCRService/<project_name>"): the admission queue's
# occupancy as EMF log lines (app/observability/emf.py; EMF_NAMESPACE and EMF_METRICS_INTERVAL_S, set in
# ecs.tf) and the 429 count of a metric filter on the access log. Two stacks in one account and region
# (staging and production) so never mix their series, their alarms or their autoscaling.

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alb_dimensions = {
    LoadBalancer = aws_lb.main.arn_suffix
    TargetGroup  = aws_lb_target_group.api.arn_suffix
  }
  alarm_actions = [aws_sns_topic.alarms.arn]
  # reaches the task as EMF_NAMESPACE (ecs.tf); the prefix is the app's default (NAMESPACE in
  # app/observability/emf.py, tests/observability/test_emf.py checks it)
  app_metrics_namespace = coalesce(var.app_metrics_namespace, "OCRService/${var.project_name}")
  app_queue_dimensions  = { Queue = "admission" }
  app_memory_dimensions = { Memory = "process" }
  # nvidia_gpu metrics_collection_interval in cloudwatch-agent.json is 60 s: 5 samples per GPU in 5 minutes
  gpu_samples_per_5_minutes = 300 / 60
}

resource "aws_cloudwatch_metric_alarm" "p95_latency" {
  alarm_name          = "${local.name}-p95-latency"
  alarm_description   = "ALB p95 TargetResponseTime above ${var.alarm_p95_latency_seconds} s for 3 of 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  dimensions          = local.alb_dimensions
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_p95_latency_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "${local.name}-target-5xx"
  alarm_description   = "More than ${var.alarm_5xx_count} target 5xx responses in 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  dimensions          = local.alb_dimensions
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_5xx_count
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${local.name}-unhealthy-hosts"
  alarm_description   = "At least one target failed the /health check for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  dimensions          = local.alb_dimensions
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "no_healthy_hosts" {
  alarm_name          = "${local.name}-no-healthy-hosts"
  alarm_description   = "No target passes the /health check: the service is down"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  statistic           = "Minimum"
  dimensions          = local.alb_dimensions
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "gpu_utilization" {
  alarm_name          = "${local.name}-gpu-utilization"
  alarm_description   = "Average GPU utilisation of the group above ${var.alarm_gpu_utilization_percent}% for 15 minutes (saturated: raise max_capacity or check batching)"
  namespace           = "CWAgent"
  metric_name         = "nvidia_smi_utilization_gpu"
  statistic           = "Average"
  dimensions          = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_gpu_utilization_percent
  # Missing data stays notBreaching on purpose: this alarm says "saturated", and a group with no instance
  # (min_capacity = 0) has no data either. A dead or never-installed agent is caught by gpu_metrics_missing
  # below, which compares the instances in service with the GPU samples that arrive.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

# Some GPU instance of the group sends no nvidia_smi data (agent not installed, crashed, or nvidia-smi
# broken): without it the GPU alarms and the GPU scaling policy are blind. Instances in service minus the
# instances heard from (GPU samples / samples per instance), 10 minutes long, which gives a new instance
# 5 to 10 minutes to boot and start its agent. Missing data is breaching: the group publishes
# GroupInServiceInstances every minute (0 included, enabled_metrics in ecs.tf), so no data at all means the
# monitoring itself is broken.
resource "aws_cloudwatch_metric_alarm" "gpu_metrics_missing" {
  alarm_name          = "${local.name}-gpu-metrics-missing"
  alarm_description   = "A GPU instance in service sent no CWAgent nvidia_smi data for 10 minutes (CloudWatch agent down): GPU alarms and GPU scaling are blind"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0.5
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "silent"
    expression  = "FILL(instances, 0) - FILL(samples, 0) / ${local.gpu_samples_per_5_minutes}"
    label       = "GPU instances without agent data"
    return_data = true
  }

  metric_query {
    id = "instances"
    metric {
      namespace   = "AWS/AutoScaling"
      metric_name = "GroupInServiceInstances"
      stat        = "Minimum"
      period      = 300
      dimensions  = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
    }
  }

  metric_query {
    id = "samples"
    metric {
      namespace   = "CWAgent"
      metric_name = "nvidia_smi_utilization_gpu"
      stat        = "SampleCount"
      period      = 300
      dimensions  = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
    }
  }
}

# VRAM: memory used over memory total (MB, both from the agent). Not nvidia_smi_utilization_memory: that
# is the share of time the memory was read or written (bandwidth), not how full it is. The group series
# is the Maximum used over the Minimum total: exact for a single instance type, and with g4dn (16 GB)
# beside g5/g6 (24 GB) it errs on the side of the smallest card, where an out-of-memory happens first.
resource "aws_cloudwatch_metric_alarm" "gpu_memory" {
  alarm_name          = "${local.name}-gpu-memory"
  alarm_description   = "GPU memory in use above ${var.alarm_gpu_memory_percent}% in 3 of 5 minutes (largest user over smallest card): next batch or model may not fit"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_gpu_memory_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching" # no data: gpu_metrics_missing's alarm
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "used_percent"
    expression  = "100 * used / total"
    label       = "GPU memory used (%)"
    return_data = true
  }

  metric_query {
    id = "used"
    metric {
      namespace   = "CWAgent"
      metric_name = "nvidia_smi_memory_used"
      stat        = "Maximum"
      period      = 60
      dimensions  = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
    }
  }

  metric_query {
    id = "total"
    metric {
      namespace   = "CWAgent"
      metric_name = "nvidia_smi_memory_total"
      stat        = "Minimum"
      period      = 60
      dimensions  = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
    }
  }
}

# The load balancer's own 5xx (no healthy target, a target reset the connection or timed out): these never
# reach the app, so neither target_5xx nor the app's log sees them. The ALB publishes the metric only when
# it is not 0: missing data is notBreaching.
resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  alarm_name          = "${local.name}-elb-5xx"
  alarm_description   = "More than ${var.alarm_elb_5xx_count} load balancer 5xx responses (502/503/504 from the ALB itself) in 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  statistic           = "Sum"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix }
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_elb_5xx_count
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- the app's own signals ----------------------------------------------------------------------------
# 429 = load shed (admission queue full, or a per-key job quota). The access log (logger app.access,
# app/http/middleware.py) writes status as a JSON number; LOG_FORMAT=json is set in ecs.tf. default_value
# 0 publishes zeros, so the alarm sees "no 429s" rather than no data.
resource "aws_cloudwatch_log_metric_filter" "http_429" {
  name           = "${local.name}-http-429"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "{ ($.logger = \"app.access\") && ($.status = 429) }"

  metric_transformation {
    name          = "Http429Count"
    namespace     = local.app_metrics_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "http_429" {
  alarm_name          = "${local.name}-http-429"
  alarm_description   = "More than ${var.alarm_429_count} requests refused with 429 (load shed) in 5 minutes: the tasks are full"
  namespace           = local.app_metrics_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.http_429.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_429_count
  treat_missing_data  = "notBreaching" # no log lines at all: no requests, so no 429s
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Queue depth: the fullest task's admission occupancy (EMF, Maximum over the tasks' lines of each minute).
# Autoscaling should keep the average near its target; this fires when it cannot (max_capacity reached,
# no GPU capacity) or one task is stuck full. Missing data is notBreaching: no task runs (the health
# alarms cover that).
resource "aws_cloudwatch_metric_alarm" "queue_occupancy" {
  alarm_name          = "${local.name}-queue-occupancy"
  alarm_description   = "A task's admission queue above ${var.alarm_queue_occupancy_percent}% full in 3 of 5 minutes (at 100% it answers 429)"
  namespace           = local.app_metrics_namespace
  metric_name         = "QueueOccupancy"
  statistic           = "Maximum"
  dimensions          = local.app_queue_dimensions
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_queue_occupancy_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The process's memory over its ceiling (memory_ceiling_mb -> OCR_MEMORY_CEILING_MB; EMF MemoryCeilingUsed,
# app/serving/memory.py): from 90 % the app already sheds engine batches; held there, the next profile or a
# large batch may not fit. Only with a ceiling (without one the app writes no such metric).
resource "aws_cloudwatch_metric_alarm" "memory_ceiling" {
  count               = var.memory_ceiling_mb == null ? 0 : 1
  alarm_name          = "${local.name}-memory-ceiling"
  alarm_description   = "A task's process above ${var.alarm_memory_ceiling_percent}% of its memory ceiling (${coalesce(var.memory_ceiling_mb, 0)} MB) in 3 of 5 minutes: engine batches are being shed"
  namespace           = local.app_metrics_namespace
  metric_name         = "MemoryCeilingUsed"
  statistic           = "Maximum"
  dimensions          = local.app_memory_dimensions
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_memory_ceiling_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

locals {
  alb_metric = ["AWS/ApplicationELB"]
  lb         = aws_lb.main.arn_suffix
  tg         = aws_lb_target_group.api.arn_suffix
  asg        = aws_autoscaling_group.gpu.name
  svc        = ["ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.api.name]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "${local.name}-dashboard"

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Requests and errors (ALB)"
          region = var.aws_region
          stat   = "Sum"
          period = 60
          view   = "timeSeries"
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.lb, "TargetGroup", local.tg],
            [".", "HTTPCode_Target_4XX_Count", ".", ".", ".", "."],
            [".", "HTTPCode_Target_5XX_Count", ".", ".", ".", "."],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", local.lb],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Target response time (s)"
          region = var.aws_region
          period = 60
          view   = "timeSeries"
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", local.lb, "TargetGroup", local.tg, { stat = "p50" }],
            ["...", { stat = "p95" }],
            ["...", { stat = "p99" }],
          ]
          annotations = { horizontal = [{ label = "p95 alarm", value = var.alarm_p95_latency_seconds }] }
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 8, height = 6
        properties = {
          title  = "Targets (/health)"
          region = var.aws_region
          stat   = "Minimum"
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", local.lb, "TargetGroup", local.tg],
            [".", "UnHealthyHostCount", ".", ".", ".", ".", { stat = "Maximum" }],
          ]
        }
      },
      {
        type = "metric", x = 8, y = 6, width = 8, height = 6
        properties = {
          title  = "GPU (CWAgent, group average)"
          region = var.aws_region
          stat   = "Average"
          period = 60
          metrics = [
            ["CWAgent", "nvidia_smi_utilization_gpu", "AutoScalingGroupName", local.asg],
            [".", "nvidia_smi_utilization_memory", ".", "."],
            [".", "nvidia_smi_memory_used", ".", ".", { yAxis = "right" }],
          ]
          annotations = { horizontal = [{ label = "GPU alarm", value = var.alarm_gpu_utilization_percent }] }
        }
      },
      {
        type = "metric", x = 16, y = 6, width = 8, height = 6
        properties = {
          title  = "Service CPU / memory (%) and tasks"
          region = var.aws_region
          stat   = "Average"
          period = 60
          metrics = [
            concat(["AWS/ECS", "CPUUtilization"], local.svc),
            concat(["AWS/ECS", "MemoryUtilization"], local.svc),
            concat(["ECS/ContainerInsights", "RunningTaskCount"], local.svc, [{ yAxis = "right" }]),
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 8, height = 6
        properties = {
          title  = "Admission queue (EMF, per task)"
          region = var.aws_region
          period = 60
          metrics = [
            [local.app_metrics_namespace, "QueueOccupancy", "Queue", "admission", { stat = "Average", label = "occupancy % (avg: scaling)" }],
            ["...", { stat = "Maximum", label = "occupancy % (max: alarm)" }],
            [".", "RequestsActive", ".", ".", { stat = "Average", yAxis = "right" }],
            [".", "RequestsWaiting", ".", ".", { stat = "Average", yAxis = "right" }],
          ]
          annotations = { horizontal = [
            { label = "scaling target", value = var.autoscaling_queue_occupancy_target },
            { label = "queue alarm", value = var.alarm_queue_occupancy_percent },
          ] }
        }
      },
      {
        type = "metric", x = 8, y = 12, width = 8, height = 6
        properties = {
          title  = "Load shed (429) and load balancer 5xx"
          region = var.aws_region
          stat   = "Sum"
          period = 60
          metrics = [
            [local.app_metrics_namespace, "Http429Count", { label = "429 (access log)" }],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", local.lb, { label = "ELB 5xx" }],
          ]
        }
      },
      {
        type = "metric", x = 16, y = 12, width = 8, height = 6
        properties = {
          title  = "GPU memory used (%) and agent coverage"
          region = var.aws_region
          period = 60
          metrics = [
            [{ expression = "100 * used / total", label = "GPU memory used % (max used / min total)", id = "pct" }],
            ["CWAgent", "nvidia_smi_memory_used", "AutoScalingGroupName", local.asg, { id = "used", stat = "Maximum", visible = false }],
            [".", "nvidia_smi_memory_total", ".", ".", { id = "total", stat = "Minimum", visible = false }],
            [".", "nvidia_smi_utilization_gpu", ".", ".", { stat = "SampleCount", label = "GPU samples / min", yAxis = "right" }],
            ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", local.asg, { stat = "Minimum", label = "instances in service", yAxis = "right" }],
          ]
          annotations = { horizontal = [{ label = "GPU memory alarm", value = var.alarm_gpu_memory_percent }] }
        }
      },
      {
        type = "log", x = 0, y = 18, width = 24, height = 6
        properties = {
          title  = "Recent errors (application log)"
          region = var.aws_region
          view   = "table"
          query  = "SOURCE '${aws_cloudwatch_log_group.app.name}' | fields @timestamp, @message | filter @message like /(?i)(error|exception|traceback)/ | sort @timestamp desc | limit 50"
        }
      },
    ]
  })
}
