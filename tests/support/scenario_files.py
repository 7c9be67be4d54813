"""Scenario files as a QA person writes them (issue 18): two examples and a folder to put them in."""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = ["FLAKY", "TOKENS", "scenario_folder"]

# every third 1TO1 AI text send answers 502 SEND_FAILED
FLAKY = """\
description: Every third 1TO1 AI text send answers 502.
apis: [1to1ai]
faults:
  - {api: 1to1ai, method: POST, path: "*/conversation/messages/text", error: bad_gateway, every: 3}
"""
# a state effect with a chosen value
TOKENS = """\
description: Every 1TO1 AI business has 25 AI tokens.
state:
  1to1ai: {ai_token_balance: 25}
"""


def scenario_folder(tmp_path: Path, **files: str) -> Path:
    """`tmp_path/qa-scenarios` holding NAME.yaml for each keyword (a name with a dash: `**{"tokens-25": TOKENS}`)."""
    folder = tmp_path / "qa-scenarios"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder
