"""The mock clock: the only source of "now" for handlers, seeding and background jobs.

It starts at a fixed instant (so seeded state is byte-identical run to run) and runs with real time from there,
unless frozen. Setting and advancing move an offset; nothing ever sleeps.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_START", "MockClock", "iso", "parse_duration", "parse_instant"]

DEFAULT_START = datetime(2026, 1, 15, 15, 0, 0, tzinfo=UTC)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)")
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str | float) -> timedelta:
    """'25h', '1h30m', '90s', '2d', '500ms', or a number of seconds; negative with a leading '-'."""
    if isinstance(text, bool):
        raise ValueError("a duration is a string like '25h' or a number of seconds")  # noqa: TRY004 - callers answer 400 on ValueError
    if isinstance(text, (int, float)):
        return timedelta(seconds=text)
    return _cached_duration(text) if len(text) <= 32 else _duration_text(text)


@functools.lru_cache(maxsize=1024)  # seeding parses the same few fixture offsets tens of thousands of times
def _cached_duration(text: str) -> timedelta:
    return _duration_text(text)


def _duration_text(text: str) -> timedelta:
    raw = text.strip().replace(" ", "")
    sign = -1 if raw.startswith("-") else 1
    raw = raw[1:] if raw[:1] in ("+", "-") else raw
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return timedelta(seconds=sign * float(raw))
    parts = _DURATION.findall(raw)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != raw:
        raise ValueError(f"not a duration: {text!r} (use e.g. '25h', '1h30m', '90s')")
    return timedelta(seconds=sign * sum(float(n) * _UNITS[u] for n, u in parts))


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.strip())  # Python 3.11 reads a trailing Z
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=16384)  # strftime is ~1.3 us; answers format the same stored instants over and over
def iso(value: datetime) -> str:
    """The wire form the vendors use: UTC, seconds, 'Z'."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MockClock:
    def __init__(self, start: datetime = DEFAULT_START, frozen: bool = False) -> None:
        self._start = start
        self._frozen = frozen
        self.reset()

    def reset(self, frozen: bool | None = None) -> None:
        """Back to the start instant; keeps the frozen flag unless told otherwise."""
        self._frozen = self._frozen if frozen is None else frozen
        self._anchor_real = time.monotonic()
        self._anchor_mock = self._start

    def now(self) -> datetime:
        if self._frozen:
            return self._anchor_mock
        return self._anchor_mock + timedelta(seconds=time.monotonic() - self._anchor_real)

    @property
    def start(self) -> datetime:
        """The instant a reset goes back to (seeding uses it, so a running clock cannot make two seeds differ)."""
        return self._start

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self, frozen: bool = True) -> None:
        current = self.now()
        self._frozen = frozen
        self._anchor_mock, self._anchor_real = current, time.monotonic()

    def set(self, instant: datetime) -> None:
        self._anchor_mock, self._anchor_real = instant, time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def describe(self) -> dict[str, object]:
        return {
            "now": iso(self.now()),
            "now_precise": self.now().isoformat(),
            "frozen": self._frozen,
            "start": iso(self._start),
        }

    def __repr__(self) -> str:
        return f"MockClock(now={iso(self.now())}, frozen={self._frozen})"
