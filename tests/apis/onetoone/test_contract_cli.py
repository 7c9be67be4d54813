"""`convomock contract` in-process (mock_server.cli.main): exit codes 0/1/2, the table, config files with ${ENV},
command-line precedence, reports (JUnit XML, Markdown), --read-only, the remote defaults of resolve(), and one
run against the mock served over a real socket."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

import contract_tests.runner
from contract_tests.loader import SPECS_DIR, ContractOptions, resolve
from mock_server.cli import main
from tests.support.onetoone import ACME_TOKEN, GLOBEX_TOKEN
from tests.support.processes import serving

SMALL = ["--api", "1to1ai", "--include", "getConversation,listConversations", "--max-examples", "5"]


def run(argv: list[str]) -> int:
    """main()'s exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:  # argparse rejects a malformed option with SystemExit(2)
        return int(exc.code or 0)


def table(output: str) -> dict[str, dict[str, int]]:
    """The operation rows of the terminal table: operationId -> requests, checks ok, failed."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("operation "))
    assert set(lines[start + 1].replace(" ", "")) == {"-"}, lines[start + 1]
    rows: dict[str, dict[str, int]] = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        name, requests, passed, failed, *_ = line.split()
        assert name not in rows, f"{name} listed twice"
        rows[name] = {"requests": int(requests), "passed": int(passed), "failed": int(failed)}
    return rows


def last_line(output: str) -> str:
    return output.rstrip().splitlines()[-1]


def spec_methods() -> dict[str, str]:
    document = yaml.safe_load((SPECS_DIR / "1to1ai.yaml").read_text(encoding="utf-8"))
    methods = {}
    for item in document["paths"].values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                methods[operation["operationId"]] = method.upper()
    return methods


# -- exit 0 ------------------------------------------------------------------------------------------------------


def test_clean_mock_small_selection_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", *SMALL]) == 0
    out = capsys.readouterr().out
    rows = table(out)
    assert set(rows) == {"getConversation", "listConversations"}
    assert all(row["requests"] > 0 and row["passed"] > 0 and row["failed"] == 0 for row in rows.values()), rows
    assert last_line(out).startswith("CONFORMS: 2 operations"), out
    assert "1to1ai against http://testserver/1to1ai/api/v1/public" in out.splitlines()[0]


# -- exit 2: usage errors ----------------------------------------------------------------------------------------


def test_unknown_api_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", "--api", "nosuchapi", "--max-examples", "1"]) == 2
    captured = capsys.readouterr()
    assert "unknown API 'nosuchapi'" in captured.err
    assert "1to1ai" in captured.err  # the known ones are listed
    assert "CONFORMS" not in captured.out and "FAILED" not in captured.out


def test_header_without_colon_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", *SMALL, "--header", "nocolon"]) == 2
    err = capsys.readouterr().err
    assert "NAME:VALUE" in err and "nocolon" in err


def test_unknown_phase_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", *SMALL, "--phases", "fuzzing,nope"]) == 2
    captured = capsys.readouterr()
    assert "unknown phase(s) ['nope']" in captured.err
    assert captured.out == ""


def test_config_naming_an_unset_variable_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CONVOMOCK_UNSET_TOKEN", raising=False)
    config = tmp_path / "contract.toml"
    config.write_text('api = "1to1ai"\ntoken = "${CONVOMOCK_UNSET_TOKEN}"\n', encoding="utf-8")
    assert run(["contract", "--config", str(config), "--max-examples", "1"]) == 2
    captured = capsys.readouterr()
    assert "CONVOMOCK_UNSET_TOKEN is not set" in captured.err
    assert captured.out == ""


def test_drift_with_base_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["contract", "--drift", "1to1ai-field-dropped", "--base-url", "http://127.0.0.1:9/x", "--token", "t"]
    assert run(argv) == 2
    assert "cannot go with --base-url" in capsys.readouterr().err


def test_unknown_drift_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", "--drift", "1to1ai-no-such-drift", "--max-examples", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown drift '1to1ai-no-such-drift'" in err
    assert "1to1ai-field-dropped" in err  # the known drifts are listed


# -- exit 1 ------------------------------------------------------------------------------------------------------


def test_wrong_token_in_process_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["contract", *SMALL, "--token", "sk_1to1_wrong"]) == 1
    out = capsys.readouterr().out
    assert "credentials refused" in out
    assert "401" in out
    assert last_line(out).startswith("FAILED")


def test_wrong_token_with_the_tenant_slug_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The same refusal when the run is also told the tenant's slug (so a GET with only known parameters exists)."""
    assert run(["contract", *SMALL, "--token", "sk_1to1_wrong", "--param", "slug=acme"]) == 1
    out = capsys.readouterr().out
    assert "credentials refused" in out and "INVALID_API_TOKEN" in out
    assert len(out.strip().splitlines()) == 1, out  # nothing ran after the refused probe: no table of zeros
    assert last_line(out).startswith("FAILED")


def test_planted_drift_fails_and_writes_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xml_path, md_path = tmp_path / "out.xml", tmp_path / "out.md"
    argv = [
        "contract",
        "--drift",
        "1to1ai-status-changed",
        "--include",
        "runActionGroup",
        "--max-examples",
        "5",
        "--report",
        str(xml_path),
        "--report-md",
        str(md_path),
    ]
    assert run(argv) == 1
    out = capsys.readouterr().out
    rows = table(out)
    assert list(rows) == ["runActionGroup"]
    assert rows["runActionGroup"]["failed"] > 0
    assert "✗ runActionGroup" in out
    assert last_line(out).startswith("FAILED: 1 of 1 operations")

    root = ElementTree.parse(xml_path).getroot()
    cases = root.findall(".//testcase[@name='runActionGroup']")
    assert len(cases) == 1
    failures = cases[0].findall("failure")
    assert failures, ElementTree.tostring(cases[0], encoding="unicode")
    assert any("curl" in (f.text or "") for f in failures)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "1"

    markdown = md_path.read_text(encoding="utf-8")
    assert "runActionGroup" in markdown
    assert "FAILED" in markdown
    assert any(line.lstrip().startswith("curl") for line in markdown.splitlines()), markdown


# -- config file -------------------------------------------------------------------------------------------------


def spy_options(monkeypatch: pytest.MonkeyPatch) -> list[ContractOptions]:
    """Record the options the CLI hands the runner (the run itself goes on as usual)."""
    seen: list[ContractOptions] = []
    real = contract_tests.runner.run_contract

    def spy(options: ContractOptions | None = None, **fields: Any) -> Any:
        assert options is not None
        seen.append(options)
        return real(options, **fields)

    monkeypatch.setattr(contract_tests.runner, "run_contract", spy)
    return seen


def test_config_file_with_env_token_and_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MY_TOKEN", ACME_TOKEN)
    config = tmp_path / "contract.toml"
    config.write_text(
        'api = "1to1ai"\ntoken = "${MY_TOKEN}"\nmax-examples = 5\n'
        'include = ["getConversation", "listConversations"]\n\n[params]\nslug = "acme"\n',
        encoding="utf-8",
    )
    seen = spy_options(monkeypatch)
    assert run(["contract", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert set(table(out)) == {"getConversation", "listConversations"}
    assert last_line(out).startswith("CONFORMS")
    (options,) = seen
    assert options.token == ACME_TOKEN  # substituted from the environment
    assert options.params == {"slug": "acme"}
    assert options.max_examples == 5


def test_command_line_max_examples_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MY_TOKEN", ACME_TOKEN)
    config = tmp_path / "contract.toml"
    config.write_text(
        'api = "1to1ai"\ntoken = "${MY_TOKEN}"\nmax-examples = 400\nphases = ["fuzzing"]\n'
        'include = ["listConversations"]\n\n[params]\nslug = "acme"\n',
        encoding="utf-8",
    )
    seen = spy_options(monkeypatch)
    assert run(["contract", "--config", str(config), "--max-examples", "3"]) == 0
    out = capsys.readouterr().out
    assert seen[0].max_examples == 3
    assert seen[0].phases == ["fuzzing"]  # the rest of the file still applies
    rows = table(out)
    assert list(rows) == ["listConversations"]
    # fuzzing with 3 examples sends a handful of requests, not the file's 400
    assert 0 < rows["listConversations"]["requests"] < 30, rows
    assert last_line(out).startswith("CONFORMS")


# -- read-only ---------------------------------------------------------------------------------------------------


def test_read_only_runs_only_get_operations(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(["contract", "--api", "1to1ai", "--read-only", "--max-examples", "2", "--phases", "examples,coverage"]) == 0
    )
    out = capsys.readouterr().out
    methods = spec_methods()
    rows = table(out)
    assert rows, out
    assert {methods[op] for op in rows} == {"GET"}, {op: methods[op] for op in rows}
    assert set(rows) == {op for op, method in methods.items() if method == "GET"}  # and every GET one
    assert all(row["requests"] > 0 for row in rows.values()), rows
    assert "(writes: off; phases" in out.splitlines()[0]


# -- resolve(): the defaults against a real service, no network --------------------------------------------------


def test_resolve_remote_defaults_to_read_only_and_the_documented_rate_limit() -> None:
    contract = resolve(ContractOptions(api="1to1ai", base_url="https://app.1to1.ai/api/v1/public/", token="sk_x"))
    assert contract.read_only is True
    assert contract.rate_limit == "60/m"
    assert contract.app is None and not contract.in_process
    assert contract.base_url == "https://app.1to1.ai/api/v1/public"
    assert contract.headers == {"Authorization": "Bearer sk_x"}


def test_resolve_remote_defaults_can_be_lifted() -> None:
    contract = resolve(
        ContractOptions(
            api="1to1ai", base_url="https://app.1to1.ai/api/v1/public", token="sk_x", read_only=False, rate_limit=""
        )
    )
    assert contract.read_only is False
    assert contract.rate_limit is None


def test_resolve_loopback_is_read_only_but_not_rate_limited() -> None:
    """A loopback URL may be a developer's own `make serve`: no writes unless asked (issue 17), but no pacing."""
    contract = resolve(ContractOptions(api="1to1ai", base_url="http://127.0.0.1:9/x", token="sk_x"))
    assert contract.read_only is True
    assert contract.rate_limit is None
    assert contract.base_url == "http://127.0.0.1:9/x"


# -- over a socket -----------------------------------------------------------------------------------------------


def test_contract_against_a_served_mock_with_two_tenants(capsys: pytest.CaptureFixture[str]) -> None:
    with serving() as (base, _):
        code = run(
            [
                "contract",
                "--api",
                "1to1ai",
                "--base-url",
                f"{base}/1to1ai/api/v1/public",
                "--token",
                ACME_TOKEN,
                "--param",
                "slug=acme",
                "--other-token",
                GLOBEX_TOKEN,
                "--other-param",
                "slug=globex",
                "--include",
                "getConversation,listConversations",
                "--max-examples",
                "5",
            ]
        )
        out = capsys.readouterr().out
        # Without the slug, no request could name the tenant: a failure that says what to pass, not a "pass".
        unnamed = run(
            [
                "contract",
                "--api",
                "1to1ai",
                "--base-url",
                f"{base}/1to1ai/api/v1/public",
                "--token",
                ACME_TOKEN,
                "--include",
                "getConversation",
                "--max-examples",
                "5",
            ]
        )
        unnamed_out = capsys.readouterr().out
    assert unnamed == 1
    assert "cannot check the credentials" in unnamed_out and "--param slug=..." in unnamed_out
    assert code == 0, out
    assert f"1to1ai against {base}/1to1ai/api/v1/public" in out.splitlines()[0]
    assert "(writes: off;" in out.splitlines()[0]  # a URL, loopback too: read-only unless --write
    rows = table(out)
    assert set(rows) == {"getConversation", "listConversations"}
    assert all(row["requests"] > 0 for row in rows.values()), rows
    assert last_line(out).startswith("CONFORMS")
