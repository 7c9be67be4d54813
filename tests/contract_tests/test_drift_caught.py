"""Proof that the contract catches drift: every planted drift fails the run and names its operation, through
the Python API and through `convomock contract`; the clean mock passes the full run at default settings."""

from __future__ import annotations

import pytest

from contract_tests import run_contract
from contract_tests.drift import DRIFTS, DriftingApp
from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.engine.specs import load_spec
from mock_server.server import create_app

APIS = list(BINDINGS)


def test_every_drift_says_how_it_is_caught() -> None:
    assert all(drift.caught_as for drift in DRIFTS.values()), [d.name for d in DRIFTS.values() if not d.caught_as]
    for api in {drift.api for drift in DRIFTS.values()}:
        kinds = [drift.kind for drift in DRIFTS.values() if drift.api == api]
        assert len(set(kinds)) == len(kinds), f"{api}: one drift per kind of breakage"


@pytest.mark.parametrize("api", APIS)
def test_every_api_has_its_drifts(api: str) -> None:
    """Each API plants the common kinds of breakage (the issue's list); a paging one where its spec pages."""
    kinds = " ".join(drift.kind for drift in DRIFTS.values() if drift.api == api)
    pages = "paging" in (load_spec(BINDINGS[api].spec_path).info.get("x-convomock") or {})
    for kind in (
        "field dropped",
        "type changed",
        "enum value renamed",
        "status changed",
        "error body",
        *(["paging limit"] if pages else []),
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
        # A frozen clock: answers that carry the time (a created agent's timestamps) would steer the stateful phase
        # differently from run to run, and under load it missed the delete drift now and then.
        app=DriftingApp(create_app(apis=[drift.api], frozen=True), drift),
        include=drift.operations,
        # A drift only a sequence shows (read after delete) needs the stateful phase to chain it: more examples, so
        # that it does so under a loaded machine's scheduling too.
        max_examples=25 if drift.observe else 10,
        seed=1,
    )
    assert not report.ok
    failing = {op.operation_id: op for op in report.failing()}
    assert failing and set(failing) <= set(drift.operations), failing
    found = [f"{f.title} {f.check}" for op in failing.values() for f in op.failures]
    assert any(any(e in text for e in drift.caught_as.split("|")) for text in found), found
    assert all(f.curl.startswith("curl ") for op in failing.values() for f in op.failures)
    # A curl a user can paste: the mock as `make serve` serves it, never schemathesis' unresolvable testserver.
    assert all("http://127.0.0.1:8000/" in f.curl for op in failing.values() for f in op.failures)
    assert any("make serve" in note for note in report.notes), report.notes


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
