"""Sliding-window request counters per key, on the mock clock (so advancing the clock frees the window).

An API may have several windows at once (HighLevel: 100 per 10 s and 200,000 a day); a request counts in all of
them, and the first full one refuses it. Each window reports what the vendor's rate-limit headers need.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mock_server.engine.errors import RateLimited

__all__ = ["RateLimitPolicy", "RateState", "SlidingWindowLimiter"]


@dataclass(frozen=True)
class RateLimitPolicy:
    limit: int
    window: timedelta
    name: str = "window"


@dataclass(frozen=True)
class RateState:
    policy: RateLimitPolicy
    remaining: int
    reset_epoch: int  # when the oldest counted request leaves the window


class SlidingWindowLimiter:
    def __init__(self, policies: Sequence[RateLimitPolicy]) -> None:
        self.policies = tuple(policies)
        self._hits: dict[tuple[str, int], deque[datetime]] = {}

    def hit(self, key: str, now: datetime) -> list[RateState]:
        """Count one request in every window; raise RateLimited (counting nothing) when one is full."""
        windows = []
        for index, policy in enumerate(self.policies):
            hits = self._hits.setdefault((key, index), deque())
            horizon = now - policy.window
            while hits and hits[0] <= horizon:
                hits.popleft()
            windows.append(hits)
        for policy, hits in zip(self.policies, windows, strict=True):
            if len(hits) >= policy.limit:
                frees_at = hits[0] + policy.window
                retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
                states = [self._state(p, h, now) for p, h in zip(self.policies, windows, strict=True)]
                raise RateLimited(policy.limit, 0, retry_after, math.ceil(frees_at.timestamp()), policy.name, states)
        for hits in windows:
            hits.append(now)
        return [self._state(p, h, now) for p, h in zip(self.policies, windows, strict=True)]

    @staticmethod
    def _state(policy: RateLimitPolicy, hits: deque[datetime], now: datetime) -> RateState:
        reset = (hits[0] if hits else now) + policy.window
        return RateState(policy, max(0, policy.limit - len(hits)), math.ceil(reset.timestamp()))

    def clear(self) -> None:
        self._hits.clear()
