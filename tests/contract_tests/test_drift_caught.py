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
}


def test_every_drift_has_an_expectation() -> None:
    assert set(EXPECTED) == set(DRIFTS)
    kinds = {drift.kind for drift in DRIFTS.values()}
    assert len(kinds) == len(DRIFTS), "one drift per kind of breakage"


def test_the_clean_mock_conforms_at_default_settings() -> None:
    """The contract run of `make test`: the whole 1TO1 AI spec, every phase, default examples."""
    app = create_app(["1to1ai"])
    report = run_contract(api="1to1ai", app=app)
    assert report.ok, [(op.operation_id, [f.title for f in op.failures]) for op in report.failing()] + report.errors
    assert {op.operation_id for op in report.operations.values()} >= {"getConversation", "runActionGroup"}
    assert all(op.requests > 0 for op in report.operations.values())
    assert app.strict_violations == [] and app.internal_errors == []


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_drift_is_caught_and_named(name: str) -> None:
    drift = DRIFTS[name]
    report = run_contract(api=drift.api, app=DriftingApp(create_app([drift.api]), drift),
                          include=[drift.operation_id], max_examples=10, seed=1)
    assert not report.ok
    failing = {op.operation_id: op for op in report.failing()}
    assert list(failing) == [drift.operation_id]
    found = [f"{f.title} {f.check}" for f in failing[drift.operation_id].failures]
    assert any(EXPECTED[name] in text for text in found), found
    assert all(f.curl.startswith("curl ") for f in failing[drift.operation_id].failures)


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_convomock_contract_exits_1_and_names_the_operation(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    drift = DRIFTS[name]
    code = main(["contract", "--api", drift.api, "--drift", name, "--include", drift.operation_id,
                 "--max-examples", "10", "--seed", "1"])
    output = capsys.readouterr().out
    assert code == 1
    assert f"✗ {drift.operation_id} (" in output
    assert "reproduce: curl " in output
    assert output.strip().splitlines()[-1].startswith("FAILED: 1 of 1 operations")
