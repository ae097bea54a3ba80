# Service autoscaling: the task count follows the service's own admission queue occupancy (EMF metric
# QueueOccupancy in local.app_metrics_namespace, this deployment's own, written by
# app/observability/emf.py) and, for scale-out only, the group's GPU utilisation; the capacity
# provider's managed scaling then adds or removes GPU instances to fit the tasks (one GPU each).
#
# Why not ALB requests per target or CPU (the previous policies): one request is 1 to 50 pages, so a
# request count says little about the work a task holds, and the work runs on the GPU, not the CPU. The
# occupancy is what decides 429s: (requests in service + waiting) / (MAX_CONCURRENT_REQUESTS +
# QUEUE_MAX_SIZE), averaged over the tasks; it falls in proportion as tasks are added, which is what
# target tracking needs.
resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.api.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
}

resource "aws_appautoscaling_policy" "queue_occupancy" {
  name               = "${local.name}-queue-occupancy"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  resource_id        = aws_appautoscaling_target.api.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_queue_occupancy_target
    disable_scale_in   = false # this policy alone decides scale-in
    scale_in_cooldown  = 600   # a GPU instance takes minutes to come back: scale in slowly
    scale_out_cooldown = 120

    # Average over every task's EMF lines of the minute (one series per stack: dimension Queue only).
    customized_metric_specification {
      namespace   = local.app_metrics_namespace
      metric_name = "QueueOccupancy"
      statistic   = "Average"
      unit        = "Percent"

      dimensions {
        name  = "Queue"
        value = "admission"
      }
    }
  }
}

# Scale-out only: a few large PDFs can saturate the GPU while the admission queue still looks short.
# Scale-in is left to the occupancy policy (Application Auto Scaling scales in only when every policy
# with scale-in enabled agrees): the group average includes the idle spare instances kept by
# capacity_target_percent and the old instances of a deployment, which would pull it down.
resource "aws_appautoscaling_policy" "gpu_utilization" {
  name               = "${local.name}-gpu-utilization"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  resource_id        = aws_appautoscaling_target.api.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_gpu_utilization_target
    disable_scale_in   = true
    scale_out_cooldown = 300 # GPU utilisation reacts a minute late (agent interval): do not double-step

    customized_metric_specification {
      namespace   = "CWAgent"
      metric_name = "nvidia_smi_utilization_gpu"
      statistic   = "Average"

      dimensions {
        name  = "AutoScalingGroupName"
        value = aws_autoscaling_group.gpu.name
      }
    }
  }
}
