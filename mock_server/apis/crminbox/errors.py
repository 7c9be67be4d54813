"""CRM inbox errors in FastAPI's shapes (convomock design, specs/crm-inbox.yaml): `{"detail": "..."}` and the 422
`{"detail": [{type, loc, msg, input}]}` that pydantic v2 writes, and the one renderer."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    "Conflict",
    "CrmError",
    "InvalidCredentials",
    "NotAMember",
    "NotAuthenticated",
    "NotFound",
    "TooLarge",
    "ValidationFailed",
    "issue",
    "render",
]


class CrmError(VendorError):
    status = 400
    code = "error"


class NotAuthenticated(CrmError):
    status, message = 401, "Not authenticated"


class InvalidCredentials(CrmError):
    status, message = 401, "Invalid authentication credentials"


class NotAMember(CrmError):
    status, message = 403, "Not a member of this organization"


class NotFound(CrmError):
    status, message = 404, "{what} not found"


class TooLarge(CrmError):
    status, message = 413, "Request Entity Too Large"


class Conflict(CrmError):
    status, message = 409, "Suggestion already {state}"


def issue(kind: str, loc: Sequence[str | int], msg: str, value: Any = None) -> dict[str, Any]:
    return {"type": kind, "loc": list(loc), "msg": msg, "input": value}


class ValidationFailed(CrmError):
    """A rule the schema cannot see (a non-member assignee, a system view removed): one pydantic-style issue."""

    status = 422

    def __init__(self, issues: Sequence[dict[str, Any]]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(i["msg"] for i in self.issues))


def _value_at(instance: Any, pointer: Sequence[str | int]) -> Any:
    for part in pointer:
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


_QUOTED = re.compile(r'"([^"]*)"')


def _issue_for(
    location: str, pointer: Sequence[str | int], message: str, keyword: str, instance: Any
) -> dict[str, Any]:
    """One JSON Schema error as pydantic v2 would word it. For a parameter, pointer[0] is its name and `instance`
    its value; for the body, `instance` is the whole body."""
    if location == "body":
        loc: list[str | int] = ["body", *pointer]
        value = _value_at(instance, pointer)
    else:
        name = str(pointer[0]).lower() if location == "header" else pointer[0]
        loc = [location, name, *pointer[1:]]
        value = _value_at(instance, pointer[1:])
    number = re.search(r"(-?\d+(?:\.\d+)?)\D*$", message)
    if keyword == "required":
        names = _QUOTED.findall(message)
        if names and location == "body":
            loc.append(names[0])
        return issue("missing", loc, "Field required", None)
    if keyword == "additionalProperties":
        extra = re.findall(r"'([^']*)'", message)
        return issue(
            "extra_forbidden",
            [*loc, *extra[:1]],
            "Extra inputs are not permitted",
            _value_at(value, extra[:1]) if extra else None,
        )
    if keyword == "format" and "uuid" in message:
        return issue("uuid_parsing", loc, "Input should be a valid UUID", value)
    if keyword == "format" and "date-time" in message:
        return issue("datetime_parsing", loc, "Input should be a valid datetime", value)
    if keyword == "enum":
        options = message.split(" is not one of ")[-1]
        return issue("enum", loc, f"Input should be one of {options}", value)
    if keyword == "type":
        wanted = _QUOTED.findall(message)[-1:] or ["valid"]
        kinds = {
            "boolean": "bool_parsing",
            "integer": "int_parsing",
            "number": "float_parsing",
            "string": "string_type",
            "object": "model_type",
            "array": "list_type",
        }
        return issue(kinds.get(wanted[0], "type_error"), loc, f"Input should be a valid {wanted[0]}", value)
    if keyword in ("minimum", "exclusiveMinimum") and number:
        return issue("greater_than_equal", loc, f"Input should be greater than or equal to {number.group(1)}", value)
    if keyword in ("maximum", "exclusiveMaximum") and number:
        return issue("less_than_equal", loc, f"Input should be less than or equal to {number.group(1)}", value)
    if keyword == "minLength":
        return issue("string_too_short", loc, "String should have at least 1 character", value)
    if keyword == "maxLength" and number:
        return issue("string_too_long", loc, f"String should have at most {number.group(1)} characters", value)
    if keyword == "minItems":
        return issue("too_short", loc, "List should have more items", value)
    if keyword == "maxItems":
        return issue("too_long", loc, "List should have fewer items", value)
    return issue("value_error", loc, f"Value error, {message}", value)


def _issues(error: RequestInvalid) -> list[dict[str, Any]]:
    if error.problems:
        return [
            _issue_for(error.location, pointer, message, keyword, error.instance)
            for pointer, message, keyword in error.problems
        ][:10]
    if error.keyword == "required":
        if error.location == "body" or not error.pointer:
            return [issue("missing", [error.location], "Field required", None)]
        return [_issue_for(error.location, list(error.pointer), "", "required", None)]
    kind = "json_invalid" if "JSON" in error.message or "UTF-8" in error.message else "value_error"
    return [issue(kind, [error.location, *error.pointer], error.message, None)]


def _detail(status: int, detail: Any) -> dict[str, Any]:
    return {"detail": detail}


def render(error: Exception) -> Rendered:
    """The only place that knows the CRM inbox's envelope."""
    if isinstance(error, ValidationFailed):
        return 422, {}, _detail(422, error.issues)
    if isinstance(error, VendorError):
        challenge = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        return error.status, challenge, _detail(error.status, error.message)
    if isinstance(error, RequestInvalid):
        return 422, {}, _detail(422, _issues(error))
    if isinstance(error, Unauthenticated):
        return 401, {"WWW-Authenticate": "Bearer"}, _detail(401, NotAuthenticated.message)
    if isinstance(error, RateLimited):
        return 429, {"Retry-After": str(error.retry_after)}, _detail(429, "Too Many Requests")
    if isinstance(error, InjectedFault):
        return _fault(error)
    if isinstance(error, RouteNotFound):
        return 404, {}, _detail(404, "Not Found")
    if isinstance(error, MethodNotAllowed):
        return 405, {"Allow": ", ".join(error.allowed)}, _detail(405, "Method Not Allowed")
    if isinstance(error, PayloadTooLarge):
        return 413, {}, _detail(413, "Request Entity Too Large")
    if isinstance(error, UnsupportedMediaType):
        return 415, {}, _detail(415, f"Unsupported Media Type: {error.content_type or '(none)'}")
    if isinstance(error, InternalError):
        return 500, {}, _detail(500, str(error) or "Internal Server Error")
    return 500, {}, _detail(500, "Internal Server Error")


def _fault(fault: InjectedFault) -> Rendered:
    retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
    if fault.kind == "rate_limited":
        return fault.status or 429, retry, _detail(429, "Too Many Requests")
    if fault.kind == "unauthorized":
        return fault.status or 401, {"WWW-Authenticate": "Bearer"}, _detail(401, InvalidCredentials.message)
    if fault.kind == "insufficient_scope":
        return fault.status or 403, {}, _detail(403, NotAMember.message)
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.kind, 500)
    text = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Internal Server Error")
    return status, retry, _detail(status, text)
