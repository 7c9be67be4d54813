"""The AI setter's work queue (Iron's setter page, `/api/v1/setter/...`): assignments, their states and the
handlers of the queue's endpoints. (Being written.)"""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.engine.types import Handler

__all__ = ["HANDLERS"]

HANDLERS: Mapping[str, Handler] = {}
