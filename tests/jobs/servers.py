"""Real Redis and PostgreSQL servers for the Celery tests, started from the Debian binaries on free
ports in private temp directories (skipped with a clear message where the binaries are missing), and
S3 through moto's server."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.conftest import free_port


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return path
    return None


@dataclass
class Redis:
    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def redis_server() -> Iterator[Redis]:
    exe = _bin("redis-server")
    if exe is None:
        pytest.skip("redis-server not found: `apt-get install redis-server` to run the Celery tests")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="ocr-redis-")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield Redis(f"redis://127.0.0.1:{port}/0", proc)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Postgres:
    url: str  # SQLAlchemy URL (psycopg 3)
    dsn: str


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    initdb, postgres = _bin("initdb"), _bin("postgres")
    if initdb is None or postgres is None:
        pytest.skip("PostgreSQL binaries not found: `apt-get install postgresql` to run the Celery tests")
    as_user: list[str] = []
    datadir = tempfile.mkdtemp(prefix="ocr-pg-")
    if os.geteuid() == 0:  # postgres refuses to run as root
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(datadir, pw.pw_uid, pw.pw_gid)
        os.chmod(datadir, 0o700)
        as_user = ["runuser", "-u", "postgres", "--"]
    pgdata = os.path.join(datadir, "data")
    subprocess.run(
        [*as_user, initdb, "-D", pgdata, "-U", "ocr", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    log = open(os.path.join(tempfile.gettempdir(), f"ocr-pg-{port}.log"), "wb")
    proc = subprocess.Popen(
        [
            *as_user,
            postgres,
            "-D",
            pgdata,
            "-p",
            str(port),
            "-k",
            datadir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        import psycopg

        dsn = f"host=127.0.0.1 port={port} user=ocr dbname=postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(dsn, autocommit=True) as con:
                    con.execute("CREATE DATABASE ocr")
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start") from None
                time.sleep(0.1)
        yield Postgres(
            f"postgresql+psycopg://ocr@127.0.0.1:{port}/ocr", f"host=127.0.0.1 port={port} user=ocr dbname=ocr"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(datadir, ignore_errors=True)


@dataclass
class S3:
    endpoint: str
    bucket: str


@contextmanager
def moto_s3(bucket: str | None = None) -> Iterator[S3]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = bucket or f"ocr-jobs-{os.urandom(4).hex()}"  # moto's state is per process, not per server
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-2").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
        )
        yield S3(endpoint, bucket)
    finally:
        server.stop()
