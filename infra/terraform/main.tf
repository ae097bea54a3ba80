data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Zones are allowlisted by name (var.availability_zones, else the region's a-d zones) so the set cannot
# silently grow; of those, the ones where the preferred GPU instance type is offered are used (first 2
# by name). Not every zone offers g4dn (ap-northeast-2b does not, for one): a zone without it would
# hold subnets where no GPU instance can start.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : [for s in ["a", "b", "c", "d"] : "${var.aws_region}${s}"]
  }
}

data "aws_ec2_instance_type_offerings" "gpu" {
  location_type = "availability-zone"

  filter {
    name   = "instance-type"
    values = [var.instance_type]
  }

  filter {
    name   = "location"
    values = data.aws_availability_zones.available.names
  }
}

locals {
  name       = var.project_name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  gpu_azs    = sort(distinct(data.aws_ec2_instance_type_offerings.gpu.locations))
  azs        = slice(local.gpu_azs, 0, min(2, length(local.gpu_azs)))

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
