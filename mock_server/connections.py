"""Deadlines for slow and silent connections, which uvicorn itself does not set: its keep-alive timer starts only
after a first answer and any byte cancels it, so a socket that connects and sends nothing, or sends a header a byte
at a time, was held open for ever. `serve` runs uvicorn with the protocol made here:

- a request's head (request line and headers) must arrive within `header_timeout` seconds of the connection opening,
  or of the previous answer on a kept-alive connection, else the connection is closed;
- a request's body, once begun, may not stop for `header_timeout` seconds (nginx's `client_body_timeout`: between
  two reads, so a large upload at any steady speed passes); a body that stops is closed, and the request it
  belonged to is dropped unanswered with nothing of it applied (`ClientGone`);
- a head larger than `MAX_HEAD_BYTES` answers 431 and closes (h11 gets the same bound as its incomplete-event size);
- an idle kept-alive connection closes after uvicorn's `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["HEADER_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "MAX_HEAD_BYTES", "protocol_class"]

HEADER_TIMEOUT = 10.0  # seconds for a request's head to arrive
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle kept-alive connection stays open (uvicorn's timeout_keep_alive)
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers larger than this answer 431
LATE = 0.25  # a deadline that fires this late means the event loop stood still: it starts again

_TOO_LARGE_BODY = b"convomock: request headers over 64 KiB\n"
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY)
)


def protocol_class(header_timeout: float = HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed, else h11) with the head deadline and size bound."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # uvicorn without httptools
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class Guarded(Base):
        """Waiting for a request's head: since `_armed_cycle` was the current cycle, no new one has begun."""

        _deadline: asyncio.TimerHandle | None = None
        _body_deadline: asyncio.TimerHandle | None = None
        _armed_cycle: Any = None
        _head_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._body_deadline is not None:
                self._body_deadline.cancel()
                self._body_deadline = None
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def data_received(self, data: bytes) -> None:
            waiting = self._waiting()
            super().data_received(data)
            if waiting:
                self._head_bytes += len(data)
                if self._waiting() and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
                    self.transport.write(_TOO_LARGE)
                    self.transport.close()
            self._watch_body()

        def _watch_body(self) -> None:
            """While a request's body is still arriving, the next piece is due within the timeout."""
            if self._body_deadline is not None:
                self._body_deadline.cancel()
                self._body_deadline = None
            cycle = self.cycle
            if cycle is not None and cycle.more_body and not cycle.response_complete:
                due = self.loop.time() + header_timeout
                self._body_deadline = self.loop.call_later(header_timeout, self._body_stopped, cycle, due)

        def _body_stopped(self, cycle: Any, due: float) -> None:
            self._body_deadline = None
            if cycle is not self.cycle or not cycle.more_body or self.transport.is_closing():
                return
            if self.flow.read_paused or self.loop.time() - due > LATE:
                # the mock has not read what came, or the loop itself stood still past the deadline (timers run
                # before the loop reads its sockets): not the client's delay
                self._watch_body()
                return
            self.transport.close()  # the app's next read says the client is gone

        def _waiting(self) -> bool:
            """No request has begun since the deadline was set (none in flight either)."""
            cycle = self.cycle
            return cycle is self._armed_cycle and (cycle is None or cycle.response_complete)

        def _arm(self) -> None:
            self._disarm()
            self._armed_cycle = self.cycle
            self._head_bytes = 0
            self._deadline = self.loop.call_later(header_timeout, self._expire, self.loop.time() + header_timeout)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self, due: float) -> None:
            self._deadline = None
            if self.loop.time() - due > LATE:  # the loop stood still: what the client sent may be unread yet
                self._deadline = self.loop.call_later(header_timeout, self._expire, self.loop.time() + header_timeout)
                return
            if self._waiting() and not self.transport.is_closing():
                self.transport.close()  # nothing, or only part of a request's head, in header_timeout seconds

    return Guarded
