"""`negative_data_rejection_as_sent` (issue 17's `make fuzz` finding): schemathesis' negative check flagged omni-inbox
`findAutomations` for answering 200 to a `$sort` "with an additional property" whose value, an empty list, put
nothing on the wire, so the request sent was valid. The check now judges the query as sent; a member that did
reach the wire still fails it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation

from convomock.contract import checks
from convomock.contract.checks import _query_valid_as_sent
from convomock.contract.loader import ContractOptions, build_schema, resolve
from mock_server.apis import BINDINGS

API = "omni-inbox"


@dataclass
class _Meta:
    negative: frozenset[ParameterLocation]

    def is_negative_at(self, location: ParameterLocation) -> bool:
        return location in self.negative


@dataclass
class _Case:
    """What the check reads of a schemathesis Case (whose `meta` is read-only)."""

    operation: Any
    query: dict[str, Any]
    meta: _Meta


@dataclass
class _Request:
    url: str


@dataclass
class _Response:
    request: _Request


@pytest.fixture(scope="module")
def find_automations() -> Any:
    schema = schemathesis.openapi.from_path(BINDINGS[API].spec_path)
    return schema["/automations"]["GET"]


def _judged(
    operation: Any, generated: dict[str, Any], sent: list[tuple[str, str]], *negative: ParameterLocation
) -> bool:
    case = _Case(operation, generated, _Meta(frozenset(negative or {ParameterLocation.QUERY})))
    response = _Response(_Request("http://127.0.0.1:8000/omni-inbox/automations?" + urlencode(sent)))
    return _query_valid_as_sent(response, case)


def test_a_member_that_never_reached_the_wire_makes_no_failure(find_automations: Any) -> None:
    generated = {"$sort": {"updated_at": -1, "deleted_at": -1, "x-unknown": []}}
    sent = [("$sort[updated_at]", "-1"), ("$sort[deleted_at]", "-1")]  # `[]` serialises to nothing
    assert _judged(find_automations, generated, sent)


def test_an_unknown_member_on_the_wire_is_still_a_failure(find_automations: Any) -> None:
    generated = {"$sort": {"updated_at": -1, "x-unknown": 1}}
    sent = [("$sort[updated_at]", "-1"), ("$sort[x-unknown]", "1")]
    assert not _judged(find_automations, generated, sent)


def test_a_bad_value_that_reached_the_wire_is_still_a_failure(find_automations: Any) -> None:
    generated = {"$sort": {"updated_at": 7}}
    assert not _judged(find_automations, generated, [("$sort[updated_at]", "7")])


def test_a_negated_body_or_header_is_left_to_schemathesis(find_automations: Any) -> None:
    generated = {"$sort": {"updated_at": -1, "x-unknown": []}}
    sent = [("$sort[updated_at]", "-1")]
    assert not _judged(find_automations, generated, sent, ParameterLocation.QUERY, ParameterLocation.HEADER)


@pytest.mark.parametrize("valid_as_sent", [True, False])
def test_the_check_forgives_only_what_was_valid_as_sent(monkeypatch: pytest.MonkeyPatch, valid_as_sent: bool) -> None:
    def flagged(ctx: Any, response: Any, case: Any) -> bool | None:
        raise AcceptedNegativeData(
            operation="GET /automations", message="Invalid data", status_code=200, expected_statuses=["400"]
        )

    monkeypatch.setattr(checks, "_schemathesis_negative_data_rejection", flagged)
    monkeypatch.setattr(checks, "_query_valid_as_sent", lambda response, case: valid_as_sent)
    if valid_as_sent:
        assert checks.negative_data_rejection_as_sent(None, None, None) is None
    else:
        with pytest.raises(AcceptedNegativeData):
            checks.negative_data_rejection_as_sent(None, None, None)


def test_a_run_uses_the_check_in_place_of_schemathesis_own() -> None:
    schema = build_schema(resolve(ContractOptions(api=API)))
    assert schema.config.checks.negative_data_rejection.enabled is False
    assert checks.negative_data_rejection_as_sent in checks.CONTRACT_CHECKS
