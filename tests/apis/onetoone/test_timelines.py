"""Timelines (`convomock play`, `convomock.play`), played on 1TO1 AI: a failing step is reported with what
was sent, what came back and which expectation failed, the rest skipped, exit 1, JUnit written; a bad file is one
line naming the file and the field, exit 2; the same timeline plays against a running mock."""

from __future__ import annotations

import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mock_server import DATA_ROOT, cli
from mock_server.server import create_app
from mock_server.testing import ConvoMock, ServedRunner

SHIPPED = sorted((DATA_ROOT / "scenarios" / "timelines").glob("*.yaml"))  # the first is 1TO1 AI's
DOC_CONVERSATION = "550e8400-e29b-41d4-a716-446655440000"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def play(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["play", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


FAILING = """\
    description: the second step expects what the mock does not answer
    apis: [1to1ai]
    tenant: acme
    steps:
      - name: read the doc conversation
        call: {api: 1to1ai, method: GET, path: /conversations/550e8400-e29b-41d4-a716-446655440000}
        expect: {status: 200, body: {uuid: 550e8400-e29b-41d4-a716-446655440000}}
        save: {contact: body.contact.uuid}
      - name: send free text
        call:
          api: 1to1ai
          method: POST
          path: /conversation/messages/text
          body: {conversation: {uuid: 550e8400-e29b-41d4-a716-446655440000}, body: hola}
        expect: {status: 422, body: {code: WINDOW_CLOSED}}
      - settle: true
"""


def test_a_failing_step_says_what_was_sent_what_came_back_and_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "window-story.yaml", FAILING)
    junit = tmp_path / "report.xml"
    code, out, _ = play(capsys, str(path), "--junit", str(junit))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"timeline window-story ({path}): FAILED in ")
    assert lines[1].startswith("  PASS   1 read the doc conversation: GET /1to1ai/api/v1/public/acme/conversations/")
    assert lines[2] == ("  FAIL   2 send free text: POST /1to1ai/api/v1/public/acme/conversation/messages/text -> 201")
    assert lines[3] == "           status: expected 422, got 201"
    assert lines[4] == '           body.code: missing (expected "WINDOW_CLOSED")'
    assert lines[5] == (
        '           sent: {"conversation": {"uuid": "550e8400-e29b-41d4-a716-446655440000"}, "body": "hola"}'
    )
    assert lines[6].startswith('           got:  {"message_uuid": ')
    assert lines[7] == "  skip   3 settle"
    assert lines[8] == "FAILED: 1 of 1 timeline(s) (window-story step 2)"
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "window-story",
        "3",
        "1",
        "1",
    )
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == [
        "001 read the doc conversation",
        "002 send free text",
        "003 settle",
    ]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "status: expected 422, got 201"
    assert cases[2].find("skipped") is not None


def test_a_step_without_expectations_must_succeed_and_variables_must_be_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "unset.yaml",
        """\
        description: a variable never saved
        apis: [1to1ai]
        steps:
          - call: {api: 1to1ai, method: GET, path: "/conversations/${nowhere}"}
        """,
    )
    code, out, _ = play(capsys, str(path))
    assert code == 1
    assert "${nowhere} is not set (set so far: none yet); `save` it in an earlier step or in `vars`" in out
    refused = write(
        tmp_path,
        "refused.yaml",
        """\
        description: a 404 without an expectation fails the step
        apis: [1to1ai]
        steps:
          - call: {api: 1to1ai, method: GET, path: "/conversations/00000000-0000-4000-8000-000000000000"}
        """,
    )
    code, out, _ = play(capsys, str(refused))
    assert code == 1
    assert "answered 404 (a step without an expected status must answer 2xx or 3xx)" in out


def test_expectations_match_part_of_a_body_and_saved_values_keep_their_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "matching.yaml",
        f"""\
        description: partial bodies, list items, absent keys, headers, saved values
        apis: [1to1ai]
        steps:
          - scenario_on: {{name: rate-limited, api: 1to1ai, params: {{retry_after: 12}}}}
            expect: {{status: 200, body: {{activation: {{params: {{retry_after: 12}}}}}}}}
            save: {{wait: body.activation.params.retry_after}}
          - call: {{api: 1to1ai, method: GET, path: /conversations/{DOC_CONVERSATION}}}
            expect: {{status: 429, headers: {{Retry-After: "12"}}, body: {{code: RATE_LIMIT_EXCEEDED}}, absent: [items]}}
          - scenario_off: {{name: rate-limited}}
            expect: {{body: {{changed: true, activations: []}}}}
          - control: {{method: GET, path: /__mock/scenarios/rate-limited}}
            expect: {{body: {{active: false}}}}
          - scenario_on: {{name: rate-limited, params: {{retry_after: "${{wait}}"}}}}
            expect: {{body: {{activation: {{params: {{retry_after: 12}}}}}}}}
        """,
    )
    code, out, _ = play(capsys, str(path))
    assert code == 0, out
    wrong = write(
        tmp_path,
        "wrong.yaml",
        f"""\
        description: a list item no item matches, a boolean that is no number
        apis: [1to1ai]
        tenant: acme
        steps:
          - call: {{api: 1to1ai, method: GET, path: "/conversations/{DOC_CONVERSATION}/messages"}}
            expect: {{body: {{items: [{{body: "never said"}}], has_more: 0}}}}
        """,
    )
    code, out, _ = play(capsys, str(wrong))
    assert code == 1
    assert 'body.items: no item matches expected item 0 {"body": "never said"}' in out
    assert "body.has_more: expected 0, got false" in out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("description: x\nsteps: []\n", "steps: [] has less than 1 item"),
        ("description: x\nsteps: [{sleep: 3}]\n", "steps[0]: "),
        (
            "description: x\nsteps: [{clock: {advance: 1h}, settle: true}]\n",
            "steps[0]: ",
        ),
        ("description: x\nsteps:\n  - scenario_on: {name: slow, region: eu}\n", "steps[0].scenario_on: "),
        ("description: x\nsteps:\n  - on: 1\n", "the key True is not text"),
        ("description: ' '\nsteps: [{settle: true}]\n", "description: it is blank"),
        ("description: x\napis: [salesforce]\nsteps: [{settle: true}]\n", 'apis[0]: "salesforce" is not one of'),
        ("steps: [{settle: true}]\n", '"description" is a required property'),
    ],
)
def test_a_bad_timeline_file_is_one_line_naming_the_file_and_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, says: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    code, out, err = play(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"convomock: {path}: ") and says in err, err
    assert err.count("\n") == 1


def test_a_timeline_plays_against_a_running_mock_after_a_reset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runner = ServedRunner(create_app(apis=["1to1ai"], frozen=True))
    try:
        runner.call(runner.app.backend.activate_scenario, "vendor-down")  # the reset before the timeline drops it
        code, out, _ = play(capsys, str(SHIPPED[0]), "--base-url", runner.base_url)
        assert code == 0, out
        code, out, _ = play(capsys, str(SHIPPED[0]), "--base-url", runner.base_url, "--no-reset")
        assert code == 1  # the customer's conversation exists already: it is not "created" again
        assert "FAIL   1 a new customer writes in" in out and "body.created: expected true, got false" in out
    finally:
        runner.close()
    code, _, err = play(capsys, str(SHIPPED[0]), "--base-url", runner.base_url)
    assert code == 1 and err.startswith(f"convomock: no mock answers at {runner.base_url}")


def test_convomock_play_in_pytest_passes_or_raises_with_the_report(convomock: ConvoMock, tmp_path: Path) -> None:
    result = convomock.play(SHIPPED[0])
    assert result.passed and len(result.steps) > 5
    convomock.reset()
    with pytest.raises(AssertionError) as failed:
        convomock.play(write(tmp_path, "window-story.yaml", FAILING))
    assert "FAIL   2 send free text" in str(failed.value)
    assert "status: expected 422, got 201" in str(failed.value)
