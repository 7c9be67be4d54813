"""HighLevel errors: NestJS bodies (VENDOR_NOTES A.7) and the one renderer.

400 `{statusCode, message, error}`, 401 `{statusCode, message, error}`, 422 `{statusCode, message: [..], error}`;
an unknown route or method is Nest's 404 "Cannot GET /path"; a 429 is `{statusCode: 429, message}`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mock_server.apis.highlevel import rules
from mock_server.apis.highlevel.limits import rate_limit_headers
from mock_server.engine.errors import (
    InjectedFault,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    RequestInvalid,
    RouteNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    VendorError,
)
from mock_server.engine.types import Rendered

__all__ = [
    "SCOPE_MESSAGE",
    "BadRequest",
    "HighLevelError",
    "InvalidToken",
    "NoActionFound",
    "NoAgentFound",
    "NoGenerationFound",
    "ScopeNotAuthorized",
    "Unprocessable",
    "render",
]

SCOPE_MESSAGE = "The token is not authorized for this scope."
_REASONS = {
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


def _body(status: int, message: str | list[str], error: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"statusCode": status, "message": message}
    if error is not None:
        body["error"] = error
    return body


def render(error: Exception) -> Rendered:
    """The only place that knows the HighLevel (NestJS) envelope."""
    if isinstance(error, Unprocessable):
        return 422, {}, _body(422, error.messages, "Unprocessable Entity")
    if isinstance(error, VendorError):
        return error.status, {}, _body(error.status, error.message, error.code)
    if isinstance(error, RequestInvalid):
        if error.location == "header":
            return 400, {}, _body(400, rules.header_message(error), "Bad Request")
        return 422, {}, _body(422, rules.messages_for(error), "Unprocessable Entity")
    if isinstance(error, Unauthenticated):
        return 401, {}, _body(401, InvalidToken.message, "Unauthorized")
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after), **rate_limit_headers(error.states)}  # type: ignore[arg-type]
        return 429, headers, _body(429, "Too Many Requests")
    if isinstance(error, InjectedFault):
        return _render_fault(error)
    if isinstance(error, (RouteNotFound, MethodNotAllowed)):
        # Nest answers an unknown method on a known path like an unknown path: 404 "Cannot METHOD /path".
        return 404, {}, _body(404, f"Cannot {error.method} {error.path}", "Not Found")
    if isinstance(error, PayloadTooLarge):
        return 413, {}, _body(413, "request entity too large", "Payload Too Large")
    if isinstance(error, UnsupportedMediaType):
        return 415, {}, _body(415, "Content-Type must be application/json", "Unsupported Media Type")
    if isinstance(error, InternalError):
        return 500, {}, _body(500, str(error) or "Internal server error", "Internal Server Error")
    return 500, {}, _body(500, "Internal server error", "Internal Server Error")


def _render_fault(fault: InjectedFault) -> Rendered:
    if fault.kind == "rate_limited":
        return fault.status or 429, {"Retry-After": str(fault.retry_after or 10)}, _body(429, "Too Many Requests")
    if fault.kind == "unauthorized":
        return fault.status or 401, {}, _body(401, InvalidToken.message, "Unauthorized")
    if fault.kind == "insufficient_scope":
        return fault.status or 401, {}, _body(401, SCOPE_MESSAGE, "Unauthorized")
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.kind, 500)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
    return status, headers, _body(status, _REASONS.get(status, "Error"), _REASONS.get(status, "Error"))
