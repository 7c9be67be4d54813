"""Proof that the contract catches drift: every planted drift fails the run and names its operation, through
the Python API and through `convomock contract`; the clean mock passes the full run at default settings."""

from __future__ import annotations

import pytest

from contract_tests import run_contract
from contract_tests.drift import DRIFTS, DriftingApp
from mock_server.cli import main
from mock_server.server import create_app

# What each kind of drift must be caught as (schemathesis' title, or our check's name).
EXPECTED = {
    "1to1ai-field-dropped": "Response violates schema",
    "1to1ai-type-changed": "Response violates schema",
    "1to1ai-enum-renamed": "Response violates schema",
    "1to1ai-status-changed": "documented_success_status",
    "1to1ai-error-shape": "vendor_error_envelope",
    "1to1ai-paging-ignored": "paging_limit",
    "1to1ai-auth-ignored": "API accepts requests without authentication",
    "1to1ai-tenant-leak": "other_tenant_not_found",
    "highlevel-field-dropped": "Response violates schema",
    "highlevel-type-changed": "Response violates schema",
    "highlevel-enum-renamed": "Response violates schema",
    "highlevel-status-changed": "documented_success_status",
    "highlevel-error-shape": "vendor_error_envelope",
    "highlevel-paging-ignored": "negative_data_rejection|paging_limit",
    "highlevel-auth-ignored": "API accepts requests without authentication",
    "highlevel-tenant-leak": "other_tenant_not_found",
    "highlevel-delete-ignored": "Deleted resource still available",
    "crm-inbox-field-dropped": "Response violates schema",
    "crm-inbox-type-changed": "Response violates schema",
    "crm-inbox-enum-renamed": "Response violates schema",
    "crm-inbox-status-changed": "documented_success_status",
    "crm-inbox-error-shape": "vendor_error_envelope",
    "crm-inbox-paging-ignored": "negative_data_rejection|paging_limit",
    "crm-inbox-auth-ignored": "API accepts requests without authentication",
    "crm-inbox-tenant-leak": "other_tenant_not_found",
    "omni-inbox-field-dropped": "Response violates schema",
    "omni-inbox-type-changed": "Response violates schema",
    "omni-inbox-enum-renamed": "Response violates schema",
    "omni-inbox-status-changed": "documented_success_status",
    "omni-inbox-error-shape": "vendor_error_envelope",
    "omni-inbox-paging-ignored": "negative_data_rejection|paging_limit",
    "omni-inbox-auth-ignored": "API accepts requests without authentication",
    "omni-inbox-tenant-leak": "other_tenant_not_found",
    "omni-inbox-delete-ignored": "Deleted resource still available",
}
APIS = ["1to1ai", "highlevel", "crm-inbox", "omni-inbox"]


def test_every_drift_has_an_expectation() -> None:
    assert set(EXPECTED) == set(DRIFTS)
    for api in {drift.api for drift in DRIFTS.values()}:
        kinds = [drift.kind for drift in DRIFTS.values() if drift.api == api]
        assert len(set(kinds)) == len(kinds), f"{api}: one drift per kind of breakage"


@pytest.mark.parametrize("api", APIS)
def test_every_api_has_its_drifts(api: str) -> None:
    """Each API plants the common kinds of breakage (the issue's list)."""
    kinds = " ".join(drift.kind for drift in DRIFTS.values() if drift.api == api)
    for kind in (
        "field dropped",
        "type changed",
        "enum value renamed",
        "status changed",
        "error body",
        "paging limit",
        "auth not enforced",
        "another tenant",
    ):
        assert kind in kinds, f"{api} has no drift of the kind {kind!r}"


@pytest.mark.parametrize("api", APIS)
def test_the_clean_mock_conforms_at_default_settings(api: str) -> None:
    """The contract run of `make test`: the whole spec, every phase, default examples."""
    app = create_app(apis=[api])
    report = run_contract(api=api, app=app, seed=0)  # repeatable in CI; wider random runs belong to `make fuzz`
    assert report.ok, [(op.operation_id, [f.title for f in op.failures]) for op in report.failing()] + report.errors
    assert len(report.operations) == len(app.backend.runtimes[api].spec.operations)
    assert all(op.requests > 0 for op in report.operations.values())
    assert app.backend.strict_violations == [] and app.backend.internal_errors == []


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_drift_is_caught_and_named(name: str) -> None:
    drift = DRIFTS[name]
    report = run_contract(
        api=drift.api,
        app=DriftingApp(create_app(apis=[drift.api]), drift),
        include=drift.operations,
        max_examples=10,
        seed=1,
    )
    assert not report.ok
    failing = {op.operation_id: op for op in report.failing()}
    assert failing and set(failing) <= set(drift.operations), failing
    found = [f"{f.title} {f.check}" for op in failing.values() for f in op.failures]
    assert any(any(e in text for e in EXPECTED[name].split("|")) for text in found), found
    assert all(f.curl.startswith("curl ") for op in failing.values() for f in op.failures)


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_convomock_contract_exits_1_and_names_the_operation(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    drift = DRIFTS[name]
    code = main(
        [
            "contract",
            "--api",
            drift.api,
            "--drift",
            name,
            "--include",
            ",".join(drift.operations),
            "--max-examples",
            "10",
            "--seed",
            "1",
        ]
    )
    output = capsys.readouterr().out
    assert code == 1
    assert any(f"✗ {operation} (" in output for operation in drift.operations)
    assert "reproduce: curl " in output
    assert output.strip().splitlines()[-1].startswith("FAILED: ")
