"""A reset cancels the background jobs; a job submitted right after it for the same key (the same conversation)
must still be waited for by `settle()` (the cancelled task's clean-up used to remove the new task's entry)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from mock_server.engine.clock import MockClock
from mock_server.engine.jobs import JobRunner


def test_settle_waits_for_a_job_submitted_right_after_a_cancel() -> None:
    async def scenario() -> list[str]:
        clock = MockClock(frozen=True)
        jobs = JobRunner(clock)
        ran: list[str] = []
        jobs.submit("conversation-1", lambda: ran.append("old"), due=clock.now() + timedelta(hours=1))
        await asyncio.sleep(0.01)  # the old job is waiting for its due time
        jobs.cancel()
        jobs.submit("conversation-1", lambda: ran.append("new"), due=clock.now() + timedelta(seconds=30))
        await asyncio.sleep(0.01)  # the cancelled task finishes its clean-up
        await jobs.settle()
        assert jobs.pending == 0
        return ran

    assert asyncio.run(scenario()) == ["new"]
