"""GET /health, /health/live, /debug/paddle and /languages."""
