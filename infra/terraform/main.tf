data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Zones are allowlisted by name (var.availability_zones, else the region's a-d zones) so the set cannot
# silently grow; the first 2 that are available are used.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : [for s in ["a", "b", "c", "d"] : "${var.aws_region}${s}"]
  }
}

locals {
  name       = var.project_name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(sort(data.aws_availability_zones.available.names), 0, 2)

  container_name = "api"
  container_port = 8080

  https_enabled   = var.certificate_arn != null
  cognito_enabled = var.auth_mode == "cognito"
  api_key_enabled = var.auth_mode == "api-key"

  tags = merge(
    {
      Project   = var.project_name
      ManagedBy = "terraform"
    },
    var.tags,
  )
}
