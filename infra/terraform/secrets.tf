# The API key(s) for AUTH_MODE=api-key live in an SSM SecureString encrypted with the stack's KMS key and
# reach the container as the API_KEY secret (the ECS agent decrypts it with the execution role).
# Terraform sets the first value only (var.api_key, or a generated UUID); rotate with
#   aws ssm put-parameter --name <name> --type SecureString --overwrite --value 'new-key,old-key'
# and a new deployment. The value is in the Terraform state: keep the state bucket encrypted and private.
resource "aws_ssm_parameter" "api_key" {
  count = local.api_key_enabled ? 1 : 0

  name        = "/${local.name}/api-key"
  description = "API_KEY for ${local.name} (comma-separated list allowed)"
  type        = "SecureString"
  key_id      = aws_kms_key.main.arn
  value       = coalesce(var.api_key, uuid())

  lifecycle {
    ignore_changes = [value]
  }
}
