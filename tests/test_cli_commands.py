"""`convomock scenarios`, `specs` and `seed`, the help of every command, the progress hooks, and `python -m
mock_server` as a process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contract_tests.runner import ContractReport
from mock_server import progress
from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.engine.scenarios import load_scenarios
from mock_server.engine.snapshot import dumps, to_json_data
from mock_server.engine.specs import load_yaml
from mock_server.server import SCENARIOS_DIR, create_app, load_state

SCENARIOS = load_scenarios(SCENARIOS_DIR)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["serve", "contract", "proxy", "scenarios", "seed", "specs"])
def test_every_command_explains_its_options(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: convomock {command}")
    options = {
        "serve": "--state",
        "contract": "--base-url",
        "proxy": "--upstream",
        "scenarios": "--json",
        "seed": "--dump",
        "specs": "--json",
    }
    assert options[command] in text


def test_scenarios_lists_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scenarios")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["scenario", "apis", "description"]
    assert [line.split()[0] for line in lines[1:]] == list(SCENARIOS)
    window = next(line for line in lines if line.startswith("window-expired "))
    assert window.split(maxsplit=2)[1:] == ["1to1ai,omni-inbox", window.split(maxsplit=2)[2]]
    assert window.split(maxsplit=2)[2].startswith("Every open 24h messaging window closes now")

    code, out, _ = run(capsys, "scenarios", "--json")
    assert [s["name"] for s in json.loads(out)] == list(SCENARIOS)


def test_scenarios_show_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scenarios", "show", "vendor-down")
    assert code == 0
    assert out.startswith("vendor-down  (applies to: *)")
    assert "fault: * * on *: answers unavailable, Retry-After 30, every call" in out
    assert "convomock serve --scenario vendor-down" in out

    code, out, _ = run(capsys, "scenarios", "show", "ai-tokens-empty", "--json")
    assert json.loads(out) == SCENARIOS["ai-tokens-empty"].as_json()
    assert "state: 1to1ai: ai_token_balance = 0" in run(capsys, "scenarios", "show", "ai-tokens-empty")[1]

    code, out, err = run(capsys, "scenarios", "show", "vendor-dwn")
    assert code == 2 and out == ""
    assert "unknown scenario 'vendor-dwn'; known: agent-hands-over, ai-tokens-empty, " in err


def test_specs_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "specs", "--json")
    listing = {entry["api"]: entry for entry in json.loads(out)}
    assert list(listing) == list(BINDINGS)
    assert listing["1to1ai"]["operations"] == 17 and listing["1to1ai"]["mounted_at"] == "/1to1ai"
    assert listing["highlevel"]["vendor"] == ["https://services.leadconnectorhq.com"]

    code, out, _ = run(capsys, "specs")
    assert code == 0 and out.splitlines()[0].split()[:2] == ["api", "mounted"]
    assert any(line.split()[:3] == ["1to1ai", "/1to1ai", "17"] for line in out.splitlines())

    code, out, _ = run(capsys, "specs", "show", "1to1ai")
    assert out == BINDINGS["1to1ai"].spec_path.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "specs", "show", "crm-inbox", "--json")
    assert json.loads(out) == load_yaml(BINDINGS["crm-inbox"].spec_path)


def test_seed_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "seed", "--conversations", "7", "--tenants", "acme")
    assert code == 0 and err == ""  # no progress off a terminal
    assert "1to1ai: 1 tenant(s)" in out
    acme = next(line for line in out.splitlines() if line.startswith("  acme: keys 3"))
    assert "contacts 10, conversations 10" in acme  # 7 generated + the 3 fixed ones

    code, out, err = run(capsys, "seed", "--tenants", "initech")
    assert code == 2 and "no tenant initech in the fixtures" in err


def test_seed_dump_is_the_state_format_and_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "seed", "--dump", "--api", "1to1ai", "--seed", "3", "--conversations", "5")
    assert code == 0
    app = create_app(apis=["1to1ai"], seed=3, conversations=5, frozen=True)
    expected = app.backend.snapshot()
    expected["clock"]["frozen"] = False  # as `serve` runs it by default
    assert out == dumps(expected) + "\n"
    assert run(capsys, "seed", "--dump", "--api", "1to1ai", "--seed", "3", "--conversations", "5")[1] == out

    fresh = create_app(apis=["1to1ai"], frozen=True)
    fresh.backend.restore(json.loads(out))  # what `serve --state FILE` does with it
    assert to_json_data(fresh.backend.runtimes["1to1ai"].store) == to_json_data(app.backend.runtimes["1to1ai"].store)


def test_seed_dump_with_a_scenario_and_every_api(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out, _ = run(capsys, "seed", "--dump", "--scenario", "ai-tokens-empty", "--freeze")
    data = json.loads(out)
    assert list(data["apis"]) == sorted(BINDINGS) and data["active_scenarios"] == ["ai-tokens-empty"]
    assert data["clock"] == {"frozen": True, "now": "2026-01-15T15:00:00+00:00"}
    assert {b["ai_token_balance"] for b in data["apis"]["1to1ai"]["store"]["businesses"].values()} == {0}
    state = tmp_path / "state.json"
    state.write_text(out, encoding="utf-8")
    app = create_app()
    load_state(app, state)
    assert app.backend.scenarios.active == ["ai-tokens-empty"]


def test_the_seeding_hook_is_entered_for_each_api() -> None:
    seen: list[str] = []

    @contextmanager
    def seeding(api: str) -> Iterator[None]:
        seen.append(api)
        yield

    create_app(apis=["crm-inbox", "1to1ai"], seeding=seeding)
    assert seen == ["crm-inbox", "1to1ai"]


def test_progress_stays_off_stdout_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    code, out, _ = run(capsys, "seed", "--api", "highlevel")
    assert code == 0 and out.startswith("seed 0, clock 2026-01-15T15:00:00+00:00\nhighlevel: 2 tenant(s)\n")
    code, out, _ = run(capsys, "seed", "--dump", "--api", "highlevel")
    assert json.loads(out)["format"] == 1


def test_a_contract_run_is_busy_only_while_it_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    @contextmanager
    def busy(text: str) -> Iterator[None]:
        events.append(f"start {text}")
        yield
        events.append("stop")

    def run_contract(options: object) -> ContractReport:
        events.append("run")
        return ContractReport(
            api="1to1ai",
            base_url="http://testserver",
            spec="specs/1to1ai.yaml",
            operations={},
            errors=[],
            elapsed=0.0,
            phases=["examples"],
            read_only=False,
        )

    monkeypatch.setattr("contract_tests.runner.run_contract", run_contract)
    monkeypatch.setattr("mock_server.cli.busy", busy)
    assert main(["contract", "--api", "1to1ai"]) == 0
    assert events == ["start convomock contract: 1to1ai", "run", "stop"]
    assert "convomock contract: 1to1ai" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "scenarios"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a terminal: no progress
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == list(SCENARIOS)


def test_a_wheel_carries_the_specs_fixtures_and_scenarios() -> None:
    """`pipx install .` builds a wheel: the data folders reach it through mock_server/_data (symlinks here)."""
    import tomllib

    import mock_server

    root = Path(mock_server.__file__).resolve().parents[1]
    package_data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    assert "_data/*/*.yaml" in package_data["mock_server"]
    for folder in ("specs", "fixtures", "scenarios"):
        packaged = root / "mock_server" / "_data" / folder
        assert packaged.resolve() == root / folder
        assert sorted(p.name for p in packaged.glob("*.yaml")) == sorted(p.name for p in (root / folder).glob("*.yaml"))
    assert mock_server.DATA_ROOT == root / "mock_server" / "_data"


def test_a_port_in_use_is_one_line_with_what_to_do(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Before anything is seeded or a state file read: one line, exit 2, the file untouched."""
    state = tmp_path / "state.json"
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, out, err = run(capsys, "serve", "--port", port, "--state", str(state))
    assert code == 2 and out == ""
    assert err == (
        f"convomock: 127.0.0.1:{port} is already in use (another convomock, or `make serve` in another terminal?): "
        "stop it, or pass --port N (--port 0 picks a free one)\n"
    )
    assert not state.exists()
