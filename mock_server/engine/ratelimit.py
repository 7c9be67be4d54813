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

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime | timedelta) -> int:
    """An instant (UTC) or a span in whole microseconds: exact integer arithmetic, cheaper than datetimes'."""
    return (value - _EPOCH if isinstance(value, datetime) else value) // _MICROSECOND


class _Entry:
    """Hits counted together: the instant of the first (microseconds since the epoch), and how many."""

    __slots__ = ("at", "hits")

    def __init__(self, at: int) -> None:
        self.at = at
        self.hits = 1

    def __repr__(self) -> str:
        return f"_Entry({self.at}, hits={self.hits})"


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

    def prune(self, now: int, horizon: int) -> None:
        """Drop the hits that left the window, and those after `now` (the mock clock was set back: they have not
        happened yet)."""
        entries = self.entries
        while entries and entries[-1].at > now:
            self.count -= entries.pop().hits
        while entries and entries[0].at <= horizon:
            self.count -= entries.popleft().hits

    def add(self, now: int, resolution: int) -> None:
        entries = self.entries
        if entries and 0 <= now - entries[-1].at <= resolution:
            entries[-1].hits += 1
        else:
            entries.append(_Entry(now))
        self.count += 1


class SlidingWindowLimiter:
    def __init__(self, policies: Sequence[RateLimitPolicy]) -> None:
        self.policies = tuple(policies)
        self._spans = [(_micros(policy.window), _micros(policy.resolution)) for policy in self.policies]
        self._hits: dict[tuple[str, int], _Window] = {}

    def hit(self, key: str, now: datetime, enforce: bool = True) -> list[RateState]:
        """Count one request in every window. Enforced: raise RateLimited (counting nothing) when one is full.
        Not enforced: never refuse; a full window stays full (the request is not added to it, `remaining` 0) and
        the others count it."""
        at = _micros(now)
        windows = []
        for index, (span, _) in enumerate(self._spans):
            window = self._hits.get((key, index))
            if window is None:
                window = self._hits[(key, index)] = _Window()
            window.prune(at, at - span)
            windows.append(window)
        if enforce:
            for policy, (span, _), window in zip(self.policies, self._spans, windows, strict=True):
                if window.count >= policy.limit and window.entries:
                    frees_at = window.entries[0].at + span
                    retry_after = max(1, -(-(frees_at - at) // 1_000_000))
                    raise RateLimited(
                        policy.limit, 0, retry_after, -(-frees_at // 1_000_000), policy.name, self._states(windows, at)
                    )
        for policy, (_, resolution), window in zip(self.policies, self._spans, windows, strict=True):
            if window.count < policy.limit:
                window.add(at, resolution)
        return self._states(windows, at)

    def _states(self, windows: list[_Window], at: int) -> list[RateState]:
        states = []
        for policy, (span, _), window in zip(self.policies, self._spans, windows, strict=True):
            reset = (window.entries[0].at if window.entries else at) + span
            states.append(RateState(policy, max(0, policy.limit - window.count), -(-reset // 1_000_000)))
        return states

    def clear(self) -> None:
        self._hits.clear()
