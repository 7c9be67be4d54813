"""The engine's errors: one renderer fed by each vendor's envelope and wording, a start-up refusal for a vendor that
does not word a kind, and structured violations (no English to parse) with the spec's notes and discriminators."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from mock_server.apis import BINDINGS
from mock_server.engine.backend import MockBackend, StartupError
from mock_server.engine.errors import (
    ERROR_KINDS,
    ErrorStyle,
    InjectedFault,
    Problem,
    RequestInvalid,
    RouteNotFound,
    VendorError,
)
from mock_server.engine.options import MockOptions
from mock_server.engine.specs import SchemaValidator

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "Pet": {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
                },
            },
            "Cat": {
                "type": "object",
                "required": ["kind", "lives"],
                "additionalProperties": False,
                "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer", "maximum": 9}},
                "allOf": [
                    {
                        "if": {"properties": {"lives": {"const": 9}}, "required": ["lives"]},
                        "then": {"x-convomock": {"required": "{field} when lives is 9"}, "required": ["name"]},
                    }
                ],
            },
            "Dog": {"type": "object", "properties": {"kind": {"const": "dog"}}},
        }
    }
}


def _validator(schema: dict[str, Any]) -> SchemaValidator:
    registry = jsonschema_rs.Registry([("urn:convomock:spec", DOCUMENT)])
    return SchemaValidator(schema, registry, DOCUMENT)


PET = {"$ref": "urn:convomock:spec#/components/schemas/Pet"}


def test_a_violation_carries_the_kind_the_property_the_limit_and_the_value() -> None:
    found = _validator(PET).violations({"kind": "cat", "lives": 12, "a": 1, "b": 2}, "body")
    by_kind = {(v.kind, v.property): v for v in found}
    assert by_kind[("maximum", None)].limit == 9 and by_kind[("maximum", None)].value == 12
    assert by_kind[("maximum", None)].pointer == ("lives",)
    # one violation per unexpected property, as class-validator and pydantic report them
    assert {p for k, p in by_kind if k == "additionalProperties"} == {"a", "b"}


def test_a_discriminated_one_of_reports_the_named_branch() -> None:
    found = _validator(PET).violations({"kind": "cat", "lives": 9}, "body", ("pet",))
    assert [(v.kind, v.property, v.pointer, v.notes.get("required")) for v in found] == [
        ("required", "name", ("pet",), "{field} when lives is 9")
    ]


def test_an_unknown_discriminator_value_is_an_enum_violation() -> None:
    [violation] = _validator(PET).violations({"kind": "cow"}, "body")
    assert violation.kind == "enum" and violation.pointer == ("kind",)
    assert violation.allowed == ("cat", "dog") and violation.value == "cow"


def test_request_invalid_describes_its_first_violation() -> None:
    error = RequestInvalid.single("query", "may be given only once", ["limit"], "maxItems", limit=1)
    assert error.describe() == "query.limit: may be given only once"
    assert error.first.kind == "maxItems" and error.first.limit == 1
    with pytest.raises(ValueError):
        RequestInvalid([])


def _style(**wording: Any) -> ErrorStyle:
    return ErrorStyle(envelope=lambda p: {"status": p.status, "says": p.message}, wording=wording)


def test_the_renderer_uses_the_vendors_wording_and_envelope() -> None:
    style = _style(**{kind: (lambda e, k=kind: Problem(418, k, headers={"X-Kind": k})) for kind in ERROR_KINDS})
    assert style.missing() == []
    assert style.render(RouteNotFound("/x")) == (
        418,
        {"X-Kind": "route_not_found"},
        {"status": 418, "says": "route_not_found"},
    )
    assert style.render(InjectedFault("bad_gateway"))[2]["says"] == "fault:bad_gateway"
    assert style.render(KeyError("a bug"))[2]["says"] == "internal"  # anything else is the mock's bug

    class Teapot(VendorError):
        status, code, message = 418, "TEAPOT", "I am a {what}"

    assert style.render(Teapot(what="teapot")) == (418, {}, {"status": 418, "says": "I am a teapot"})


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        InjectedFault("meteor")


def test_a_vendor_that_does_not_word_a_kind_cannot_start(tmp_path: Path) -> None:
    binding = next(iter(BINDINGS.values()))
    wording = dict(binding.errors.wording)
    del wording["payload_too_large"], wording["fault:unavailable"]
    broken = replace(binding, errors=ErrorStyle(binding.errors.envelope, wording))
    with pytest.raises(StartupError, match="payload_too_large, fault:unavailable"):
        MockBackend([broken], MockOptions())
