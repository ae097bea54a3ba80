"""Endpoint families, one folder each (router, schemas, pipeline): ocr < structure < extraction < jobs;
system holds /health, /debug/paddle and /languages. A feature imports only features left of it."""
