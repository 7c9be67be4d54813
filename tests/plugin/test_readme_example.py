"""The README's pytest example, run exactly as printed: every ```python block of its plugin section that starts with
a `# <file>.py` line becomes that file, and pytest runs them. Editing the example without keeping it working
fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Test your integration with pytest (the plugin)"


def example_files() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL):
        first = block.partition("\n")[0]
        name = re.fullmatch(r"# (\w+)\.py", first.strip())
        if name:
            files[name.group(1)] = block
    return files


def test_the_readme_example_passes_as_printed(pytester: pytest.Pytester) -> None:
    files = example_files()
    assert set(files) == {"notify", "test_notify"}, "the README's example names its files in a first-line comment"
    pytester.makepyfile(**files)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=files["test_notify"].count("\ndef test_"))
