"""The mock clock: the only source of "now" for handlers, seeding and background jobs.

It starts at a fixed instant (so seeded state is byte-identical run to run) and runs with real time from there,
unless frozen. Setting and advancing move an offset; nothing ever sleeps.

It can be set or advanced to any instant from EARLIEST (1970-01-01T00:00:00Z) to LATEST (9000-12-31T23:59:59Z);
anything else is a ValueError (the control API's 400). Python's datetime ends at 9999-12-31 and handlers add up to
years to now (a ten-year token, a window, a schedule), so near either end a vendor write would overflow into a
500; the vendors' own epochs (JWT `exp`, rate-limit resets, ObjectIds) start at 1970. Only a background job's due
time may lie past LATEST (`run_to`: settle must reach it). A reset goes back to the start instant and to the mode
the clock started in (frozen or running), whatever changed it since.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, datetime, timedelta

__all__ = [
    "DEFAULT_START",
    "EARLIEST",
    "LATEST",
    "MockClock",
    "checked_instant",
    "iso",
    "iso_date_time",
    "moved",
    "parse_duration",
    "parse_instant",
]

DEFAULT_START = datetime(2026, 1, 15, 15, 0, 0, tzinfo=UTC)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)
_RANGE = "the mock clock runs from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)")
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str | float) -> timedelta:
    """'25h', '1h30m', '90s', '2d', '500ms', or a number of seconds; negative with a leading '-'."""
    if isinstance(text, bool):
        raise ValueError("a duration is a string like '25h' or a number of seconds")  # noqa: TRY004 - callers answer 400 on ValueError
    try:
        if isinstance(text, (int, float)):
            return timedelta(seconds=text)
        return _cached_duration(text) if len(text) <= 32 else _duration_text(text)
    except OverflowError:  # more than a timedelta holds (~2.7 million years), or an infinite number
        raise ValueError(f"{str(text)[:40]!r} is too long a move: {_RANGE}") from None


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


def checked_instant(value: datetime) -> datetime:
    """`value` in UTC, if it lies within the clock's range; else a ValueError that says the range."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:  # an offset that carries it past year 1 or 9999
        raise ValueError(f"{value.isoformat()} is out of range: {_RANGE}") from None
    if not EARLIEST <= utc <= LATEST:
        raise ValueError(f"{utc.isoformat()} is out of range: {_RANGE}")
    return utc


def moved(instant: datetime, delta: timedelta) -> datetime:
    """`instant + delta`, or a ValueError that says the clock's range when that is past what a datetime holds."""
    try:
        return instant + delta
    except OverflowError:
        raise ValueError(f"{instant.isoformat()} moved by {delta} is out of range: {_RANGE}") from None


@functools.lru_cache(maxsize=16384)  # answers format the same stored instants over and over
def iso(value: datetime) -> str:
    """The wire form the vendors use: UTC, seconds, 'Z'; four-digit years as ISO 8601 wants them (`0001-01-01`,
    where glibc's strftime writes `1-01-01`)."""
    return iso_date_time(value.astimezone(UTC)) + "Z"


def iso_date_time(value: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` of `value` as it is (no zone), the year always four digits."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"


class MockClock:
    def __init__(self, start: datetime = DEFAULT_START, frozen: bool = False) -> None:
        self._start = checked_instant(start)
        self._frozen_at_start = self._frozen = frozen
        self.reset()

    def reset(self, frozen: bool | None = None) -> None:
        """Back to the start instant, frozen or running as the clock started (`serve --freeze` or not) unless told
        otherwise: a reset is the seeded start, whatever froze or unfroze the clock since."""
        self._frozen = self._frozen_at_start if frozen is None else frozen
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
        """Now is `instant` (ValueError outside EARLIEST..LATEST, the clock unmoved)."""
        self._anchor_mock, self._anchor_real = checked_instant(instant), time.monotonic()

    def run_to(self, instant: datetime) -> None:
        """Now is a background job's due time, unchecked: a handler computed it from an instant in range without
        overflowing, and `settle()` must reach it even when the clock stood at the end of its range."""
        self._anchor_mock, self._anchor_real = instant, time.monotonic()

    def advance(self, delta: timedelta) -> None:
        """Now moves by `delta` (ValueError when that leaves EARLIEST..LATEST, the clock unmoved)."""
        self.set(moved(self.now(), delta))

    def describe(self) -> dict[str, object]:
        return {
            "now": iso(self.now()),
            "now_precise": self.now().isoformat(),
            "frozen": self._frozen,
            "start": iso(self._start),
        }

    def __repr__(self) -> str:
        return f"MockClock(now={iso(self.now())}, frozen={self._frozen})"
