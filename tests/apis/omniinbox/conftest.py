"""The `omni` fixture: the API's first seeded credential, as its tests call it (tests/support/omniinbox.py)."""

from __future__ import annotations

import pytest

from mock_server.testing import ConvoMock
from tests.support.omniinbox import OmniClient


@pytest.fixture
def omni(mock: ConvoMock) -> OmniClient:
    return OmniClient.acme(mock)
