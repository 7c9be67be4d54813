"""HighLevel errors: NestJS bodies (VENDOR_NOTES A.7), its codes and messages, and how each neutral kind reads.

400 `{statusCode, message, error}`, 401 `{statusCode, message, error}`, 422 `{statusCode, message: [..], error}`;
an unknown route or method is Nest's 404 "Cannot GET /path"; a 429 is `{statusCode: 429, message}`.

A refused body lists one class-validator message per broken rule, worded from the violation's kind and the spec:
the spec's `x-convomock` notes carry the wording of the rules it writes down ("{field} is required when
sleepEnabled is true"); every other rule reads as class-validator words it ("name should not be empty").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# A module import, not its names: auth.py raises the errors below, and a module import on both sides lets either
# file be imported first.
from mock_server.apis.highlevel import auth
from mock_server.engine.errors import (
    ErrorStyle,
    InjectedFault,
    MethodNotAllowed,
    Problem,
    RateLimited,
    RequestInvalid,
    RouteNotFound,
    VendorError,
    Violation,
)

__all__ = [
    "STYLE",
    "HighLevelError",
    "BadRequest",
    "NoAgentFound",
    "NoActionFound",
    "NoGenerationFound",
    "Unprocessable",
    "InvalidToken",
    "ScopeNotAuthorized",
    "SCOPE_MESSAGE",
    "nest_messages",
]

SCOPE_MESSAGE = "The token is not authorized for this scope."
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class HighLevelError(VendorError):
    status = 400
    code = "Bad Request"


class BadRequest(HighLevelError):
    message = "Bad Request"


class NoAgentFound(BadRequest):
    """The live service answers 400, not 404, for an unknown agent id (VENDOR_NOTES D.1)."""

    message = "No Agent found for the id: {id}"


class NoActionFound(BadRequest):
    message = "No Action found for the id: {id}"


class NoGenerationFound(BadRequest):
    message = "No generation found for the messageId: {id}"


class InvalidToken(HighLevelError):
    status, code = 401, "Unauthorized"
    message = "Invalid token: access token is invalid"


class ScopeNotAuthorized(HighLevelError):
    status, code = 401, "Unauthorized"
    message = SCOPE_MESSAGE


class Unprocessable(HighLevelError):
    """class-validator's list of messages, as NestJS's ValidationPipe sends it."""

    status, code = 422, "Unprocessable Entity"

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))

    def problem(self) -> Problem:
        return Problem(self.status, self.messages, self.code)


# -- class-validator's words -----------------------------------------------------------------------------------

_TYPES = {
    "string": "must be a string",
    "number": "must be a number conforming to the specified constraints",
    "integer": "must be an integer number",
    "boolean": "must be a boolean value",
    "object": "must be an object",
    "array": "must be an array",
}


def _dotted(parts: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in parts)


def _nest_message(violation: Violation) -> str:
    pointer = list(violation.pointer)
    if violation.kind in ("required", "additionalProperties") and violation.property is not None:
        pointer.append(violation.property)
    field = _dotted(pointer) or "body"
    template = violation.notes.get(violation.kind) or violation.notes.get("message")
    if isinstance(template, str):
        return template.format(field=field)
    # "each value in channels ...": class-validator's `each: true` names the array, not the item
    each = f"each value in {_dotted(pointer[:-1])}" if pointer and isinstance(pointer[-1], int) else field
    kind = violation.kind
    if kind == "required" and violation.property is None and not violation.pointer:
        return f"{field}: {violation.message}"  # no body at all
    if kind == "required" or kind == "minLength":
        return f"{field} should not be empty"
    if kind in ("additionalProperties", "falseSchema"):
        return f"property {field} should not exist"
    if kind == "type":
        wanted = [t for t in violation.allowed if t != "null"]
        if violation.value is None and violation.location == "body":
            return f"{field} should not be empty"
        return f"{each} {_TYPES.get(wanted[0] if wanted else '', 'has the wrong type')}"
    if kind in ("enum", "const"):
        return f"{each} must be one of the following values: {', '.join(str(v) for v in violation.allowed)}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{field} must not be greater than {violation.limit}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{field} must not be less than {violation.limit}"
    if kind == "minItems":
        return f"{field} must contain at least {violation.limit} elements"
    return f"{field}: {violation.message}"


def nest_messages(violations: Sequence[Violation]) -> list[str]:
    """The 422's `message` list: every broken rule once, in the order found."""
    return list(dict.fromkeys(_nest_message(v) for v in violations))


def _request_invalid(error: RequestInvalid) -> Problem:
    if error.location == "header":  # the `Version` header: the spec words its refusal (a missing one too)
        note = error.first.notes.get("message")
        return Problem(400, note if isinstance(note, str) else error.describe(), "Bad Request")
    return Problem(422, nest_messages(error.violations), "Unprocessable Entity")


def _rate_limited(error: RateLimited) -> Problem:
    headers = {"Retry-After": str(error.retry_after), **auth.rate_limit_headers(error.states)}  # type: ignore[arg-type]
    return Problem(429, "Too Many Requests", None, headers)


def _not_found(error: RouteNotFound | MethodNotAllowed) -> Problem:
    # Nest answers an unknown method on a known path like an unknown path: 404 "Cannot METHOD /path".
    return Problem(404, f"Cannot {error.method} {error.path}", "Not Found")


def _server_fault(fault: InjectedFault) -> Problem:
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.fault, 500)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
    reason = REASONS.get(status, "Error")
    # A rule answering 422 keeps the vendor's 422 shape: NestJS's ValidationPipe sends `message` as a list.
    return Problem(status, [reason] if status == 422 else reason, reason, headers)


def _envelope(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"statusCode": problem.status, "message": problem.message}
    if problem.code is not None:
        body["error"] = problem.code
    return body


STYLE = ErrorStyle(
    envelope=_envelope,
    wording={
        "request_invalid": _request_invalid,
        "unauthenticated": lambda e: Problem(401, InvalidToken.message, "Unauthorized"),
        "rate_limited": _rate_limited,
        "route_not_found": _not_found,
        "method_not_allowed": _not_found,
        "payload_too_large": lambda e: Problem(413, "request entity too large", "Payload Too Large"),
        "unsupported_media_type": lambda e: Problem(
            415, "Content-Type must be application/json", "Unsupported Media Type"
        ),
        "internal": lambda e: Problem(500, str(e) or "Internal server error", "Internal Server Error"),
        "fault:rate_limited": lambda f: Problem(
            f.status or 429, "Too Many Requests", None, {"Retry-After": str(f.retry_after or 10)}
        ),
        "fault:unauthorized": lambda f: Problem(f.status or 401, InvalidToken.message, "Unauthorized"),
        "fault:insufficient_scope": lambda f: Problem(f.status or 401, SCOPE_MESSAGE, "Unauthorized"),
        "fault:server_error": _server_fault,
        "fault:bad_gateway": _server_fault,
        "fault:unavailable": _server_fault,
    },
)
