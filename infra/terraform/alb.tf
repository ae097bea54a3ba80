# Internet-facing ALB. With certificate_arn: 80 -> 301 to 443, HTTPS with a TLS 1.2+ policy.
# Without it: plain HTTP on 80 (a test stack; production sets certificate_arn).
resource "aws_lb" "main" {
  #checkov:skip=CKV2_AWS_28:WAF is optional and attached through var.waf_web_acl_arn (aws_wafv2_web_acl_association below); the API also enforces auth, size and rate limits itself
  #checkov:skip=CKV2_AWS_76:No WAF ACL is created here (see CKV2_AWS_28); the service is Python and runs no Log4j
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS whenever certificate_arn is set (aws_lb_listener.http_redirect); the forwarding HTTP listener exists only in test stacks without a certificate
  #checkov:skip=CKV_AWS_91:Access logs are optional through var.alb_access_logs_bucket (ALB log delivery needs an SSE-S3 bucket managed outside this stack); every request is also logged by the app with its request id
  name                       = "${local.name}-alb"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.public[*].id
  idle_timeout               = var.alb_idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.alb_access_logs_bucket == null ? [] : [var.alb_access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = local.name
      enabled = true
    }
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_lb.main.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_lb_target_group" "api" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; ALB -> task traffic stays inside the VPC's private subnets and is limited by security groups to the service port
  name                 = "${local.name}-api"
  port                 = local.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = var.deregistration_delay
  # A request is 1-50 pages: round robin piles long requests on one task while another idles. Each
  # request goes to the target with the fewest requests in flight instead.
  load_balancing_algorithm_type = "least_outstanding_requests"

  # Readiness: /health is 200 only once the models are loaded (503 while loading or draining).
  # Model preload time is covered by the ECS service's health_check_grace_period_seconds.
  health_check {
    enabled             = true
    path                = "/health"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "http_redirect" {
  count = local.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http_forward" {
  count = local.https_enabled ? 0 : 1

  #checkov:skip=CKV_AWS_2:Created only when certificate_arn is null (test stacks); with a certificate the http_redirect listener replaces it
  #checkov:skip=CKV_AWS_103:Plain HTTP listener of a test stack without a certificate; the HTTPS listener uses a TLS 1.2+ policy
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}
