"""Who may call HighLevel, and how often: a location's private integration token decides the location (an agency
token, or one without the operation's scope, gets the scope refusal), and the documented rate limits
(https://marketplace.gohighlevel.com/docs/other/rate-limits): 100 requests per 10 s and 200,000 a day per app and
location, reported in five headers on every answer once the token has named the location, counted on the mock
clock whether or not `real-limits` is on, and enforced (429) only under it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

# A module import, not its names: errors.py words a 429 with `rate_limit_headers` from here, and a module import on
# both sides lets either file be imported first.
from mock_server.apis.highlevel import errors
from mock_server.engine.ratelimit import RateLimitPolicy, RateState
from mock_server.engine.types import Principal, RequestView

if TYPE_CHECKING:  # state imports errors, which imports this module: the store's type is for the checker only
    from mock_server.apis.highlevel.state import HighLevelStore

__all__ = ["authenticate", "credentials", "BURST", "DAILY", "RATE_LIMITS", "rate_limit_headers"]

BURST = RateLimitPolicy(limit=100, window=timedelta(seconds=10), name="burst")
# The day is counted in one-minute steps (convomock design): a location's count stays a few thousand entries under
# any load, and a request leaves the day at most a minute early.
DAILY = RateLimitPolicy(limit=200_000, window=timedelta(days=1), name="daily", resolution=timedelta(minutes=1))
RATE_LIMITS = (BURST, DAILY)


def authenticate(view: RequestView, store: HighLevelStore) -> Principal:
    """The token decides the location; agency tokens and missing scopes get the scope refusal (401)."""
    scheme, _, value = view.headers.get("authorization", "").partition(" ")
    token = store.token(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise errors.InvalidToken()
    if token.location_id is None or not set(view.required_scopes) <= set(token.scopes):
        raise errors.ScopeNotAuthorized()
    return Principal(
        tenant_id=token.location_id, key=token.location_id, scopes=frozenset(token.scopes), label=token.name
    )


def credentials(store: HighLevelStore) -> list[dict[str, Any]]:
    """What `/__mock/credentials` lists: each location's tokens (agency tokens open no location's endpoints)."""
    return [
        {
            "tenant": t.location_id,
            "token": t.token,
            "base_path": "",
            "scopes": t.scopes,
            "location": store.locations[t.location_id].name,
            "headers": {"Version": "2021-07-28"},
        }
        for t in store.tokens
        if t.location_id is not None
    ]


_LIMIT_DAILY, _INTERVAL_MS, _MAX = str(DAILY.limit), str(int(BURST.window.total_seconds() * 1000)), str(BURST.limit)


def rate_limit_headers(states: list[RateState]) -> dict[str, str]:
    """The five headers of the vendor's rate-limit page, from the limiter's windows (RATE_LIMITS' order)."""
    burst, daily = states
    return {
        "X-RateLimit-Limit-Daily": _LIMIT_DAILY,
        "X-RateLimit-Daily-Remaining": str(daily.remaining),
        "X-RateLimit-Interval-Milliseconds": _INTERVAL_MS,
        "X-RateLimit-Max": _MAX,
        "X-RateLimit-Remaining": str(burst.remaining),
    }
