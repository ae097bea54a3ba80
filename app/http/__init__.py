"""HTTP plumbing shared by every endpoint family: dependencies (deps.py), upload reading (uploads.py),
middleware (request id, access log, metrics) and the one error renderer (errors.py)."""
