"""Errors the engine and the vendors raise; none of them renders itself.

The engine raises the neutral kinds below for its own refusals; a vendor's `render` turns any of them, and its own
`VendorError` subclasses, into that vendor's envelope (moto's ServiceException plus Starlette's handler lookup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "InjectedFault",
    "InternalError",
    "MethodNotAllowed",
    "MockError",
    "PayloadTooLarge",
    "RateLimited",
    "RequestInvalid",
    "RouteNotFound",
    "Unauthenticated",
    "UnsupportedMediaType",
    "VendorError",
]


class MockError(Exception):
    """Base of every error that ends a request with a vendor-shaped answer."""


class VendorError(MockError):
    """A vendor's own error: subclasses fix `status` and `code`; the vendor's `render` builds the body."""

    status: int = 400
    code: str = "ERROR"
    message: str = "The request failed."

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or type(self).message.format(**details)
        self.details = details
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class Unauthenticated(MockError):
    """No credential, or one the API does not know."""

    def __init__(self, reason: str = "missing or invalid credentials") -> None:
        self.reason = reason
        super().__init__(reason)


class RouteNotFound(MockError):
    """No operation of the API matches the path."""

    def __init__(self, path: str, method: str = "GET") -> None:
        self.path = path
        self.method = method
        super().__init__(f"{method} {path}")


class MethodNotAllowed(MockError):
    """The path exists but not with this method."""

    def __init__(self, allowed: Sequence[str], path: str = "", method: str = "") -> None:
        self.allowed = sorted(allowed)
        self.path = path
        self.method = method
        super().__init__(f"allowed: {', '.join(self.allowed)}")


@dataclass
class RequestInvalid(MockError):
    """Path, query, header or body failed the operation's schema (or could not be parsed at all)."""

    location: str  # "path", "query", "header", "body"
    message: str
    pointer: Sequence[str | int] = field(default_factory=tuple)
    keyword: str | None = None
    # For renderers that list every problem (NestJS's 422): all schema errors found, and the value checked.
    problems: Sequence[tuple[Sequence[str | int], str, str]] = field(default_factory=tuple)
    instance: object = None
    operation_id: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.describe())

    def describe(self) -> str:
        """`body.actions[0].type: ...`: the place, then what is wrong with it."""
        where = self.location
        for part in self.pointer:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        return f"{where}: {self.message}"


class PayloadTooLarge(MockError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body exceeds {limit} bytes")


class UnsupportedMediaType(MockError):
    def __init__(self, content_type: str | None) -> None:
        self.content_type = content_type
        super().__init__(f"unsupported content type {content_type!r}; send application/json")


class RateLimited(MockError):
    """Too many requests: carries what the vendor's rate-limit headers need."""

    def __init__(
        self,
        limit: int,
        remaining: int,
        retry_after: int,
        reset_epoch: int,
        window: str = "window",
        states: Sequence[object] = (),
    ) -> None:
        self.limit = limit
        self.remaining = remaining
        self.retry_after = retry_after
        self.reset_epoch = reset_epoch
        self.window = window  # which of the API's windows is full
        self.states = list(states)  # every window's RateState, for the vendor's headers
        super().__init__(f"rate limit of {limit} exceeded; retry after {retry_after}s")


class InjectedFault(MockError):
    """A scenario's fault rule answered instead of the handler. `kind` is neutral; the vendor picks the body."""

    KINDS = ("rate_limited", "unauthorized", "insufficient_scope", "server_error", "bad_gateway", "unavailable")

    def __init__(self, kind: str, status: int | None = None, retry_after: int | None = None) -> None:
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"injected fault: {kind}")


class InternalError(MockError):
    """A bug in the mock (a handler raised, or its answer broke the spec in strict mode)."""
