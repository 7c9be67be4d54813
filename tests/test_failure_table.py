"""The failure table (`convomock specs failures`, docs/failures.md): every non-2xx answer the specs document has
what makes the mock send it, each scenario and state effect it names exists, and docs/failures.md is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_server import cli
from mock_server.apis import BINDINGS
from mock_server.engine.failures import failure_rows, failures_markdown
from mock_server.engine.scenarios import load_scenarios
from mock_server.server import SCENARIOS_DIR, scenario_effects

DOC = Path(__file__).resolve().parents[1] / "docs" / "failures.md"
ROWS = failure_rows(BINDINGS.values())


def test_every_documented_failure_has_what_produces_it() -> None:
    missing = [f"{row.api} {row.operation_id} {row.status}" for row in ROWS if row.source is None]
    assert missing == []
    assert {row.api for row in ROWS} == set(BINDINGS)
    assert len(ROWS) > 400


def test_every_scenario_and_effect_a_source_names_exists() -> None:
    scenarios = load_scenarios(SCENARIOS_DIR, effects=scenario_effects())
    effects = scenario_effects()
    for row in ROWS:
        assert row.source is not None
        for name in re.findall(r"scenario `([a-z0-9-]+)`", row.source):
            assert name in scenarios, f"{row.api} {row.operation_id} {row.status}: no scenario {name!r}"
            assert scenarios[name].applies_to(row.api), f"{name} does not act on {row.api}"
        for effect in re.findall(r"effect `([a-z_]+)", row.source):
            assert effect in effects[row.api], f"{row.api} {row.operation_id} {row.status}: no effect {effect!r}"


def test_no_key_of_a_package_names_an_undocumented_failure() -> None:
    documented = {(row.api, f"{row.operation_id} {row.status}") for row in ROWS}
    statuses = {(row.api, row.status) for row in ROWS}
    for name, binding in BINDINGS.items():
        for key in binding.failure_sources:
            operation, _, status = key.partition(" ")
            if operation == "*":
                assert (name, status) in statuses, f"{name}: '{key}' matches no documented failure"
            else:
                assert (name, key) in documented, f"{name}: '{key}' is no documented failure"


def test_docs_failures_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == failures_markdown(ROWS), (
        "run: convomock specs failures --markdown > docs/failures.md"
    )


def test_the_command_lists_and_finds_no_gap(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["specs", "failures", "1to1ai"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["api", "operation", "status", "how", "the", "mock", "produces", "it"]
    assert "1to1ai" in out and "highlevel" not in out
    assert cli.main(["specs", "failures", "--missing"]) == 0
    assert "(nothing yet)" not in capsys.readouterr().out
