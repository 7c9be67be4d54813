"""Vendor facts live in the vendor's package, its spec and its fixtures (and in the tests that know vendors:
tests/apis/, and tests/support/<vendor>.py): nothing in the engine, the contract toolkit, the plugin and testing
kit, or the shared tests names a seeded token or id, or a path of a vendor's spec, nor imports a vendor's modules.
The facts are read from the fixtures and specs themselves, so a new API's are guarded too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.apis import BINDINGS, PACKAGES
from mock_server.engine.specs import load_yaml

ROOT = Path(__file__).resolve().parents[1]
ID_LIKE = re.compile(r"^(?=.*\d)\S{8,}$")  # a token or id: 8+ characters, a digit among them, no spaces


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _facts() -> dict[str, str]:
    """Each fact and where it comes from: the fixtures' tokens and ids, the specs' path prefixes."""
    facts: dict[str, str] = {}
    for name, binding in BINDINGS.items():
        for value in _strings(load_yaml(binding.fixtures_path)):
            if ID_LIKE.match(value) and not value.startswith(("http", "-", "+")):
                facts[value] = f"{name} fixtures"
        for path in load_yaml(binding.spec_path).get("paths") or {}:
            static = path.split("{", 1)[0].rstrip("/")
            if static.count("/") >= 2 or (static and len(static) > 14):  # '/conversations' alone says nothing
                facts[static] = f"{name} spec path"
    return facts


def _shared_files() -> list[Path]:
    """The engine and the package's vendor-neutral modules, the contract toolkit, the shared tests and their
    vendor-neutral support (a support module named after a vendor package is that vendor's)."""
    found: list[Path] = []
    for folder in ("convomock", "mock_server", "contract_tests", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            parts = relative.parts
            if parts[:2] == ("mock_server", "apis") and len(parts) > 3:
                continue  # a vendor's package
            if parts[:2] == ("tests", "apis"):
                continue  # a vendor's tests, and the tests across the vendors
            if parts[:2] == ("tests", "support") and path.stem in PACKAGES:
                continue  # a vendor's test support
            if path == Path(__file__).resolve():
                continue
            found.append(path)
    return found


FACTS = _facts()


def test_the_guard_knows_facts_of_every_api() -> None:
    for name in BINDINGS:
        assert any(origin.startswith(name) for origin in FACTS.values()), f"no fact of {name} found"


@pytest.mark.parametrize("path", _shared_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shared_module_names_a_vendor_fact(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    named = sorted(f"{fact!r} ({origin})" for fact, origin in FACTS.items() if fact in text)
    assert not named, f"{path.relative_to(ROOT)} names {', '.join(named)}: move it to the vendor's package or tests"


VENDOR_MODULES = re.compile(
    r"^\s*(?:from|import)\s+(?:mock_server\.apis\.(?:"
    + "|".join(PACKAGES)
    + r")|tests\.support\.(?:"
    + "|".join(PACKAGES)
    + r"))\b",
    re.MULTILINE,
)


@pytest.mark.parametrize("path", _shared_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shared_module_imports_a_vendors_facts(path: Path) -> None:
    """A vendor's facts reach shared code only through its binding (`mock_server.apis.BINDINGS`: spec, probes,
    drifts, credentials), never by importing the vendor's modules or its test support."""
    found = VENDOR_MODULES.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} imports {found}"
