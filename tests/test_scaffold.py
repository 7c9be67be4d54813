"""A fifth API is one package: `convomock new-api` on a copy of this checkout writes its spec, fixtures, package and
test and one registry line; served at once, it answers its operation; and the shared suites (tenancy, bad input,
missing credentials, the contract and its planted drifts) take it up with no other edit, lint clean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME, PACKAGE = "widget-hub", "widgethub"


def _checkout_files() -> list[Path]:
    """What a clone holds (tracked files), plus files not yet committed (the working tree under test)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [Path(name) for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to copy")
    target = tmp_path_factory.mktemp("checkout")
    for relative in _checkout_files():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target / relative, follow_symlinks=False)
    yield target


def _run(copy: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # `python -m` puts the copy first on sys.path, ahead of the installed (editable) checkout
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=copy, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.fixture(scope="module")
def scaffolded(copy: Path) -> tuple[Path, str]:
    registry_before = (copy / "mock_server" / "apis" / "__init__.py").read_text(encoding="utf-8")
    made = _run(copy, "mock_server", "new-api", NAME)
    assert made.returncode == 0, made.stderr
    registry_after = (copy / "mock_server" / "apis" / "__init__.py").read_text(encoding="utf-8")
    added = [line for line in registry_after.splitlines() if line not in registry_before.splitlines()]
    assert added == [f'    "{PACKAGE}",'], added  # the one registration line
    return copy, made.stdout


def test_the_scaffold_writes_one_package_its_spec_fixtures_and_test(scaffolded: tuple[Path, str]) -> None:
    copy, output = scaffolded
    package = copy / "mock_server" / "apis" / PACKAGE
    expected = {
        "__init__.py",
        "auth.py",
        "control.py",
        "drifts.py",
        "errors.py",
        "handlers.py",
        "probes.py",
        "seed.py",
        "state.py",
        "wire.py",
    }
    assert {p.name for p in package.iterdir() if p.suffix == ".py"} == expected
    assert (copy / "specs" / f"{NAME}.yaml").is_file() and (copy / "fixtures" / f"{NAME}.yaml").is_file()
    assert (copy / "tests" / "apis" / PACKAGE / f"test_{PACKAGE}.py").is_file()
    written = [line for line in output.splitlines() if line.startswith("wrote ")]
    assert len(written) == 14, output
    lines = int(output.splitlines()[-1].split()[0])
    assert 300 < lines < 700, output  # what adding an API costs before it becomes the vendor's
    again = _run(copy, "mock_server", "new-api", NAME)
    assert again.returncode == 2 and "registered already" in again.stderr


def test_the_new_api_is_served_and_answers_its_operation(scaffolded: tuple[Path, str]) -> None:
    copy, _ = scaffolded
    listed = _run(copy, "mock_server", "specs")
    assert listed.returncode == 0 and NAME in listed.stdout, listed.stderr
    served = _run(copy, "pytest", "-q", "-p", "no:cacheprovider", f"tests/apis/{PACKAGE}")
    assert served.returncode == 0, served.stdout[-3000:]
    assert "2 passed" in served.stdout


def test_the_shared_suites_take_it_up(scaffolded: tuple[Path, str]) -> None:
    copy, _ = scaffolded
    suites = [
        "tests/test_tenancy_everywhere.py",
        "tests/test_bad_input.py",
        "tests/test_auth_everywhere.py",
        "tests/test_contract_pytest.py",
        "tests/contract_tests/test_drift_caught.py",
        "tests/test_vendor_facts_stay_home.py",
    ]
    result = _run(copy, "pytest", "-q", "-p", "no:cacheprovider", "-k", "widget", *suites, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:]
    summary = result.stdout.strip().splitlines()[-1]
    passed = int(summary.split(" passed")[0].split()[-1])
    # tenancy (a base case, a restored snapshot), bad bodies, hostile ids, long queries, missing credentials,
    # the contract and its workflows, the clean run and each planted drift twice (Python API and CLI)
    assert passed >= 40, summary


def test_the_new_package_is_lint_clean(scaffolded: tuple[Path, str]) -> None:
    copy, _ = scaffolded
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is installed with the test extra")
    paths = [f"mock_server/apis/{PACKAGE}", f"tests/apis/{PACKAGE}", "mock_server/apis/__init__.py"]
    checked = subprocess.run([str(ruff), "check", *paths], cwd=copy, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout
    formatted = subprocess.run(
        [str(ruff), "format", "--check", *paths], cwd=copy, capture_output=True, text=True, check=False
    )
    assert formatted.returncode == 0, formatted.stdout
    typed = _run(copy, "mypy", f"mock_server/apis/{PACKAGE}", f"tests/apis/{PACKAGE}")
    assert typed.returncode == 0, typed.stdout
