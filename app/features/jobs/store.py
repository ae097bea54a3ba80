"""The embedded job store: one SQLite database (WAL) under DATA_DIR/jobs, one row per job with its
progress, and the job's files under DATA_DIR/jobs/<id>/:

    input/<n>                    the uploaded document n (bytes as received)
    pages/<n>-<page>.json        one finished page (written atomically; these are the progress)
    result.json                  the assembled result once the job succeeded

Every method is synchronous and short; the async callers run them in a thread. A single connection
guarded by a lock is shared (SQLite serialises writers anyway); claims are atomic, so several
processes may share one DATA_DIR.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.features.jobs.documents import remove_tree, write_atomic
from app.features.jobs.models import Job, JobFile, NewJob, now

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    task         TEXT NOT NULL,
    status       TEXT NOT NULL,
    options      TEXT NOT NULL,
    files        TEXT NOT NULL,
    total        INTEGER NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    retries      INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    callback_url TEXT,
    webhook      TEXT,
    request_id   TEXT,
    runner       TEXT,
    lease_until  REAL,
    not_before   REAL,
    created_at   REAL NOT NULL,
    started_at   REAL,
    finished_at  REAL,
    expires_at   REAL,
    updated_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_owner_created ON jobs(owner, created_at);
CREATE INDEX IF NOT EXISTS jobs_expires ON jobs(expires_at);
"""

_JSON_COLUMNS = ("options", "files", "error", "webhook")


def runner_id() -> str:
    """host:pid:nonce — unique per process incarnation (a restarted container reuses pid 1)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def runner_is_dead(runner: str | None, me: str) -> bool:
    """True when `runner` was a process on this host that no longer runs (or an earlier incarnation)."""
    if not runner or runner == me:
        return False
    host, _, rest = runner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only its lease tells
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # same pid, different nonce: this process replaced it (container restart)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _row_to_job(row: sqlite3.Row) -> Job:
    d = dict(row)
    for col in _JSON_COLUMNS:
        d[col] = json.loads(d[col]) if d[col] is not None else None
    d["files"] = [JobFile.from_dict(f) for f in d["files"]]
    return Job(**d)


class JobStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "jobs.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        self._db.execute("PRAGMA busy_timeout=30000")
        for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
            self._db.execute(stmt)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- files -----------------------------------------------------------------------------------
    def job_dir(self, job_id: str) -> Path:
        return self.root / job_id

    def input_path(self, job_id: str, index: int) -> Path:
        return self.job_dir(job_id) / "input" / str(index)

    def page_path(self, job_id: str, index: int, page: int) -> Path:
        return self.job_dir(job_id) / "pages" / f"{index}-{page:05d}.json"

    def result_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "result.json"

    def adopt_inputs(self, job_id: str, staged: list[Path]) -> None:
        """Move staged uploads into the job's directory (same filesystem: a rename)."""
        inputs = self.job_dir(job_id) / "input"
        inputs.mkdir(parents=True, exist_ok=True)
        (self.job_dir(job_id) / "pages").mkdir(exist_ok=True)
        for i, path in enumerate(staged):
            os.replace(path, inputs / str(i))

    def save_page(self, job_id: str, index: int, page: int, result: dict[str, Any]) -> int:
        """Persist one finished page, then count it; returns the pages done."""
        path = self.page_path(job_id, index, page)  # pages/ exists from submission; a deleted job fails here
        write_atomic(path, json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode())
        with self._tx() as db:
            db.execute("UPDATE jobs SET done = MIN(total, done + 1), updated_at = ? WHERE id = ?", (now(), job_id))
            row = db.execute("SELECT done FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return int(row["done"]) if row else 0

    def completed_pages(self, job_id: str) -> set[tuple[int, int]]:
        pages = self.job_dir(job_id) / "pages"
        out: set[tuple[int, int]] = set()
        if pages.is_dir():
            for p in pages.glob("*.json"):
                a, _, b = p.stem.partition("-")
                if a.isdigit() and b.isdigit():
                    out.add((int(a), int(b)))
        return out

    def sync_progress(self, job_id: str) -> int:
        """Set `done` from the pages on disk (after a crash between a page write and its count)."""
        done = len(self.completed_pages(job_id))
        with self._tx() as db:
            db.execute("UPDATE jobs SET done = MIN(total, ?), updated_at = ? WHERE id = ?", (done, now(), job_id))
        return done

    def load_page(self, job_id: str, index: int, page: int) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.page_path(job_id, index, page).read_bytes())
        return data

    def save_result(self, job_id: str, result: dict[str, Any]) -> None:
        write_atomic(self.result_path(job_id), json.dumps(result, ensure_ascii=False).encode())

    def load_result(self, job_id: str) -> dict[str, Any] | None:
        path = self.result_path(job_id)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_bytes())
        return data

    # ---- records ---------------------------------------------------------------------------------
    def create(self, new: NewJob) -> Job:
        t = now()
        job = Job(
            id=new.id,
            owner=new.owner,
            task=new.task,
            status="queued",
            options=new.options,
            files=new.files,
            total=new.total,
            callback_url=new.callback_url,
            webhook={"status": "pending", "attempts": 0} if new.callback_url else None,
            request_id=new.request_id,
            created_at=t,
            updated_at=t,
        )
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (id, owner, task, status, options, files, total, callback_url, webhook, "
                "request_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job.id,
                    job.owner,
                    job.task,
                    job.status,
                    json.dumps(job.options),
                    json.dumps([f.to_dict() for f in job.files]),
                    job.total,
                    job.callback_url,
                    json.dumps(job.webhook) if job.webhook else None,
                    job.request_id,
                    t,
                    t,
                ),
            )
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _row_to_job(row) if row else None

    def list_jobs(self, owner: str, *, status: str | None = None, limit: int = 50) -> list[Job]:
        sql = "SELECT * FROM jobs WHERE owner = ?"
        args: list[Any] = [owner]
        if status:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY created_at DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_row_to_job(r) for r in rows]

    def stored_bytes(self, owner: str) -> int:
        with self._lock:
            rows = self._db.execute("SELECT files FROM jobs WHERE owner = ?", (owner,)).fetchall()
        return sum(int(f.get("size", 0)) for r in rows for f in json.loads(r["files"]))

    def count_active(self, owner: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) AS n FROM jobs WHERE owner = ? AND status IN ('queued', 'running')", (owner,)
            ).fetchone()
        return int(row["n"])

    def claim(self, runner: str, lease_s: float) -> Job | None:
        """Take the oldest runnable queued job (atomic across processes)."""
        t = now()
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued' AND (not_before IS NULL OR not_before <= ?) "
                "ORDER BY created_at LIMIT 1",
                (t,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', runner = ?, lease_until = ?, attempts = attempts + 1, "
                "started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ? AND status = 'queued'",
                (runner, t + lease_s, t, t, row["id"]),
            )
            job = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return _row_to_job(job)

    def heartbeat(self, runner: str, job_ids: list[str], lease_s: float) -> None:
        if not job_ids:
            return
        t = now()
        marks = ",".join("?" * len(job_ids))
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET lease_until = ? WHERE runner = ? AND status = 'running' "  # noqa: S608
                f"AND id IN ({marks})",
                (t + lease_s, runner, *job_ids),
            )

    def status_of(self, job_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return str(row["status"]) if row else None

    def finish(self, job_id: str, runner: str, status: str, *, error: dict[str, Any] | None, ttl_s: float) -> bool:
        """running → succeeded|failed, only while this runner holds it (a cancel in between wins)."""
        t = now()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ?, expires_at = ?, lease_until = NULL, "
                "updated_at = ? WHERE id = ? AND status = 'running' AND runner = ?",
                (status, json.dumps(error) if error else None, t, t + ttl_s, t, job_id, runner),
            )
        return cur.rowcount == 1

    def requeue(
        self, job_id: str, runner: str, *, undo_attempt: bool, delay_s: float = 0.0, transient: bool = False
    ) -> bool:
        """running → queued (shutdown: the attempt does not count; transient failure: wait `delay_s`)."""
        t = now()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'queued', runner = NULL, lease_until = NULL, not_before = ?, "
                "attempts = MAX(0, attempts - ?), retries = retries + ?, updated_at = ? "
                "WHERE id = ? AND status = 'running' AND runner = ?",
                (
                    t + delay_s if delay_s else None,
                    1 if undo_attempt else 0,
                    1 if transient else 0,
                    t,
                    job_id,
                    runner,
                ),
            )
        return cur.rowcount == 1

    def cancel(self, job_id: str, *, ttl_s: float) -> Job | None:
        t = now()
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?, expires_at = ?, lease_until = NULL, "
                "error = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')",
                (
                    t,
                    t + ttl_s,
                    json.dumps({"code": "cancelled", "message": "The job was cancelled."}),
                    t,
                    job_id,
                ),
            )
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _row_to_job(row) if row else None

    def delete(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        remove_tree(self.job_dir(job_id))

    def recover(
        self, me: str, *, max_attempts: int, startup: bool, ttl_s: float = 72 * 3600.0
    ) -> list[tuple[str, str]]:
        """Running jobs whose runner is gone: queued again, or failed after `max_attempts` starts.

        Gone = lease expired, or (at start-up) an earlier process on this host that is no longer alive.
        Returns (job_id, new status) pairs.
        """
        t = now()
        out: list[tuple[str, str]] = []
        with self._tx() as db:
            rows = db.execute("SELECT id, runner, lease_until, attempts FROM jobs WHERE status = 'running'").fetchall()
            for r in rows:
                if r["runner"] == me:
                    continue
                expired = r["lease_until"] is None or r["lease_until"] < t
                if not (expired or (startup and runner_is_dead(r["runner"], me))):
                    continue
                if int(r["attempts"]) >= max_attempts:
                    err = {
                        "code": "job_interrupted",
                        "message": f"The job was interrupted {r['attempts']} times (the worker running it "
                        "stopped); it is not retried again.",
                    }
                    db.execute(
                        "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, expires_at = ?, "
                        "lease_until = NULL, updated_at = ? WHERE id = ?",
                        (json.dumps(err), t, t + ttl_s, t, r["id"]),
                    )
                    out.append((r["id"], "failed"))
                else:
                    db.execute(
                        "UPDATE jobs SET status = 'queued', runner = NULL, lease_until = NULL, "
                        "updated_at = ? "
                        "WHERE id = ?",
                        (t, r["id"]),
                    )
                    out.append((r["id"], "queued"))
        return out

    def set_expiry_where_missing(self, ttl_s: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET expires_at = finished_at + ? WHERE expires_at IS NULL AND finished_at IS NOT NULL",
                (ttl_s,),
            )

    def expired(self, at: float | None = None) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= ? AND status NOT IN "
                "('queued', 'running')",
                (at if at is not None else now(),),
            ).fetchall()
        return [str(r["id"]) for r in rows]

    def update_webhook(self, job_id: str, webhook: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET webhook = ?, updated_at = ? WHERE id = ?",
                (json.dumps(webhook), now(), job_id),
            )

    def pending_webhooks(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE callback_url IS NOT NULL AND status IN ('succeeded', 'failed', "
                "'cancelled') AND json_extract(webhook, '$.status') = 'pending'"
            ).fetchall()
        return [_row_to_job(r) for r in rows]

    def remove_orphans(self, older_than_s: float = 3600.0) -> int:
        """Delete job directories with no record and staged uploads left by a crash, once they are old."""
        with self._lock:
            ids = {str(r["id"]) for r in self._db.execute("SELECT id FROM jobs").fetchall()}
        cutoff = now() - older_than_s
        removed = 0
        candidates = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        incoming = self.root / ".incoming"
        if incoming.is_dir():
            candidates += [p for p in incoming.iterdir() if p.is_dir()]
        for p in candidates:
            if p.parent == self.root and p.name in ids:
                continue
            try:
                if p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            remove_tree(p)
            removed += 1
        return removed
