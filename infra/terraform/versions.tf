terraform {
  required_version = ">= 1.11.0" # write-only attributes (the API key never lands in the state)

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
