"""Raw HTTP/1.1 on a socket, for tests that must control exactly what is sent and when (a body announced
but never sent, a head dribbled byte by byte, a body that stalls)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any


def content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return int(v)
    return 0


def read_response(s: socket.socket) -> bytes:
    """One whole response (head and a Content-Length body), or what came before the server closed."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < content_length(data):
        chunk = s.recv(65536)  # socket.timeout here: the server has not answered
        if not chunk:
            break
        data += chunk
    return data


def parse(data: bytes) -> tuple[int, dict[str, str], Any]:
    """(status, lower-cased headers, JSON body) of a response read by :func:`read_response`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    return int(lines[0].split(b" ")[1]), headers, json.loads(body) if body else None


def head_bytes(method: str, path: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def headers_only(port: int, path: str, headers: dict[str, str], timeout: float = 5.0) -> tuple[int, dict]:
    """Send a POST's head (no body) and read the answer; fails if the server waits for the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head_bytes("POST", path, port, headers))
        status, _, body = parse(read_response(s))
    return status, body


def closed_within(s: socket.socket, seconds: float) -> tuple[bytes, float]:
    """Wait for the server to close ``s``: (everything it sent, seconds it took); fails past ``seconds``."""
    t0 = time.monotonic()
    s.settimeout(seconds)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - t0
