"""Work the real service does after answering, run in order per key (a conversation) on the event loop.

Handlers submit plain callables; each key's jobs run one after another, other keys interleave, and `settle()`
returns once nothing is queued or running, so tests never sleep. A job that raises is reported, not fatal.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

__all__ = ["JobRunner"]

log = logging.getLogger("convomock.jobs")


class JobRunner:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Callable[[], object]]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.failures: list[str] = []
        self.completed = 0

    def submit(self, key: str, job: Callable[[], object]) -> None:
        self._queues.setdefault(key, deque()).append(job)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._drain(key))

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                await asyncio.sleep(0)  # let the answer that queued this job go out first
                job = queue.popleft()
                try:
                    job()
                except Exception as exc:  # a bug in a job must not stop the others
                    log.exception("background job for %s failed", key)
                    self.failures.append(f"{key}: {type(exc).__name__}: {exc}")
                self.completed += 1
        finally:
            del self._tasks[key]
            if not queue:
                del self._queues[key]

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values()) + len(self._tasks)

    async def settle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self._queues.clear()
