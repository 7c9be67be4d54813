"""The HighLevel contract in pytest through the user-facing helper: every schemathesis check plus convomock's
(tenancy with the second location's token included), per operation and through the spec's links."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests import contract_schema, contract_workflows
from mock_server.server import create_app

APP = create_app(["highlevel"], strict=True)
schema = contract_schema("highlevel", app=APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_highlevel_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


TestHighLevelWorkflows = contract_workflows(schema)


def test_mock_stayed_inside_its_spec() -> None:
    assert APP.strict_violations == []
    assert APP.internal_errors == []
    assert len(APP.journal) > 100, "the contract did reach the mock"
