"""`convomock serve --state FILE` refuses a file it cannot start from with exactly one line on stderr,
`convomock: <file>: <what is wrong>`, and exit 2, and never writes over it (the saver does not start): garbage
bytes, text that is not JSON, JSON of another shape, a bad clock, a folder where the file should be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_server.apis import BINDINGS
from mock_server.cli import main
from mock_server.server import create_app

API = min(BINDINGS)  # one API keeps each start cheap; the file's checks are the same for all


def _snapshot() -> dict[str, object]:
    snapshot: dict[str, object] = create_app(apis=[API], frozen=True).backend.snapshot()
    return snapshot


def _with(**changes: object) -> bytes:
    return json.dumps({**_snapshot(), **changes}).encode()


CONTENTS: dict[str, bytes] = {
    "garbage bytes": b"\x00\xff\xfe garbage \x80",
    "empty": b"",
    "not JSON": b"this is not a state file\n",
    "cut short": _with()[:-100],
    "a JSON list": b"[1, 2, 3]",
    "another format": _with(format=2),
    "no APIs": b'{"format": 1, "apis": {}}',
    "an API's store of the wrong shape": _with(apis={API: {"store": {"no_such_field": []}, "rng": []}}),
    "a clock past its range": _with(clock={"now": "9999-12-31T23:00:00+00:00", "frozen": True}),
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "an infinite number": _with(seed=1)[:-1] + b', "x": 1e400}',
    "NaN": _with(seed=1)[:-1] + b', "x": NaN}',
}


def _refused(capsys: pytest.CaptureFixture[str], state: Path) -> str:
    code = main(["serve", "--api", API, "--port", "0", "--state", str(state)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"convomock: {state}: ")
    return lines[0].removeprefix(f"convomock: {state}: ")


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_a_refused_state_file_gets_one_line_and_stays_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(CONTENTS[kind])

    why = _refused(capsys, state)

    assert why.strip() and "Traceback" not in why
    assert state.read_bytes() == CONTENTS[kind]
    # nothing else written beside it (the lock file a start takes while it reads is not the state's)
    assert [path.name for path in tmp_path.iterdir() if path.name != ".state.json.lock"] == ["state.json"]


def test_garbage_says_it_is_not_a_state_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(b"not json")
    assert _refused(capsys, state).startswith("not a state file: not JSON")


def test_a_folder_where_the_file_should_be(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _refused(capsys, tmp_path).startswith("cannot read it")
