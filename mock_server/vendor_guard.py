"""Keep a test off the real vendors: while armed, reaching a vendor's host fails at once, with a message that names
the host and how to point the client at the mock.

The hosts are the `servers` URLs of the packaged specs. Two layers are patched: `socket.getaddrinfo` (and
`gethostbyname`), which every client library resolves a name through, and httpx's own transports, which also
catches an httpx client behind a proxy and an async client on uvloop (whose resolver does not go through the
`socket` module). Every attempt is recorded, so a test whose code swallows the error still fails (the pytest
plugin checks `attempts` after the test).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_server.engine.specs import load_yaml

__all__ = ["VendorHost", "VendorHostBlocked", "VendorHostGuard", "vendor_hosts"]

OPT_OUT = (
    "mark the test @pytest.mark.convomock(guard=False) or run pytest with --convomock-allow-vendor-hosts "
    "if it really means to call the vendor"
)


@dataclass(frozen=True)
class VendorHost:
    host: str
    api: str
    title: str  # the spec's info.title, so the message says which service it is

    def __repr__(self) -> str:
        return f"VendorHost({self.host!r}, api={self.api!r})"


class VendorHostBlocked(ConnectionRefusedError):
    """A test reached for a real vendor host while the guard was armed."""

    def __init__(self, vendor: VendorHost) -> None:
        self.vendor = vendor
        super().__init__(
            f"convomock blocked a connection to {vendor.host}, the real {vendor.title} ({vendor.api}), during a "
            f"test. Point the client at the mock instead: `convomock.client({vendor.api!r})` gives an httpx "
            f"client in-process, or use `convomock_server.url({vendor.api!r})` as the base URL for code that "
            f"takes one; {OPT_OUT}."
        )


@lru_cache(maxsize=1)
def vendor_hosts() -> dict[str, VendorHost]:
    """Host name -> the API whose spec lists it under `servers` (read once per process)."""
    from mock_server.apis import BINDINGS

    found: dict[str, VendorHost] = {}
    for name, binding in BINDINGS.items():
        document = load_yaml(binding.spec_path)
        title = str((document.get("info") or {}).get("title", name))
        for server in document.get("servers") or []:
            host = urlsplit(str(server.get("url", ""))).hostname
            if host:
                found[host.lower()] = VendorHost(host.lower(), name, title)
    return found


class VendorHostGuard:
    """Arm with `with guard.armed(): ...`; `attempts` lists what was blocked, in order."""

    def __init__(self, hosts: dict[str, VendorHost] | None = None) -> None:
        self.hosts = vendor_hosts() if hosts is None else hosts
        self.attempts: list[VendorHost] = []

    def __repr__(self) -> str:
        return f"VendorHostGuard(hosts={sorted(self.hosts)}, attempts={len(self.attempts)})"

    def check(self, host: Any) -> None:
        """Raise VendorHostBlocked if `host` (a name, bytes, or None) is a vendor's."""
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str):
            return
        vendor = self.hosts.get(host.lower().rstrip("."))
        if vendor is not None:
            self.attempts.append(vendor)
            raise VendorHostBlocked(vendor)

    @contextmanager
    def armed(self) -> Iterator[VendorHostGuard]:
        patches: list[tuple[Any, str, Any]] = [
            (socket, "getaddrinfo", self._guarded(socket.getaddrinfo)),
            (socket, "gethostbyname", self._guarded(socket.gethostbyname)),
            (httpx.HTTPTransport, "handle_request", self._guarded_request(httpx.HTTPTransport.handle_request)),
            (
                httpx.AsyncHTTPTransport,
                "handle_async_request",
                self._guarded_async_request(httpx.AsyncHTTPTransport.handle_async_request),
            ),
        ]
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        try:
            yield self
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)

    def _guarded(self, resolve: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
            self.check(host)
            return resolve(host, *args, **kwargs)

        return guarded

    def _guarded_request(self, send: Callable[..., httpx.Response]) -> Callable[..., httpx.Response]:
        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            self.check(request.url.host)
            return send(transport, request)

        return handle_request

    def _guarded_async_request(self, send: Callable[..., Any]) -> Callable[..., Any]:
        async def handle_async_request(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            self.check(request.url.host)
            return await send(transport, request)  # type: ignore[no-any-return]

        return handle_async_request
