"""Sliding-window request counters per key, on the mock clock (so advancing the clock frees the window).

An API may have several windows at once (HighLevel: 100 per 10 s and 200,000 a day); a request counts in all of
them. Each window reports what the vendor's rate-limit headers need. Counting and refusing are apart: an API whose
answers always report the count is counted on every request (`enforce=False` never refuses), and the limits are
enforced only when asked (`real-limits`).

Memory stays bounded whatever the clock does: a window holds at most `limit` hits, and hits at the same instant
(a frozen clock) share one entry; a policy with a `resolution` also merges the hits of one step (a day counted in
minutes holds at most 1,441 entries, not 200,000).
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
    # Hits less than this apart share one entry, which leaves the window with its first hit (up to `resolution`
    # early for the later ones). Zero: exact, only hits at the same instant share.
    resolution: timedelta = timedelta(0)


@dataclass(frozen=True)
class RateState:
    policy: RateLimitPolicy
    remaining: int
    reset_epoch: int  # when the oldest counted request leaves the window


class _Entry:
    """Hits counted together: the instant of the first, and how many."""

    __slots__ = ("at", "hits")

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.hits = 1

    def __repr__(self) -> str:
        return f"_Entry({self.at.isoformat()}, hits={self.hits})"


class _Window:
    """The hits of one key in one window, oldest first, and their total."""

    __slots__ = ("count", "entries")

    def __init__(self) -> None:
        self.entries: deque[_Entry] = deque()
        self.count = 0

    def __len__(self) -> int:  # the entries held: the window's memory, never more than the policy's limit
        return len(self.entries)

    def __repr__(self) -> str:
        return f"_Window(count={self.count}, entries={len(self.entries)})"

    def oldest(self) -> datetime | None:
        return self.entries[0].at if self.entries else None

    def prune(self, now: datetime, horizon: datetime) -> None:
        """Drop the hits that left the window, and those after `now` (the mock clock was set back: they have not
        happened yet)."""
        while self.entries and self.entries[-1].at > now:
            self.count -= self.entries.pop().hits
        while self.entries and self.entries[0].at <= horizon:
            self.count -= self.entries.popleft().hits

    def add(self, now: datetime, resolution: timedelta) -> None:
        if self.entries and timedelta(0) <= now - self.entries[-1].at <= resolution:
            self.entries[-1].hits += 1
        else:
            self.entries.append(_Entry(now))
        self.count += 1


class SlidingWindowLimiter:
    def __init__(self, policies: Sequence[RateLimitPolicy]) -> None:
        self.policies = tuple(policies)
        self._hits: dict[tuple[str, int], _Window] = {}

    def hit(self, key: str, now: datetime, enforce: bool = True) -> list[RateState]:
        """Count one request in every window. Enforced: raise RateLimited (counting nothing) when one is full.
        Not enforced: never refuse; a full window stays full (the request is not added to it, `remaining` 0) and
        the others count it."""
        windows = []
        for index, policy in enumerate(self.policies):
            window = self._hits.get((key, index))
            if window is None:
                window = self._hits[(key, index)] = _Window()
            window.prune(now, now - policy.window)
            windows.append(window)
        if enforce:
            for policy, window in zip(self.policies, windows, strict=True):
                oldest = window.oldest()
                if window.count >= policy.limit and oldest is not None:
                    frees_at = oldest + policy.window
                    retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
                    states = [self._state(p, w, now) for p, w in zip(self.policies, windows, strict=True)]
                    raise RateLimited(
                        policy.limit, 0, retry_after, math.ceil(frees_at.timestamp()), policy.name, states
                    )
        for policy, window in zip(self.policies, windows, strict=True):
            if window.count < policy.limit:
                window.add(now, policy.resolution)
        return [self._state(p, w, now) for p, w in zip(self.policies, windows, strict=True)]

    @staticmethod
    def _state(policy: RateLimitPolicy, window: _Window, now: datetime) -> RateState:
        reset = (window.oldest() or now) + policy.window
        return RateState(policy, max(0, policy.limit - window.count), math.ceil(reset.timestamp()))

    def clear(self) -> None:
        self._hits.clear()
