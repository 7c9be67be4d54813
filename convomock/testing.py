"""Drive a mock from a test (`mock_server.testing`), under the name no user folder shadows."""

from __future__ import annotations

from mock_server.testing import (
    IN_PROCESS_BASE_URL,
    ClockControl,
    ConvoMock,
    InProcessRunner,
    Runner,
    ServedRunner,
)

__all__ = ["IN_PROCESS_BASE_URL", "ClockControl", "ConvoMock", "InProcessRunner", "Runner", "ServedRunner"]
