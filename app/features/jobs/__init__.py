"""Async jobs for large documents (POST /jobs). One job store (SQLite by default, PostgreSQL with
DATABASE_URL), one file store (DATA_DIR/jobs, or S3 with JOBS_BUCKET), one way to run a job, and two
dispatchers: the embedded runner (jobs run on this process's engine workers) and Celery (Redis broker,
workers elsewhere).

    models.py          Job, JobFile, statuses
    documents.py       staging uploads, page counting and checks, chunked decoding
    execute.py         executing one job: pages in chunks through Service.submit, the tasks (ocr, ...)
    store.py           the job store (SQLAlchemy): claims, leases, recovery, retention, webhook state
    files.py, s3.py    the file stores (local, S3) behind one protocol
    run.py             run_job: one claimed job from start to its outcome (both dispatchers)
    runner.py          the embedded dispatcher (claims, heartbeat, maintenance, cancellation, webhooks)
    celery_app.py      the Celery app and tasks (ocr.extract_text, ...), the worker runtime
    celery_backend.py  the API side of celery mode (messages)
    backend.py         what the routes use: JobBackend(store, files, dispatcher)
    webhook.py         HMAC-SHA256-signed completion callbacks

See docs/jobs.md.
"""
