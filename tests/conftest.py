"""The project's shared fixtures, on the shipped pytest plugin (`mock_server.pytest_plugin`): `convomock` is the
mock in-process, freshly seeded for each test that follows one which changed it, its clock frozen; `mock` is the
same, and fails the test if the mock answered outside its spec or crashed while it ran. Each API's client fixture
(`api`, `hl`, `crm`, `omni`) is in its tests' folder (tests/apis/<vendor>/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpcore  # noqa: F401 - see below
import httpx
import pytest

from mock_server.testing import ConvoMock

# httpcore is imported here, before any pytester session: an in-process pytester run drops the modules first
# imported during it, and httpx caches httpcore's exception classes on first use, so a fresh httpcore imported
# later would raise errors httpx no longer maps (httpcore.ConnectError escaping `except httpx.TransportError`).


@pytest.fixture
def mock(convomock: ConvoMock) -> Iterator[ConvoMock]:
    """The plugin's mock, checked after the test: no answer outside the spec, no handler crash."""
    backend = convomock.runner.app.backend
    strict, internal = len(backend.strict_violations), len(backend.internal_errors)
    yield convomock
    assert backend.strict_violations[strict:] == [], "the mock answered outside its own spec"
    assert backend.internal_errors[internal:] == [], "a handler crashed"


@pytest.fixture
def http(mock: ConvoMock) -> httpx.Client:
    """A client at the mock's root, without credentials: the control API, or a request written out in full."""
    return mock.control
