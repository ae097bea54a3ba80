"""Webhook delivery against real receivers on sockets: the address that was checked is the one connected
to, non-public and unresolvable callbacks are refused, the receiver's answer is never buffered, and each
attempt has one deadline. Name resolution is the one thing replaced (there is no DNS server here): the
resolver returns what a hostile name server would."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from app.core.errors import AppError
from app.features.jobs import webhook
from app.features.jobs.models import Job
from tests.conftest import make_settings


def _job(url: str) -> Job:
    return Job(id="job-1", owner="k", task="ocr", status="succeeded", options={}, files=[], total=1, callback_url=url)


@contextmanager
def receiver(answer: Callable[[socket.socket, bytes], None]) -> Iterator[tuple[int, list[bytes]]]:
    """A one-thread HTTP receiver on 127.0.0.1: reads each request head and body, then calls ``answer``."""
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    heads: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                heads.append(head)
                length = next(
                    int(v)
                    for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n"))
                    if k.lower() == b"content-length"
                )
                while len(rest) < length:
                    rest += conn.recv(65536)
                try:
                    answer(conn, rest)
                except OSError:
                    pass  # the service hung up, as it should

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield port, heads
    finally:
        stop.set()
        t.join(5)
        srv.close()


def _ok(conn: socket.socket, _: bytes) -> None:
    conn.sendall(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")


def _deliver(url: str, **settings: object) -> dict:
    base = {"auth_mode": "none", "job_webhook_secret": "s", "job_webhook_timeout_s": 2.0, "job_webhook_attempts": 1}
    return asyncio.run(webhook.deliver(_job(url), make_settings(**{**base, **settings})))


def _resolver(monkeypatch: pytest.MonkeyPatch, answers: list[list[str]] | OSError) -> list[str]:
    """Make the resolver give ``answers`` (one list per call) or fail; returns the names asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if isinstance(answers, OSError):
            raise answers
        return answers[min(len(asked), len(answers)) - 1]

    monkeypatch.setattr(webhook, "resolve", resolve)
    return asked


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/hook",  # shared address space (carrier NAT), was accepted
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0:8080/hook",
        "http://10.0.0.5/hook",
        "http://localhost/hook",
    ],
)
def test_non_public_callback_addresses_are_refused_at_submission(url: str) -> None:
    with pytest.raises(AppError, match=r"non-public|private"):
        webhook.validate_callback_url(url, make_settings(auth_mode="none", job_webhook_secret="s"))


@pytest.mark.parametrize("resolved", [["100.64.1.2"], ["93.184.216.34", "10.1.2.3"], ["::1"], ["fd00::1"]])
def test_a_name_resolving_to_any_non_public_address_is_refused(monkeypatch: pytest.MonkeyPatch, resolved) -> None:
    _resolver(monkeypatch, [resolved])
    state = _deliver("http://hook.example.com/x", job_webhook_attempts=3)
    assert state["status"] == "failed" and state["attempts"] == 1  # refused once, not retried
    assert state["last_error"] == "the callback host resolves to a non-public address"


def test_a_name_that_does_not_resolve_is_refused_not_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolver(monkeypatch, socket.gaierror("no such name"))
    state = _deliver("http://hook.example.com/x")
    assert state == {"status": "failed", "attempts": 1, "last_error": "the callback host could not be resolved"}


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolved once per attempt, and the connection goes to that address with the callback's Host: a
    second answer (a rebinding name server's) is never used for the connection."""
    with receiver(_ok) as (port, heads):
        asked = _resolver(monkeypatch, [["127.0.0.1"], ["10.9.9.9"]])
        state = _deliver(f"http://hook.example.com:{port}/x", job_webhook_allow_private=True)
    assert state["status"] == "delivered", state
    assert asked == ["hook.example.com"]
    assert f"host: hook.example.com:{port}".encode() in heads[0].lower()
    assert heads[0].startswith(b"POST /x HTTP/1.1")


def test_a_huge_answer_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver answers 200 with a 1 GiB body (sent as fast as the socket takes it): the delivery is
    recorded at once and memory does not grow with the answer (it took the API from 194 MB to 1.5 GB)."""

    def gigabyte(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % 2**30)
        chunk = b"x" * 2**20
        for _ in range(1024):
            conn.sendall(chunk)

    rss0 = _rss_mib()
    with receiver(gigabyte) as (port, _):
        t0 = time.monotonic()
        state = _deliver(f"http://127.0.0.1:{port}/x", job_webhook_allow_private=True)
        took = time.monotonic() - t0
    assert state["status"] == "delivered" and state["status_code"] == 200
    assert took < 2.0, took
    assert _rss_mib() - rss0 < 50


def test_a_receiver_that_never_answers_is_cut_at_the_deadline() -> None:
    def stall(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")  # a status line, then the headers never end
        time.sleep(5)

    with receiver(stall) as (port, _):
        t0 = time.monotonic()
        state = _deliver(f"http://127.0.0.1:{port}/x", job_webhook_allow_private=True, job_webhook_timeout_s=1.0)
        took = time.monotonic() - t0
    assert state == {"status": "failed", "attempts": 1, "last_error": "no answer within 1 s"}
    assert took < 2.5, took


def test_last_error_does_not_describe_the_network() -> None:
    """A closed port and an open one that hangs up read the same to the caller."""
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()

    def hang_up(conn: socket.socket, _: bytes) -> None:
        conn.close()

    refused = _deliver(f"http://127.0.0.1:{port}/x", job_webhook_allow_private=True)
    with receiver(hang_up) as (open_port, _):
        dropped = _deliver(f"http://127.0.0.1:{open_port}/x", job_webhook_allow_private=True)
    assert refused["last_error"] == dropped["last_error"] == "could not deliver to the callback host"


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
