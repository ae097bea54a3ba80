# ---------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------
variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "ap-northeast-2"
}

variable "project_name" {
  description = "Name prefix for every resource; also the ECR repository name and the ECS task family."
  type        = string
  default     = "ocr-fastapi"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project_name))
    error_message = "project_name: 2-20 characters, lowercase letters, digits and '-', starting with a letter (ALB and target group names are limited to 32)."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------
# Image and service
# ---------------------------------------------------------------------------------------------------
variable "ecr_image" {
  description = "Full image reference the task runs, e.g. 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ocr-fastapi:<git-sha> (the GPU image from docker/Dockerfile.gpu)."
  type        = string

  validation {
    condition     = length(trimspace(var.ecr_image)) > 0 && can(regex(":[^/]+$|@sha256:[0-9a-f]{64}$", var.ecr_image))
    error_message = "ecr_image: give an explicit tag or digest (repository:tag or repository@sha256:...); the repository has immutable tags."
  }
}

variable "instance_type" {
  description = "Preferred EC2 instance type of the GPU Auto Scaling group (one GPU per task); the zones are chosen where it is offered."
  type        = string
  default     = "g4dn.xlarge"
}

variable "fallback_instance_types" {
  description = "Further single-GPU instance types the Auto Scaling group may launch, in order of preference, when the preferred one has no capacity (a mixed-instances policy). Each must fit task_cpu/task_memory and run the ECS GPU AMI. Empty: the preferred type only."
  type        = list(string)
  default     = ["g5.xlarge", "g6.xlarge"]
}

variable "capacity_target_percent" {
  description = "Managed scaling target: the share of GPU instances the tasks should fill. Below 100 keeps spare instances booted (a deploy or a scale-out does not wait minutes for a GPU instance), at their cost; 100 runs no spare."
  type        = number
  default     = 90

  validation {
    condition     = var.capacity_target_percent >= 50 && var.capacity_target_percent <= 100
    error_message = "capacity_target_percent must be between 50 and 100."
  }
}

variable "deployment_maximum_percent" {
  description = "Tasks a deployment may run at once, in percent of the desired count (new tasks start before old ones stop: 100 % healthy is kept). The GPU Auto Scaling group's maximum leaves room for them."
  type        = number
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent > 100 && var.deployment_maximum_percent <= 200
    error_message = "deployment_maximum_percent must be above 100 (a deploy needs room for one new task) and at most 200."
  }
}

variable "vpc_endpoints" {
  description = "Private VPC endpoints (S3 gateway; ECR, CloudWatch Logs, SSM, Secrets Manager, ECS interface endpoints): image pulls and logs stay off the NAT gateway. About 8 interface endpoints x 2 AZs x USD 0.013/h (~USD 150/month) against NAT data processing of every multi-GB image pull."
  type        = bool
  default     = true
}

variable "enable_ecs_exec" {
  description = "Allow `aws ecs execute-command` into the tasks (SSM Session Manager; every session is logged by CloudTrail). Off by default."
  type        = bool
  default     = false
}

variable "desired_capacity" {
  description = "Initial number of running tasks (one GPU instance each). Afterwards service autoscaling owns the count."
  type        = number
  default     = 1
}

variable "min_capacity" {
  description = "Minimum number of tasks and of GPU instances."
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 0
    error_message = "min_capacity must be >= 0."
  }
}

variable "max_capacity" {
  description = "Maximum number of tasks (service autoscaling). The GPU Auto Scaling group may hold more instances while a deployment runs new tasks beside the old (deployment_maximum_percent) and for the headroom of capacity_target_percent."
  type        = number
  default     = 3

  validation {
    condition     = var.max_capacity >= 1
    error_message = "max_capacity must be >= 1."
  }
}

variable "task_cpu" {
  description = "CPU units reserved for the task (g4dn.xlarge has 4096)."
  type        = number
  default     = 3072
}

variable "task_memory" {
  description = "Memory (MiB) reserved for the task (g4dn.xlarge has 16 GiB, about 15 GiB usable by ECS)."
  type        = number
  default     = 12288
}

variable "gpu_ami_ssm_parameter" {
  description = "SSM public parameter holding the ECS GPU-optimized AMI id."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
}

variable "root_volume_size_gb" {
  description = "Root EBS volume of the GPU instances (the GPU image is several GB)."
  type        = number
  default     = 100
}

variable "health_check_grace_period_seconds" {
  description = "Start period for model preload: the ECS service ignores ALB health checks and the container health check tolerates failures this long after a task starts (the container start period is capped at 300 s by ECS)."
  type        = number
  default     = 300

  validation {
    condition     = var.health_check_grace_period_seconds >= 60 && var.health_check_grace_period_seconds <= 300
    error_message = "health_check_grace_period_seconds must be between 60 and 300."
  }
}

variable "deregistration_delay" {
  description = "Seconds the ALB keeps a draining target for in-flight requests; keep above REQUEST_TIMEOUT_S."
  type        = number
  default     = 130
}

variable "shutdown_grace_seconds" {
  description = "SHUTDOWN_GRACE_S for the app; ECS waits this plus 30 s (stopTimeout) before SIGKILL."
  type        = number
  default     = 30

  validation {
    condition     = var.shutdown_grace_seconds >= 0 && var.shutdown_grace_seconds <= 90
    error_message = "shutdown_grace_seconds must be between 0 and 90 (ECS stopTimeout is capped at 120 s)."
  }
}

variable "readonly_root_filesystem" {
  description = "Run the container with a read-only root filesystem (/tmp, /app/.data and /home/app stay writable through task volumes)."
  type        = bool
  default     = true
}

variable "app_environment" {
  description = "Extra environment variables for the container (e.g. LOG_LEVEL, MAX_UPLOAD_MB, MAX_PAGES, PDF_DPI, REQUEST_TIMEOUT_S). Secrets do not belong here."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------------
variable "auth_mode" {
  description = "AUTH_MODE of the service: api-key (key in SSM Parameter Store), cognito (user pool created here) or none."
  type        = string
  default     = "api-key"

  validation {
    condition     = contains(["api-key", "cognito", "none"], var.auth_mode)
    error_message = "auth_mode must be one of: api-key, cognito, none."
  }
}

variable "api_key" {
  description = "Initial API key (comma-separated list allowed) written to an SSM SecureString when auth_mode = api-key, write-only: it never lands in the plan or the state. Leave null to generate one (read it with aws ssm get-parameter --with-decryption); rotate later with aws ssm put-parameter (bump api_key_version to have Terraform write var.api_key again)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "api_key_version" {
  description = "Bump to make Terraform write the API key parameter again (var.api_key, or a newly generated key)."
  type        = number
  default     = 1
}

variable "allowed_origins" {
  description = "CORS origins (ALLOWED_ORIGINS) allowed to call the API from a browser."
  type        = list(string)
  default     = []
}

variable "cognito_allow_password_auth" {
  description = "Also allow USER_PASSWORD_AUTH on the Cognito app client (handy for CLI tokens; SRP is always allowed)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------
# Network and load balancer
# ---------------------------------------------------------------------------------------------------
variable "vpc_cidr" {
  description = "CIDR of the VPC; split into 2 public and 2 private /20 subnets."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both AZs (cheaper) instead of one per AZ (survives an AZ outage)."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "ACM certificate ARN for HTTPS on the ALB. When set, port 80 redirects to 443 (TLS 1.2+ policy). When null, the ALB serves plain HTTP on port 80 (testing only)."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "ALB TLS policy for the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "alb_ingress_cidrs" {
  description = "CIDRs allowed to reach the ALB on 80/443."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_idle_timeout" {
  description = "ALB idle timeout (s); must exceed REQUEST_TIMEOUT_S for large documents."
  type        = number
  default     = 180
}

variable "deletion_protection" {
  description = "Deletion protection on the ALB (set false before terraform destroy)."
  type        = bool
  default     = true
}

variable "alb_access_logs_bucket" {
  description = "Existing S3 bucket (SSE-S3, ELB log delivery allowed) for ALB access logs; null disables them."
  type        = string
  default     = null
}

variable "waf_web_acl_arn" {
  description = "Existing WAFv2 web ACL (REGIONAL) to associate with the ALB; null for none."
  type        = string
  default     = null
}

variable "flow_logs_retention_days" {
  description = "Retention of the VPC flow log group."
  type        = number
  default     = 365
}

# ---------------------------------------------------------------------------------------------------
# Registry, logs, monitoring
# ---------------------------------------------------------------------------------------------------
variable "ecr_force_delete" {
  description = "Let terraform destroy delete the ECR repository even when it still holds images."
  type        = bool
  default     = false
}

variable "ecr_keep_images" {
  description = "Lifecycle policy: number of tagged images kept in ECR."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Retention of the application log group."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm SNS topic (confirm the subscription mail); null for none."
  type        = string
  default     = null
}

variable "alarm_p95_latency_seconds" {
  description = "Alarm when the ALB p95 TargetResponseTime stays above this many seconds."
  type        = number
  default     = 10
}

variable "alarm_5xx_count" {
  description = "Alarm when target 5xx responses per 5 minutes exceed this count."
  type        = number
  default     = 10
}

variable "alarm_gpu_utilization_percent" {
  description = "Alarm when average GPU utilisation (CWAgent nvidia_smi_utilization_gpu) of the group stays above this."
  type        = number
  default     = 90
}

# ---------------------------------------------------------------------------------------------------
# GitHub Actions deploy role (OIDC)
# ---------------------------------------------------------------------------------------------------
variable "github_repository" {
  description = "owner/name of the GitHub repository allowed to deploy through OIDC; null skips the deploy role."
  type        = string
  default     = null
}

variable "github_deploy_ref" {
  description = "Git ref (or environment) allowed to assume the deploy role, as in the token's sub claim suffix."
  type        = string
  default     = "environment:production"
}

variable "github_oidc_provider_arn" {
  description = "Existing IAM OIDC provider for token.actions.githubusercontent.com (one per account); null creates it."
  type        = string
  default     = null
}

variable "bedrock_model_arns" {
  description = "Bedrock model ARNs the task may invoke (CHATOCR_ENABLED with CHATOCR_BACKEND=bedrock); empty grants nothing."
  type        = list(string)
  default     = []
}

variable "availability_zones" {
  description = "Zones allowed (2 or more); empty allows the region's a-d zones. Of the allowed zones, the first 2 by name that offer instance_type are used; a plan with fewer fails."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "availability_zones: give at least 2 AZs, or leave empty."
  }
}
