"""Feathers errors (`@feathersjs/errors`, v5 shape: `data`/`errors` only when set) and the one renderer."""

from __future__ import annotations

from typing import Any

from mock_server.engine.errors import ErrorStyle, InjectedFault, MethodNotAllowed, Problem, RequestInvalid, VendorError

__all__ = [
    "BadRequest",
    "Conflict",
    "FeathersError",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "Unprocessable",
    "feathers_body",
    "STYLE",
]

_CLASSES = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    405: ("MethodNotAllowed", "method-not-allowed"),
    409: ("Conflict", "conflict"),
    413: ("PayloadTooLarge", "payload-too-large"),
    415: ("UnsupportedMediaType", "unsupported-media-type"),
    422: ("Unprocessable", "unprocessable"),
    429: ("TooManyRequests", "too-many-requests"),
    500: ("GeneralError", "general-error"),
    502: ("BadGateway", "bad-gateway"),
    503: ("Unavailable", "unavailable"),
}
_METHODS = {
    ("GET", False): "find",
    ("GET", True): "get",
    ("POST", False): "create",
    ("POST", True): "create",
    ("PATCH", False): "patch",
    ("PATCH", True): "patch",
    ("PUT", False): "update",
    ("PUT", True): "update",
    ("DELETE", False): "remove",
    ("DELETE", True): "remove",
}


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
    status, message = 403, "You do not have access to this workspace"


class NotFound(FeathersError):
    status, message = 404, "No record found for id '{id}'"


class Conflict(FeathersError):
    status, message = 409, "Conflict"


class Unprocessable(FeathersError):
    status, message = 422, "Unprocessable"


def feathers_body(status: int, message: str, data: Any = None) -> dict[str, Any]:
    name, class_name = _CLASSES.get(status, ("GeneralError", "general-error"))
    body: dict[str, Any] = {"name": name, "message": message, "code": status, "className": class_name}
    if data is not None:
        body["data"] = data
    return body


def _request_invalid(error: RequestInvalid) -> Problem:
    # As Feathers' schema hooks (Ajv) answer: "validation failed", the errors in `data`.
    data = [
        {
            "instancePath": "/" + "/".join(str(p) for p in v.pointer),
            "keyword": v.kind,
            "message": v.message,
            "location": v.location,
        }
        for v in error.violations
    ]
    return Problem(400, "validation failed", data=data)


def _method_not_allowed(error: MethodNotAllowed) -> Problem:
    with_id = error.path.strip("/").count("/") >= 1
    method = _METHODS.get((error.method.upper(), with_id), error.method.lower())
    message = (
        f"Can not {method} multiple entries"
        if method in ("patch", "remove") and not with_id
        else f"Method `{method}` is not supported by this endpoint."
    )
    return Problem(405, message, headers={"Allow": ", ".join(error.allowed)})


def _retry(fault: InjectedFault) -> dict[str, str]:
    return {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}


def _server_fault(fault: InjectedFault) -> Problem:
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.fault, 500)
    text = {502: "Bad gateway", 503: "Service unavailable"}.get(status, "General error")
    return Problem(status, text, headers=_retry(fault))


STYLE = ErrorStyle(
    envelope=lambda problem: feathers_body(problem.status, problem.message, problem.data),
    wording={
        "request_invalid": _request_invalid,
        "unauthenticated": lambda e: Problem(401, "Not authenticated"),
        "rate_limited": lambda e: Problem(429, "Too many requests", headers={"Retry-After": str(e.retry_after)}),
        "route_not_found": lambda e: Problem(404, "Page not found"),
        "method_not_allowed": _method_not_allowed,
        "payload_too_large": lambda e: Problem(413, f"The request body is larger than {e.limit} bytes"),
        "unsupported_media_type": lambda e: Problem(415, f"Unsupported content type {e.content_type or '(none)'}"),
        "internal": lambda e: Problem(500, str(e) or "General error"),
        "fault:rate_limited": lambda f: Problem(f.status or 429, "Too many requests", headers=_retry(f)),
        "fault:unauthorized": lambda f: Problem(f.status or 401, "jwt expired"),
        "fault:insufficient_scope": lambda f: Problem(f.status or 401, "jwt expired"),
        "fault:server_error": _server_fault,
        "fault:bad_gateway": _server_fault,
        "fault:unavailable": _server_fault,
    },
)
