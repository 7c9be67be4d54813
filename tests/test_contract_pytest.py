"""Every API's contract in pytest, the way a user's own suite runs it (the README's snippet, once per API):
every schemathesis check plus convomock's, examples/coverage/fuzzing per operation and the stateful workflows
through the spec's links, against a strict in-process mock that must record no violation."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from convomock.contract import contract_schema, contract_workflows
from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.server import create_app

APPS: dict[str, MockApp] = {}


def _links(document: Any) -> bool:
    """Whether the spec links its operations (the stateful workflows need them; a new API may have none yet)."""
    return any(
        isinstance(response, dict) and response.get("links")
        for item in (document.get("paths") or {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in (operation.get("responses") or {}).values()
    )


def _contract(api: str) -> tuple[Any, Any]:
    app = APPS[api] = create_app(apis=[api], strict=True, frozen=True)  # frozen: the same state gives the same answers
    schema = contract_schema(api, app=app)

    @schema.parametrize()  # type: ignore[untyped-decorator]  # schemathesis' decorator is untyped
    # derandomize: the same cases on every run, so a CI result can always be reproduced
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def test(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate()

    if not _links(schema.raw_schema):
        return test, None
    return test, contract_workflows(schema, reset=app.backend.reset, derandomize=True)


# One pair per served API, named after it (test_crm_inbox_conforms, TestCrmInboxWorkflows), so a new API is in.
for _api in BINDINGS:
    _words = _api.replace("-", "_")
    _test, _workflows = _contract(_api)
    globals()[f"test_{_words}_conforms"] = _test
    if _workflows is not None:
        globals()[f"Test{_words.title().replace('_', '')}Workflows"] = _workflows


def test_the_mocks_stayed_inside_their_specs() -> None:
    for api, app in APPS.items():
        assert app.backend.strict_violations == [], api
        assert app.backend.internal_errors == [], api
        assert app.backend.served > 100, f"the {api} contract did reach the mock"
