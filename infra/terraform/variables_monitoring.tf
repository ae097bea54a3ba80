# ---------------------------------------------------------------------------------------------------
# Monitoring and autoscaling on the service's own signals (monitoring.tf, autoscaling.tf)
# ---------------------------------------------------------------------------------------------------
variable "app_metrics_namespace" {
  description = "CloudWatch namespace of the app's own metrics: EMF_NAMESPACE of the tasks (queue occupancy, EMF) and the 429 metric filter; the alarms, the dashboard and the queue-occupancy scaling policy read it. One per deployment, so two stacks in one account and region (staging and production) never mix their series. null: \"OCRService/<project_name>\"."
  type        = string
  default     = null

  validation {
    condition     = var.app_metrics_namespace == null ? true : (can(regex("^[A-Za-z0-9][A-Za-z0-9._/#-]{0,254}$", var.app_metrics_namespace)) && !startswith(var.app_metrics_namespace, "AWS/"))
    error_message = "app_metrics_namespace: 1-255 characters (letters, digits, . _ / # -), starting with a letter or digit, not \"AWS/...\" (reserved)."
  }
}

variable "emf_metrics_interval_seconds" {
  description = "EMF_METRICS_INTERVAL_S of the task: seconds between the app's queue-occupancy EMF log lines (app_metrics_namespace). Autoscaling and the queue alarm read them, so it cannot be 0 here."
  type        = number
  default     = 15

  validation {
    condition     = var.emf_metrics_interval_seconds >= 1 && var.emf_metrics_interval_seconds <= 60
    error_message = "emf_metrics_interval_seconds must be between 1 and 60 (the alarms and the scaling policy use 1-minute periods)."
  }
}

variable "alarm_gpu_memory_percent" {
  description = "Alarm when GPU memory in use (nvidia_smi_memory_used / nvidia_smi_memory_total, largest user over smallest card of the group) stays above this percentage."
  type        = number
  default     = 90

  validation {
    condition     = var.alarm_gpu_memory_percent > 0 && var.alarm_gpu_memory_percent <= 100
    error_message = "alarm_gpu_memory_percent must be in (0, 100]."
  }
}

variable "memory_ceiling_mb" {
  description = "OCR_MEMORY_CEILING_MB of the task: memory one task's process may hold (its GPU memory from NVML on the GPU, else its RSS). Profiles that do not fit are not loaded, engine batches shrink above 90 % of it, and the app writes MemoryCeilingUsed (EMF) for the memory_ceiling alarm. null: no ceiling, no alarm. For a g4dn (T4, 16 GB) 14000 leaves room for the driver and a second profile's load."
  type        = number
  default     = null

  validation {
    condition     = var.memory_ceiling_mb == null ? true : var.memory_ceiling_mb >= 256
    error_message = "memory_ceiling_mb must be null or at least 256."
  }
}

variable "alarm_memory_ceiling_percent" {
  description = "Alarm when a task's process holds more than this share of memory_ceiling_mb in 3 of 5 minutes (the app sheds engine batches from 90)."
  type        = number
  default     = 90

  validation {
    condition     = var.alarm_memory_ceiling_percent > 0 && var.alarm_memory_ceiling_percent <= 100
    error_message = "alarm_memory_ceiling_percent must be in (0, 100]."
  }
}

variable "alarm_429_count" {
  description = "Alarm when the app answers more than this many 429s (queue full: load shed) in 5 minutes (access-log metric filter)."
  type        = number
  default     = 20
}

variable "alarm_queue_occupancy_percent" {
  description = "Alarm when a task's admission queue occupancy (QueueOccupancy in app_metrics_namespace, Maximum) stays above this percentage; 100 % means new requests get 429."
  type        = number
  default     = 80

  validation {
    condition     = var.alarm_queue_occupancy_percent > 0 && var.alarm_queue_occupancy_percent <= 100
    error_message = "alarm_queue_occupancy_percent must be in (0, 100]."
  }
}

variable "alarm_elb_5xx_count" {
  description = "Alarm when the load balancer itself answers more than this many 5xx (HTTPCode_ELB_5XX_Count: no healthy target, target reset or timed out) in 5 minutes."
  type        = number
  default     = 10
}

variable "autoscaling_queue_occupancy_target" {
  description = "Target tracking: average admission queue occupancy (%) per task. With the defaults (MAX_CONCURRENT_REQUESTS 8, QUEUE_MAX_SIZE 32) 25 % is every slot busy and 2 requests waiting."
  type        = number
  default     = 25

  validation {
    condition     = var.autoscaling_queue_occupancy_target > 0 && var.autoscaling_queue_occupancy_target < 100
    error_message = "autoscaling_queue_occupancy_target must be in (0, 100): at 100 % the tasks already shed load."
  }
}

variable "autoscaling_gpu_utilization_target" {
  description = "Target tracking (scale out only): average GPU utilisation (%) of the group (CWAgent nvidia_smi_utilization_gpu)."
  type        = number
  default     = 80

  validation {
    condition     = var.autoscaling_gpu_utilization_target > 0 && var.autoscaling_gpu_utilization_target <= 100
    error_message = "autoscaling_gpu_utilization_target must be in (0, 100]."
  }
}
