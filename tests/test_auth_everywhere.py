"""Every operation of every spec (enumerated from the specs, so a new operation cannot skip this) refuses a
missing or malformed credential with the vendor's 401 envelope, and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.server import create_app
from tests.support.specs import SPECS, error_envelope

OPERATIONS = [
    (api, op.operation_id, op.method, op.path, op.public) for api, spec in SPECS.items() for op in spec.operations
]
CREDENTIALS = {
    "missing": None,
    "not-bearer": "Basic dXNlcjpwYXNz",
    "empty-bearer": "Bearer ",
    "unknown-token": "Bearer not-a-token-anyone-issued",
}


@pytest.fixture(scope="module", params=sorted(BINDINGS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestClient, Any]]:
    api = request.param
    app = create_app(apis=[api], frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        yield api, http, error_envelope(api)
    assert app.backend.internal_errors == [] and app.backend.strict_violations == []


def test_every_documented_operation_is_enumerated() -> None:
    assert len([o for o in OPERATIONS if not o[4]]) >= 84
    assert {api for api, *_ in OPERATIONS} == set(BINDINGS)


@pytest.mark.parametrize("credential", sorted(CREDENTIALS))
def test_every_operation_refuses_a_bad_credential(served: tuple[str, TestClient, Any], credential: str) -> None:
    api, http, envelope = served
    before = http.get("/__mock/state").text
    checked = 0
    # A path parameter that names the tenant (a slug) gets the first tenant's value, so it is the credential that
    # is refused; every other parameter a made-up id.
    tenant = http.get("/__mock/credentials").json()[api][0].get("path_params", {})
    for name, operation_id, method, path, public in OPERATIONS:
        if name != api or public:
            continue
        concrete = BINDINGS[api].prefix + re.sub(r"\{([^}]+)\}", lambda m: tenant.get(m.group(1), "x1"), path)
        headers = {"Content-Type": "application/json"}
        offered = CREDENTIALS[credential]
        if offered is not None:
            headers["Authorization"] = offered
        response = http.request(method, concrete, headers=headers, content=b"{}")
        assert response.status_code == 401, (operation_id, credential, response.status_code, response.text[:200])
        assert envelope.is_valid(response.json()), (operation_id, response.json())
        checked += 1
    assert checked == len([o for o in OPERATIONS if o[0] == api and not o[4]])
    assert http.get("/__mock/state").text == before
