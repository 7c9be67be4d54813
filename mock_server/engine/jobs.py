"""Work the real service does after answering, run in order per key (a conversation) on the event loop.

Handlers submit plain callables, optionally due at a mock-clock instant (an AI agent replies after its wait
time). Each key's jobs run one after another, other keys interleave. A job waits for its due time in real time
while the clock runs (and is woken when the clock is moved); `settle()` does not wait: it moves the mock clock
forward to the next due job until nothing is queued or running, so tests never sleep. A job that raises is
reported, not fatal.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime

from mock_server.engine.clock import MockClock

__all__ = ["JobRunner"]

log = logging.getLogger("convomock.jobs")

Job = Callable[[], object]
BATCH = 256  # due jobs of one key run per turn of the event loop


class JobRunner:
    def __init__(self, clock: MockClock) -> None:
        self.clock = clock
        self._queues: dict[str, deque[tuple[datetime | None, Job]]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._tick: asyncio.Event | None = None
        self.failures: list[str] = []
        self.completed = 0

    def submit(self, key: str, job: Job, due: datetime | None = None) -> None:
        self._queues.setdefault(key, deque()).append((due, job))
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._drain(key))

    def wake(self) -> None:
        """The clock moved: waiting jobs look at it again."""
        if self._tick is not None:
            self._tick.set()
            self._tick = None

    async def _until(self, due: datetime) -> None:
        if self._tick is None:
            self._tick = asyncio.Event()
        tick = self._tick
        timeout = None if self.clock.frozen else max(0.0, (due - self.clock.now()).total_seconds())
        try:
            await asyncio.wait_for(tick.wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                await asyncio.sleep(0)  # let the answer that queued this job go out first
                due, _job = queue[0]
                if due is not None and self.clock.now() < due:
                    await self._until(due)
                    continue
                # Every job that is due, in order, before yielding again (a bounded batch, for fairness): one job
                # per turn of the loop would fall behind clients that queue several per request, and the backlog
                # would grow without end under load.
                for _ in range(BATCH):
                    if not queue or (queue[0][0] is not None and self.clock.now() < queue[0][0]):
                        break
                    self._run(key, queue.popleft()[1])
        finally:
            # After `cancel()` (a reset) a new job may already own this key: leave its task and queue alone, or
            # settle() would stop waiting for it.
            if self._tasks.get(key) is asyncio.current_task():
                del self._tasks[key]
            if not queue and self._queues.get(key) is queue:
                del self._queues[key]

    def _run(self, key: str, job: Job) -> None:
        try:
            job()
        except Exception as exc:  # a bug in a job must not stop the others
            log.exception("background job for %s failed", key)
            if len(self.failures) < 1000:  # bounded, like everything the mock keeps per request
                self.failures.append(f"{key}: {type(exc).__name__}: {exc}")
        self.completed += 1

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def next_due(self) -> datetime | None:
        dues = [queue[0][0] for queue in self._queues.values() if queue and queue[0][0] is not None]
        return min(dues) if dues else None

    async def settle(self) -> None:
        """Run everything queued, moving the mock clock forward to each delayed job's due time."""
        while self._tasks:
            ready = any(q and (q[0][0] is None or q[0][0] <= self.clock.now()) for q in self._queues.values())
            if not ready:
                due = self.next_due()
                if due is not None and due > self.clock.now():
                    self.clock.run_to(due)
            self.wake()
            await asyncio.wait(list(self._tasks.values()), timeout=0.01)

    def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self._queues.clear()
        self.wake()
