"""Match a request path to a spec operation: static segments win over `{param}` ones, whatever the spec's order.

Matching works on the raw path split at '/', each segment percent-decoded on its own, so an id holding `%2F`
stays one segment (it can never climb to another route). No redirects: a trailing slash is not the same path.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

from mock_server.engine.errors import MethodNotAllowed, RouteNotFound

__all__ = ["RouteTable", "Match", "split_path"]

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


@dataclass(frozen=True)
class Match(Generic[T]):
    target: T
    path_params: dict[str, str]


class RouteTable(Generic[T]):
    def __init__(self) -> None:
        self._routes: list[_Route[T]] = []

    def add(self, method: str, template: str, target: T) -> None:
        segments: list[str | None] = []
        names: list[str] = []
        for part in template.strip("/").split("/") if template.strip("/") else []:
            if part.startswith("{") and part.endswith("}"):
                segments.append(None)
                names.append(part[1:-1])
            else:
                segments.append(part)
        self._routes.append(_Route(method.upper(), tuple(segments), tuple(names), target,
                                   template.endswith("/") and template != "/"))
        self._routes.sort(key=lambda route: route.specificity, reverse=True)

    def match(self, method: str, raw_path: str) -> Match[T]:
        """The operation for this method and path; RouteNotFound or MethodNotAllowed otherwise."""
        try:
            parts = split_path(raw_path)
        except UnicodeDecodeError:
            raise RouteNotFound(raw_path, method) from None
        trailing = raw_path.endswith("/") and raw_path != "/"
        allowed: list[str] = []
        shape: tuple[bool, ...] | None = None
        for route in self._routes:  # most specific first: a static segment beats a parameter
            if len(route.segments) != len(parts) or route.trailing_slash != trailing:
                continue
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
        return [(r.method, "/" + "/".join(s if s is not None else "{}" for s in r.segments), r.target)
                for r in self._routes]


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
