# State in S3 (encrypted, versioned; a DynamoDB table locks it). Partial configuration: bucket, key,
# region and dynamodb_table come from -backend-config at init (see TUTORIAL-DEPLOY.md, step 2), so
# nothing account-specific is committed. The checks run `terraform init -backend=false`.
terraform {
  backend "s3" {}
}
