"""AchieveApex's errors: Feathers v5's classes (`@feathersjs/errors`: `{name, message, code, className}`, plus
`data` only when set) and its wording of every neutral kind, so every refusal of the API reads like the vendor's.

The engine's refusals are worded the way a Feathers app on express answers them: an unknown path is express'
404 "Page not found" with `data.url`; a method a service lacks is a 405 without an `Allow` header; a schema
failure is the schema hooks' 400 "validation failed" with Ajv-style errors in `data`; the rate limit is the 429 the
authentication page shows (`data: {limit, current, window, retryAfter}`, no headers).
"""

from __future__ import annotations

from typing import Any

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
    "BadRequest",
    "Conflict",
    "FeathersError",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "STYLE",
    "Unprocessable",
    "feathers_body",
    "not_found",
]

CLASSES = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    402: ("PaymentError", "payment-error"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    405: ("MethodNotAllowed", "method-not-allowed"),
    406: ("NotAcceptable", "not-acceptable"),
    408: ("Timeout", "timeout"),
    409: ("Conflict", "conflict"),
    411: ("LengthRequired", "length-required"),
    413: ("PayloadTooLarge", "payload-too-large"),
    422: ("Unprocessable", "unprocessable"),
    429: ("TooManyRequests", "too-many-requests"),
    500: ("GeneralError", "general-error"),
    501: ("NotImplemented", "not-implemented"),
    502: ("BadGateway", "bad-gateway"),
    503: ("Unavailable", "unavailable"),
}
# The Feathers service method an HTTP method calls (by whether the path names an id)
_METHODS = {"GET": ("find", "get"), "POST": ("create", "create"), "PATCH": ("patch", "patch")}
_METHODS |= {"PUT": ("update", "update"), "DELETE": ("remove", "remove")}
# Services that have patch or remove by id: without an id they answer "Can not <method> multiple entries"
_BY_ID = {
    "conversations": {"patch", "remove"},
    "conversation-predefined-messages": {"patch", "remove"},
    **{f"conversation-messages-{c}": {"remove"} for c in ("whatsapp", "instagram", "messenger", "webchat")},
    **{f"conversation-messages-{c}": {"remove"} for c in ("sms", "playground")},
}
RATE_LIMIT = 1000  # per organization (API key), sliding, per RATE_WINDOW seconds [doc]
RATE_WINDOW = 3600


class FeathersError(VendorError):
    status = 400

    def __init__(self, message: str | None = None, data: Any = None, **details: object) -> None:
        self.data = data
        super().__init__(message, **details)

    def problem(self) -> Problem:
        return Problem(self.status, self.message, data=self.data)


class BadRequest(FeathersError):
    status, message = 400, "Bad request"


class NotAuthenticated(FeathersError):
    status, message = 401, "Not authenticated"


class Forbidden(FeathersError):
    status, message = 403, "You are not a member of organization {organization_id}"


class NotFound(FeathersError):
    status, message = 404, "No record found for id '{id}'"


class Conflict(FeathersError):
    status, message = 409, "Conflict"


class Unprocessable(FeathersError):
    status, message = 422, "Unprocessable"


def not_found(record_id: Any) -> NotFound:
    return NotFound(id=record_id)


def feathers_body(status: int, message: Any, data: Any = None) -> dict[str, Any]:
    name, class_name = CLASSES.get(status, ("GeneralError", "general-error"))
    body: dict[str, Any] = {"name": name, "message": message, "code": status, "className": class_name}
    if status == 429:  # the documented rate-limit body has no className [doc]
        del body["className"]
    if data is not None:
        body["data"] = data
    return body


def _ajv(violation: Violation) -> dict[str, Any]:
    """One violation as Ajv reports it (what Feathers' schema hooks put in `data`): the query, like the body, is
    one object, so a parameter is a property of it."""
    path, prop = violation.pointer, violation.property
    if violation.kind == "required" and prop is None and path:  # a missing parameter: the engine points at it
        path, prop = path[:-1], str(path[-1])
    params: dict[str, Any] = {}
    message = violation.message
    if violation.kind == "required" and prop:
        params, message = {"missingProperty": prop}, f"must have required property '{prop}'"
    elif violation.kind == "additionalProperties" and prop:
        params, message = {"additionalProperty": prop}, "must NOT have additional properties"
    elif violation.kind == "enum" and violation.allowed:
        params, message = {"allowedValues": list(violation.allowed)}, "must be equal to one of the allowed values"
    elif violation.kind == "type" and violation.allowed:
        params = {"type": ",".join(str(a) for a in violation.allowed)}
        message = f"must be {params['type']}"
    elif violation.limit is not None:
        params = {"limit": violation.limit}
    pointer = "".join(f"/{part}" for part in path)
    return {"instancePath": pointer, "keyword": violation.kind, "params": params, "message": message}


def _request_invalid(error: RequestInvalid) -> Problem:
    """A schema failure: "validation failed" with Ajv's errors. A body that is not JSON at all is express' body
    parser's 400, in its own words."""
    if error.first.kind in ("invalid_json", "invalid_form", "invalid"):
        return Problem(400, error.first.message)
    return Problem(400, "validation failed", data=[_ajv(v) for v in error.violations[:10]])


def _method_not_allowed(error: MethodNotAllowed) -> Problem:
    segments = [s for s in error.path.strip("/").split("/") if s]
    with_id = len(segments) >= 2
    method = _METHODS.get(error.method.upper(), (error.method.lower(),) * 2)[with_id]
    service = segments[0] if segments else ""
    if not with_id and method in _BY_ID.get(service, set()):
        return Problem(405, f"Can not {method} multiple entries")
    return Problem(405, f"Method `{method}` is not supported by this endpoint.")


def _window_seconds(error: RateLimited) -> int:
    for state in error.states:
        policy = getattr(state, "policy", None)
        if policy is not None and policy.name == error.window:
            return int(policy.window.total_seconds())
    return RATE_WINDOW


def _rate_limited(error: RateLimited) -> Problem:
    data = {
        "limit": error.limit,
        "current": error.limit + 1,  # the full window's count, and this request
        "window": _window_seconds(error),
        "retryAfter": error.retry_after,
    }
    return Problem(429, "Rate limit exceeded", data=data)


def _fault_rate_limited(fault: InjectedFault) -> Problem:
    data = {
        "limit": RATE_LIMIT,
        "current": RATE_LIMIT + 1,
        "window": RATE_WINDOW,
        "retryAfter": fault.retry_after or 60,
    }
    return Problem(fault.status or 429, "Rate limit exceeded", data=data)


def _server_fault(fault: InjectedFault) -> Problem:
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.fault, 500)
    text = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "General error")
    return Problem(status, text)


def _route_not_found(error: RouteNotFound) -> Problem:
    url = (error.path or "/") + (f"?{error.query}" if error.query else "")  # express' req.url: path and query as sent
    return Problem(404, "Page not found", data={"url": url})


STYLE = ErrorStyle(
    envelope=lambda problem: feathers_body(problem.status, problem.message, problem.data),
    wording={
        "request_invalid": _request_invalid,
        "unauthenticated": lambda e: Problem(401, "Not authenticated"),
        "rate_limited": _rate_limited,
        "route_not_found": _route_not_found,
        "method_not_allowed": _method_not_allowed,
        "payload_too_large": lambda e: Problem(413, f"request entity too large (limit {e.limit} bytes)"),
        # express.json() leaves another content type unread: the body is then missing, a validation failure
        "unsupported_media_type": lambda e: Problem(
            400, f"Unsupported content type {e.content_type or '(none)'}: send application/json"
        ),
        "internal": lambda e: Problem(500, str(e) or "General error"),
        "fault:rate_limited": _fault_rate_limited,
        "fault:unauthorized": lambda f: Problem(f.status or 401, "Invalid access token"),
        "fault:insufficient_scope": lambda f: Problem(f.status or 403, "You are not allowed to do this"),
        "fault:server_error": _server_fault,
        "fault:bad_gateway": _server_fault,
        "fault:unavailable": _server_fault,
    },
)
