# The API key(s) for AUTH_MODE=api-key live in an SSM SecureString encrypted with the stack's KMS key and
# reach the container as the API_KEY secret (the ECS agent decrypts it with the execution role).
# The value is write-only (value_wo): var.api_key (an ephemeral variable), or a generated key, is sent
# to SSM and never written to the plan or the state (it used to be in the state in clear).
# Read it:   aws ssm get-parameter --with-decryption --name /<project>/api-key --query Parameter.Value
# Rotate:    aws ssm put-parameter --name /<project>/api-key --type SecureString --overwrite --value 'new-key,old-key'
# and a new deployment; Terraform leaves the value alone until api_key_version changes.
resource "aws_ssm_parameter" "api_key" {
  count = local.api_key_enabled ? 1 : 0

  name             = "/${local.name}/api-key"
  description      = "API_KEY for ${local.name} (comma-separated list allowed)"
  type             = "SecureString"
  key_id           = aws_kms_key.main.arn
  value_wo         = coalesce(var.api_key, uuid()) # uuid(): 122 random bits
  value_wo_version = var.api_key_version
}

# JOB_WEBHOOK_SECRET, the HMAC-SHA256 key of the job callbacks (X-OCR-Signature, docs/jobs.md): without
# it the app refuses callback_url (422). Whenever /jobs exists (jobs_backend celery or local), as an SSM
# SecureString like the API key, write-only: var.job_webhook_secret (ephemeral), or a generated key (two
# uuid(): 244 random bits, 64 hex characters), is sent to SSM and never written to the plan or the state.
# It reaches the API and the Celery worker (the worker signs and sends the callbacks in celery mode) as
# the JOB_WEBHOOK_SECRET secret; beat sends none and does not get it.
# Read it:   aws ssm get-parameter --with-decryption --name /<project>/jobs/webhook-secret --query Parameter.Value
# Rotate:    bump job_webhook_secret_version and apply (a new generated key, or TF_VAR_job_webhook_secret),
#            or aws ssm put-parameter --overwrite; then a new deployment of the API and the worker (tasks
#            read secrets when they start). One key at a time: receivers accept the old and the new
#            signature until the rollout is over (TUTORIAL-DEPLOY.md, "Async jobs").
resource "aws_ssm_parameter" "job_webhook_secret" {
  count = local.job_webhook_enabled ? 1 : 0

  name             = "/${local.name}/jobs/webhook-secret"
  description      = "JOB_WEBHOOK_SECRET for ${local.name}: HMAC key of the job callbacks (write-only: not in the state)"
  type             = "SecureString"
  key_id           = aws_kms_key.main.arn
  value_wo         = coalesce(var.job_webhook_secret, replace("${uuid()}${uuid()}", "-", ""))
  value_wo_version = var.job_webhook_secret_version
}

locals {
  job_webhook_enabled = var.jobs_backend != "off"
  job_webhook_secrets = local.job_webhook_enabled ? [
    { name = "JOB_WEBHOOK_SECRET", valueFrom = aws_ssm_parameter.job_webhook_secret[0].arn },
  ] : []
}

# The ECS agent reads this one parameter for the API and worker tasks (nothing else: the API key and the
# jobs URLs have policies of their own, iam.tf and jobs.tf).
resource "aws_iam_role_policy" "execution_job_webhook_secret" {
  count = local.job_webhook_enabled ? 1 : 0

  name = "read-job-webhook-secret"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadJobWebhookSecret"
        Effect   = "Allow"
        Action   = ["ssm:GetParameters"]
        Resource = [aws_ssm_parameter.job_webhook_secret[0].arn]
      },
      {
        Sid      = "DecryptJobWebhookSecret"
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
