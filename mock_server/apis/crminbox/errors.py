"""CRM inbox errors in FastAPI's shapes (convomock design, specs/crm-inbox.yaml): `{"detail": "..."}` and the 422
`{"detail": [{type, loc, msg, input}]}` that pydantic v2 writes, and the one renderer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mock_server.engine.errors import ErrorStyle, InjectedFault, Problem, VendorError, Violation

__all__ = [
    "Conflict",
    "CrmError",
    "Forbidden",
    "InvalidCredentials",
    "MalformedOrg",
    "NotAMember",
    "NotAuthenticated",
    "NotFound",
    "TooLarge",
    "ValidationFailed",
    "WebhookUnauthorized",
    "STYLE",
    "issue",
]


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class CrmError(VendorError):
    status = 400
    code = "error"

    def problem(self) -> Problem:
        return Problem(self.status, self.message, None, _CHALLENGE if self.status == 401 else {})


class NotAuthenticated(CrmError):
    status, message = 401, "Not authenticated"


class InvalidCredentials(CrmError):
    status, message = 401, "Invalid authentication credentials"


class NotAMember(CrmError):
    status, message = 403, "Not a member of this organization"


class MalformedOrg(CrmError):
    """`X-Org-Id` that is not a uuid: 400 (Iron's subaccounts page); the text is convomock design."""

    status, message = 400, "X-Org-Id must be a UUID"


class WebhookUnauthorized(CrmError):
    """A webhook seam's secret or installation token missing or wrong: 401, no bearer challenge (not a bearer
    scheme; convomock design)."""

    status, message = 401, "Invalid CRM secret"

    def problem(self) -> Problem:
        return Problem(self.status, self.message)


class Forbidden(CrmError):
    status, message = 403, "{why}"


class NotFound(CrmError):
    status, message = 404, "{what} not found"


class TooLarge(CrmError):
    status, message = 413, "Request Entity Too Large"


class Conflict(CrmError):
    """409: a suggestion or assignment no longer in the state the request needs (the text says which)."""

    status, message = 409, "Suggestion already {state}"  # the default text: a suggestion's; others pass theirs


def issue(kind: str, loc: Sequence[str | int], msg: str, value: Any = None) -> dict[str, Any]:
    return {"type": kind, "loc": list(loc), "msg": msg, "input": value}


class ValidationFailed(CrmError):
    """A rule the schema cannot see (a non-member assignee, a system view removed): one pydantic-style issue."""

    status = 422

    def __init__(self, issues: Sequence[dict[str, Any]]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(i["msg"] for i in self.issues))

    def problem(self) -> Problem:
        return Problem(422, self.issues)


def _enum_text(options: Sequence[Any]) -> str:
    """`"a", "b" or "c"`: the options as the refusal lists them."""
    quoted = [json.dumps(option) for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _issue_for(violation: Violation) -> dict[str, Any]:
    """One broken rule as pydantic v2 words it. For a parameter, pointer[0] is its name (a header's lower-cased)."""
    if violation.location == "body":
        loc: list[str | int] = ["body", *violation.pointer]
    else:
        name = str(violation.pointer[0]).lower() if violation.location == "header" else violation.pointer[0]
        loc = [violation.location, name, *violation.pointer[1:]]
    kind, value, limit = violation.kind, violation.value, violation.limit
    if kind == "required":
        if violation.property is not None and violation.location == "body":
            loc.append(violation.property)
        return issue("missing", loc, "Field required", None)
    if kind == "additionalProperties":
        extra = violation.property
        found = value.get(extra) if isinstance(value, dict) and extra is not None else None
        return issue(
            "extra_forbidden", [*loc, extra] if extra is not None else loc, "Extra inputs are not permitted", found
        )
    if kind == "invalid_json":
        return issue("json_invalid", loc, violation.message, None)
    if kind in ("invalid", "invalid_form"):  # refused before any schema: the engine's own words
        return issue("value_error", loc, violation.message, None)
    if kind == "format" and "uuid" in violation.allowed:
        return issue("uuid_parsing", loc, "Input should be a valid UUID", value)
    if kind == "format" and "date-time" in violation.allowed:
        return issue("datetime_parsing", loc, "Input should be a valid datetime", value)
    if kind == "enum":
        return issue("enum", loc, f"Input should be one of {_enum_text(violation.allowed)}", value)
    if kind == "type":
        wanted = str(violation.allowed[-1]) if violation.allowed else "valid"
        return issue(_TYPES.get(wanted, "type_error"), loc, f"Input should be a valid {wanted}", value)
    if kind in ("minimum", "exclusiveMinimum"):
        return issue("greater_than_equal", loc, f"Input should be greater than or equal to {limit}", value)
    if kind in ("maximum", "exclusiveMaximum"):
        return issue("less_than_equal", loc, f"Input should be less than or equal to {limit}", value)
    if kind == "minLength":
        return issue("string_too_short", loc, "String should have at least 1 character", value)
    if kind == "maxLength":
        return issue("string_too_long", loc, f"String should have at most {limit} characters", value)
    if kind == "pattern":
        return issue("string_pattern_mismatch", loc, f"String should match pattern '{limit}'", value)
    if kind == "minItems":
        return issue("too_short", loc, "List should have more items", value)
    if kind == "maxItems":
        return issue("too_long", loc, "List should have fewer items", value)
    return issue("value_error", loc, f"Value error, {violation.message}", value)


_TYPES = {
    "boolean": "bool_parsing",
    "integer": "int_parsing",
    "number": "float_parsing",
    "string": "string_type",
    "object": "model_type",
    "array": "list_type",
}


def _envelope(problem: Problem) -> dict[str, Any]:
    return {"detail": problem.message}


def _retry(fault: InjectedFault) -> dict[str, str]:
    return {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}


def _server_fault(fault: InjectedFault) -> Problem:
    status = fault.status or {"bad_gateway": 502, "unavailable": 503}.get(fault.fault, 500)
    text = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Internal Server Error")
    return Problem(status, text, None, _retry(fault))


STYLE = ErrorStyle(
    envelope=_envelope,
    wording={
        "request_invalid": lambda e: Problem(422, [_issue_for(v) for v in e.violations][:10]),
        "unauthenticated": lambda e: Problem(401, NotAuthenticated.message, None, _CHALLENGE),
        "rate_limited": lambda e: Problem(429, "Too Many Requests", None, {"Retry-After": str(e.retry_after)}),
        "route_not_found": lambda e: Problem(404, "Not Found"),
        "method_not_allowed": lambda e: Problem(405, "Method Not Allowed", None, {"Allow": ", ".join(e.allowed)}),
        "payload_too_large": lambda e: Problem(413, "Request Entity Too Large"),
        "unsupported_media_type": lambda e: Problem(415, f"Unsupported Media Type: {e.content_type or '(none)'}"),
        "internal": lambda e: Problem(500, str(e) or "Internal Server Error"),
        "fault:rate_limited": lambda f: Problem(f.status or 429, "Too Many Requests", None, _retry(f)),
        "fault:unauthorized": lambda f: Problem(f.status or 401, InvalidCredentials.message, None, _CHALLENGE),
        "fault:insufficient_scope": lambda f: Problem(f.status or 403, NotAMember.message),
        "fault:server_error": _server_fault,
        "fault:bad_gateway": _server_fault,
        "fault:unavailable": _server_fault,
    },
)
