output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.main.id
}

output "public_subnets" {
  description = "Public subnet ids (ALB, NAT)."
  value       = aws_subnet.public[*].id
}

output "private_subnets" {
  description = "Private subnet ids (GPU instances, tasks)."
  value       = aws_subnet.private[*].id
}

output "ecr_repository_url" {
  description = "ECR repository URL: docker tag/push <url>:<tag>, then ecr_image = \"<url>:<tag>\"."
  value       = aws_ecr_repository.app.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.api.name
}

output "task_definition_family" {
  description = "Task definition family (the deploy workflow registers new revisions in it)."
  value       = aws_ecs_task_definition.api.family
}

output "asg_gpu_name" {
  description = "Auto Scaling group of the GPU container instances."
  value       = aws_autoscaling_group.gpu.name
}

output "alb_dns_name" {
  description = "DNS name of the ALB (point your domain's CNAME/alias here)."
  value       = aws_lb.main.dns_name
}

output "base_url" {
  description = "URL to call (https when certificate_arn is set; use your domain matching the certificate)."
  value       = "${local.https_enabled ? "https" : "http"}://${aws_lb.main.dns_name}"
}

output "api_key_parameter_name" {
  description = "SSM SecureString holding API_KEY (auth_mode = api-key)."
  value       = local.api_key_enabled ? aws_ssm_parameter.api_key[0].name : null
}

output "cognito_user_pool_id" {
  description = "Cognito user pool id (auth_mode = cognito)."
  value       = local.cognito_enabled ? aws_cognito_user_pool.main[0].id : null
}

output "cognito_client_id" {
  description = "Cognito app client id = COGNITO_AUDIENCE (auth_mode = cognito)."
  value       = local.cognito_enabled ? aws_cognito_user_pool_client.api[0].id : null
}

output "cognito_issuer" {
  description = "COGNITO_ISSUER (auth_mode = cognito)."
  value       = local.cognito_issuer
}

output "log_group_name" {
  description = "CloudWatch log group of the app."
  value       = aws_cloudwatch_log_group.app.name
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic receiving the alarms."
  value       = aws_sns_topic.alarms.arn
}

output "github_deploy_role_arn" {
  description = "Role for the GitHub Actions deploy workflow (set as the AWS_DEPLOY_ROLE_ARN repository variable)."
  value       = local.github_enabled ? aws_iam_role.github_deploy[0].arn : null
}
