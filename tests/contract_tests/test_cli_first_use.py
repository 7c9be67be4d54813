"""`convomock contract` tried as a new user would (issue 17): nothing listening at the URL, a URL without its
scheme, a wrong base path, a wrong token, writes against a URL, and the public API under the `convomock` name
that a project's own `contract_tests/` folder cannot shadow. Each run sends exactly the issue's input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from contract_tests.loader import ContractOptions, ContractUsageError, load_config_file, resolve
from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.engine.specs import load_yaml
from tests.support.processes import free_port, serving

API = next(iter(BINDINGS))  # any API: what is checked here is the same for all


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def served_target(base: str) -> list[str]:
    """--base-url, credentials and tenant parameters for the first seeded tenant of a served mock: what the
    in-process run would use, aimed at the socket."""
    contract = resolve(ContractOptions(api=API))
    argv = ["--api", API, "--base-url", contract.base_url.replace("http://testserver", base)]
    for name, value in contract.headers.items():
        argv += ["--header", f"{name}: {value}"]
    for name, value in contract.params.items():
        argv += ["--param", f"{name}={value}"]
    return argv


def operations_by_method() -> dict[str, list[str]]:
    document = load_yaml(BINDINGS[API].spec_path)
    found: dict[str, list[str]] = {}
    for item in document["paths"].values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found.setdefault(method.upper(), []).append(operation["operationId"])
    return found


def state(base: str) -> Any:
    """The served mock's state, but its running clock."""
    answer = httpx.get(base + "/__mock/state", timeout=30)
    assert answer.status_code == 200
    snapshot = answer.json()
    snapshot.pop("clock")
    return snapshot


def test_nothing_listening_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # bound, then closed: nothing listens there
    code, out, err = run(capsys, ["contract", "--api", API, "--base-url", f"http://127.0.0.1:{port}", "--token", "x"])
    assert code == 2
    assert err == f"convomock: contract: nothing answers at http://127.0.0.1:{port}: connection refused\n"
    assert out == ""


def test_a_url_without_its_scheme_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ["contract", "--api", API, "--base-url", "localhost:9", "--token", "x"])
    assert code == 2
    assert err == "convomock: contract: --base-url 'localhost:9' is not a URL: give it with http:// or https://\n"
    assert out == ""


def test_a_wrong_base_path_stops_at_the_first_call(capsys: pytest.CaptureFixture[str]) -> None:
    with serving() as (base, _):
        before = state(base)
        argv = served_target(base)
        argv[argv.index("--base-url") + 1] = f"{base}/nothing-here"
        code, out, err = run(capsys, ["contract", *argv])
        after = state(base)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"convomock: contract: nothing of {API} answers at {base}/nothing-here ("), err
    assert "answered 404" in err
    assert after == before


def test_a_wrong_token_prints_only_the_useful_line(capsys: pytest.CaptureFixture[str]) -> None:
    get = operations_by_method()["GET"][0]
    code, out, _ = run(capsys, ["contract", "--api", API, "--token", "wrong-token", "--include", get])
    assert code == 1  # a refused credential is a contract failure
    lines = out.splitlines()
    assert len(lines) == 1, out  # no table of zeros
    assert lines[0].startswith(f"FAILED: convomock contract: {API} against ")
    assert "credentials refused" in lines[0] and " answered 40" in lines[0]


def test_the_reports_of_a_stopped_run_list_no_operation_as_passed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    argv = ["contract", "--api", API, "--token", "wrong-token", "--report", str(junit), "--report-md", str(markdown)]
    code, _, _ = run(capsys, argv)
    assert code == 1
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [case.get("classname") for case in cases] == ["run"], [case.get("name") for case in cases]
    assert suite.get("tests") == "1" and suite.get("errors") == "1"
    assert "credentials refused" in (cases[0].find("error").text or "")  # type: ignore[union-attr]
    text = markdown.read_text(encoding="utf-8")
    assert "no operation was checked" in text and "credentials refused" in text and "| operation |" not in text


def test_writes_are_off_against_a_url_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    methods = operations_by_method()
    read = methods["GET"][0]
    write = next(op for method, ops in methods.items() if method not in ("GET", "HEAD", "OPTIONS") for op in ops)
    small = ["--include", f"{read},{write}", "--phases", "examples,fuzzing", "--max-examples", "2", "--seed", "1"]
    with serving() as (base, _):
        before = state(base)
        code, out, err = run(capsys, ["contract", *served_target(base), *small])
        after = state(base)
        assert code == 0, out + err
        lines = out.splitlines()
        assert "(writes: off; phases" in lines[0]
        assert any(line.startswith(f"{read} ") for line in lines)
        assert not any(line.startswith(f"{write} ") for line in lines), out  # the write was never sent
        assert after == before

        code, out, err = run(capsys, ["contract", *served_target(base), *small, "--write"])
        assert "(writes: on; phases" in out.splitlines()[0], out + err
        row = next(line for line in out.splitlines() if line.startswith(f"{write} "))
        assert int(row.split()[1]) > 0, row  # requests sent to the write operation


def test_the_config_file_turns_writes_on(tmp_path: Path) -> None:
    config = tmp_path / "contract.toml"
    config.write_text("write = true\n", encoding="utf-8")
    target = ContractOptions(api=API, base_url="http://127.0.0.1:9", token="x")
    assert resolve(target).read_only is True  # a URL, even a loopback one: read-only unless told
    assert resolve(load_config_file(config, target)).read_only is False
    config.write_text('write = "yes"\n', encoding="utf-8")
    with pytest.raises(ContractUsageError, match="write must be true or false"):
        load_config_file(config, target)


def test_the_public_api_is_importable_beside_a_users_own_contract_tests(tmp_path: Path) -> None:
    (tmp_path / "contract_tests").mkdir()
    (tmp_path / "contract_tests" / "__init__.py").write_text("", encoding="utf-8")  # the user's own folder
    code = (
        "from convomock.contract import contract_schema, contract_workflows, run_contract\n"
        "from convomock.testing import ConvoMock\n"
        "import contract_tests\n"
        "assert not hasattr(contract_tests, 'contract_schema')  # the user's folder, as Python resolves it\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_the_old_names_are_the_same_modules() -> None:
    import contract_tests
    import contract_tests.runner
    import convomock.contract
    import convomock.contract.runner
    import convomock.testing
    import mock_server.testing

    assert contract_tests.runner is convomock.contract.runner  # a patch on either name holds for both
    assert contract_tests.contract_schema is convomock.contract.contract_schema
    assert convomock.testing.ConvoMock is mock_server.testing.ConvoMock


def test_contract_schema_against_a_url_writes_only_when_asked() -> None:
    from convomock.contract import contract_schema

    def methods(schema: Any) -> set[str]:
        return {operation.ok().method.upper() for operation in schema.get_all_operations()}

    url = "http://127.0.0.1:9"
    assert methods(contract_schema(API, base_url=url, token="x")) <= {"GET", "HEAD", "OPTIONS"}
    assert methods(contract_schema(API, base_url=url, token="x", write=True)) > {"GET"}
    assert methods(contract_schema(API, base_url=url, token="x", read_only=False)) > {"GET"}  # the old spelling
