"""Every served API's compiled spec, and a validator of its error envelope (`info.x-convomock.error-envelope`)."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs

from mock_server.apis import BINDINGS
from mock_server.engine.specs import Spec, load_spec

__all__ = ["SPECS", "error_envelope"]

SPECS: dict[str, Spec] = {name: load_spec(binding.spec_path) for name, binding in BINDINGS.items()}


@functools.cache
def error_envelope(api: str) -> Any:
    """A validator of the API's documented error body: every refusal must pass it."""
    document = SPECS[api].document
    registry = jsonschema_rs.Registry([("urn:spec", dict(document))])
    ref = document["info"]["x-convomock"]["error-envelope"]
    return jsonschema_rs.Draft202012Validator({"$ref": "urn:spec" + ref}, registry=registry)
