"""HighLevel's rate limits (docs/oauth/Authorization.md): 100 requests per 10 s and 200,000 a day per app and
location, reported in five headers on every answer while the limits are enforced."""

from __future__ import annotations

from datetime import timedelta

from mock_server.engine.ratelimit import RateLimitPolicy, RateState

__all__ = ["BURST", "DAILY", "rate_limit_headers"]

BURST = RateLimitPolicy(limit=100, window=timedelta(seconds=10), name="burst")
DAILY = RateLimitPolicy(limit=200_000, window=timedelta(days=1), name="daily")


def rate_limit_headers(states: list[RateState]) -> dict[str, str]:
    burst = next(s for s in states if s.policy.name == "burst")
    daily = next(s for s in states if s.policy.name == "daily")
    return {
        "X-RateLimit-Limit-Daily": str(DAILY.limit),
        "X-RateLimit-Daily-Remaining": str(daily.remaining),
        "X-RateLimit-Interval-Milliseconds": str(int(BURST.window.total_seconds() * 1000)),
        "X-RateLimit-Max": str(BURST.limit),
        "X-RateLimit-Remaining": str(burst.remaining),
    }
