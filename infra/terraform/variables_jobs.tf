# Async jobs (/jobs) on AWS: see jobs.tf and docs/jobs.md ("On AWS").

variable "jobs_backend" {
  description = <<-EOT
    Where /jobs keeps its state. "celery" (default): PostgreSQL (RDS), Redis (ElastiCache) and an S3
    bucket shared by every API task, plus a Celery worker service on the GPU instances and a beat service;
    jobs survive deploys and any API task answers for any job. "local": SQLite and files on the task's own
    volume (lost on every deploy, and wrong with more than one task: only for a throw-away single-task
    stack). "off": JOBS_BACKEND=off, the /jobs routes do not exist (404) and nothing of the above is created.
  EOT
  type        = string
  default     = "celery"

  validation {
    condition     = contains(["celery", "local", "off"], var.jobs_backend)
    error_message = "jobs_backend must be \"celery\", \"local\" or \"off\"."
  }
}

variable "jobs_ttl_hours" {
  description = "JOB_TTL_HOURS: finished jobs (row, files, result) are deleted this long after they end; the S3 lifecycle backstop is derived from it."
  type        = number
  default     = 72

  validation {
    condition     = var.jobs_ttl_hours > 0
    error_message = "jobs_ttl_hours must be positive."
  }
}

variable "jobs_worker_count" {
  description = "Celery worker tasks (celery mode). Each takes one GPU instance of the capacity provider, like an API task."
  type        = number
  default     = 1

  validation {
    condition     = var.jobs_worker_count >= 1 && floor(var.jobs_worker_count) == var.jobs_worker_count
    error_message = "jobs_worker_count must be a whole number >= 1 (use jobs_backend = \"off\" for no jobs)."
  }
}

variable "jobs_worker_concurrency" {
  description = "JOBS_CONCURRENCY of a worker: jobs one worker task runs at once (threads sharing its engines and GPU)."
  type        = number
  default     = 1

  validation {
    condition     = var.jobs_worker_concurrency >= 1 && floor(var.jobs_worker_concurrency) == var.jobs_worker_concurrency
    error_message = "jobs_worker_concurrency must be a whole number >= 1."
  }
}

variable "jobs_db_instance_class" {
  description = "RDS PostgreSQL instance class for the job state (rows only: files are in S3)."
  type        = string
  default     = "db.t4g.micro"
}

variable "jobs_db_engine_version" {
  description = "RDS PostgreSQL major version (minor versions are upgraded automatically)."
  type        = string
  default     = "16"
}

variable "jobs_db_allocated_storage_gb" {
  description = "Initial gp3 storage of the database; storage autoscaling may grow it to jobs_db_max_allocated_storage_gb."
  type        = number
  default     = 20
}

variable "jobs_db_max_allocated_storage_gb" {
  description = "Upper bound of RDS storage autoscaling."
  type        = number
  default     = 100
}

variable "jobs_db_multi_az" {
  description = "Multi-AZ standby for the database (failover in ~1-2 minutes instead of a restore from backup). Doubles its instance cost."
  type        = bool
  default     = true
}

variable "jobs_db_backup_retention_days" {
  description = "Automated RDS backups kept this many days."
  type        = number
  default     = 7
}

variable "jobs_db_password_version" {
  description = "Bump to generate a new database password: it is written (write-only) to RDS and, inside DATABASE_URL, to the SSM SecureString in the same apply. Then redeploy the API and worker services."
  type        = number
  default     = 1
}

variable "jobs_redis_node_type" {
  description = "ElastiCache node type of the Celery broker / result backend."
  type        = string
  default     = "cache.t4g.micro"
}

variable "jobs_redis_nodes" {
  description = "ElastiCache nodes (primary + replicas). 2 or more: a replica in the other zone with automatic failover."
  type        = number
  default     = 2

  validation {
    condition     = var.jobs_redis_nodes >= 1 && var.jobs_redis_nodes <= 6
    error_message = "jobs_redis_nodes must be between 1 and 6."
  }
}

variable "jobs_bucket_force_destroy" {
  description = "Let `terraform destroy` delete the jobs bucket with the job files in it."
  type        = bool
  default     = false
}

variable "job_webhook_secret" {
  description = "JOB_WEBHOOK_SECRET (HMAC key of the job callbacks) written to an SSM SecureString when /jobs exists, write-only: never in the plan or the state. Leave null to generate one (read it with aws ssm get-parameter --with-decryption, output job_webhook_secret_parameter_name); bump job_webhook_secret_version to have Terraform write var.job_webhook_secret, or a new generated key, again."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.job_webhook_secret == null ? true : length(var.job_webhook_secret) >= 32
    error_message = "job_webhook_secret: at least 32 characters (it is an HMAC-SHA256 key)."
  }
}

variable "job_webhook_secret_version" {
  description = "Bump to make Terraform write the job webhook secret parameter again (var.job_webhook_secret, or a newly generated key); then redeploy the API and worker services."
  type        = number
  default     = 1
}
