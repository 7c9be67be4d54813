"""The `hl` fixture: the API's first seeded credential, as its tests call it (tests/support/highlevel.py)."""

from __future__ import annotations

import pytest

from mock_server.testing import ConvoMock
from tests.support.highlevel import HighLevelClient


@pytest.fixture
def hl(mock: ConvoMock) -> HighLevelClient:
    return HighLevelClient.acme(mock)
