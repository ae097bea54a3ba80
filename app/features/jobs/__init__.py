"""Async jobs for large documents (POST /jobs): the embedded backend (SQLite + local files, jobs run on
this process's engine workers) and the distributed one (Celery + Redis, PostgreSQL, S3).

    models.py         Job, JobFile, statuses
    documents.py      staging uploads, page counting and checks, chunked decoding
    execute.py        running one job: pages in chunks through Service.submit, per-page persistence, tasks
    store.py          SQLite store (WAL) and the job directory layout (local)
    runner.py         the local runner (claims, leases, recovery, cancellation, retention, webhooks)
    webhook.py        HMAC-SHA256-signed completion callbacks
    backend.py        the interface the routes use; build_backend(settings, service)
    sql.py, s3.py     PostgreSQL (SQLAlchemy) and S3 (boto3) for celery mode
    celery_app.py     the Celery app and tasks (ocr.extract_text, …), the worker runtime
    celery_backend.py the API side of celery mode

See docs/jobs.md.
"""
