"""Match a request path to a spec operation: static segments win over `{param}` ones, whatever the spec's order.

Matching works on the raw path split at '/', each segment percent-decoded on its own, so an id holding `%2F`
stays one segment (it can never climb to another route). No redirects: a trailing slash is not the same path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

from mock_server.engine.errors import MethodNotAllowed, RouteNotFound

__all__ = ["Match", "RouteTable", "split_path"]

T = TypeVar("T")


def split_path(raw_path: str) -> list[str]:
    """'/a/b%2Fc' -> ['a', 'b/c']; an empty path gives []."""
    return [unquote(part, errors="strict") for part in raw_path.strip("/").split("/")] if raw_path.strip("/") else []


@dataclass(frozen=True)
class _Route(Generic[T]):
    method: str
    segments: tuple[str | None, ...]  # None marks a parameter
    names: tuple[str, ...]
    target: T
    trailing_slash: bool

    @property
    def specificity(self) -> tuple[bool, ...]:
        return tuple(segment is not None for segment in self.segments)


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    target: T
    path_params: dict[str, str]


class RouteTable(Generic[T]):
    """Routes grouped by segment count (only those can match); the last `CACHE` answers are remembered, since a
    client asks for the same paths again and again (a bounded LRU: any number of distinct ids stays small)."""

    CACHE = 2048

    def __init__(self) -> None:
        self._routes: list[_Route[T]] = []
        self._by_length: dict[tuple[int, bool], list[_Route[T]]] = {}
        self._cache: OrderedDict[tuple[str, str], Match[T] | Exception] = OrderedDict()

    def add(self, method: str, template: str, target: T) -> None:
        segments: list[str | None] = []
        names: list[str] = []
        for part in template.strip("/").split("/") if template.strip("/") else []:
            if part.startswith("{") and part.endswith("}"):
                segments.append(None)
                names.append(part[1:-1])
            else:
                segments.append(part)
        self._routes.append(
            _Route(method.upper(), tuple(segments), tuple(names), target, template.endswith("/") and template != "/")
        )
        self._routes.sort(key=lambda route: route.specificity, reverse=True)
        self._by_length = {}
        for route in self._routes:  # still most specific first within each group
            self._by_length.setdefault((len(route.segments), route.trailing_slash), []).append(route)
        self._cache.clear()

    def match(self, method: str, raw_path: str) -> Match[T]:
        """The operation for this method and path; RouteNotFound or MethodNotAllowed otherwise."""
        key = (method, raw_path)
        found = self._cache.get(key)
        if found is None:
            try:
                found = self._match(method, raw_path)
            except (RouteNotFound, MethodNotAllowed) as exc:
                found = exc
            self._cache[key] = found
            if len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if isinstance(found, Exception):
            raise _fresh(found)
        return Match(found.target, dict(found.path_params))  # a copy: callers may change their parameters

    def _match(self, method: str, raw_path: str) -> Match[T]:
        try:
            parts = split_path(raw_path)
        except UnicodeDecodeError:
            raise RouteNotFound(raw_path, method) from None
        trailing = raw_path.endswith("/") and raw_path != "/"
        allowed: list[str] = []
        shape: tuple[bool, ...] | None = None
        for route in self._by_length.get((len(parts), trailing), ()):  # most specific first: static beats a param
            values = _bind(route.segments, parts)
            if values is None:
                continue
            if route.method == method.upper():
                return Match(route.target, dict(zip(route.names, values, strict=True)))
            # `Allow` names the methods of the path the request meant: the most specific one that fits.
            if shape is None or route.specificity == shape:
                shape = route.specificity
                allowed.append(route.method)
        if allowed:
            raise MethodNotAllowed(allowed, raw_path, method)
        raise RouteNotFound(raw_path, method)

    def routes(self) -> Sequence[tuple[str, str, T]]:
        return [
            (r.method, "/" + "/".join(s if s is not None else "{}" for s in r.segments), r.target) for r in self._routes
        ]


def _fresh(error: Exception) -> Exception:
    """A new exception like the cached one (the caller sets attributes on it, and a raised one carries a
    traceback)."""
    if isinstance(error, MethodNotAllowed):
        return MethodNotAllowed(list(error.allowed), error.path, error.method)
    if isinstance(error, RouteNotFound):
        return RouteNotFound(error.path, error.method)
    return error


def _bind(segments: Sequence[str | None], parts: Sequence[str]) -> list[str] | None:
    values = []
    for segment, part in zip(segments, parts, strict=True):
        if segment is None:
            if part == "":
                return None
            values.append(part)
        elif segment != part:
            return None
    return values
