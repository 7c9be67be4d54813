"""The 1TO1 AI contract in pytest, the way a user's own suite runs it (contract_tests' helper): every
schemathesis check plus convomock's, examples/coverage/fuzzing per operation and the stateful workflows."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests import contract_schema, contract_workflows
from mock_server.server import create_app

APP = create_app(["1to1ai"], strict=True)
schema = contract_schema("1to1ai", app=APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_1to1ai_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


TestOneToOneWorkflows = contract_workflows(schema)


def test_mock_stayed_inside_its_spec() -> None:
    """Strict mode recorded nothing: every answer the fuzzing got matched the spec, and no handler crashed."""
    assert APP.strict_violations == []
    assert APP.internal_errors == []
    assert len(APP.journal) > 100, "the contract did reach the mock"
