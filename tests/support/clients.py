"""The base of every vendor's test client: a credential of the API (from `mock_server.testing.ConvoMock`, as any
user's suite gets it), requests under its base URL, the control API beside it, and the mock's helpers.

A vendor's client (tests/support/<vendor>.py) only adds how its tests name another credential or tenant, and
conveniences its tests share (read a thread, make a customer write in).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_server.engine.app import MockApp
from mock_server.testing import ConvoMock, InProcessRunner

__all__ = ["VendorClient", "in_process"]


@contextmanager
def in_process(app: MockApp) -> Iterator[ConvoMock]:
    """An app built with options of its own (a start scenario, a journal bound), served in-process like the
    `convomock` fixture's; checked, when the block ends, for answers outside the spec and crashes."""
    runner = InProcessRunner(app)
    mock = ConvoMock(runner)
    try:
        yield mock
    finally:
        mock.close()
        runner.close()
    assert app.backend.strict_violations == [], "the mock answered outside its own spec"
    assert app.backend.internal_errors == [], "a handler crashed"


class VendorClient:
    """Calls one API as one credential does: `path` is under the credential's base URL, as in the vendor's docs.

    `http` is a client at the mock's root (the control API, or a request written out in full); `mock` is the
    `ConvoMock` behind both."""

    def __init__(self, mock: ConvoMock, base_url: str, headers: dict[str, str]) -> None:
        self.mock = mock
        self.http: httpx.Client = mock.control
        self.base_path = urlsplit(base_url).path  # the API's prefix and the vendor's base path, as the mock serves it
        self.sent = dict(headers)

    @classmethod
    def of(cls, mock: ConvoMock, api: str, tenant: str | None = None, **kwargs: Any) -> Any:
        """As a seeded tenant's first credential (the fixtures' key, acme or globex), the way a user's client is
        set up: `mock.url(api, tenant)` and `mock.headers(api, tenant)`."""
        return cls(mock, mock.url(api, tenant), mock.headers(api, tenant), **kwargs)

    def url(self, path: str) -> str:
        return self.base_path + path

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.sent, **(extra or {})}

    def request(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.http.request(method, self.url(path), json=json, headers=self.headers(headers), **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # -- the mock around it ----------------------------------------------------------------------------------------

    def settle(self) -> dict[str, Any]:
        response = self.http.post("/__mock/settle")
        assert response.status_code == 200
        return dict(response.json())

    def advance(self, duration: str) -> None:
        assert self.http.post("/__mock/clock", json={"advance": duration}).status_code == 200

    def state(self) -> str:
        """The whole snapshot as canonical text, to prove that a refused request changed nothing."""
        response = self.http.get("/__mock/state")
        assert response.status_code == 200
        return response.text
