"""Scenarios QA writes (issue 18, item 1): a folder of scenario files beside the built-in ones, through `serve
--scenarios DIR`, $CONVOMOCK_SCENARIOS, the pytest option and `convomock scenarios check`; each file checked against
the schema and the APIs at start, a refusal one line naming the file and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest

from mock_server.apis import BINDINGS
from mock_server.cli import build_parser, main, options_from
from mock_server.engine.backend import StartupError
from mock_server.engine.scenarios import SCHEMA_FILE, load_scenarios, scenario_schema
from mock_server.server import SCENARIOS_DIR, create_app, scenario_effects
from tests.support.scenario_files import FLAKY, TOKENS, scenario_folder

pytest_plugins = ["pytester"]


BAD_FILES = {
    "an unknown key": ("description: x\nstatee: {}\n", "(the file): Additional properties are not allowed ('statee'"),
    "an unknown fault kind": (
        "description: x\nfaults:\n  - {error: boom}\n",
        'faults[0].error: "boom" is not one of "rate_limited"',
    ),
    "a wrong-typed effect value": (
        "description: x\nstate:\n  1to1ai: {ai_token_balance: lots}\n",
        'state.1to1ai.ai_token_balance: "lots" is not of type "integer"',
    ),
    "an unknown API": ("description: x\napis: [slack]\n", 'apis[0]: "slack" is not one of "*", "1to1ai"'),
    "an effect the API lacks": (
        "description: x\nstate:\n  omni-inbox: {ai_token_balance: 0}\n",
        "state.omni-inbox: Additional properties are not allowed ('ai_token_balance' was unexpected)",
    ),
    "no description": ("apis: ['*']\n", '(the file): "description" is a required property'),
    "a name not the file's": ("name: other\ndescription: x\n", "name: 'other' must be the file's name"),
    "a built-in name": None,  # vendor-down.yaml, below
    "not YAML": ("description: [unclosed\n", "not YAML: "),
    "a repeated key": ("description: x\ndescription: y\n", "not YAML: the key 'description' is repeated"),
    "a key that is not text": ("description: x\n1: 2\n", "not YAML: the key 1 is not text"),
    "an alias": ("description: &d x\napis: [*d]\n", "not YAML: aliases (*name) are not allowed"),
    "a binary value": ("description: !!binary aGVsbG8=\n", "not YAML: tag:yaml.org,2002:binary values are not allowed"),
    "a float for an integer": (
        "description: x\nfaults:\n  - {error: rate_limited, retry_after: 30.0}\n",
        "faults[0].retry_after: 30.0 is not an integer",
    ),
    "an infinite balance": (
        "description: x\nstate:\n  1to1ai: {ai_token_balance: .inf}\n",
        "state.1to1ai.ai_token_balance: inf is not an integer",
    ),
    "a blank description": ("description: '   '\n", "description: it is blank"),
}


def _check_refused(folder: Path, path: Path, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Both ways in: the mock's start (what `serve` prints, one line) and `convomock scenarios check`."""
    with pytest.raises(StartupError) as refused:
        create_app(apis=["1to1ai"], frozen=True, scenario_dirs=[str(folder)])
    assert str(refused.value).startswith(f"{path}: {said}"), str(refused.value)
    assert "\n" not in str(refused.value)
    assert main(["scenarios", "check", str(folder)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"convomock: {path}: {said}"), lines


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_scenario_file_stops_the_start_in_one_line_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "a built-in name":
        folder = scenario_folder(tmp_path, **{"vendor-down": "description: mine\n"})
        path, said = folder / "vendor-down.yaml", f"name: 'vendor-down' is already defined by {SCENARIOS_DIR}"
    else:
        text, said = BAD_FILES[kind]  # type: ignore[misc]
        folder = scenario_folder(tmp_path, mine=text)
        path = folder / "mine.yaml"
    _check_refused(folder, path, said, capsys)


@pytest.mark.parametrize("name", ["a,b", "has space", "Upper", "é"])
def test_a_file_name_that_cannot_be_a_scenario_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    folder = scenario_folder(tmp_path, **{name: "description: x\n"})
    _check_refused(folder, folder / f"{name}.yaml", "the file's name is the scenario's", capsys)


def test_the_serve_command_refuses_in_one_line(tmp_path: Path) -> None:
    folder = scenario_folder(tmp_path, mine="description: x\nfaults:\n  - {error: boom}\n")
    argv = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--scenarios", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # a hang fails too
    assert done.returncode == 2, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f'convomock: {folder / "mine.yaml"}: faults[0].error: "boom" is not one of'), lines


def test_check_says_what_each_folder_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = scenario_folder(tmp_path, **{"payments-flaky": FLAKY, "tokens-25": TOKENS})
    assert main(["scenarios", "check", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: 2 scenario(s) OK: payments-flaky, tokens-25\n"
    assert main(["scenarios", "check", str(tmp_path / "nowhere")]) == 2
    assert "not a folder of scenario files" in capsys.readouterr().err


def test_the_environment_variable_and_the_option_add_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scenario_folder(tmp_path, **{"payments-flaky": FLAKY})
    second = tmp_path / "more"
    second.mkdir()
    (second / "tokens-25.yaml").write_text(TOKENS, encoding="utf-8")
    monkeypatch.setenv("CONVOMOCK_SCENARIOS", str(first))
    assert main(["scenarios", "--scenarios", str(second), "--json"]) == 0
    names = [s["name"] for s in json.loads(capsys.readouterr().out)]
    assert names[-2:] == ["payments-flaky", "tokens-25"] and "vendor-down" in names


def test_the_pytest_option_serves_the_folder(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = scenario_folder(tmp_path, **{"tokens-25": TOKENS})
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.convomock(apis=["1to1ai"], scenarios=["tokens-25"])
        def test_balance(convomock):
            assert {c["ai_token_balance"] for c in convomock.credentials("1to1ai")} == {25}
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--convomock-scenarios", str(folder))
    result.assert_outcomes(passed=1)


def test_the_packaged_schema_describes_every_apis_state_effects() -> None:
    """The schema editors use (`convomock scenarios schema`) names exactly the packaged APIs and their effects, and
    every built-in scenario is valid against it."""
    schema = json.loads((SCENARIOS_DIR / SCHEMA_FILE).read_text(encoding="utf-8"))
    assert jsonschema_rs.meta.is_valid(schema)
    assert schema["properties"]["apis"]["items"]["enum"] == ["*", *BINDINGS]
    described = {api: sorted(part["properties"]) for api, part in schema["properties"]["state"]["properties"].items()}
    assert described == {api: sorted(e) for api, e in scenario_effects().items() if e}
    assert scenario_schema(scenario_effects()) == schema
    assert load_scenarios(SCENARIOS_DIR, effects=scenario_effects())


def test_the_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((SCENARIOS_DIR / SCHEMA_FILE).read_text(encoding="utf-8"))


def test_check_finds_a_name_two_folders_define(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for folder in (first, second):
        folder.mkdir()
        (folder / "same.yaml").write_text("description: x\n", encoding="utf-8")
    assert main(["scenarios", "check", str(first), str(second)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"convomock: {second / 'same.yaml'}: name: 'same' is already defined by {first / 'same.yaml'}"
    ]


def test_a_folder_named_twice_is_read_once_and_dot_files_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = scenario_folder(tmp_path, **{"tokens-25": TOKENS})
    (folder / ".#tokens-25.yaml").symlink_to(tmp_path / "nowhere")  # an editor's lock file: a dangling link
    monkeypatch.setenv("CONVOMOCK_SCENARIOS", str(folder))
    options = options_from(build_parser().parse_args(["serve", "--scenarios", str(folder)]))
    assert options.scenario_dirs == (str(folder), str(folder))
    app = create_app(options, apis=["1to1ai"])
    assert "tokens-25" in app.backend.scenarios.available


def test_a_bad_file_stops_a_pytest_run_once_in_one_line(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = scenario_folder(tmp_path, mine="description: x\nfaults:\n  - {error: boom}\n")
    pytester.makepyfile("def test_one(convomock):\n    pass\n\ndef test_two(convomock):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--convomock-scenarios", str(folder))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    said = [line for line in result.errlines if "convomock:" in line]
    assert len(said) == 1 and f"{folder / 'mine.yaml'}: faults[0].error:" in said[0], result.errlines
    assert not [line for line in result.outlines if "Traceback" in line]


def test_the_ini_key_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    qa = pytester.mkdir("qa")
    (qa / "tokens-25.yaml").write_text(TOKENS, encoding="utf-8")
    pytester.makeini("[pytest]\nconvomock_scenarios = qa\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.convomock(apis=["1to1ai"], scenarios=["tokens-25"])
        def test_balance(convomock):
            assert {c["ai_token_balance"] for c in convomock.credentials("1to1ai")} == {25}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
