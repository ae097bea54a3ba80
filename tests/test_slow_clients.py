"""Slow and stalled clients against a real uvicorn run with the service's own server configuration
(app/http/server.py): a late request head, a stalled or dribbled body and a flood of idle connections are
each cut off on time with the error envelope, while other callers keep being served and memory stays bounded.

Timeouts are set short here (1-3 s) so that the tests are quick; the defaults are in docs/security.md.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.rawhttp import closed_within, head_bytes, parse, read_response
from tests.render import render_lines, to_bytes

HEADER_S, READ_S, TOTAL_S, MAX_CONN = 1.0, 1.0, 3.0, 40
KEY = {"x-api-key": TEST_KEY}
PART = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    settings = make_settings(
        max_upload_mb=2,
        header_timeout_s=HEADER_S,
        body_read_timeout_s=READ_S,
        body_timeout_s=TOTAL_S,
        max_connections=MAX_CONN,
    )
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as srv:
        deadline = time.monotonic() + 30
        while httpx.get(srv.url + "/health").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield srv


def _png() -> bytes:
    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


def _connect(srv: ThreadServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", srv.port), timeout=10)


def _ocr_ok(srv: ThreadServer) -> float:
    """One normal caller: seconds for a 200 from POST /ocr."""
    t0 = time.perf_counter()
    r = httpx.post(srv.url + "/ocr", files={"file": ("a.png", _png(), "image/png")}, headers=KEY, timeout=20)
    assert r.status_code == 200, r.text
    return time.perf_counter() - t0


def test_a_head_dribbled_byte_by_byte_is_cut_off(server: ThreadServer) -> None:
    with _connect(server) as s:
        s.sendall(b"POST /ocr HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        data = b""
        while time.monotonic() - t0 < 10:
            try:
                s.sendall(b"X")  # a header name, one byte at a time, never finished
            except OSError:
                break
            s.settimeout(0.2)
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break  # bytes still arriving at the close make the kernel reset the connection
            if not chunk:
                break
            data += chunk
        took = time.monotonic() - t0
    assert HEADER_S - 0.2 < took < HEADER_S + 1.5, took
    if data:  # the 408 is read unless the reset overtook it
        status, headers, body = parse(data)
        assert status == 408 and body["error"]["code"] == "request_timeout"
        assert headers["connection"] == "close"


def test_a_connection_that_sends_nothing_is_closed(server: ThreadServer) -> None:
    with _connect(server) as s:
        data, took = closed_within(s, HEADER_S + 2)
    assert took < HEADER_S + 1.5
    assert parse(data)[0] == 408


def test_a_late_second_head_on_a_kept_alive_connection_is_cut_off(server: ThreadServer) -> None:
    with _connect(server) as s:
        s.sendall(head_bytes("GET", "/health/live", server.port, {}))
        assert parse(read_response(s))[0] == 200
        time.sleep(0.5)
        s.sendall(b"GET /health HTTP/1.1\r\nHo")  # the next request's head starts, and stops
        data, took = closed_within(s, HEADER_S + 2)
    assert took < HEADER_S + 1.5
    assert parse(data)[0] == 408


def test_a_stalled_body_is_408_and_the_connection_closed(server: ThreadServer) -> None:
    head = {**KEY, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": "500000"}
    with _connect(server) as s:
        s.sendall(head_bytes("POST", "/ocr", server.port, head) + PART + b"\0" * 1000)
        data, took = closed_within(s, READ_S + 3)
    assert took < READ_S + 1.5, took
    status, headers, body = parse(data)
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert "between reads" in body["error"]["message"] and body["error"]["request_id"]
    assert headers["connection"] == "close"


def test_a_dribbled_body_is_408_at_the_total_deadline(server: ThreadServer) -> None:
    """A byte every 0.3 s never trips the 1 s read timeout; the 3 s total deadline ends it."""
    head = {**KEY, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": "500000"}
    with _connect(server) as s:
        s.sendall(head_bytes("POST", "/ocr", server.port, head) + PART)
        t0 = time.monotonic()
        data = b""
        while time.monotonic() - t0 < 10:
            try:
                s.sendall(b"\0")
            except OSError:
                break
            s.settimeout(0.3)
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        took = time.monotonic() - t0
    assert TOTAL_S - 0.5 < took < TOTAL_S + 1.5, took
    if data:
        status, _, body = parse(data)
        assert status == 408 and "in all" in body["error"]["message"]


def test_connections_past_the_cap_get_503_and_the_cap_frees_itself(server: ThreadServer) -> None:
    idle = [_connect(server) for _ in range(MAX_CONN)]
    try:
        time.sleep(0.2)
        with _connect(server) as extra:
            t0 = time.monotonic()
            status, headers, body = parse(read_response(extra))
        assert status == 503 and body["error"]["code"] == "too_many_connections"
        assert headers["retry-after"] == "1" and time.monotonic() - t0 < 1.0
        # the idle ones are closed at the head timeout, and the service answers again
        for s in idle:
            closed_within(s, HEADER_S + 2)
    finally:
        for s in idle:
            s.close()
    assert httpx.get(server.url + "/health").status_code == 200


def test_stalled_uploads_hold_bounded_memory_and_others_are_served(server: ThreadServer) -> None:
    """30 authenticated uploads each send 1 MiB of a 2 MB body and stall. Meanwhile a normal caller is
    served; the process holds at most about what was sent (a form keeps up to 1 MiB of a file in memory
    before it spills to disk, so the bound is MAX_CONNECTIONS x about 1 MiB), and every stalled upload is
    answered 408 at the read timeout, which frees it."""
    rss0 = _rss_mib()
    head = {**KEY, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(2_000_000)}
    stalled = []
    for _ in range(30):
        s = _connect(server)
        s.sendall(head_bytes("POST", "/ocr", server.port, head) + PART + b"\0" * 2**20)
        stalled.append(s)
    try:
        took = _ocr_ok(server)
        grown = _rss_mib() - rss0
        answers = [parse(closed_within(s, READ_S + 5)[0])[0] for s in stalled]
    finally:
        for s in stalled:
            s.close()
    assert took < 2.0, took
    assert answers == [408] * 30
    assert grown < 30 * 1.5 + 15, grown
    print(f"30 stalled uploads: RSS +{grown:.0f} MiB, a normal /ocr meanwhile {took * 1000:.0f} ms")


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
