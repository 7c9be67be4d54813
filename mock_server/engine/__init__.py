"""The vendor-neutral engine: specs, routing, validation, errors, clock, ids, jobs, scenarios, journal, control."""

from __future__ import annotations

from mock_server.engine.app import MockApp, StartupError
from mock_server.engine.clock import MockClock

__all__ = ["MockApp", "MockClock", "StartupError"]
