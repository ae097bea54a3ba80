# Values of the data sources for `terraform test` (mock_provider "aws" in tests/*.tftest.hcl): a
# fixed AMI, zones that offer the GPU type, an account and a partition.

override_data {
  target = data.aws_ssm_parameter.gpu_ami
  values = {
    value          = "ami-0123456789abcdef0"
    insecure_value = "ami-0123456789abcdef0"
  }
}

override_data {
  target = data.aws_availability_zones.available
  values = { names = ["ap-northeast-2c", "ap-northeast-2a"] }
}

override_data {
  target = data.aws_ec2_instance_type_offerings.gpu
  values = { locations = ["ap-northeast-2c", "ap-northeast-2a"] }
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}
