"""Scenarios QA writes (issue 18, item 1): a folder of scenario files beside the built-in ones, through `serve
--scenarios DIR`, $CONVOMOCK_SCENARIOS, the pytest option and `convomock scenarios check`; each file checked against
the schema and the APIs at start, a refusal one line naming the file and the field."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.engine.scenarios import SCHEMA_FILE, load_scenarios, scenario_schema
from mock_server.server import SCENARIOS_DIR, create_app, scenario_effects
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION

FLAKY = """\
description: Every third 1TO1 AI text send answers 502.
apis: [1to1ai]
faults:
  - {api: 1to1ai, method: POST, path: "*/conversation/messages/text", error: bad_gateway, every: 3}
"""
TOKENS = """\
description: Every 1TO1 AI business has 25 AI tokens.
state:
  1to1ai: {ai_token_balance: 25}
"""
TEXT = "/1to1ai/api/v1/public/acme/conversation/messages/text"
pytest_plugins = ["pytester"]


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "qa-scenarios"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_a_users_scenarios_work_beside_the_built_in_ones(tmp_path: Path) -> None:
    folder = _folder(tmp_path, **{"payments-flaky": FLAKY, "tokens-25": TOKENS})
    app = create_app(apis=["1to1ai"], frozen=True, scenario_dirs=[str(folder)])
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        listed = {s["name"] for s in http.get("/__mock/scenarios").json()["scenarios"]}
        assert {"payments-flaky", "tokens-25", "vendor-down"} <= listed
        assert http.post("/__mock/scenarios/tokens-25").status_code == 200
        balances = {c["ai_token_balance"] for c in http.get("/__mock/credentials").json()["1to1ai"]}
        assert balances == {25}
        assert http.delete("/__mock/scenarios/tokens-25").status_code == 200  # gives back what it changed
        assert {c["ai_token_balance"] for c in http.get("/__mock/credentials").json()["1to1ai"]} != {25}
        assert http.post("/__mock/scenarios/payments-flaky").status_code == 200
        auth = {"Authorization": f"Bearer {ACME_TOKEN}"}
        sent = [
            http.post(TEXT, headers=auth, json={"conversation": {"uuid": DOC_CONVERSATION}, "body": f"hola {n}"})
            for n in range(3)
        ]
        assert [r.status_code for r in sent] == [201, 201, 502]
        assert sent[2].json()["code"] == "SEND_FAILED", sent[2].text  # 1TO1 AI's own envelope


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
    "an API without state effects": (
        "description: x\nstate:\n  highlevel: {ai_token_balance: 0}\n",
        "state: Additional properties are not allowed ('highlevel' was unexpected)",
    ),
    "an effect the API lacks": (
        "description: x\nstate:\n  omni-inbox: {ai_token_balance: 0}\n",
        "state.omni-inbox: Additional properties are not allowed ('ai_token_balance' was unexpected)",
    ),
    "no description": ("apis: ['*']\n", '(the file): "description" is a required property'),
    "a name not the file's": ("name: other\ndescription: x\n", "name: 'other' must be the file's name"),
    "a built-in name": None,  # vendor-down.yaml, below
    "not YAML": ("description: [unclosed\n", "not YAML: "),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_scenario_file_stops_the_start_in_one_line_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "a built-in name":
        folder = _folder(tmp_path, **{"vendor-down": "description: mine\n"})
        path, said = folder / "vendor-down.yaml", f"name: 'vendor-down' is already defined by {SCENARIOS_DIR}"
    else:
        text, said = BAD_FILES[kind]  # type: ignore[misc]
        folder = _folder(tmp_path, mine=text)
        path = folder / "mine.yaml"
    for argv in (["serve", "--port", "0", "--scenarios", str(folder)], ["scenarios", "check", str(folder)]):
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 2, (argv, captured)
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith(f"convomock: {path}: {said}"), lines[0]


def test_check_says_what_each_folder_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, **{"payments-flaky": FLAKY, "tokens-25": TOKENS})
    assert main(["scenarios", "check", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: 2 scenario(s) OK: payments-flaky, tokens-25\n"
    assert main(["scenarios", "check", str(tmp_path / "nowhere")]) == 2
    assert "not a folder of scenario files" in capsys.readouterr().err


def test_the_environment_variable_and_the_option_add_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _folder(tmp_path, **{"payments-flaky": FLAKY})
    second = tmp_path / "more"
    second.mkdir()
    (second / "tokens-25.yaml").write_text(TOKENS, encoding="utf-8")
    monkeypatch.setenv("CONVOMOCK_SCENARIOS", str(first))
    assert main(["scenarios", "--scenarios", str(second), "--json"]) == 0
    names = [s["name"] for s in json.loads(capsys.readouterr().out)]
    assert names[-2:] == ["payments-flaky", "tokens-25"] and "vendor-down" in names


def test_the_pytest_option_serves_the_folder(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = _folder(tmp_path, **{"tokens-25": TOKENS})
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
