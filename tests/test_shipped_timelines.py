"""The shipped timelines (scenarios/timelines, one per API): each walks its API's main QA story and passes on a fresh
mock, through `convomock play` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server import DATA_ROOT, cli

SHIPPED = sorted((DATA_ROOT / "scenarios" / "timelines").glob("*.yaml"))


def test_one_timeline_ships_per_api() -> None:
    assert [path.stem for path in SHIPPED] == ["1to1ai", "crm-inbox", "highlevel", "omni-inbox"]


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_every_shipped_timeline_passes(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    code = cli.main(["play", str(path)])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.out
    assert captured.out.endswith(f"OK: 1 timeline(s), {captured.out.count('  PASS ')} steps\n")
    assert "FAIL" not in captured.out and "skip" not in captured.out
