"""The contract toolkit: schemathesis over a spec, against the in-process mock or any base URL (issue 3)."""
from __future__ import annotations

__all__: list[str] = []
