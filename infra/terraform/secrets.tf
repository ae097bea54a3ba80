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
