"""The APIs convomock serves, by name. Each package exports one `API` binding; the engine never imports them.

`PACKAGES` is the registry: one line per API, in the order they are listed and served (`convomock new-api NAME`
adds its line). A package missing from it is not served; nothing is found by scanning.
"""

from __future__ import annotations

from importlib import import_module

from mock_server.engine.types import ApiBinding

__all__ = ["BINDINGS", "PACKAGES", "binding"]

PACKAGES = (
    "onetoone",
    "highlevel",
    "crminbox",
    "omniinbox",
)

BINDINGS: dict[str, ApiBinding] = {
    api.name: api for api in (import_module(f"{__name__}.{package}").API for package in PACKAGES)
}


def binding(name: str) -> ApiBinding:
    if name not in BINDINGS:
        raise KeyError(f"unknown API {name!r}; known: {', '.join(BINDINGS)}")
    return BINDINGS[name]
