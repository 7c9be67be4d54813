"""The `crm` fixture: the API's first seeded credential, as its tests call it (tests/support/crminbox.py)."""

from __future__ import annotations

import pytest

from mock_server.testing import ConvoMock
from tests.support.crminbox import CrmClient


@pytest.fixture
def crm(mock: ConvoMock) -> CrmClient:
    return CrmClient.acme(mock)
