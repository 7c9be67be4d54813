"""convomock's own checks, run beside every schemathesis check. Each raises AssertionError naming the rule.

What a check needs to know about the vendor comes from the spec (`info.x-convomock`) or, for the tenancy check,
from a second tenant's credentials that the runner registers for the spec (`register_context`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema_rs
import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation, plain_str_values
from schemathesis.specs.openapi.checks import negative_data_rejection as _schemathesis_negative_data_rejection

__all__ = [
    "CONTRACT_CHECKS",
    "TenancyContext",
    "documented_success_status",
    "negative_data_rejection_as_sent",
    "other_tenant_not_found",
    "paging_limit",
    "register_context",
    "vendor_error_envelope",
]

_lock = threading.Lock()
_validators: dict[int, Any] = {}
_contexts: dict[int, TenancyContext] = {}


@dataclass(frozen=True)
class TenancyContext:
    """How to call as another tenant: its headers and the path parameters that name the tenant."""

    headers: Mapping[str, str]
    tenant_params: Mapping[str, str]  # the other tenant's values
    own_params: Mapping[str, str]  # this run's tenant's values (which path parameters name the tenant)


def register_context(raw_schema: Mapping[str, Any], context: TenancyContext | None) -> None:
    with _lock:
        if context is None:
            _contexts.pop(id(raw_schema), None)
        else:
            _contexts[id(raw_schema)] = context


def _document(case: Any) -> Mapping[str, Any]:
    return case.operation.schema.raw_schema  # type: ignore[no-any-return]


def _envelope(case: Any) -> tuple[str, Any] | None:
    document = _document(case)
    ref = ((document.get("info") or {}).get("x-convomock") or {}).get("error-envelope")
    if not ref:
        return None
    key = id(document)
    with _lock:
        if key not in _validators:
            registry = jsonschema_rs.Registry([("urn:contract", dict(document))])
            _validators[key] = jsonschema_rs.Draft202012Validator(
                {"$ref": "urn:contract" + ref}, registry=registry, validate_formats=True
            )
        return ref, _validators[key]


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@schemathesis.check
def vendor_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx and 5xx is the vendor's error envelope, documented status or not (404 routes, 405, 413 ...)."""
    if response.status_code < 400:
        return None
    envelope = _envelope(case)
    if envelope is None:
        return None
    ref, validator = envelope
    body = _json(response)
    if body is None:
        raise AssertionError(f"{response.status_code} answer is not JSON; the vendor's errors are {ref}")
    problems = [e.message for e in validator.iter_errors(body)][:2]
    if problems:
        raise AssertionError(
            f"{response.status_code} body is not the vendor's error envelope {ref}: " + "; ".join(problems)
        )
    return True


def _paging(case: Any) -> Mapping[str, str]:
    """How the spec pages its lists (`info.x-convomock.paging`): the query parameter of the page size (`limit`) and
    the field of the answer that holds the page (`items`)."""
    paging = ((_document(case).get("info") or {}).get("x-convomock") or {}).get("paging")
    return paging if isinstance(paging, Mapping) else {}


def _limit_parameter(case: Any) -> tuple[str, int | None] | None:
    """The page-size parameter and its documented maximum (None when the vendor publishes none: a page then
    still holds no more than was asked)."""
    limit = _paging(case).get("limit")
    for parameter in case.operation.query:
        definition = parameter.definition
        if parameter.name == limit:
            schema = definition.get("schema") or {}
            maximum = definition.get("x-max-page-size", schema.get("maximum"))
            return parameter.name, maximum if isinstance(maximum, int) else None
    return None


@schemathesis.check
def paging_limit(ctx: Any, response: Any, case: Any) -> bool | None:
    """A page never holds more than the `limit` asked for, nor more than the documented maximum."""
    if not 200 <= response.status_code < 300:
        return None
    found = _limit_parameter(case)
    if found is None:
        return None
    name, maximum = found
    body = _json(response)
    field = _paging(case).get("items")
    items = body.get(field) if isinstance(body, dict) and field else None
    if not isinstance(items, list):
        return None
    cap = maximum
    requested = (case.query or {}).get(name)
    try:
        if requested is not None and float(requested) >= 0:
            asked = int(float(requested))
            cap = asked if cap is None else min(cap, asked)
    except (TypeError, ValueError, OverflowError):
        pass
    if cap is not None and len(items) > cap:
        raise AssertionError(
            f"page holds {len(items)} items; `{name}` allows at most {cap} "
            f"(asked {requested!r}, documented maximum {maximum})"
        )
    return True


@schemathesis.check
def documented_success_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """A success answers with the 2xx the docs name (201 on creates, 202 on asynchronous action groups ...)."""
    if not 200 <= response.status_code < 300:
        return None
    documented = sorted(
        int(s)
        for s in case.operation.definition.raw.get("responses", {})
        if str(s).isdigit() and str(s).startswith("2")
    )
    if documented and response.status_code not in documented:
        raise AssertionError(f"success answered {response.status_code}; the spec documents {documented}")
    return True


@schemathesis.check
def other_tenant_not_found(ctx: Any, response: Any, case: Any) -> bool | None:
    """What one tenant can read by id, another tenant's credentials cannot (not found, or forbidden)."""
    if case.method.upper() != "GET" or response.status_code != 200:
        return None
    context = _contexts.get(id(_document(case)))
    if context is None:
        return None
    path_parameters = dict(case.path_parameters or {})
    if not set(path_parameters) - set(context.own_params):
        return None  # nothing but the tenant itself in the path: a list of one's own things
    replay = case.derive(headers={**dict(case.headers or {}), **dict(context.headers)})
    replay.path_parameters = {
        **path_parameters,
        **{k: v for k, v in context.tenant_params.items() if k in path_parameters},
    }
    answer = replay.call(headers=dict(context.headers))
    extension = (_document(case).get("info") or {}).get("x-convomock") or {}
    allowed = {403, 404, *extension.get("not-found-statuses", [])}  # HighLevel says "not found" with a 400
    if answer.status_code not in allowed:
        raise AssertionError(
            f"GET {replay.formatted_path} with another tenant's credentials got "
            f"{answer.status_code} (expected {' or '.join(map(str, sorted(allowed)))}): "
            f"{answer.text[:160]}"
        )
    return True


@schemathesis.check
def negative_data_rejection_as_sent(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' `negative_data_rejection` (which the runner switches off in its place), judged on the request
    as sent. Its own guards re-read a query parameter as sent only by its name; a `deepObject` one whose invalid part
    serialises to nothing (`$sort[x]` with an empty list or object as its value: no `$sort[x]` on the wire) reaches
    the API as a valid request, which it rightly answers 2xx. So when every negated part is in the query and the
    query as sent (each deepObject member restricted to those that reached the wire) is valid, it is no failure."""
    try:
        return _schemathesis_negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if _query_valid_as_sent(response, case):
            return None
        raise


def _query_valid_as_sent(response: Any, case: Any) -> bool:
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.QUERY):
        return False
    if any(
        meta.is_negative_at(location)
        for location in (
            ParameterLocation.BODY,
            ParameterLocation.PATH,
            ParameterLocation.HEADER,
            ParameterLocation.COOKIE,
        )
    ):
        return False
    query = dict(case.query or {})
    parameters = case.operation.get_parameter_set(ParameterLocation.QUERY)
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    for parameter in parameters:
        value = query.get(parameter.name)
        if parameter.definition.get("style") != "deepObject" or not isinstance(value, Mapping):
            continue
        prefix = parameter.name + "["
        members = {name[len(prefix) :].split("]", 1)[0] for name, _ in sent if name.startswith(prefix)}
        kept = {key: item for key, item in value.items() if key in members}
        if kept:
            query[parameter.name] = kept
        else:
            query.pop(parameter.name)
    try:
        return bool(parameters.get_strict_validator().is_valid(plain_str_values(query)))
    except Exception:  # noqa: BLE001 - a schema the validator cannot compile: keep schemathesis' verdict
        return False


CONTRACT_CHECKS = (
    vendor_error_envelope,
    paging_limit,
    documented_success_status,
    other_tenant_not_found,
    negative_data_rejection_as_sent,
)
