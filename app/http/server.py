"""How uvicorn serves an app: timeouts and a connection cap from settings, so slow clients cannot pile up.

- ``HEADER_TIMEOUT_S``: a connection that has not sent a whole request head within this is closed (a
  "slowloris" client dribbling header bytes never reaches the app, so no middleware can time it out;
  this is done in uvicorn's protocol, for the first request and for every later one on a kept-alive
  connection).
- ``KEEP_ALIVE_S``: idle kept-alive connections are closed after this (longer than the load
  balancer's idle timeout, so the balancer, not the service, closes them).
- ``MAX_CONNECTIONS``: a connection past this many open ones is answered 503 (the error envelope,
  ``Retry-After: 1``) and closed at once, before it can send anything; with the header and body
  timeouts this bounds what idle or slow clients can hold.

Body timeouts (``BODY_READ_TIMEOUT_S``, ``BODY_TIMEOUT_S``) are enforced by the request guard
(app/http/guard.py), which sees the body as it arrives.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode


def _raw_error(code: ErrorCode, message: str, extra: str = "") -> bytes:
    """A whole HTTP/1.1 error response with the envelope, for answers given below the ASGI app."""
    body = json.dumps(AppError(code, message).body(None)).encode()
    head = (
        f"HTTP/1.1 {code.status} {HTTPStatus(code.status).phrase}\r\ncontent-type: application/json\r\n"
        f"connection: close\r\n{extra}content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_HEAD_TIMEOUT = _raw_error(ErrorCode.REQUEST_TIMEOUT, "The request head did not arrive in time.")
_TOO_MANY = _raw_error(
    ErrorCode.TOO_MANY_CONNECTIONS, ErrorCode.TOO_MANY_CONNECTIONS.default_message, "retry-after: 1\r\n"
)


def guarded_protocol(
    header_timeout_s: float, max_connections: int, base: type[asyncio.Protocol] = AutoHTTPProtocol
) -> type:
    """uvicorn's HTTP protocol (httptools or h11), refusing connections past ``max_connections`` and
    closing those whose request head is late.

    A timer is armed whenever the connection waits for a request head (a new connection, or the first
    bytes after a finished response); it is a no-op if a request began since (the protocol's current
    cycle changed), and otherwise answers 408 and closes the connection.
    """

    class GuardedProtocol(base):  # type: ignore[valid-type, misc]
        _header_timer: asyncio.TimerHandle | None = None
        _header_cycle: Any = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.transport.write(_TOO_MANY)
                self.transport.close()
                return
            self._arm_header_timer()

        def data_received(self, data: bytes) -> None:
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and (self._header_timer is None or self._header_cycle is not self.cycle):
                self._arm_header_timer()
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_cycle = self.cycle
            self._header_timer = self.loop.call_later(header_timeout_s, self._header_timed_out)

        def _header_timed_out(self) -> None:
            self._header_timer = None
            if self.cycle is not self._header_cycle or self.transport.is_closing():
                return  # a request head arrived in time
            self.transport.write(_HEAD_TIMEOUT)
            self.transport.close()

    return GuardedProtocol


def server_config(app: Any, settings: Settings, port: int, *, host: str | None = None) -> uvicorn.Config:
    """The uvicorn configuration the service runs with (``python -m app``, the model server, the tests)."""
    return uvicorn.Config(
        app,
        host=host or settings.host,
        port=port,
        http=guarded_protocol(settings.header_timeout_s, settings.max_connections),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) or None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_keep_alive=int(settings.keep_alive_s),
    )
