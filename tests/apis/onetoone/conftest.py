"""The `api` fixture: the API's first seeded credential, as its tests call it (tests/support/onetoone.py)."""

from __future__ import annotations

import pytest

from mock_server.testing import ConvoMock
from tests.support.onetoone import OneToOneClient


@pytest.fixture
def api(mock: ConvoMock) -> OneToOneClient:
    return OneToOneClient.acme(mock)
