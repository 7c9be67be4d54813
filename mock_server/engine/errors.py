"""Errors the engine and the vendors raise, and the one renderer that turns any of them into a vendor's answer.

Code that finds a problem raises it; nothing builds an error body but `ErrorStyle.render` (Starlette's habit:
raised in one place, rendered in another). The engine raises the neutral kinds below for its own refusals; a
vendor raises its `VendorError` subclasses. Each vendor gives one `ErrorStyle`: its envelope (how a `Problem`
looks on the wire) and its wording of every neutral kind. The kinds are listed once, in `ERROR_KINDS`: a kind added
there is a start-up error (`ErrorStyle.missing`) for every vendor that does not word it yet, never a 500 later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    # what a vendor's answer is made of
    "Problem",
    "ErrorStyle",
    "ERROR_KINDS",
    "Rendered",
    "FAULT_KINDS",
    "kind_of",
    # the errors
    "MockError",
    "VendorError",
    "Unauthenticated",
    "RouteNotFound",
    "MethodNotAllowed",
    "Violation",
    "RequestInvalid",
    "ClientGone",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "RateLimited",
    "InjectedFault",
    "InternalError",
    # what the mock refuses to start from
    "FileRefused",
]

Rendered = tuple[int, dict[str, str], Any]  # status, extra headers, JSON body


class MockError(Exception):
    """Base of every error that ends a request with a vendor-shaped answer. `kind` names it for `ErrorStyle`."""

    kind: ClassVar[str] = "internal"


@dataclass(frozen=True, slots=True)
class Problem:
    """One error as a vendor answers it, before its envelope: status, the vendor's code and message (a text, or the
    list NestJS sends, or pydantic's issues), headers, and anything else the envelope carries (`data`)."""

    status: int
    message: Any
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    data: Any = None


class VendorError(MockError):
    """A vendor's own error: subclasses fix `status`, `code` and a message template (moto's ServiceException)."""

    kind = "vendor"
    status: int = 400
    code: str = "ERROR"
    message: str = "The request failed."

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or type(self).message.format(**details)
        self.details = details
        super().__init__(self.message)

    def problem(self) -> Problem:
        """How the vendor answers this error; a subclass with a richer body (a list of messages) overrides it."""
        return Problem(self.status, self.message, self.code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class Unauthenticated(MockError):
    """No credential, or one the API does not know."""

    kind = "unauthenticated"

    def __init__(self, reason: str = "missing or invalid credentials") -> None:
        self.reason = reason
        super().__init__(reason)


class RouteNotFound(MockError):
    """No operation of the API matches the path."""

    kind = "route_not_found"

    def __init__(self, path: str, method: str = "GET", query: str = "") -> None:
        self.path = path
        self.method = method
        self.query = query  # the raw query string as sent: some vendors echo the whole URL (Feathers' data.url)
        super().__init__(f"{method} {path}")


class MethodNotAllowed(MockError):
    """The path exists but not with this method."""

    kind = "method_not_allowed"

    def __init__(self, allowed: Sequence[str], path: str = "", method: str = "") -> None:
        self.allowed = sorted(allowed)
        self.path = path
        self.method = method
        super().__init__(f"allowed: {', '.join(self.allowed)}")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of a request, as the validator found it: what a vendor words its refusal from, so that no
    vendor has to read the validator's English.

    `kind` is the JSON Schema keyword that failed (`required`, `type`, `enum`, `maximum`, `additionalProperties`,
    `falseSchema`, ...), or, for a refusal before any schema, `invalid_json`, `invalid_form` or `invalid`.
    `pointer` says where: in a body from its root; in a parameter, its name first. `property` is the property a
    `required` or `additionalProperties` rule names; `limit` a bound (`maximum`, `minItems`, `maxLength`, ...);
    `allowed` the values an `enum` or `const` takes, the types a `type` wants, or the `format`'s name; `value` the
    value that broke the rule. `notes` are the spec's `x-convomock` annotations around the rule (the innermost
    wins): a vendor's own wording of a rule the spec writes down, such as NestJS's "... when sleepEnabled is true".
    `message` is the validator's own words, shown where a vendor passes them through (Ajv's `data` in Feathers).
    """

    location: str
    pointer: tuple[str | int, ...]
    kind: str
    message: str
    property: str | None = None
    limit: Any = None
    allowed: tuple[Any, ...] = ()
    value: Any = None
    notes: Mapping[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        """`body.actions[0].type`: the place, as a developer reads it."""
        where = self.location
        for part in self.pointer:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        return where


class RequestInvalid(MockError):
    """Path, query, header or body broke the operation's spec, or could not be parsed at all: every broken rule
    found (up to a bound), the first one first."""

    kind = "request_invalid"

    def __init__(self, violations: Sequence[Violation], operation_id: str | None = None) -> None:
        if not violations:
            raise ValueError("RequestInvalid needs at least one violation")
        self.violations = tuple(violations)
        self.operation_id = operation_id
        super().__init__(self.describe())

    @classmethod
    def single(
        cls, location: str, message: str, pointer: Sequence[str | int] = (), kind: str = "invalid", **details: Any
    ) -> RequestInvalid:
        """A refusal the validator did not word: `invalid_json` (a body that is not JSON, not UTF-8, holds NUL or
        nests too deep), `invalid_form` (not multipart), `invalid` (a value the mock cannot use)."""
        return cls([Violation(location, tuple(pointer), kind, message, **details)])

    @property
    def first(self) -> Violation:
        return self.violations[0]

    @property
    def location(self) -> str:
        return self.first.location

    def describe(self) -> str:
        """`body.actions[0].type: ...`: the place, then what is wrong with it."""
        return f"{self.first.where()}: {self.first.message}"


class ClientGone(Exception):
    """The client closed the connection before its request body had all arrived (or the server closed it, a
    body that stopped arriving): the request is dropped unanswered, and a part of a body is never applied."""


class PayloadTooLarge(MockError):
    kind = "payload_too_large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body exceeds {limit} bytes")


class UnsupportedMediaType(MockError):
    kind = "unsupported_media_type"

    def __init__(self, content_type: str | None) -> None:
        self.content_type = content_type
        super().__init__(f"unsupported content type {content_type!r}; send application/json")


class RateLimited(MockError):
    """Too many requests: carries what the vendor's rate-limit headers need."""

    kind = "rate_limited"

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


FAULT_KINDS = ("rate_limited", "unauthorized", "insufficient_scope", "server_error", "bad_gateway", "unavailable")


class InjectedFault(MockError):
    """A scenario's fault rule answered instead of the handler. `fault` is neutral; the vendor words it."""

    def __init__(
        self, fault: str, status: int | None = None, retry_after: int | None = None, at: datetime | None = None
    ) -> None:
        if fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault!r}; one of {', '.join(FAULT_KINDS)}")
        self.fault = fault
        self.status = status
        self.retry_after = retry_after
        self.at = at  # the request's instant on the mock clock (a rate limit's reset epoch counts from it)
        super().__init__(f"injected fault: {fault}")


class InternalError(MockError):
    """A bug in the mock (a handler raised, or its answer broke the spec in strict mode)."""

    kind = "internal"


# Every kind a vendor words, besides its own errors: the engine's refusals, then each scenario fault.
ERROR_KINDS: tuple[str, ...] = (
    "unauthenticated",
    "route_not_found",
    "method_not_allowed",
    "request_invalid",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "internal",
    *(f"fault:{fault}" for fault in FAULT_KINDS),
)


def kind_of(error: BaseException) -> str:
    """The name `ErrorStyle.wording` knows an error by; anything that is not a MockError is a bug: `internal`."""
    if isinstance(error, InjectedFault):
        return f"fault:{error.fault}"
    if isinstance(error, MockError):
        return error.kind
    return "internal"


Wording = Callable[[Any], Problem]


@dataclass(frozen=True)
class ErrorStyle:
    """One vendor's errors on the wire: `envelope` builds the body of a Problem; `wording` gives, for every kind of
    `ERROR_KINDS`, the vendor's status, code and message for that error. A vendor's own errors word themselves
    (`VendorError.problem`)."""

    envelope: Callable[[Problem], Any]
    wording: Mapping[str, Wording]

    def missing(self) -> list[str]:
        """The kinds this vendor does not word (the app refuses to start while there is one)."""
        return [kind for kind in ERROR_KINDS if kind not in self.wording]

    def problem(self, error: BaseException) -> Problem:
        if isinstance(error, VendorError):
            return error.problem()
        return self.wording[kind_of(error)](error)

    def render(self, error: BaseException) -> Rendered:
        """The only place an error becomes an answer."""
        problem = self.problem(error)
        return problem.status, dict(problem.headers), self.envelope(problem)


class FileRefused(ValueError):
    """A file the mock refuses (a state file, a scenario file): `<file>: <what is wrong>`, on one line."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {' '.join(problem.split())[:500]}")
