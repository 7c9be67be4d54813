"""A sliding-window request counter per key, on the mock clock (so advancing the clock frees the window)."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from mock_server.engine.errors import RateLimited

__all__ = ["RateLimitPolicy", "SlidingWindowLimiter"]


@dataclass(frozen=True)
class RateLimitPolicy:
    limit: int
    window: timedelta


class SlidingWindowLimiter:
    def __init__(self, policy: RateLimitPolicy) -> None:
        self.policy = policy
        self._hits: dict[str, deque[datetime]] = {}

    def hit(self, key: str, now: datetime) -> int:
        """Count one request; raise RateLimited when the window is full. Returns the remaining allowance."""
        hits = self._hits.setdefault(key, deque())
        horizon = now - self.policy.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.policy.limit:
            frees_at = hits[0] + self.policy.window
            retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
            raise RateLimited(self.policy.limit, 0, retry_after, math.ceil(frees_at.timestamp()))
        hits.append(now)
        return self.policy.limit - len(hits)

    def clear(self) -> None:
        self._hits.clear()
