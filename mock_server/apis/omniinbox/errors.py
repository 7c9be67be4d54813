"""Feathers errors (`@feathersjs/errors`, v5 shape: `data`/`errors` only when set) and the one renderer."""

from __future__ import annotations

from typing import Any

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
    "BadRequest",
    "Conflict",
    "FeathersError",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "Unprocessable",
    "feathers_body",
    "render",
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


def render(error: Exception) -> Rendered:
    """The only place that knows the Feathers envelope."""
    if isinstance(error, FeathersError):
        return error.status, {}, feathers_body(error.status, error.message, error.data)
    if isinstance(error, RequestInvalid):
        # As Feathers' schema hooks (Ajv) answer: "validation failed", the errors in `data`.
        problems = error.problems or [(error.pointer, error.message, error.keyword or "")]
        data = [
            {
                "instancePath": "/" + "/".join(str(p) for p in pointer),
                "keyword": keyword,
                "message": message,
                "location": error.location,
            }
            for pointer, message, keyword in problems
        ]
        return 400, {}, feathers_body(400, "validation failed", data)
    if isinstance(error, Unauthenticated):
        return 401, {}, feathers_body(401, "Not authenticated")
    if isinstance(error, RateLimited):
        return 429, {"Retry-After": str(error.retry_after)}, feathers_body(429, "Too many requests")
    if isinstance(error, InjectedFault):
        return _fault(error)
    if isinstance(error, RouteNotFound):
        return 404, {}, feathers_body(404, "Page not found")
    if isinstance(error, MethodNotAllowed):
        with_id = error.path.strip("/").count("/") >= 1
        method = _METHODS.get((error.method.upper(), with_id), error.method.lower())
        message = (
            f"Can not {method} multiple entries"
            if method in ("patch", "remove") and not with_id
            else f"Method `{method}` is not supported by this endpoint."
        )
        return 405, {"Allow": ", ".join(error.allowed)}, feathers_body(405, message)
    if isinstance(error, PayloadTooLarge):
        return 413, {}, feathers_body(413, f"The request body is larger than {error.limit} bytes")
    if isinstance(error, UnsupportedMediaType):
        return 415, {}, feathers_body(415, f"Unsupported content type {error.content_type or '(none)'}")
    if isinstance(error, InternalError):
        return 500, {}, feathers_body(500, str(error) or "General error")
    return 500, {}, feathers_body(500, "General error")


def _fault(fault: InjectedFault) -> Rendered:
    retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
    if fault.kind == "rate_limited":
        return fault.status or 429, retry, feathers_body(429, "Too many requests")
    if fault.kind in ("unauthorized", "insufficient_scope"):
        return fault.status or 401, {}, feathers_body(401, "jwt expired")
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.kind, 500)
    text = {502: "Bad gateway", 503: "Service unavailable"}.get(status, "General error")
    return status, retry, feathers_body(status, text)
