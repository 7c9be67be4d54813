"""Tenancy on every operation of every spec (issue 7, item 4). Operations are enumerated from the specs and the
requests come from each API's package (its probes), so a new operation or a new API without a case fails
`test_another_tenant_gets_nothing` instead of skipping it.

- The second tenant: its credential against the first tenant's real objects (seeded, or made by the first tenant
  beforehand) answers the vendor's not-found or forbidden in its error envelope, shows none of the first tenant's
  strings and changes nothing; the same request with the first tenant's own credential gets a real answer, which
  proves the body was valid. Where an operation names no object (a list, a create), the second tenant gets its own
  data and the first tenant's state is left alone.
- Revoked, expired and forged credentials, and the `token-revoked` scenario, answer the vendor's 401 on every
  operation (missing and malformed ones: test_auth_everywhere.py).

Each case restores the prepared state afterwards, so the whole file runs on one app per API. Vendor-specific
tenancy (HighLevel's scopes, a foreign knowledge base) is in tests/apis/<vendor>/, on the same harness.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.server import create_app
from tests.support.specs import SPECS
from tests.support.tenancy import BASE, BASE_URL, TenancyMocks, operations, probes_of, refused_alike, where

OPERATIONS = {(api, op.operation_id): op for api, op in operations(public=True)}


@pytest.fixture(scope="module")
def mocks() -> Iterator[TenancyMocks]:
    started = TenancyMocks()
    yield started
    started.close()


def _refusals(api: str) -> frozenset[int]:
    """Unauthorized, forbidden and the vendor's not-found (404 unless the spec says otherwise), plus the statuses it
    documents for a schema-valid request naming what is not there (an unknown id in a body, a view it does not
    know)."""
    extension = SPECS[api].info["x-convomock"]
    return frozenset(
        {401, 403, *extension.get("not-found-statuses", [404]), *extension.get("schema-valid-refusals", [])}
    )


REFUSALS = {api: _refusals(api) for api in BINDINGS}


def _tenancy_params() -> Iterator[Any]:
    for api, operation in operations():
        probes = probes_of(api)
        if operation.operation_id in probes.seams:
            continue  # a trusted seam's secret, not a tenant's user: no tenant to cross
        variants = probes.cases.get(operation.operation_id, {BASE: None})
        for shape, names_first in probes.shapes.items():
            for variant in variants:
                if variant != BASE and names_first:
                    continue  # refused on the tenant alone: the body is never read
                yield pytest.param(
                    api, operation.operation_id, shape, variant, id=f"{api}-{operation.operation_id}-{shape}-{variant}"
                )


@pytest.mark.parametrize("api", list(BINDINGS))
def test_a_restored_snapshot_reads_back_unchanged(api: str) -> None:
    """Every case here restores the state between calls and compares snapshots as text, so a round trip must be
    byte-identical."""
    app = create_app(apis=[api], frozen=True)
    with TestClient(app, base_url=BASE_URL) as http:
        seeded = http.get("/__mock/state").text
        assert http.put("/__mock/state", content=seeded, headers={"Content-Type": "application/json"}).is_success
        restored = http.get("/__mock/state").text
    assert json.loads(restored) == json.loads(seeded)
    first = next(
        (i for i, (a, b) in enumerate(zip(seeded, restored, strict=False)) if a != b), min(len(seeded), len(restored))
    )
    assert restored == seeded, (
        f"...{seeded[first - 80 : first + 40]}... became ...{restored[first - 80 : first + 40]}..."
    )


def test_every_probe_names_an_operation() -> None:
    for api in BINDINGS:
        probes = probes_of(api)
        assert set(probes.cases) <= {op.operation_id for _, op in operations(api)}, (api, sorted(probes.cases))
        assert set(probes.seams) <= {op.operation_id for _, op in operations(api)} - set(probes.cases), api
        assert set(probes.public) == {op.operation_id for _, op in operations(api, public=True) if op.public}
        assert probes.shapes, f"{api}: no second-tenant caller"
    assert len(list(operations())) >= 86


@pytest.mark.parametrize(("api", "operation_id", "shape", "variant"), list(_tenancy_params()))
def test_another_tenant_gets_nothing(
    mocks: TenancyMocks, api: str, operation_id: str, shape: str, variant: str
) -> None:
    mock = mocks[api]
    cases = mock.probes.cases.get(operation_id)
    assert cases is not None, f"{api} {operation_id}: no tenancy case; add one to its package's probes"
    operation = OPERATIONS[(api, operation_id)]
    case = cases[variant](mock.objects)
    mock.fresh()
    before = mock.state()
    response = mock.send(mock.callers[shape], operation, case)
    said = where(api, operation_id, f"{shape}, {variant}", response)
    names_first = mock.probes.shapes[shape]
    refused = 403 if names_first else case.refused
    if refused is None:  # nothing of the first tenant's is named: the second works on its own data, and only on it
        mock.dirty = True
        assert response.is_success, said
        assert mock.first_part(mock.state()) == mock.first_part(before), f"{said}: the first tenant's state changed"
    else:
        assert refused in operation.responses, f"{said}: the probe expects {refused}, which the spec does not list"
        assert refused in REFUSALS[api], f"{said}: {refused} is no refusal this vendor documents for a foreign id"
        assert response.status_code == refused, said
        assert mock.envelope.is_valid(response.json()), f"{said}: not the vendor's error envelope"
        assert mock.state() == before, f"{said}: the refusal changed the state"
    if case.mentions and not names_first:
        assert case.mentions in response.text, f"{said}: expected {case.mentions!r}"
    assert not mock.leaks(response), f"{said}: shows the first tenant's {mock.leaks(response)[:5]}"
    if case.proof:  # the same request is a real one: the first tenant itself gets an answer
        mock.dirty = True
        own = mock.send(mock.callers["first"], operation, case)
        assert own.is_success, where(api, operation_id, f"the first tenant itself, {variant}", own)


# -- revoked, expired and forged credentials; the token-revoked scenario ---------------------------------------------


def _per_operation(kinds: Mapping[str, tuple[str, ...]], public: bool = False) -> list[Any]:
    return [
        pytest.param(api, operation.operation_id, kind, id=f"{api}-{operation.operation_id}-{kind}")
        for api, names in kinds.items()
        for kind in names
        for _, operation in operations(api, public)
        if operation.operation_id not in probes_of(api).seams
    ]


REVOKED = {api: probes_of(api).revoked for api in BINDINGS if probes_of(api).revoked}


@pytest.mark.parametrize(("api", "operation_id", "credential"), _per_operation(REVOKED))
def test_a_revoked_or_forged_credential_is_the_vendors_401(
    mocks: TenancyMocks, api: str, operation_id: str, credential: str
) -> None:
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    clock = mock.http.get("/__mock/clock").json()
    prepare = mock.probes.before_revoked.get(credential)
    if prepare is not None:
        prepare(mock)
    try:
        refused_alike(
            mock, operation, mock.case(operation), mock.callers[credential], 401, mock.probes.unauthorized, credential
        )
    finally:
        assert mock.http.post("/__mock/clock", json={"set": clock["now"]}).status_code == 200


@pytest.mark.parametrize(
    ("api", "operation_id", "switched"),
    _per_operation({api: ("activated", "per-request-header") for api in BINDINGS}, public=True),
)
def test_the_token_revoked_scenario_refuses_every_operation(
    mocks: TenancyMocks, api: str, operation_id: str, switched: str
) -> None:
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    case = mock.case(operation)
    first = mock.callers["first"]
    if switched == "per-request-header":
        scenario = {"X-Mock-Scenario": "token-revoked"}
        refused_alike(mock, operation, case, first, 401, mock.probes.unauthorized, switched, **scenario)
        return
    mock.fresh()  # before switching on: restoring a snapshot sets the scenarios the snapshot names
    assert mock.http.post("/__mock/scenarios/token-revoked").status_code == 200
    try:
        refused_alike(mock, operation, case, first, 401, mock.probes.unauthorized, switched)
    finally:
        assert mock.http.delete("/__mock/scenarios/token-revoked").status_code == 200
